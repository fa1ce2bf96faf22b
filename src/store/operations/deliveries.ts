// The delivery queue's statements, written once for both engines: new orders, claims under a
// lease and its renewal (attempts and the transitions they lead to: attempts.ts).
import type { ClaimedDelivery, RecordedOrder } from '../../domain/delivery.ts';
import type { OrderEvent, StoredOrder } from '../../domain/order.ts';
import { OPTED_OUT_REASON, type Platform } from '../../domain/recipient.ts';
import type { Tagging } from '../../domain/tagging.ts';
import {
  CLAIMED_COLUMNS,
  NEW_DELIVERY_COLUMNS,
  type NewDeliveryRow,
  newRowValue,
  readDelivery,
  selectList,
  toClaimed,
} from '../delivery-row.ts';
import { StoreUnavailableError } from '../errors.ts';
import { asStored, type Row, type Runner } from '../runner.ts';
import type { KnownDelivery } from '../../domain/delivery.ts';
import { NO_LEASE } from './delivery-ends.ts';
import { OPTED_OUT_COLUMN, ofOptedOut, skipOptedOut, skipOptedOutOnClaim } from './opt-outs.ts';
import { queueTags } from './tags.ts';
import { withdrawBy, withdrawOnClaim } from './withdrawal.ts';

/**
 * When a pending delivery can be claimed: when its lease runs out while it has one, else when it
 * is due. The claim indexes (migration 009) are on this expression, so a running lease keeps its
 * delivery out of the claims' index range instead of being read and passed over.
 */
export const CLAIMABLE_AT = 'coalesce(lease_until, next_attempt_at)';

/** What one webhook stores: its delivery (first) and any stored alongside, and the order's held messages it withdraws. */
export interface OrderWrite {
  rows: NewDeliveryRow[];
  /** If this one is newly accepted: the order's pending deliveries whose rule this event withdraws are (withdrawal.ts). */
  withdraws?: { orderId: string; orderKey: string; event: OrderEvent };
  /** The customer's directory keys: if any opted out, a newly stored pending delivery is skipped (opt-outs.ts). */
  optOutKeys?: string[];
  /** Tags for its first row's recipient, queued with it when it is newly accepted. */
  tagging?: Tagging;
  /** Tags of its second row (the placed event stored alongside, skipped: tags only), queued with that row, first. */
  alongsideTagging?: Tagging;
  /** Its first row goes in place of the one under its key skipped for this reason, if that is still there. */
  replacesSkipped?: string;
  /** ... and none of these keys is stored (its order's endings): checked in the same transaction. */
  replacesUnless?: string[];
  now: number;
}

/**
 * Stores the orders of several webhooks in one transaction; an order already stored comes back as a
 * duplicate of it. Each webhook's answer is its first row's.
 */
