// The operator's statements (deliveries, redrives, queue figures, retention) and the recipient
// directory's, written once for both engines.
import type { DeliveryDetail, DeliveryRecord, DeliveryStatus } from '../../domain/delivery.ts';
import { ORDER_ENDINGS, type OrderEvent, type StoredOrder } from '../../domain/order.ts';
import type { DirectoryEntry } from '../../domain/recipient.ts';
import { RECORD_COLUMNS, toDeliveryRecord } from '../delivery-row.ts';
import { toAttemptRecord, toDirectoryEntry } from '../rows.ts';
import { oneOf, type Param, type Row, type Runner } from '../runner.ts';
import { NO_LEASE } from './delivery-ends.ts';
import type { DeliveryFilter, QueueStats, Requeue } from '../store.ts';

const ORDER_ENDING = oneOf(ORDER_ENDINGS);
/**
 * Deliveries other than an order's placed and shipped ones (which its later events read: its
 * customer, its shipment's tracking; kept ORDER_RETENTION_DAYS), word for word as the partial index
 * of migration 020 says it.
 */
const BEYOND_ORDER = `coalesce(event, '') NOT ${oneOf(['placed', 'shipped'] satisfies OrderEvent[])}`;

export async function listDeliveries(db: Runner, filter: DeliveryFilter, now: number): Promise<DeliveryRecord[]> {
  const where: string[] = [];
  const params: Param[] = [];
  const add = (clause: string, value: string | number) => {
    where.push(clause);
    params.push(value);
  };
  if (filter.status) add('status = ?', filter.status);
  if (filter.source) add('source = ?', filter.source);
  if (filter.orderId) {
    // The id, or the number as the shop shows it, with or without its '#'.
    const number = filter.orderId.replace(/^#/, '');
    where.push('(order_id = ? OR order_number = ? OR order_number = ?)');
    params.push(filter.orderId, number, `#${number}`);
  }
  if (filter.event) add('event = ?', filter.event);
  if (filter.customer) {
    where.push('(customer_id = ? OR customer_email = ?)');
    params.push(filter.customer, filter.customer.trim().toLowerCase());
  }
  if (filter.beforeId !== undefined) add('id < ?', filter.beforeId);
  const rows = await db.all(
    `SELECT ${RECORD_COLUMNS} FROM deliveries ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    [...params, filter.limit],
  );
  return rows.map((row) => toDeliveryRecord(row, now));
}

async function recordById(db: Runner, id: number, now: number): Promise<(DeliveryRecord & { orderJson: string }) | undefined> {
  const [row] = await db.all(`SELECT ${RECORD_COLUMNS}, order_json FROM deliveries WHERE id = ?`, [id]);
  return row && { ...toDeliveryRecord(row, now), orderJson: String(row.order_json) };
}

export async function getDelivery(db: Runner, id: number, now: number): Promise<DeliveryDetail | undefined> {
  const found = await recordById(db, id, now);
  if (!found) return undefined;
  const { orderJson, ...record } = found;
  const attempts = await db.all(
    `SELECT started_at, duration_ms, outcome, http_status, error, next_attempt_at, batch_size FROM attempts WHERE delivery_id = ? ORDER BY id`,
    [id],
  );
  return { ...record, order: JSON.parse(orderJson) as StoredOrder | null, attemptLog: attempts.map(toAttemptRecord) };
}

export async function statuses(db: Runner, ids: number[]): Promise<Map<number, DeliveryStatus>> {
  if (ids.length === 0) return new Map();
  const list = db.dialect.inList('id', ids, 'bigint');
  const rows = await db.all(`SELECT id, status FROM deliveries WHERE ${list.sql}`, [list.param]);
  return new Map(rows.map((row) => [Number(row.id), row.status as DeliveryStatus]));
}

/** A dead delivery starts over; a waiting one (not claimed, or its claim ran out) is due now. Whether it did, and the delivery after. */
export async function requeue(db: Runner, id: number, now: number): Promise<Requeue> {
  const { changes } = await db.run(
    `UPDATE deliveries SET
        attempts = CASE WHEN status = 'dead' THEN 0 ELSE attempts END,
        redriven_at = CASE WHEN status = 'dead' THEN ? ELSE redriven_at END,
        status = 'pending', next_attempt_at = ?, ${NO_LEASE}, finished_at = NULL
      WHERE id = ? AND (status = 'dead' OR (status = 'pending' AND (lease_owner IS NULL OR lease_until <= ?)))`,
    [now, now, id, now],
  );
  const found = await recordById(db, id, now);
  if (!found) return { done: false, delivery: undefined };
  const { orderJson: _order, ...delivery } = found;
  return changes > 0 ? { done: true, delivery } : { done: false, delivery };
}

export async function redriveDead(db: Runner, source: string | undefined, now: number): Promise<number> {
  const { changes } = await db.run(
    `UPDATE deliveries SET status = 'pending', attempts = 0, redriven_at = ?, next_attempt_at = ?, ${NO_LEASE}, finished_at = NULL
      WHERE status = 'dead'${source ? ' AND source = ?' : ''}`,
    source ? [now, now, source] : [now, now],
  );
  return changes;
}

/** The oldest wait counts from when a delivery fell due: a held one (a delay, quiet hours) is not waiting before. */
export async function queueStats(db: Runner, now: number): Promise<QueueStats> {
  const dueSince = 'coalesce(redriven_at, held_until, received_at)';
  const [row] = (await db.all(
    `SELECT
    (SELECT count(*) FROM deliveries WHERE status = 'pending') AS pending,
    (SELECT min(${dueSince}) FROM deliveries WHERE status = 'pending' AND ${dueSince} <= ?) AS oldest,
    (SELECT count(*) FROM deliveries WHERE status = 'dead') AS dead,
    (SELECT count(*) FROM tag_jobs WHERE status = 'dead') AS dead_tags`,
    [now],
  )) as [Row];
  return {
    pending: Number(row.pending),
    oldestPendingSince: row.oldest === null ? undefined : Number(row.oldest),
    dead: Number(row.dead),
    deadTagJobs: Number(row.dead_tags),
  };
}

/** How many deliveries were sent at or after `since` (the finished-deliveries index covers it). */
export async function countSentSince(db: Runner, since: number): Promise<number> {
  const [row] = await db.all(`SELECT count(*) AS sent FROM deliveries WHERE status = 'sent' AND finished_at >= ?`, [since]);
  return Number(row?.sent ?? 0);
}

/** Rows deleted per statement: retention never holds the store for long. */
export const PRUNE_CHUNK = 1_000;

/**
 * Up to a chunk of each: every delivery past the orders' retention (a dead one past the dead ones'
 * too), then the others past theirs. Each statement reads only what it deletes, by its index.
 */
export async function pruneChunk(
  db: Runner,
  cutoff: { finishedBefore: number; deadBefore: number; ordersBefore?: number },
): Promise<number> {
  const orders = cutoff.ordersBefore ?? cutoff.finishedBefore;
  const deadOrders = cutoff.ordersBefore === undefined ? cutoff.deadBefore : Math.min(cutoff.deadBefore, cutoff.ordersBefore);
  // The condition again outside: PostgreSQL rechecks only that for a row changed meanwhile (an operator's
  // redrive committed while the DELETE waited for it), not the subquery, and would delete it pending.
  const prune = async (where: string, params: number[]) =>
    (
      await db.run(`DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE ${where} LIMIT ${PRUNE_CHUNK}) AND (${where})`, [
        ...params,
        ...params,
      ])
    ).changes;
  // `also` in each branch of the OR: SQLite takes a partial index for a branch that repeats its terms.
  const finished = (also: string) =>
    `(${also}status IN ('sent', 'skipped') AND finished_at < ?) OR (${also}status = 'dead' AND finished_at < ?)`;
  return (
    (await prune(finished(''), [orders, deadOrders])) +
    (await prune(finished(`${BEYOND_ORDER} AND `), [cutoff.finishedBefore, cutoff.deadBefore]))
  );
}

/**
 * Before retention deletes them: the keys of told order endings (cancelled, refunded) past it, kept
 * until `forgetBefore` (migration 018 says why); and those kept longer than that, forgotten.
 */
export function keepPrunedEndings(db: Runner, finishedBefore: number, endings: { now: number; forgetBefore: number }): Promise<void> {
  return db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO pruned_endings (dedupe_key, pruned_at)
       SELECT dedupe_key, ? FROM deliveries WHERE ${BEYOND_ORDER} AND status IN ('sent', 'skipped') AND finished_at < ? AND event ${ORDER_ENDING}
       ON CONFLICT (dedupe_key) DO UPDATE SET pruned_at = excluded.pruned_at`,
      [endings.now, finishedBefore],
    );
    await tx.run('DELETE FROM pruned_endings WHERE pruned_at < ?', [endings.forgetBefore]);
  });
}

