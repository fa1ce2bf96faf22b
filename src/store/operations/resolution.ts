// Deliveries whose recipient the worker must still find (a MantaGO member lookup): claimed under a
// lease like any, then resolved (recipient, rule, due time) or skipped with the reason.
import {
  AWAITING_MEMBER_LOOKUP,
  type ClaimedDelivery,
  type DeliveryPlan,
  placedKeyOf,
  SPENT_AT_FIRST_SIGHT,
} from '../../domain/delivery.ts';
import type { StoredOrder } from '../../domain/order.ts';
import { CLAIMED_COLUMNS, toClaimed, withdrawnByColumn } from '../delivery-row.ts';
import { CLAIMABLE_AT, lease } from './deliveries.ts';
import { NO_LEASE, SKIPPED } from './delivery-ends.ts';
import type { Runner } from '../runner.ts';
import { queueTags } from './tags.ts';

/** A delivery waiting for its recipient, with the order event to resolve it from. */
export interface UnresolvedDelivery
  extends Omit<ClaimedDelivery, 'platform' | 'clientId' | 'rule' | 'intentId' | 'message' | 'fbTag' | 'name'> {
  dedupeKey: string;
  order: StoredOrder;
}

export function claimUnresolved(db: Runner, owner: string, limit: number, leaseMs: number, now: number): Promise<UnresolvedDelivery[]> {
  return db.transaction(async (tx) => {
    const rows = await tx.all(
      `SELECT ${CLAIMED_COLUMNS}, dedupe_key, order_json FROM deliveries WHERE ${tx.dialect.likely("status = 'pending'")} AND resolve_from IS NOT NULL AND ${CLAIMABLE_AT} <= ?
       ORDER BY ${CLAIMABLE_AT}, id LIMIT ?${tx.dialect.skipLocked}`,
      [now, limit],
    );
    if (rows.length === 0) return [];
    await lease(tx, rows, owner, now + leaseMs);
    return rows.map((row) => {
      const { platform: _p, clientId: _c, rule: _r, intentId: _i, message: _m, fbTag: _f, name: _n, ...claimed } = toClaimed(row);
      return { ...claimed, dedupeKey: String(row.dedupe_key), order: JSON.parse(String(row.order_json)) as StoredOrder };
    });
  });
}

/** What the worker decided for one delivery it resolved. */
export interface Resolved {
  id: number;
  plan: Exclude<DeliveryPlan, { kind: 'resolve' }>;
  batchKey?: string;
  /**
   * Skipped, the placed event of an order first seen at a later status: the key of the shipment
   * spent with it, which then waits for its own recipient instead (its placed message is not the one sent).
   */
  unspends?: string;
}

/** A shipment spent at its order's first sight, made a delivery whose recipient the worker finds, as if stored so. */
async function unspend(tx: Runner, spentKey: string, now: number): Promise<void> {
  await tx.run(
    `UPDATE deliveries SET status = 'pending', resolve_from = 0, hold_reason = ?, next_attempt_at = ?, finished_at = NULL, last_error = NULL,
       order_key = ? WHERE dedupe_key = ? AND status = 'skipped' AND last_error = ?`,
    [AWAITING_MEMBER_LOOKUP, now, placedKeyOf(spentKey), spentKey, SPENT_AT_FIRST_SIGHT],
  );
}

/** Records each decision, for the deliveries `owner` still holds (the lease rule, as for attempts). */
export async function resolveDeliveries(db: Runner, owner: string, decided: Resolved[], now: number): Promise<void> {
  if (decided.length === 0) return;
  await db.transaction(async (tx) => {
    for (const { id, plan, batchKey, unspends } of decided) {
      if (plan.kind === 'skip') {
        const { changes } = await tx.run(`UPDATE deliveries SET ${SKIPPED} WHERE id = ? AND status = 'pending' AND lease_owner = ?`, [
          now,
          plan.reason,
          id,
          owner,
        ]);
        if (changes > 0 && plan.tagging) await queueTags(tx, id, plan.tagging, now);
        if (changes > 0 && unspends !== undefined) await unspend(tx, unspends, now);
        continue;
      }
      const { changes } = await tx.run(
        `UPDATE deliveries SET resolve_from = NULL, platform = ?, client_id = ?, recipient_via = ?, rule = ?, intent_id = ?, message = ?, fb_tag = ?,
           broadcast_name = ?, batch_key = ?, next_attempt_at = ?, ${NO_LEASE}, hold_reason = ?, bind_customer_id = ?, withdrawn_by = ?, held_until = ?
         WHERE id = ? AND status = 'pending' AND lease_owner = ?`,
        [
          plan.recipient.platform,
          plan.recipient.userId,
          plan.recipient.via,
          plan.rule,
          plan.content.intentId ?? null,
          plan.content.message ?? null,
          plan.content.fbTag ?? null,
          plan.name,
          batchKey ?? null,
          plan.dueAt ?? now,
          plan.holdReason ?? null,
          plan.bindCustomerId ?? null,
          withdrawnByColumn(plan.withdrawnBy ?? []),
          plan.holdReason ? (plan.dueAt ?? null) : null,
          id,
          owner,
        ],
      );
      if (changes > 0 && plan.tagging) await queueTags(tx, id, plan.tagging, now);
    }
  });
}
