// How the store takes orders in, one suite for every engine: once per key (a half surrogate pair
// as stored), one of many at once, in place of a delivery skipped for a given reason (and what is
// noted on that one meanwhile), one bad row failing only its own order, U+0000 dropped.
import { beforeEach, expect, test } from 'vitest';
import type { DeliveryPlan } from '../src/domain/delivery.ts';
import type { SpentShipmentNews, StoredOrder } from '../src/domain/order.ts';
import type { Store } from '../src/store/store.ts';
import { incoming } from './helpers/store-records.ts';
import { describeEachStore } from './helpers/stores.ts';

describeEachStore((current) => {
  let store: Store;
  beforeEach(() => {
    store = current();
  });
  const claimAll = (owner = 'w1', now = Date.now()) => store.claimBatch(owner, 100, 60_000, now);

  test('an order is stored once per source, shop and order id', async () => {
    const first = await store.recordOrder(incoming({ orderId: 'same' }));
    const again = await store.recordOrder(incoming({ orderId: 'same' }));
    const otherShop = await store.recordOrder(incoming({ orderId: 'same', shop: 'other' }));
    expect(first).toMatchObject({ outcome: 'accepted', status: 'pending' });
    expect(again).toEqual({ outcome: 'duplicate', deliveryId: first.deliveryId, status: 'pending' });
    expect(otherShop.outcome).toBe('accepted');
  });

  test('an order id holding half a UTF-16 surrogate pair (stored as U+FFFD): its redelivery is the duplicate', async () => {
    const first = await store.recordOrder(incoming({ orderId: 'half\ud800' }));
    expect(first.outcome).toBe('accepted');
    expect(await store.recordOrder(incoming({ orderId: 'half\ud800' }))).toEqual({
      outcome: 'duplicate',
      deliveryId: first.deliveryId,
      status: 'pending',
    });
  });

  test('concurrent duplicates: exactly one is accepted', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => store.recordOrder(incoming({ orderId: 'race' }))));
    expect(results.filter((r) => r.outcome === 'accepted')).toHaveLength(1);
    expect(new Set(results.map((r) => r.deliveryId)).size).toBe(1);
  });

  test('a delivery stored in place of one skipped for a reason: replaced once, however many try at once; not once its order ended; another reason is kept', async () => {
    await store.recordOrder(incoming({ orderId: 'spent', skip: true }));
    const tries = await Promise.all(
      Array.from({ length: 5 }, () => store.recordOrder({ ...incoming({ orderId: 'spent' }), replacesSkipped: 'nobody' })),
    );
    const [accepted, ...rest] = tries.sort((a, b) => a.outcome.localeCompare(b.outcome));
    expect(accepted).toMatchObject({ outcome: 'accepted', status: 'pending' });
    expect(rest).toEqual(Array(4).fill({ outcome: 'duplicate', deliveryId: accepted?.deliveryId, status: 'pending' }));
    expect((await claimAll()).map((d) => d.id)).toEqual([accepted?.deliveryId]);

    // Not when one of the keys it is told to look for is stored (its order's ending), checked as it is stored.
    const ended = await store.recordOrder(incoming({ orderId: 'ended', skip: true }));
    const ending = await store.recordOrder(incoming({ orderId: 'the ending' }));
    expect(ending.outcome).toBe('accepted');
    const unless = [incoming({ orderId: 'the ending' }).dedupeKey, 'not stored'];
    expect(await store.recordOrder({ ...incoming({ orderId: 'ended' }), replacesSkipped: 'nobody', replacesUnless: unless })).toEqual({
      outcome: 'duplicate',
      deliveryId: ended.deliveryId,
      status: 'skipped',
    });

    const kept = await store.recordOrder(incoming({ orderId: 'kept', skip: true }));
    expect(await store.recordOrder({ ...incoming({ orderId: 'kept' }), replacesSkipped: 'another reason' })).toEqual({
      outcome: 'duplicate',
      deliveryId: kept.deliveryId,
      status: 'skipped',
    });
  });

  test("a shipment spent at first sight notes the order's earliest processing, and keeps its latest completion, whatever lands first", async () => {
    const spent = incoming({ orderId: 'spent at first sight', skip: true });
    await store.recordOrder(spent);
    const completion = (changedAt: number, total: string) => ({ completed: { ...(spent.order as StoredOrder), changedAt, total } });
    const note = (news: SpentShipmentNews) => store.noteSpentShipment(spent.dedupeKey, 'nobody', news);
    expect(await note({ processingAt: 9 })).toMatchObject({ orderId: 'spent at first sight', processingSeenAt: 9, total: '10' });
    expect(await note({ processingAt: 12 })).toMatchObject({ processingSeenAt: 9 });
    expect(await note(completion(5, '55'))).toMatchObject({ processingSeenAt: 9, changedAt: 5, total: '55' });
    // At once (two replicas): each merges under the row's lock, so none is lost; the latest completion is kept.
    await Promise.all([note({ processingAt: 3 }), note(completion(20, '20')), note(completion(7, '7'))]);
    expect((await store.findDelivery(spent.dedupeKey))?.order).toMatchObject({ processingSeenAt: 3, changedAt: 20, total: '20' });

    const other = incoming({ orderId: 'other', skip: true });
    await store.recordOrder(other);
    expect(await store.noteSpentShipment(other.dedupeKey, 'another reason', { processingAt: 1 })).toBeUndefined();
    const pending = incoming({ orderId: 'pending' });
    await store.recordOrder(pending);
    expect(await store.noteSpentShipment(pending.dedupeKey, 'nobody', { processingAt: 1 })).toBeUndefined();
    expect((await store.findDelivery(pending.dedupeKey))?.order).not.toHaveProperty('processingSeenAt');
  });

  test('one bad row fails only its own order, not the others committed with it', async () => {
    const bad = { ...incoming({ orderId: 'o-bad' }), shop: null as unknown as string };
    const results = await Promise.allSettled([
      ...Array.from({ length: 9 }, () => store.recordOrder(incoming())),
      store.recordOrder(bad),
      store.recordOrder(incoming()),
    ]);
    expect(results.map((r) => r.status)).toEqual([...Array(9).fill('fulfilled'), 'rejected', 'fulfilled']);
    expect((await store.operator.queueStats(Date.now())).pending).toBe(10);
  });

  test('U+0000 in an order is stored without it on every engine (PostgreSQL text cannot hold it)', async () => {
    const order = incoming({ orderId: 'o-nul\u0000' });
    const recorded = await store.recordOrder({
      ...order,
      plan: { ...(order.plan as Extract<DeliveryPlan, { kind: 'send' }>), content: { message: 'Hi Mei\u0000!' } },
    });
    expect(await store.operator.getDelivery(recorded.deliveryId, Date.now())).toMatchObject({ orderId: 'o-nul', message: 'Hi Mei!' });
  });
});