/** Whether the order ending of `dedupeKey` was told and then pruned (keepPrunedEndings). */
export async function prunedEnding(db: Runner, dedupeKey: string): Promise<boolean> {
  return (await db.all('SELECT 1 FROM pruned_endings WHERE dedupe_key = ?', [dedupeKey])).length > 0;
}

export function putRecipients(db: Runner, entries: DirectoryEntry[]): Promise<void> {
  return db.transaction(async (tx) => {
    for (const e of entries) {
      await tx.run(
        `INSERT INTO recipients (key, platform, user_id, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET platform = excluded.platform, user_id = excluded.user_id, updated_at = excluded.updated_at`,
        [e.key, e.platform, e.userId, e.updatedAt],
      );
    }
  });
}

export async function deleteRecipient(db: Runner, key: string): Promise<boolean> {
  return (await db.run('DELETE FROM recipients WHERE key = ?', [key])).changes > 0;
}

export const getRecipient = (db: Runner, key: string): Promise<DirectoryEntry | undefined> => findRecipient(db, [key]);

/** The entry of the earliest of `keys` that has one. */
export async function findRecipient(db: Runner, keys: string[]): Promise<DirectoryEntry | undefined> {
  if (keys.length === 0) return undefined;
  const list = db.dialect.inList('key', keys, 'text');
  const byKey = new Map(
    (await db.all(`SELECT key, platform, user_id, updated_at FROM recipients WHERE ${list.sql}`, [list.param])).map((r) => [
      String(r.key),
      toDirectoryEntry(r),
    ]),
  );
  for (const key of keys) {
    const entry = byKey.get(key);
    if (entry) return entry;
  }
  return undefined;
}
