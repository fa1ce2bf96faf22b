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

/**
 * Lines are written to stdout in chunks (at 4 KB, or every 100 ms) rather than one write each;
 * pino flushes what is left when the process exits.
 */
export function createLogger(level: Level | 'silent', destination?: DestinationStream): Logger {
  const stream = destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'mantago-order-notifier' } }, stream);
}
