// Which columns a delivery row has: for each, its SQL type, how a new delivery's value is written
// (none: the store's default, as for the id) and how a stored value is read back. The insert's
// columns and placeholders, the SELECT lists and the decoding of rows all come from this one map.
import {
  type ClaimedDelivery,
  type DeliveryPlan,
  type DeliveryRecord,
  type DeliveryStatus,
  type IncomingOrder,
  placedKeyOf,
} from '../domain/delivery.ts';
import { isBeforeDelivery } from '../domain/order.ts';
import type { Platform } from '../domain/recipient.ts';
import type { Column, Param, Row } from './runner.ts';

/** What a new delivery's values come from: the incoming order, and what its plan makes of it. */
interface NewDelivery {
  incoming: IncomingOrder;
  /** The plan when it is to send. */
  send: Extract<DeliveryPlan, { kind: 'send' }> | undefined;
  /** Still to do (to send, or to resolve first); otherwise skipped at once. */
  pending: boolean;
}

type Write = (d: NewDelivery) => Param;
interface StoredColumn<T> {
  type: Column['type'];
  read: (stored: unknown) => T;
}
interface WrittenColumn<T> extends StoredColumn<T> {
  write: Write;
}

const withdrawnByOf = (plan: DeliveryPlan) => (plan.kind === 'skip' ? [] : (plan.withdrawnBy ?? []));
/** The withdrawing events as stored: `,refunded,cancelled,` (none: null), so a LIKE finds one. */
export const withdrawnByColumn = (events: readonly string[]): string | null => (events.length > 0 ? `,${events.join(',')},` : null);

const orNull =
  <T>(read: (stored: unknown) => T) =>
  (stored: unknown): T | null =>
    stored === null || stored === undefined ? null : read(stored);

const written = <T>(type: Column['type'], read: (stored: unknown) => T, write: Write): WrittenColumn<T> => ({ type, read, write });
const text = (write: Write): WrittenColumn<string> => ({ type: 'text', read: String, write });
const optionalText = (write: Write): WrittenColumn<string | null> => ({ type: 'text', read: orNull(String), write });
const time = (write: Write): WrittenColumn<number> => ({ type: 'bigint', read: Number, write });
const optionalTime = (write: Write): WrittenColumn<number | null> => ({ type: 'bigint', read: orNull(Number), write });
/** Set by the store's default (or later statements), never by the insert. */
const byStore = <T>(type: Column['type'], read: (stored: unknown) => T): StoredColumn<T> => ({ type, read });

