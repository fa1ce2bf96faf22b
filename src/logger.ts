// The service's pino logger. Secrets are redacted wherever they might turn up: request headers
// (authorization, webhook signatures) and any field named like a token or a secret.
import pino, { type DestinationStream, type Level, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-shopify-hmac-sha256"]',
  'req.headers["x-wc-webhook-signature"]',
  'req.headers["webhook-signature"]',
  'headers.authorization',
  'authorization',
  'apiToken',
  'apiSecret',
  'secret',
  'token',
  '*.apiToken',
  '*.apiSecret',
  '*.secret',
  '*.token',
  '*.authorization',
];

export function createLogger(level: Level | 'silent', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: 'mantago-order-notifier' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
