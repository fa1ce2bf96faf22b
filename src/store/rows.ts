// Rows as both engines store them: the columns of a new delivery and of an attempt, and the
// mapping of stored rows back to domain records.
import type { StoredCredentials } from '../domain/credentials.ts';
import type { AttemptRecord, ClaimedDelivery, DeliveryRecord, DeliveryStatus, IncomingOrder } from '../domain/delivery.ts';
import type { DirectoryEntry, Platform } from '../domain/recipient.ts';
import type { Column, Param, Row } from './runner.ts';

const text = (name: string): Column => ({ name, type: 'text' });
const bigint = (name: string): Column => ({ name, type: 'bigint' });
const int = (name: string): Column => ({ name, type: 'int' });

export const DELIVERY_COLUMNS: readonly Column[] = [
  text('dedupe_key'),
  text('source'),
  text('shop'),
  text('order_id'),
  text('topic'),
  bigint('received_at'),
  text('order_json'),
  text('status'),
  text('platform'),
  text('client_id'),
  text('recipient_via'),
  text('rule'),
  text('intent_id'),
  text('message'),
  text('fb_tag'),
  text('broadcast_name'),
  text('batch_key'),
  bigint('next_attempt_at'),
  text('lease_owner'),
  bigint('finished_at'),
  text('last_error'),
  text('event'),
  text('hold_reason'),
  int('resolve_from'),
  text('bind_customer_id'),
  text('customer_id'),
  text('customer_email'),
  text('order_number'),
];
/** Where the row's status and dedupe key are, for the answer to a new row. */
export const STATUS_INDEX = DELIVERY_COLUMNS.findIndex((c) => c.name === 'status');

/** PostgreSQL's text cannot hold U+0000 (SQLite's can): no column holds it, on either engine. */
const clean = (value: Param): Param => (typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '') : value);

export function deliveryRow(incoming: IncomingOrder): Param[] {
  return rawDeliveryRow(incoming).map(clean);
}

function rawDeliveryRow({
  dedupeKey,
  source,
  shop,
  orderId,
  order,
  event,
  topic,
  receivedAt,
  plan,
  batchKey,
  leasedTo,
}: IncomingOrder): Param[] {
  const send = plan.kind === 'send' ? plan : undefined;
  const pending = plan.kind !== 'skip';
  const email = order?.customer.email?.trim().toLowerCase();
  return [
    dedupeKey,
    source,
    shop,
    orderId,
    topic ?? null,
    receivedAt,
    JSON.stringify(order),
    pending ? 'pending' : 'skipped',
    send?.recipient.platform ?? null,
    send?.recipient.userId ?? null,
    send?.recipient.via ?? null,
    send?.rule ?? null,
    send?.content.intentId ?? null,
    send?.content.message ?? null,
    send?.content.fbTag ?? null,
    send?.name ?? null,
    batchKey ?? null,
    pending ? (leasedTo?.until ?? send?.dueAt ?? receivedAt) : null,
    pending ? (leasedTo?.owner ?? null) : null,
    pending ? null : receivedAt,
    plan.kind === 'skip' ? plan.reason : null,
    event,
    send?.holdReason ?? (plan.kind === 'resolve' ? plan.reason : null),
    plan.kind === 'resolve' ? 0 : null,
    send?.bindCustomerId ?? null,
    order?.customer.id ?? null,
    email || null,
    order?.orderNumber ?? null,
  ];
}

export const ATTEMPT_COLUMNS: readonly Column[] = [
  bigint('delivery_id'),
  bigint('started_at'),
  int('duration_ms'),
  text('outcome'),
  int('http_status'),
  text('error'),
  bigint('next_attempt_at'),
  int('batch_size'),
];

/** The columns a claim reads. */
export const CLAIMED_COLUMNS =
  'id, source, order_id, received_at, redriven_at, platform, client_id, rule, intent_id, message, fb_tag, broadcast_name, attempts';