export function recordOrders(db: Runner, writes: OrderWrite[]): Promise<RecordedOrder[]> {
  return db.transaction(async (tx) => {
    // Deleted under the lock of this transaction: of two replicas replacing the same row, the second's
    // insert finds the first's row, a duplicate.
    for (const { rows, replacesSkipped, replacesUnless } of writes) {
      if (replacesSkipped === undefined) continue;
      const unless = replacesUnless?.length ? tx.dialect.inList('dedupe_key', replacesUnless.map(asStored), 'text') : undefined;
      if (unless && (await tx.all(`SELECT 1 FROM deliveries WHERE ${unless.sql} LIMIT 1`, [unless.param])).length > 0) continue;
      await tx.run(`DELETE FROM deliveries WHERE dedupe_key = ? AND status = 'skipped' AND last_error = ?`, [
        asStored(String(newRowValue(rows[0] as NewDeliveryRow, 'dedupe_key'))),
        replacesSkipped,
      ]);
    }
    const rows = writes.flatMap((w) => w.rows);
    const ids = await tx.dialect.insertNew(tx, 'deliveries', NEW_DELIVERY_COLUMNS, rows, 'dedupe_key');
    const recorded: (RecordedOrder | undefined)[] = rows.map((row, i) => {
      const id = ids[i];
      return id === undefined
        ? undefined
        : { outcome: 'accepted', deliveryId: id, status: newRowValue(row, 'status') as RecordedOrder['status'] };
    });
    // A duplicate's key is looked up as it was stored (only duplicates pay for it, not every webhook).
    const storedKey = (row: NewDeliveryRow) => asStored(String(newRowValue(row, 'dedupe_key')));
    const keys = rows.filter((_, i) => recorded[i] === undefined).map(storedKey);
    if (keys.length > 0) {
      const list = tx.dialect.inList('dedupe_key', keys, 'text');
      const found = new Map(
        (await tx.all(`SELECT id, status, dedupe_key FROM deliveries WHERE ${list.sql}`, [list.param])).map((r) => [
          String(r.dedupe_key),
          r,
        ]),
      );
      for (const [i, row] of rows.entries()) {
        if (recorded[i]) continue;
        const existing = found.get(storedKey(row));
        // Neither inserted nor found: it was deleted (retention) between the two statements. Busy,
        // not broken: the group commit retries this order on its own, where the insert then
        // succeeds; alone already, it is a 503 the shop retries.
        if (!existing) throw new StoreUnavailableError('busy', 'an order was neither inserted nor found (pruned meanwhile); try again');
        recorded[i] = { outcome: 'duplicate', deliveryId: Number(existing.id), status: existing.status as RecordedOrder['status'] };
      }
    }
    const answers: RecordedOrder[] = [];
    let at = 0;
    for (const write of writes) {
      const answer = recorded[at] as RecordedOrder;
      // A row stored alongside a delivery that turned out a duplicate is not kept: a first-seen order's
      // spent shipment (its placed event stored meanwhile by another webhook: the caller decides it
      // again), or the placed event stored with a shipment (that shipment was stored already, so
      // its order was too, unless retention pruned it).
      if (answer.outcome === 'duplicate')
        for (const alongside of recorded.slice(at + 1, at + write.rows.length))
          if (alongside?.outcome === 'accepted') await tx.run('DELETE FROM deliveries WHERE id = ?', [alongside.deliveryId]);
      at += write.rows.length;
      // A message not gone out yet (held, or waiting) that this event withdraws: the customer never gets it.
      const withdrawn = write.withdraws && answer.outcome === 'accepted' ? await withdrawBy(tx, write.withdraws, write.now) : 0;
      answers.push(withdrawn > 0 ? { ...answer, withdrawn } : answer);
    }
    // A customer who opted out: a message just stored pending is skipped, and no tags are queued
    // (for a message skipped as it was stored too: tags only, too old). One lookup for the group.
    const fresh = writes.flatMap((write, i) => {
      const answer = answers[i] as RecordedOrder;
      return answer.outcome === 'accepted' && write.optOutKeys?.length ? [{ id: answer.deliveryId, keys: write.optOutKeys }] : [];
    });
    const optedOut = await ofOptedOut(tx, fresh);
    const skipped = answers.filter((a) => a.status === 'pending' && optedOut.has(a.deliveryId)).map((a) => a.deliveryId);
    await skipOptedOut(tx, skipped, Math.max(...writes.map((w) => w.now)));
    let first = 0;
    for (const [i, write] of writes.entries()) {
      const answer = answers[i] as RecordedOrder;
      const along = recorded[first + 1];
      first += write.rows.length;
      if (answer.outcome !== 'accepted' || optedOut.has(answer.deliveryId)) continue;
      if (write.alongsideTagging && write.rows.length > 1 && along?.outcome === 'accepted')
        await queueTags(tx, along.deliveryId, write.alongsideTagging, write.now);
      if (write.tagging) await queueTags(tx, answer.deliveryId, write.tagging, write.now);
    }
    const opted = new Set(skipped);
    return answers.map((answer) => (opted.has(answer.deliveryId) ? { ...answer, status: 'skipped', reason: OPTED_OUT_REASON } : answer));
  });
}

const KNOWN = ['status', 'platform', 'client_id', 'recipient_via', 'resolve_from', 'order_json', 'last_error', 'received_at'] as const;

/** What the store knows of one delivery by its dedupe key (an order's placed delivery, for its later events). */
export async function findDelivery(db: Runner, dedupeKey: string): Promise<KnownDelivery | undefined> {
  const [row] = await db.all(`SELECT ${selectList(KNOWN)} FROM deliveries WHERE dedupe_key = ?`, [dedupeKey]);
  if (!row) return undefined;
  const d = readDelivery(row, KNOWN);
  return {
    status: d.status,
    receivedAt: d.received_at,
    ...(d.platform !== null &&
      d.client_id !== null && { recipient: { platform: d.platform as Platform, userId: d.client_id, via: String(d.recipient_via) } }),
    resolving: d.resolve_from !== null && d.status === 'pending',
    order: JSON.parse(d.order_json) as StoredOrder | null,
    ...(d.status === 'skipped' && d.last_error !== null && { reason: d.last_error }),
  };
}

/** Claims the rows selected for `owner` until `until` (the lease): the only statement that takes one. */
export async function lease(tx: Runner, rows: readonly Row[], owner: string, until: number): Promise<void> {
  const ids = tx.dialect.inList(
    'id',
    rows.map((r) => Number(r.id)),
    'bigint',
  );
  await tx.run(`UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE ${ids.sql}`, [owner, until, ids.param]);
}

