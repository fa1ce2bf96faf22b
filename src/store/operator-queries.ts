// The operator's queries (deliveries, redrives, queue figures, retention, the recipient directory),
// written once with `?` placeholders for both engines, and the rows they return mapped back.
import type { Platform } from '../mapping/platform.ts';
import type { Row } from './rows.ts';
import type { AttemptRecord, DeliveryFilter, DeliveryRecord, DeliveryStatus, DirectoryEntry, QueueStats } from './store.ts';

export interface Query {
  text: string;
  params: (string | number | null)[];
}

/** `?` placeholders as PostgreSQL's `$1, $2, …`. */
export function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

const RECORD_COLUMNS = `id, source, shop, order_id, topic, status, platform, client_id, recipient_via, rule, intent_id, message, fb_tag,
  broadcast_name, attempts, received_at, next_attempt_at, lease_owner, finished_at, redriven_at, last_error`;

export function listDeliveries(filter: DeliveryFilter): Query {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (clause: string, value: string | number) => {
    where.push(clause);
    params.push(value);
  };
  if (filter.status) add('status = ?', filter.status);
  if (filter.source) add('source = ?', filter.source);
  if (filter.orderId) add('order_id = ?', filter.orderId);
  if (filter.beforeId !== undefined) add('id < ?', filter.beforeId);
  params.push(filter.limit);
  return {
    text: `SELECT ${RECORD_COLUMNS} FROM deliveries ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    params,
  };
}

export const deliveryById = (id: number): Query => ({ text: `SELECT ${RECORD_COLUMNS}, order_json FROM deliveries WHERE id = ?`, params: [id] });

export const attemptsOf = (id: number): Query => ({
  text: `SELECT started_at, duration_ms, outcome, http_status, error, next_attempt_at, batch_size FROM attempts WHERE delivery_id = ? ORDER BY id`,
  params: [id],
});

/** A dead delivery starts over; a waiting one (not claimed, or its claim ran out) is due now. */
export const requeue = (id: number, now: number): Query => ({
  text: `UPDATE deliveries SET
      attempts = CASE WHEN status = 'dead' THEN 0 ELSE attempts END,
      redriven_at = CASE WHEN status = 'dead' THEN ? ELSE redriven_at END,
      status = 'pending', next_attempt_at = ?, lease_owner = NULL, finished_at = NULL
    WHERE id = ? AND (status = 'dead' OR (status = 'pending' AND (lease_owner IS NULL OR next_attempt_at <= ?)))
    RETURNING id`,
  params: [now, now, id, now],
});

export function redriveDead(source: string | undefined, now: number): Query {
  return {
    text: `UPDATE deliveries SET status = 'pending', attempts = 0, redriven_at = ?, next_attempt_at = ?, lease_owner = NULL, finished_at = NULL
      WHERE status = 'dead'${source ? ' AND source = ?' : ''}`,
    params: source ? [now, now, source] : [now, now],
  };
}

export const QUEUE_STATS = `SELECT
  (SELECT count(*) FROM deliveries WHERE status = 'pending') AS pending,
  (SELECT min(coalesce(redriven_at, received_at)) FROM deliveries WHERE status = 'pending') AS oldest,
  (SELECT count(*) FROM deliveries WHERE status = 'dead') AS dead`;

/** Deliveries sent since a time (the operator's "sent in the last hour"); the finished-deliveries index covers it. */
export const sentSince = (since: number): Query => ({ text: `SELECT count(*) AS sent FROM deliveries WHERE status = 'sent' AND finished_at >= ?`, params: [since] });

export function toQueueStats(row: Row): QueueStats {
  return { pending: Number(row.pending), oldestPendingSince: row.oldest === null ? undefined : Number(row.oldest), dead: Number(row.dead) };
}

/** Rows deleted per statement: retention never holds the store for long. */
export const PRUNE_CHUNK = 1_000;

export const pruneChunk = (cutoff: { finishedBefore: number; deadBefore: number }): Query => ({
  text: `DELETE FROM deliveries WHERE id IN (
      SELECT id FROM deliveries
      WHERE (status IN ('sent', 'skipped') AND finished_at < ?) OR (status = 'dead' AND finished_at < ?)
      LIMIT ${PRUNE_CHUNK})`,
  params: [cutoff.finishedBefore, cutoff.deadBefore],
});

export const UPSERT_RECIPIENT = `INSERT INTO recipients (key, platform, user_id, updated_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (key) DO UPDATE SET platform = excluded.platform, user_id = excluded.user_id, updated_at = excluded.updated_at`;

export const recipientParams = (e: DirectoryEntry) => [e.key, e.platform, e.userId, e.updatedAt];

export function statusesOf(ids: number[]): Query {
  return { text: `SELECT id, status FROM deliveries WHERE id IN (${ids.map(() => '?').join(', ')})`, params: ids };
}

export function findRecipients(keys: string[]): Query {
  return { text: `SELECT key, platform, user_id, updated_at FROM recipients WHERE key IN (${keys.map(() => '?').join(', ')})`, params: keys };
}

/** Of the entries found, the one for the earliest of `keys`. */
export function firstByKey(keys: string[], rows: Row[]): DirectoryEntry | undefined {
  const byKey = new Map(rows.map((r) => [String(r.key), toDirectoryEntry(r)]));
  for (const key of keys) {
    const entry = byKey.get(key);
    if (entry) return entry;
  }
  return undefined;
}

export function toDirectoryEntry(row: Row): DirectoryEntry {
  return { key: String(row.key), platform: row.platform as Platform, userId: String(row.user_id), updatedAt: Number(row.updated_at) };
}

const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
const time = (value: unknown) => (value === null || value === undefined ? null : Number(value));

export function toDeliveryRecord(row: Row, now = Date.now()): DeliveryRecord {
  const status = row.status as DeliveryStatus;
  const nextAttemptAt = time(row.next_attempt_at);
  return {
    id: Number(row.id),
    source: String(row.source),
    shop: String(row.shop),
    orderId: String(row.order_id),
    topic: text(row.topic),
    status,
    platform: text(row.platform),
    clientId: text(row.client_id),
    recipientVia: text(row.recipient_via),
    rule: text(row.rule),
    intentId: text(row.intent_id),
    message: text(row.message),
    fbTag: text(row.fb_tag),
    name: text(row.broadcast_name),
    attempts: Number(row.attempts),
    receivedAt: Number(row.received_at),
    nextAttemptAt,
    inFlight: status === 'pending' && row.lease_owner !== null && nextAttemptAt !== null && nextAttemptAt > now,
    finishedAt: time(row.finished_at),
    redrivenAt: time(row.redriven_at),
    lastError: text(row.last_error),
  };
}

export function toAttemptRecord(row: Row): AttemptRecord {
  return {
    startedAt: Number(row.started_at),
    durationMs: Number(row.duration_ms),
    outcome: row.outcome as AttemptRecord['outcome'],
    httpStatus: row.http_status === null ? null : Number(row.http_status),
    error: text(row.error),
    nextAttemptAt: time(row.next_attempt_at),
    batchSize: Number(row.batch_size),
  };
}