export const DELIVERY_ROW = {
  id: byStore('bigint', Number),
  /** Two webhooks with the same key are the same order. */
  dedupe_key: text(({ incoming }) => incoming.dedupeKey),
  source: text(({ incoming }) => incoming.source),
  shop: text(({ incoming }) => incoming.shop),
  order_id: text(({ incoming }) => incoming.orderId),
  /** None for a manual broadcast. */
  event: written(
    'text',
    (stored) => (stored ?? null) as DeliveryRecord['event'],
    ({ incoming }) => incoming.event,
  ),
  topic: optionalText(({ incoming }) => incoming.topic ?? null),
  received_at: time(({ incoming }) => incoming.receivedAt),
  order_json: text(({ incoming }) => JSON.stringify(incoming.order)),
  order_number: optionalText(({ incoming }) => incoming.order?.orderNumber ?? null),
  customer_id: optionalText(({ incoming }) => incoming.order?.customer.id ?? null),
  /** Lower case, for the operator's search. */
  customer_email: optionalText(({ incoming }) => incoming.order?.customer.email?.trim().toLowerCase() || null),
  status: written(
    'text',
    (stored) => stored as DeliveryStatus,
    ({ pending }) => (pending ? 'pending' : 'skipped'),
  ),
  // The recipient and the message: known once the plan is to send.
  platform: optionalText(({ send }) => send?.recipient.platform ?? null),
  client_id: optionalText(({ send }) => send?.recipient.userId ?? null),
  recipient_via: optionalText(({ send }) => send?.recipient.via ?? null),
  rule: optionalText(({ send }) => send?.rule ?? null),
  intent_id: optionalText(({ send }) => send?.content.intentId ?? null),
  message: optionalText(({ send }) => send?.content.message ?? null),
  fb_tag: optionalText(({ send }) => send?.content.fbTag ?? null),
  broadcast_name: optionalText(({ send }) => send?.name ?? null),
  /** Deliveries with the same key may share one broadcast. */
  batch_key: optionalText(({ incoming }) => incoming.batchKey ?? null),
  /** A shop id to bind to the recipient once sent. */
  bind_customer_id: optionalText(({ send }) => send?.bindCustomerId ?? null),
  /** Set (0) while the worker must still find the recipient. */
  resolve_from: written('int', orNull(Number), ({ incoming }) => (incoming.plan.kind === 'resolve' ? 0 : null)),
  /** Why a pending delivery waits before its first attempt (a delay, quiet hours, the lookup). */
  hold_reason: optionalText(({ incoming, send }) => send?.holdReason ?? (incoming.plan.kind === 'resolve' ? incoming.plan.reason : null)),
  attempts: byStore('int', Number),
  /** While pending: when it is due (its first attempt, or a retry). A claim leaves it as it is. */
  next_attempt_at: optionalTime(({ incoming, send, pending }) => (pending ? (send?.dueAt ?? incoming.receivedAt) : null)),
  /** Who holds it (a claim's owner), while pending. */
  lease_owner: optionalText(({ incoming, pending }) => (pending ? (incoming.leasedTo?.owner ?? null) : null)),
  /** Until when the owner holds it; once past, it can be claimed again, without anyone having to notice. */
  lease_until: optionalTime(({ incoming, pending }) => (pending ? (incoming.leasedTo?.until ?? null) : null)),
  finished_at: optionalTime(({ incoming, pending }) => (pending ? null : incoming.receivedAt)),
  /** When the operator last sent a dead one again: its retries' age counts from there. */
  redriven_at: byStore('bigint', orNull(Number)),
  /** The last attempt's error, or why it was skipped or gave up. */
  last_error: optionalText(({ incoming }) => (incoming.plan.kind === 'skip' ? incoming.plan.reason : null)),
  /**
   * The events of the same order that withdraw it while pending (withdrawal.ts), and that order's key
   * (kept too for a stage on the parcel's way, which its own parcel's delivered withdraws).
   */
  withdrawn_by: optionalText(({ incoming, pending }) => (pending ? withdrawnByColumn(withdrawnByOf(incoming.plan)) : null)),
  order_key: optionalText(({ incoming, pending }) =>
    pending && incoming.event !== null && (withdrawnByOf(incoming.plan).length > 0 || isBeforeDelivery(incoming.event))
      ? placedKeyOf(incoming.dedupeKey)
      : null,
  ),
  /** Held (a delay, quiet hours): when it is first due; its retries' age counts from there. */
  held_until: optionalTime(({ send }) => (send?.holdReason ? (send.dueAt ?? null) : null)),
} satisfies Record<string, StoredColumn<unknown>>;

type Columns = typeof DELIVERY_ROW;
export type DeliveryColumn = keyof Columns;
type WrittenName = { [C in DeliveryColumn]: Columns[C] extends WrittenColumn<unknown> ? C : never }[DeliveryColumn];
/** A stored delivery's columns `C`, read back. */
export type StoredDelivery<C extends DeliveryColumn = DeliveryColumn> = { [K in C]: ReturnType<Columns[K]['read']> };
/**
 * A new delivery's values in the order of NEW_DELIVERY_COLUMNS, as the insert binds them. An array,
 * not an object keyed by column: the rows of a group commit are copied to the SQLite thread, and an
 * array of values costs a fraction of the keyed object to copy there and back out.
 */
export type NewDeliveryRow = readonly Param[];

/** The columns a new delivery is inserted with, in the order of its values. */
export const NEW_DELIVERY_COLUMNS: readonly Column[] = Object.entries(DELIVERY_ROW)
  .filter(([, column]) => 'write' in column)
  .map(([name, { type }]) => ({ name, type }));
const WRITES: readonly Write[] = NEW_DELIVERY_COLUMNS.map(
  ({ name }) => (DELIVERY_ROW[name as WrittenName] as WrittenColumn<unknown>).write,
);
const POSITION = new Map(NEW_DELIVERY_COLUMNS.map(({ name }, i) => [name, i]));

