// Constant-time check of a base64 HMAC-SHA256 over the exact bytes received,
// as Shopify (X-Shopify-Hmac-Sha256) and WooCommerce (X-WC-Webhook-Signature) sign.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/** A secret made into a key once, rather than on every webhook (a measurable part of each one's cost). */
export function hmacKey(secret: string): KeyObject {
  return createSecretKey(secret, 'utf8');
}

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
