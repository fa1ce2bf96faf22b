// What every webhook source provides: a signature check over the raw bytes, a screen on
// headers that says which deliveries are not orders, a payload schema, and normalization.
import type { IncomingHttpHeaders } from 'node:http';
import type { TSchema } from 'typebox';
import type { Order, Source } from './order.ts';

export type Verification = { ok: true } | { ok: false; reason: string };
export type Normalized = { order: Order } | { ignored: string };

export interface WebhookSource<Payload = unknown> {
  readonly name: Source;
  /** Checked before any byte of the body is parsed. */
  verify(raw: Buffer, headers: IncomingHttpHeaders): Verification;
  /** A reason to answer 200 and do nothing (a topic that is not an order), after verification. */
  screen(headers: IncomingHttpHeaders): string | undefined;
  readonly payloadSchema: TSchema;
  /** Turns a verified, schema-valid payload into an order, or says why it is not one to send. */
  normalize(payload: Payload, headers: IncomingHttpHeaders): Normalized;
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
