// Withdrawal by the rule: a pending delivery names the events of its order that withdraw it
// (withdrawn_by, from its rule's withdrawnBy; a placed message's default is a cancel). Such an
// event withdraws it when stored, unless a worker holds it right now; a claim withdraws it too
// when the event came meanwhile (while it was in flight or being resolved, or before a redelivery
// stored it), so its retry never follows the event. Written once for both engines.
import { ORDER_KEY_SEPARATOR, withdrawnReason } from '../../domain/delivery.ts';
import { BEFORE_DELIVERY, type OrderEvent } from '../../domain/order.ts';
import { oneOf, type Row, type Runner } from '../runner.ts';
import { SKIPPED } from './delivery-ends.ts';

const BEFORE_DELIVERY_EVENT = oneOf(BEFORE_DELIVERY);
/** A stage still not gone this long after it fell due, when its parcel's delivery came, was held up: not a race between the two. */
const HELD_UP_MS = 60_000;

/** A LIKE pattern finding `event` in a withdrawn_by list (`_` in event names escaped). */
const listed = (event: OrderEvent) => `%,${event.replaceAll('_', '\\_')},%`;

/** The order's pending deliveries that `event` withdraws and no worker holds: withdrawn now. How many. */
export async function withdrawBy(
  tx: Runner,
  withdrawal: { orderId: string; orderKey: string; event: OrderEvent },
  now: number,
): Promise<number> {
  const { changes } = await tx.run(
    `UPDATE deliveries SET ${SKIPPED}
     WHERE order_id = ? AND order_key = ? AND status = 'pending' AND withdrawn_by LIKE ? ESCAPE '\\'
       AND (lease_owner IS NULL OR lease_until <= ?)`,
    [now, withdrawnReason(withdrawal.event), withdrawal.orderId, withdrawal.orderKey, listed(withdrawal.event), now],
  );
  return changes;
}

/**
 * Deliveries among `rows` (about to be claimed) that an event of their order stored since withdraws:
 * withdrawn now rather than sent. Their ids.
 */
export async function withdrawOnClaim(tx: Runner, rows: readonly Row[], now: number): Promise<Set<number>> {
  const ids = tx.dialect.inList(
    'd.id',
    rows.map((r) => Number(r.id)),
    'bigint',
  );
  // An event name has no `%`; its `_` matches itself (and no other event's letter at that place).
  // A stage on the parcel's way whose parcel was delivered while it was held (a delay, the quiet
  // hours; or due later than it came: a hand-back to their end, a resolution), waiting for a retry,
  // or held up (due a minute or more before the delivery came: a refused bot, an outage) is stale:
  // its shipment's delivered key is its own key with the event replaced. One about to go at once
  // when the delivered came goes (which came first is a race); a shipment, the parcel's first news,
  // only when the delivery's own message goes. Looked up only for such a stage (a CASE: a placed
  // confirmation, every claim's usual row, costs no lookup).
  const found = await tx.all(
    `SELECT d.id, (SELECT c.event FROM deliveries c
                   WHERE c.order_id = d.order_id AND substr(c.dedupe_key, 1, length(d.order_key) + 1) = d.order_key || ?
                     AND d.withdrawn_by LIKE '%,' || c.event || ',%'
                   ORDER BY c.id LIMIT 1) AS withdrawing,
            CASE WHEN d.event ${BEFORE_DELIVERY_EVENT} THEN
              (SELECT 'delivered' FROM deliveries p
                WHERE p.dedupe_key = d.order_key || ? || 'delivered' || substr(d.dedupe_key, length(d.order_key) + length(d.event) + 2)
                  AND (d.event <> 'shipped' OR p.status <> 'skipped')
                  AND (d.held_until IS NOT NULL OR d.last_error IS NOT NULL OR d.next_attempt_at > d.received_at
                       OR p.received_at >= d.next_attempt_at + ?))
            END AS parcel
     FROM deliveries d WHERE ${ids.sql} AND (d.withdrawn_by IS NOT NULL OR d.event ${BEFORE_DELIVERY_EVENT})`,
    [ORDER_KEY_SEPARATOR, ORDER_KEY_SEPARATOR, HELD_UP_MS, ids.param],
  );
  const byEvent = new Map<OrderEvent, number[]>();
  for (const row of found) {
    const withdrawing = row.withdrawing ?? row.parcel;
    if (withdrawing === null || withdrawing === undefined) continue;
    const event = String(withdrawing) as OrderEvent;
    byEvent.set(event, [...(byEvent.get(event) ?? []), Number(row.id)]);
  }
  const withdrawn = new Set<number>();
  for (const [event, eventIds] of byEvent) {
    const list = tx.dialect.inList('id', eventIds, 'bigint');
    await tx.run(`UPDATE deliveries SET ${SKIPPED} WHERE ${list.sql}`, [now, withdrawnReason(event), list.param]);
    for (const id of eventIds) withdrawn.add(id);
  }
  return withdrawn;
}
