// The store's operator view, one suite for every engine: the deliveries list, redrive, queue
// figures, retention, the recipient directory, MantaGO's member answers and binds.
import { beforeEach, expect, test, vi } from 'vitest';
import type { ClaimedDelivery, DeliveryPlan } from '../src/domain/delivery.ts';
import type { Store } from '../src/store/store.ts';
import { attempt, incoming } from './helpers/store-records.ts';
import { describeEachStore } from './helpers/stores.ts';
import { waitFor } from './helpers/wait.ts';

describeEachStore((current) => {
  // Each test's own store, under the name the tests use.
  let store: Store;
  beforeEach(() => {
    store = current();
  });

  const LEASE = 60_000;
  const claimAll = (owner = 'w1', now = Date.now()) => store.claimBatch(owner, 100, LEASE, now);

  test('the operator lists deliveries newest first, by status, source and order, page by page', async () => {
    const a = await store.recordOrder(incoming({ orderId: 'list-a' }));
    const b = await store.recordOrder(incoming({ orderId: 'list-b', skip: true }));
    const c = await store.recordOrder(incoming({ orderId: 'list-c' }));
    const all = await store.operator.listDeliveries({ limit: 10 }, Date.now());
    expect(all.map((d) => d.id)).toEqual([c.deliveryId, b.deliveryId, a.deliveryId]);
    expect(all[1]).toMatchObject({ status: 'skipped', lastError: 'nobody', inFlight: false });
    expect((await store.operator.listDeliveries({ limit: 10, status: 'pending' }, Date.now())).map((d) => d.orderId)).toEqual([
      'list-c',
      'list-a',
    ]);
    expect((await store.operator.listDeliveries({ limit: 10, orderId: 'list-b', source: 'shopify' }, Date.now())).map((d) => d.id)).toEqual(
      [b.deliveryId],
    );
    expect(await store.operator.listDeliveries({ limit: 10, source: 'woocommerce' }, Date.now())).toEqual([]);
    expect((await store.operator.listDeliveries({ limit: 1, beforeId: c.deliveryId }, Date.now())).map((d) => d.id)).toEqual([
      b.deliveryId,
    ]);
    await claimAll();
    expect((await store.operator.listDeliveries({ limit: 1 }, Date.now()))[0]?.inFlight).toBe(true);
  });

  test('an order is found by its id or by its number as the shop shows it, with or without the #', async () => {
    const a = await store.recordOrder(incoming({ orderId: '5820003', orderNumber: '#1004' }));
    await store.recordOrder(incoming({ orderId: '5820004', orderNumber: '#1005' }));
    for (const asked of ['5820003', '#1004', '1004'])
      expect(
        (await store.operator.listDeliveries({ limit: 10, orderId: asked }, Date.now())).map((d) => [d.id, d.orderNumber]),
        asked,
      ).toEqual([[a.deliveryId, '#1004']]);
  });

  test('a dead delivery redriven starts over; one being sent, sent or skipped is not requeued', async () => {
    const dead = await store.recordOrder(incoming());
    const sent = await store.recordOrder(incoming({ intentId: 'other' }));
    const skipped = await store.recordOrder(incoming({ skip: true }));
    for (const d of await claimAll()) await store.recordAttempts('w1', [attempt(d, { to: 'dead', reason: 'refused' })], Date.now());
    for (const d of await claimAll()) await store.recordAttempts('w1', [attempt(d, { to: 'sent' }, 'sent')], Date.now());
    const woken = vi.fn();
    store.onDeliveryDue(woken);

    const now = Date.now() + 5_000;
    const requeued = await store.operator.requeue(dead.deliveryId, now);
    expect(requeued).toMatchObject({ done: true, delivery: { status: 'pending', attempts: 0, redrivenAt: now, lastError: 'refused' } });
    await waitFor(() => woken.mock.calls.length > 0, { what: 'a wake-up' });
    const [claimed] = await claimAll('w2', now);
    expect(claimed).toMatchObject({ id: dead.deliveryId, waitingSince: now, attempts: 0 });
    expect(await store.operator.requeue(dead.deliveryId, now)).toMatchObject({ done: false, delivery: { inFlight: true } });
    expect(await store.operator.requeue(sent.deliveryId, now)).toMatchObject({ done: false, delivery: { status: 'sent' } });
    expect(await store.operator.requeue(skipped.deliveryId, now)).toMatchObject({ done: false, delivery: { status: 'skipped' } });
    expect(await store.operator.requeue(999_999, now)).toEqual({ done: false, delivery: undefined });

    const detail = await store.operator.getDelivery(dead.deliveryId, Date.now());
    expect(detail?.attemptLog.map((x) => x.outcome)).toEqual(['failed']);
    expect(detail?.order).toMatchObject({ orderId: detail?.orderId, source: 'shopify' });
  });

  test('the oldest wait counts from when a delivery fell due: one held for later is not waiting yet', async () => {
    const now = Date.now();
    const held = incoming();
    if (held.plan.kind === 'send') Object.assign(held.plan, { dueAt: now + 60_000, holdReason: 'delay 1m' });
    await store.recordOrder(held);
    expect(await store.operator.queueStats(now)).toEqual({ pending: 1, dead: 0, oldestPendingSince: undefined, deadTagJobs: 0 });
    expect(await store.operator.queueStats(now + 90_000)).toMatchObject({ oldestPendingSince: now + 60_000 });
    const due = incoming();
    await store.recordOrder(due);
    expect(await store.operator.queueStats(now + 90_000)).toMatchObject({ pending: 2, oldestPendingSince: due.receivedAt });
  });

  test('bulk redrive, queue figures, and retention by status and age', async () => {
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await store.recordOrder(incoming());
    await store.recordOrder(incoming({ skip: true }));
    expect(await store.operator.queueStats(Date.now())).toMatchObject({ pending: 3, dead: 0, oldestPendingSince: expect.any(Number) });
    const claimed = await claimAll();
    await store.recordAttempts(
      'w1',
      [
        attempt(claimed[0] as ClaimedDelivery, { to: 'sent' }, 'sent'),
        ...claimed.slice(1).map((d) => attempt(d, { to: 'dead', reason: 'refused' })),
      ],
      Date.now(),
    );
    expect(await store.operator.queueStats(Date.now())).toEqual({ pending: 0, dead: 2, oldestPendingSince: undefined, deadTagJobs: 0 });

    expect(await store.operator.redriveDead('woocommerce', t0)).toBe(0);
    expect(await store.operator.redriveDead(undefined, t0)).toBe(2);
    expect((await store.operator.queueStats(Date.now())).pending).toBe(2);
    for (const d of await claimAll()) await store.recordAttempts('w1', [attempt(d, { to: 'dead', reason: 'refused again' })], Date.now());

    const later = Date.now() + 1_000;
    // Finished before the sent/skipped cut-off but not the dead one: the sent and skipped go, the dead stay.
    expect(await store.operator.prune({ finishedBefore: later, deadBefore: t0 - 1 })).toBe(2);
    expect((await store.operator.listDeliveries({ limit: 10 }, Date.now())).map((d) => d.status)).toEqual(['dead', 'dead']);
    expect(await store.operator.prune({ finishedBefore: later, deadBefore: later })).toBe(2);
    expect(await store.operator.listDeliveries({ limit: 10 }, Date.now())).toEqual([]);
  });

  test('sent since a time counts the deliveries sent from then on, not dead, skipped or waiting ones', async () => {
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await store.recordOrder(incoming());
    await store.recordOrder(incoming({ skip: true }));
    const [first, second] = await claimAll();
    await store.recordAttempts(
      'w1',
      [attempt(first as ClaimedDelivery, { to: 'sent' }, 'sent'), attempt(second as ClaimedDelivery, { to: 'dead', reason: 'refused' })],
      Date.now(),
    );
    expect(await store.operator.countSentSince(t0)).toBe(1);
    expect(await store.operator.countSentSince(Date.now() + 1_000)).toBe(0);
  });

  test("retention keeps a told order ending's key past its delivery (an edit of the order is no news), then forgets it", async () => {
    const placed = incoming({ orderId: 'ended', skip: true });
    const ending = { ...placed, event: 'refunded' as const, dedupeKey: `${placed.dedupeKey}:refunded` };
    await store.recordOrder(placed);
    await store.recordOrder(ending);
    const later = Date.now() + 1_000;
    expect(await store.operator.prune({ finishedBefore: later, deadBefore: later, endings: { now: later, forgetBefore: 0 } })).toBe(2);
    expect(await store.prunedEnding(ending.dedupeKey)).toBe(true);
    expect(await store.prunedEnding(placed.dedupeKey)).toBe(false);
    await store.operator.prune({ finishedBefore: later, deadBefore: later, endings: { now: later + 1, forgetBefore: later } });
    expect(await store.prunedEnding(ending.dedupeKey)).toBe(true); // kept from `later` on
    await store.operator.prune({ finishedBefore: later, deadBefore: later, endings: { now: later + 2, forgetBefore: later + 1 } });
    expect(await store.prunedEnding(ending.dedupeKey)).toBe(false);
  });

  test('a claim whose due batch turns out skipped whole (its customer opted out while it was in flight) claims the next one', async () => {
    const base = incoming({ orderId: 'opted-in-flight', intentId: 'moduleOptedOut' });
    const optedOut = { ...base, order: { ...(base.order as NonNullable<typeof base.order>), customer: { id: 'c-77' } } };
    await store.recordOrder(optedOut);
    const other = await store.recordOrder(incoming({ orderId: 'still-sent', intentId: 'moduleOther' }));
    const [inFlight] = await store.claimBatch('w1', 1, LEASE, Date.now());
    expect(await store.operator.putOptOut('customer:c-77', Date.now())).toBe(0); // held by the claim: left to it
    await store.release('w1', [(inFlight as ClaimedDelivery).id], Date.now() - 60_000); // the call never started: due first
    const next = await store.claimBatch('w1', 10, LEASE, Date.now());
    expect(next.map((d) => d.id)).toEqual([other.deliveryId]);
    expect((await store.operator.listDeliveries({ limit: 10, status: 'skipped' }, Date.now())).map((d) => d.lastError)).toEqual([
      'opted out',
    ]);
  });

  test('retention leaves pending deliveries alone, however old', async () => {
    await store.recordOrder({ ...incoming(), receivedAt: 1_000 });
    expect(await store.operator.prune({ finishedBefore: Date.now(), deadBefore: Date.now() })).toBe(0);
    expect((await store.operator.queueStats(Date.now())).pending).toBe(1);
  });

  test('the recipient directory: upsert, the first of several keys wins, delete', async () => {
    const now = Date.now();
    await store.operator.putRecipients([
      { key: 'email:ann@example.com', platform: 'line', userId: 'U1', updatedAt: now },
      { key: 'customer:7', platform: 'facebook', userId: '123', updatedAt: now },
    ]);
    await store.operator.putRecipients([{ key: 'email:ann@example.com', platform: 'line', userId: 'U2', updatedAt: now + 1 }]);
    expect(await store.operator.getRecipient('email:ann@example.com')).toEqual({
      key: 'email:ann@example.com',
      platform: 'line',
      userId: 'U2',
      updatedAt: now + 1,
    });
    expect((await store.operator.findRecipient(['customer:7', 'email:ann@example.com']))?.userId).toBe('123');
    expect((await store.operator.findRecipient(['customer:8', 'email:ann@example.com']))?.userId).toBe('U2');
    expect(await store.operator.findRecipient([])).toBeUndefined();
    expect(await store.operator.deleteRecipient('customer:7')).toBe(true);
    expect(await store.operator.deleteRecipient('customer:7')).toBe(false);
    expect(await store.operator.findRecipient(['customer:7'])).toBeUndefined();
  });

  test("MantaGO's member answers: kept until they expire, a newer answer replaces the older", async () => {
    const now = Date.now();
    expect(await store.getMembers('*\u001f42', now)).toBeUndefined();
    await store.putMembers('*\u001f42', '[{"clientId":"U1"}]', now + 1_000);
    expect(await store.getMembers('*\u001f42', now)).toBe('[{"clientId":"U1"}]');
    expect(await store.getMembers('line\u001f42', now)).toBeUndefined(); // each platform filter is its own question
    expect(await store.getMembers('*\u001f42', now + 1_000)).toBeUndefined();
    await store.putMembers('*\u001f42', '[]', now + 5_000);
    expect(await store.getMembers('*\u001f42', now + 1_000)).toBe('[]');
    // Retention's pass deletes the answers expired by then (read at an earlier time, one would still show).
    await store.putMembers('*\u001f43', '[]', now + 1_000);
    await store.operator.prune({ finishedBefore: 0, deadBefore: 0, membersAt: now + 2_000 });
    expect(await store.getMembers('*\u001f43', now)).toBeUndefined();
    expect(await store.getMembers('*\u001f42', now)).toBe('[]');
  });

  test('binds: one per customer id and user once sent, claimed, recorded, retried when due', async () => {
    const now = Date.now();
    const withBind = (orderId: string) => {
      const order = incoming({ orderId, userId: 'U'.padEnd(33, 'b') });
      return { ...order, plan: { ...order.plan, bindCustomerId: '42' } as DeliveryPlan };
    };
    for (const orderId of ['b1', 'b2']) await store.recordOrder(withBind(orderId));
    const claimed = await claimAll();
    await store.recordAttempts(
      'w1',
      claimed.map((d) => attempt(d, { to: 'sent' }, 'sent')),
      Date.now(),
    );
    expect(await store.listBinds('42')).toEqual([{ clientId: 'U'.padEnd(33, 'b'), status: 'pending', attempts: 0, lastError: null }]);
    const [job] = await store.claimBinds('w1', 10, LEASE, Date.now());
    expect(job).toMatchObject({ customerId: '42', clientId: 'U'.padEnd(33, 'b'), attempts: 0 });
    expect(await store.claimBinds('w2', 10, LEASE, Date.now())).toEqual([]); // leased to w1
    await store.recordBind(job!, { status: 'pending', retryAt: now + 30_000, counted: true }, 'MantaGO answered 60001', Date.now());
    expect(await store.claimBinds('w1', 10, LEASE, now + 1_000)).toEqual([]);
    const [again] = await store.claimBinds('w2', 10, LEASE, now + 30_000);
    expect(again).toMatchObject({ attempts: 1 });
    await store.recordBind(again!, { status: 'bound' }, null, Date.now());
    expect(await store.listBinds('42')).toEqual([{ clientId: 'U'.padEnd(33, 'b'), status: 'bound', attempts: 2, lastError: null }]);
  });
});
