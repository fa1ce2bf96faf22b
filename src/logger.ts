// The service's pino logger. The code never logs a secret (a test checks); as a second guard,
// the headers that carry one are redacted should a request's headers ever be logged. Exact paths
// only: wildcard redaction costs more per line than the rest of the line.
import pino, { type DestinationStream, type Level, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-shopify-hmac-sha256"]',
  'req.headers["x-wc-webhook-signature"]',
  'req.headers["webhook-signature"]',
];

export function createLogger(level: Level | 'silent', destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'mantago-order-notifier' } }, destination);
}
