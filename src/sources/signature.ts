// Constant-time check of a base64 HMAC-SHA256 over the exact bytes received,
// as Shopify (X-Shopify-Hmac-Sha256) and WooCommerce (X-WC-Webhook-Signature) sign.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { header, type Verification } from './source.ts';

export function hmacSha256Base64(secret: string, raw: Buffer | string): string {
  return createHmac('sha256', secret).update(raw).digest('base64');
}

export function isValidBase64Hmac(secret: string | KeyObject, raw: Buffer, provided: string | undefined): boolean {
  if (!provided) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  const given = Buffer.from(provided.trim(), 'base64');
  // Lengths are public (always 32 bytes for SHA-256); only the bytes need the constant-time compare.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The check of a body signed in `headerName`; the key is made once, not per webhook (a measurable part of each one's cost). */
export function hmacVerifier(secret: string, headerName: string): (raw: Buffer, headers: IncomingHttpHeaders) => Verification {
  const key = createSecretKey(secret, 'utf8');
  const name = headerName.toLowerCase();
  return (raw, headers) => {
    const provided = header(headers, name);
    if (!provided) return { ok: false, reason: `missing ${headerName} header` };
    return isValidBase64Hmac(key, raw, provided) ? { ok: true } : { ok: false, reason: `${headerName} does not match the body` };
  };
}
