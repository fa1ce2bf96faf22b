// Withdrawal by the rule in the store, on every engine: an event named in a pending delivery's
// withdrawnBy withdraws it when stored, or — when a worker held it then — at its next claim; an event
// it does not name, or another order's, leaves it.
import { beforeEach, expect, test } from 'vitest';
import type { IncomingOrder } from '../src/domain/delivery.ts';
import type { OrderEvent } from '../src/domain/order.ts';
import type { Store } from '../src/store/store.ts';
import { incoming } from './helpers/store-records.ts';
import { describeEachStore } from './helpers/stores.ts';

const LEASE = 60_000;

/** A review request (a delivered event's message) of `orderId`, withdrawn by a refund or a cancel (or what `by` says). */
function review(orderId: string, by: OrderEvent[] = ['refunded', 'cancelled']): IncomingOrder {
  const placed = incoming({ orderId });
  if (placed.plan.kind !== 'send') throw new Error('a send plan');
  return {
    ...placed,
    dedupeKey: `${placed.dedupeKey}\u001fdelivered\u001fS1`,
    event: 'delivered',
    plan: { ...placed.plan, rule: 'review', withdrawnBy: by },
  };
}

/** A later event of `orderId` with no message of its own, withdrawing what names it. */
function later(orderId: string, event: OrderEvent): IncomingOrder {
  const stored = incoming({ orderId, skip: true });
  return { ...stored, dedupeKey: `${stored.dedupeKey}\u001f${event}`, event, withdraws: { orderKey: stored.dedupeKey, event } };
}

describeEachStore((current) => {
  let store: Store;
  beforeEach(() => {
    store = current();
  });
  const claimAll = (owner = 'w1', now = Date.now()) => store.claimBatch(owner, 100, LEASE, now);
  const reason = async (id: number) => (await store.operator.getDelivery(id, Date.now()))?.lastError;

  test("a refund withdraws the held review request of its order, saying so; a shipment or another order's refund does not", async () => {
    const kept = await store.recordOrder(review('w-1'));
    const withdrawn = await store.recordOrder(review('w-2'));
    await store.recordOrder(later('w-1', 'shipped'));
    await store.recordOrder(later('w-3', 'refunded'));
    await store.recordOrder(later('w-2', 'refunded'));
    expect(await store.operator.getDelivery(withdrawn.deliveryId, Date.now())).toMatchObject({
      status: 'skipped',
      lastError: 'order refunded before the message went out',
    });
    expect((await claimAll()).map((d) => d.id)).toEqual([kept.deliveryId]);
  });

  test('an event whose name has an underscore withdraws only what names it exactly', async () => {
    const failed = await store.recordOrder(review('w-5', ['delivery_failed']));
    const attempted = await store.recordOrder(review('w-6', ['delivery_attempted']));
    await store.recordOrder(later('w-5', 'delivery_failed'));
    await store.recordOrder(later('w-6', 'delivery_failed'));
    expect(await reason(failed.deliveryId)).toBe('order delivery failed before the message went out');
    expect((await claimAll()).map((d) => d.id)).toEqual([attempted.deliveryId]);
  });

  test('a cancel that comes while the review request is in flight withdraws it at its next claim, not sooner', async () => {
    const held = await store.recordOrder(review('w-4'));
    const [claimed] = await claimAll('w1');
    expect(claimed?.id).toBe(held.deliveryId);
    await store.recordOrder(later('w-4', 'cancelled'));
    expect(await reason(held.deliveryId)).toBeNull(); // a worker holds it: not withdrawn under it
    await store.release('w1', [held.deliveryId], Date.now());
    expect(await claimAll('w2')).toEqual([]);
    expect(await store.operator.getDelivery(held.deliveryId, Date.now())).toMatchObject({
      status: 'skipped',
      lastError: 'order cancelled before the message went out',
    });
  });
});
