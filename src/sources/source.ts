// What defines a webhook source: where it listens, the setting that enables it, its signature check
// over the raw bytes, its screens (an unsigned ping, a topic that is not an order), its payload
// schema and how a payload becomes an order. The routes, the environment and the admin API read
// these definitions from the registry (registry.ts); nothing else names a source.
import type { IncomingHttpHeaders } from 'node:http';
import type { TSchema } from 'typebox';
import type { Order } from '../domain/order.ts';

export type Verification = { ok: true } | { ok: false; reason: string };
/**
 * An order, with its `scope`: what makes its id unique beyond the source, taken from signed bytes
 * only (an unsigned header could be changed on a replay, and the customer messaged twice).
 */
export type Normalized = { order: Order; scope: string } | { ignored: string };

export interface SecretSetting {
  /** The environment variable: unset disables the source (its route answers 404). */
  name: string;
  /** Its TypeBox schema; the description is its documentation and its error message. */
  schema: TSchema;
}

/** An unsigned request a platform sends to check the URL, answered 200 before any signature check. */
export interface Ping {
  contentType: string;
  /** True for the platform's ping; anything else of this content type is a 415. */
  matches(raw: Buffer, headers: IncomingHttpHeaders): boolean;
  reason: string;
}

export interface WebhookSource<Payload = unknown> {
  readonly name: string;
  readonly path: string;
  readonly secret: SecretSetting;
  /** The header that names the topic, recorded with the order. */
  readonly topicHeader?: string;
  readonly ping?: Ping;
  /** The signature check for one secret (anything costly, like the HMAC key, is made once here). */
  verifier(secret: string): (raw: Buffer, headers: IncomingHttpHeaders) => Verification;
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

/** A string field from a payload, with empty and null meaning "missing". */
export const optionalText = (value: string | number | undefined | null): string | undefined =>
  value === undefined || value === null || value === '' ? undefined : String(value);

/** The screen of a source that names its topic in a header: anything but these topics is ignored. */
export function topicScreen(topicHeader: string, topics: readonly string[]) {
  return (headers: IncomingHttpHeaders): string | undefined => {
    const topic = header(headers, topicHeader);
    return topic === undefined || topics.includes(topic) ? undefined : `topic ${topic} is not an order topic (${topics.join(', ')})`;
  };
}
