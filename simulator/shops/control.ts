// The shop stand-ins' control routes (/__simulator/...), for `npm run simulator -- --shops` and
// the demo, where the test's objects are out of reach: make orders happen, flip switches, look.
// Switches that take a predicate in code take `true`, `false` or `{ "count": N }` here.
import type { ShopifyShop } from './shopify.ts';
import type { WooCommerceSite } from './woocommerce.ts';

export const CONTROL_PREFIX = '/__simulator';
type Reply = [number, unknown];

function parse(raw: string): Record<string, unknown> | undefined {
  try {
    const body = JSON.parse(raw || '{}') as unknown;
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function attempt(work: () => unknown): Reply {
  try {
    return [200, work()];
  } catch (e) {
    return [404, { error: (e as Error).message }];
  }
}

export function shopifyControl(shop: ShopifyShop, path: string, method: string, raw: string): Reply {
  if (method === 'GET' && path === '/state')
    return [200, { env: shop.serviceEnv(), orders: shop.orders.length, subscriptions: shop.subscriptions, bucket: shop.bucket.status() }];
  if (method === 'GET' && path === '/orders') return [200, { orders: shop.orders }];
  if (method === 'GET' && path === '/deliveries') return [200, { deliveries: shop.deliveries }];
  if (method === 'GET' && path === '/calls') return [200, { calls: shop.calls }];
  const body = parse(raw);
  if (!body) return [400, { error: 'body must be a JSON object' }];
  if (method !== 'POST') return [404, { error: 'unknown simulator control' }];
  if (path === '/switches') {
    shop.set(body as Parameters<ShopifyShop['set']>[0]);
    return [200, { fail: shop.fail }];
  }
  if (path === '/orders') return attempt(() => shop.createOrder(body));
  const [, id, action] = path.match(/^\/orders\/([^/]+)\/(fulfill|refund|cancel)$/) ?? [];
  if (!id) return [404, { error: 'unknown simulator control' }];
  if (action === 'fulfill') return attempt(() => shop.fulfill(id, (body.tracking ?? []) as never));
  if (action === 'refund') return attempt(() => shop.refund(id, String(body.amount ?? '0.00'), (body.note as string) ?? null));
  return attempt(() => shop.cancel(id, (body.reason as string) ?? 'CUSTOMER'));
}

export function wooControl(site: WooCommerceSite, path: string, method: string, raw: string): Reply {
  if (method === 'GET' && path === '/state') return [200, { env: site.serviceEnv(), orders: site.orders.length, webhooks: site.webhooks }];
  if (method === 'GET' && path === '/orders') return [200, { orders: site.orders }];
  if (method === 'GET' && path === '/deliveries') return [200, { deliveries: site.deliveries }];
  if (method === 'GET' && path === '/calls') return [200, { calls: site.calls }];
  const body = parse(raw);
  if (!body) return [400, { error: 'body must be a JSON object' }];
  if (method !== 'POST') return [404, { error: 'unknown simulator control' }];
  if (path === '/switches') {
    site.set(body as Parameters<WooCommerceSite['set']>[0]);
    return [200, { fail: site.fail }];
  }
  if (path === '/orders') return attempt(() => site.createOrder(body));
  const [, id, action] = path.match(/^\/orders\/(\d+)\/(update|refund)$/) ?? [];
  if (!id) return [404, { error: 'unknown simulator control' }];
  if (action === 'update') return attempt(() => site.updateOrder(Number(id), body));
  return attempt(() => site.refund(Number(id), String(body.amount ?? '0.00'), (body.reason as string) ?? ''));
}