/**
 * The oldest due delivery picks the batch key; rows another replica is claiming right now are passed over.
 * What an event withdrew or a customer opted out of since it was stored is skipped rather than claimed.
 */
export function claimBatch(
  db: Runner,
  owner: string,
  limit: number,
  leaseMs: number,
  now: number,
  notIds: readonly number[] = [],
): Promise<{ claimed: ClaimedDelivery[]; skipped: number }> {
  return db.transaction(async (tx) => {
    const not = notIds.length > 0 ? tx.dialect.inList('id', notIds, 'bigint') : undefined;
    const [notSql, notParams] = not ? [` AND NOT (${not.sql})`, [not.param]] : ['', []];
    let skipped = 0;
    // A batch skipped whole (withdrawn, opted out) is no reason to wait: the next due one is claimed.
    for (;;) {
      const [head] = await tx.all(
        `SELECT id, batch_key FROM deliveries WHERE ${tx.dialect.likely("status = 'pending'")} AND resolve_from IS NULL AND ${CLAIMABLE_AT} <= ?${notSql}
         ORDER BY ${CLAIMABLE_AT}, id LIMIT 1${tx.dialect.skipLocked}`,
        [now, ...notParams],
      );
      if (!head) return { claimed: [], skipped };
      const rows = await tx.all(
        `SELECT ${CLAIMED_COLUMNS}, ${OPTED_OUT_COLUMN} FROM deliveries
         WHERE status = 'pending' AND batch_key = ? AND resolve_from IS NULL AND ${CLAIMABLE_AT} <= ?${notSql}
         ORDER BY ${CLAIMABLE_AT}, id LIMIT ?${tx.dialect.skipLocked}`,
        [head.batch_key as string, now, ...notParams, limit],
      );
      if (rows.length === 0) return { claimed: [], skipped };
      const withdrawn = await withdrawOnClaim(tx, rows, now);
      const optedOut = await skipOptedOutOnClaim(
        tx,
        rows.filter((r) => !withdrawn.has(Number(r.id))),
        now,
      );
      skipped += withdrawn.size + optedOut.size;
      const claimed = rows.filter((r) => !withdrawn.has(Number(r.id)) && !optedOut.has(Number(r.id)));
      if (claimed.length === 0) continue; // every one of them skipped now: never again
      await lease(tx, claimed, owner, now + leaseMs);
      return { claimed: claimed.map(toClaimed).sort((a, b) => a.id - b.id), skipped };
    }
  });
}

/** The deliveries of `ids` that `owner` holds (stored already leased to it, say), as a claim returns them. */
export async function leased(db: Runner, owner: string, ids: number[]): Promise<ClaimedDelivery[]> {
  const list = db.dialect.inList('id', ids, 'bigint');
  const rows = await db.all(
    `SELECT ${CLAIMED_COLUMNS} FROM deliveries WHERE ${list.sql} AND status = 'pending' AND lease_owner = ? ORDER BY id`,
    [list.param, owner],
  );
  return rows.map(toClaimed);
}

/** How many of `ids` the owner still held, and now holds until `until`. */
export async function renewLease(db: Runner, owner: string, ids: number[], until: number): Promise<number> {
  const list = db.dialect.inList('id', ids, 'bigint');
  const { changes } = await db.run(`UPDATE deliveries SET lease_until = ? WHERE ${list.sql} AND status = 'pending' AND lease_owner = ?`, [
    until,
    list.param,
    owner,
  ]);
  return changes;
}

export async function release(db: Runner, owner: string, ids: number[], at: number | undefined): Promise<void> {
  if (ids.length === 0) return;
  const list = db.dialect.inList('id', ids, 'bigint');
  const due = at === undefined ? 'next_attempt_at' : '?';
  await db.run(`UPDATE deliveries SET next_attempt_at = ${due}, ${NO_LEASE} WHERE ${list.sql} AND status = 'pending' AND lease_owner = ?`, [
    ...(at === undefined ? [] : [at]),
    list.param,
    owner,
  ]);
}

/** When the next pending delivery can be claimed (a running lease: when it ends). */
export async function nextDueAt(db: Runner): Promise<number | undefined> {
  // The first in the due index. The range (every time is at or after 0) is what makes SQLite, which
  // has no statistics, take that index rather than read every pending delivery for a min().
  const [row] = await db.all(
    `SELECT ${CLAIMABLE_AT} AS due FROM deliveries WHERE ${db.dialect.likely("status = 'pending'")} AND ${CLAIMABLE_AT} >= 0
     ORDER BY ${CLAIMABLE_AT} LIMIT 1`,
  );
  return row ? Number(row.due) : undefined;
}
