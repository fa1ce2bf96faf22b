// What defines a webhook source: where it listens, the setting that enables it, its signature check
// over the raw bytes, an unsigned ping it may send, and the kinds of payload it sends (chosen by
// topic), each with its schema and how it becomes an order event. The routes, the environment and
// the admin API read these definitions from the registry (registry.ts); nothing else names a source.
import type { IncomingHttpHeaders } from 'node:http';
import type { TSchema } from 'typebox';
import type { ReceivedOrder } from '../domain/order.ts';

export type Verification = { ok: true } | { ok: false; reason: string };

/** An order event (ReceivedOrder), or why the payload is none: `ignored`, or `invalid` (what the schema could not say is wrong: a 400). */
export type Normalized = ReceivedOrder | { ignored: string } | { invalid: string };

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

/** One kind of payload: its schema (validated before normalize sees it) and its conversion. */
export interface PayloadKind<Payload = never> {
  readonly schema: TSchema;
  /**
   * Its ids come only as JSON numbers (no GraphQL id beside them): integers past 2^53 are parsed as
   * their digits (a string), not rounded. Only such kinds pay for it: it reads every value as parsed.
   */
  readonly exactIntegers?: boolean;
  normalize(payload: Payload, headers: IncomingHttpHeaders): Normalized;
}

export interface WebhookSource {
  readonly name: string;
  readonly path: string;
  readonly secret: SecretSetting;
  /** The header that names the topic, recorded with the order. */
  readonly topicHeader?: string;
  readonly ping?: Ping;
  /** The signature check for one secret (anything costly, like the HMAC key, is made once here). */
  verifier(secret: string): (raw: Buffer, headers: IncomingHttpHeaders) => Verification;
  /** After verification: the kind of payload this webhook carries, or why it is not one to handle (another topic). */
  payloadKind(headers: IncomingHttpHeaders): PayloadKind | { ignored: string };
  /** Every kind it sends, for the OpenAPI document. */
  readonly payloadKinds: readonly PayloadKind[];
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A string field from a payload, with empty and null meaning "missing". */
export const optionalText = (value: string | number | undefined | null): string | undefined =>
  value === undefined || value === null || value === '' ? undefined : String(value);

/** A kind whose payload type the source knows; the route only passes it payloads its schema accepted. */
export const payloadKind = <Payload>(kind: {
  schema: TSchema;
  exactIntegers?: boolean;
  normalize(payload: Payload, headers: IncomingHttpHeaders): Normalized;
}) => kind as unknown as PayloadKind;

/** The kind for each topic (a missing topic header means `defaultTopic`); any other topic is ignored. */
export function byTopic(topicHeader: string, kinds: Record<string, PayloadKind>, defaultTopic: string) {
  // Copied without a prototype: a topic such as `constructor` names no kind, not Object's.
  const own: Record<string, PayloadKind> = Object.assign(Object.create(null), kinds);
  return (headers: IncomingHttpHeaders): PayloadKind | { ignored: string } => {
    const topic = header(headers, topicHeader) ?? defaultTopic;
    return own[topic] ?? { ignored: `topic ${topic} is not one this service sends messages for (${Object.keys(kinds).join(', ')})` };
  };
}
