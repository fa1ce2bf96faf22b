// Calls to the WooCommerce stand-in as the service makes them: REST v3 with HTTP Basic.
import type { WooCommerceSite } from '../../simulator/shops/woocommerce.ts';

export interface RestResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export async function wc<T = unknown>(
  site: WooCommerceSite,
  method: string,
  path: string,
  body?: unknown,
  auth: { key: string; secret: string } | null = { key: site.consumerKey, secret: site.consumerSecret },
): Promise<RestResult<T>> {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.key}:${auth.secret}`).toString('base64')}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${site.url}/wp-json/wc/v3/${path}`, {
    method,
    headers,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

export interface WooOrderJson {
  id: number;
  number: string;
  status: string;
  date_created_gmt: string;
  date_modified_gmt: string;
  total: string;
  refunds: { id: number; reason: string; total: string }[];
}