export function newDeliveryRow(incoming: IncomingOrder): NewDeliveryRow {
  const { plan } = incoming;
  const d: NewDelivery = { incoming, send: plan.kind === 'send' ? plan : undefined, pending: plan.kind !== 'skip' };
  // Pushed, not mapped: optimized code makes map()'s result a holey array, which is copied to the
  // SQLite thread element by element as a sparse one, at several times the cost of a packed one.
  const row: Param[] = [];
  for (const write of WRITES) row.push(write(d)); // a NUL is dropped by the runner (withoutNul)
  return row;
}

/** Column `name` of a new row. */
export const newRowValue = (row: NewDeliveryRow, name: WrittenName): Param => row[POSITION.get(name) as number] as Param;

/** `columns` as a SELECT list. */
export const selectList = (columns: readonly DeliveryColumn[]): string => columns.join(', ');

/** The `columns` of a stored row, each read as the map says. */
export function readDelivery<C extends DeliveryColumn>(row: Row, columns: readonly C[]): StoredDelivery<C> {
  const read: Record<string, unknown> = {};
  for (const name of columns) read[name] = (DELIVERY_ROW[name] as StoredColumn<unknown>).read(row[name]);
  return read as StoredDelivery<C>;
}

/** The columns a claim reads. */
const CLAIMED = [
  'id',
  'source',
  'order_id',
  'received_at',
  'redriven_at',
  'held_until',
  'platform',
  'client_id',
  'rule',
  'intent_id',
  'message',
  'fb_tag',
  'broadcast_name',
  'attempts',
  'next_attempt_at',
] as const satisfies readonly DeliveryColumn[];
export const CLAIMED_COLUMNS = selectList(CLAIMED);

export function toClaimed(row: Row): ClaimedDelivery {
  const d = readDelivery(row, CLAIMED);
  return {
    id: d.id,
    source: d.source,
    orderId: d.order_id,
    // A claim takes only deliveries whose recipient and message are known.
    platform: d.platform as Platform,
    clientId: String(d.client_id),
    rule: String(d.rule),
    intentId: d.intent_id,
    message: d.message,
    fbTag: d.fb_tag,
    name: String(d.broadcast_name),
    attempts: d.attempts,
    receivedAt: d.received_at,
    waitingSince: d.redriven_at ?? Math.max(d.received_at, d.held_until ?? d.received_at),
    dueAt: d.next_attempt_at ?? d.received_at,
  };
}

/** The columns the operator's view of a delivery reads. */
const RECORDED = [
  'id',
  'source',
  'event',
  'shop',
  'order_id',
  'topic',
  'status',
  'platform',
  'client_id',
  'recipient_via',
  'rule',
  'intent_id',
  'message',
  'fb_tag',
  'broadcast_name',
  'attempts',
  'received_at',
  'next_attempt_at',
  'lease_owner',
  'lease_until',
  'finished_at',
  'redriven_at',
  'last_error',
  'hold_reason',
  'resolve_from',
  'customer_id',
  'customer_email',
  'order_number',
] as const satisfies readonly DeliveryColumn[];
export const RECORD_COLUMNS = selectList(RECORDED);

/** The operator's view of a stored delivery; `now` tells whether its lease is still running. */
export function toDeliveryRecord(row: Row, now: number): DeliveryRecord {
  const d = readDelivery(row, RECORDED);
  const pending = d.status === 'pending';
  return {
    id: d.id,
    source: d.source,
    event: d.event,
    shop: d.shop,
    orderId: d.order_id,
    topic: d.topic,
    status: d.status,
    platform: d.platform,
    clientId: d.client_id,
    recipientVia: d.recipient_via,
    rule: d.rule,
    intentId: d.intent_id,
    message: d.message,
    fbTag: d.fb_tag,
    name: d.broadcast_name,
    attempts: d.attempts,
    receivedAt: d.received_at,
    // While a lease runs, the next try is when it ends: should its holder never record one, another claims it then.
    nextAttemptAt: d.lease_until ?? d.next_attempt_at,
    inFlight: pending && d.lease_owner !== null && d.lease_until !== null && d.lease_until > now,
    finishedAt: d.finished_at,
    redrivenAt: d.redriven_at,
    lastError: d.last_error,
    // Before its first attempt a pending delivery waits for what held it; after, for its retry.
    waitReason: !pending ? null : d.last_error ? `retrying: ${d.last_error}` : d.hold_reason,
    customerId: d.customer_id,
    customerEmail: d.customer_email,
    orderNumber: d.order_number,
  };
}