export function toClaimed(row: Row): ClaimedDelivery {
  return {
    id: Number(row.id),
    source: String(row.source),
    orderId: String(row.order_id),
    platform: row.platform as Platform,
    clientId: String(row.client_id),
    rule: String(row.rule),
    intentId: textOrNull(row.intent_id),
    message: textOrNull(row.message),
    fbTag: textOrNull(row.fb_tag),
    name: String(row.broadcast_name),
    attempts: Number(row.attempts),
    receivedAt: Number(row.received_at),
    waitingSince: Number(row.redriven_at ?? row.received_at),
  };
}

export const RECORD_COLUMNS = `id, source, event, shop, order_id, topic, status, platform, client_id, recipient_via, rule, intent_id, message, fb_tag,
  broadcast_name, attempts, received_at, next_attempt_at, lease_owner, finished_at, redriven_at, last_error, hold_reason, resolve_from,
  customer_id, customer_email, order_number`;

const textOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));
const timeOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

export function toDeliveryRecord(row: Row, now: number): DeliveryRecord {
  const status = row.status as DeliveryStatus;
  const nextAttemptAt = timeOrNull(row.next_attempt_at);
  const lastError = textOrNull(row.last_error);
  const pending = status === 'pending';
  return {
    id: Number(row.id),
    source: String(row.source),
    event: (row.event ?? null) as DeliveryRecord['event'],
    shop: String(row.shop),
    orderId: String(row.order_id),
    topic: textOrNull(row.topic),
    status,
    platform: textOrNull(row.platform),
    clientId: textOrNull(row.client_id),
    recipientVia: textOrNull(row.recipient_via),
    rule: textOrNull(row.rule),
    intentId: textOrNull(row.intent_id),
    message: textOrNull(row.message),
    fbTag: textOrNull(row.fb_tag),
    name: textOrNull(row.broadcast_name),
    attempts: Number(row.attempts),
    receivedAt: Number(row.received_at),
    nextAttemptAt,
    inFlight: status === 'pending' && row.lease_owner !== null && nextAttemptAt !== null && nextAttemptAt > now,
    finishedAt: timeOrNull(row.finished_at),
    redrivenAt: timeOrNull(row.redriven_at),
    lastError,
    // Before its first attempt a pending delivery waits for what held it; after, for its retry.
    waitReason: !pending ? null : lastError ? `retrying: ${lastError}` : textOrNull(row.hold_reason),
    customerId: textOrNull(row.customer_id),
    customerEmail: textOrNull(row.customer_email),
    orderNumber: textOrNull(row.order_number),
  };
}

export function toAttemptRecord(row: Row): AttemptRecord {
  return {
    startedAt: Number(row.started_at),
    durationMs: Number(row.duration_ms),
    outcome: row.outcome as AttemptRecord['outcome'],
    httpStatus: row.http_status === null ? null : Number(row.http_status),
    error: textOrNull(row.error),
    nextAttemptAt: timeOrNull(row.next_attempt_at),
    batchSize: Number(row.batch_size),
  };
}

export function toDirectoryEntry(row: Row): DirectoryEntry {
  return { key: String(row.key), platform: row.platform as Platform, userId: String(row.user_id), updatedAt: Number(row.updated_at) };
}

export const CREDENTIALS_COLUMNS = [
  'bot_id',
  'api_token',
  'api_secret',
  'generation',
  'origin',
  'env_fingerprint',
  'obtained_at',
  'expires_at',
  'last_refresh_at',
  'state',
  'last_error',
] as const;

export function credentialsRow(c: StoredCredentials): Param[] {
  return [
    c.botId,
    c.apiToken,
    c.apiSecret,
    c.generation,
    c.origin,
    c.envFingerprint,
    c.obtainedAt,
    c.expiresAt,
    c.lastRefreshAt,
    c.state,
    c.lastError,
  ];
}

export function toCredentials(row: Row): StoredCredentials {
  return {
    botId: String(row.bot_id),
    apiToken: String(row.api_token),
    apiSecret: String(row.api_secret),
    generation: Number(row.generation),
    origin: row.origin as StoredCredentials['origin'],
    envFingerprint: String(row.env_fingerprint),
    obtainedAt: Number(row.obtained_at),
    expiresAt: Number(row.expires_at),
    lastRefreshAt: timeOrNull(row.last_refresh_at),
    state: row.state as StoredCredentials['state'],
    lastError: textOrNull(row.last_error),
  };
}
