// The store's behaviour, one suite for every engine.
import { beforeEach, expect, test } from 'vitest';
import type { StoredCredentials } from '../src/domain/credentials.ts';
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

  test('a skipped order is recorded and never claimed', async () => {
    expect(await store.recordOrder(incoming({ skip: true }))).toMatchObject({ outcome: 'accepted', status: 'skipped' });
    expect(await claimAll()).toEqual([]);
    expect(await store.nextDueAt()).toBeUndefined();
  });

  test('a claim takes one batch key at a time, up to the limit, and holds it for the lease', async () => {
    for (let i = 0; i < 3; i++) await store.recordOrder(incoming({ intentId: 'A' }));
    await store.recordOrder(incoming({ intentId: 'B' }));
    const now = Date.now();
    const first = await store.claimBatch('w1', 2, LEASE, now);
    expect(first).toHaveLength(2);
    expect(new Set(first.map((d) => d.intentId))).toEqual(new Set(['A']));
    const second = await store.claimBatch('w2', 10, LEASE, now);
    expect(second.map((d) => d.intentId)).toEqual(['A']);
    expect((await store.claimBatch('w2', 10, LEASE, now)).map((d) => d.intentId)).toEqual(['B']);
    expect(await store.claimBatch('w3', 10, LEASE, now)).toEqual([]);
    // A lease that runs out (its worker died) makes the work due again for anyone.
    expect(await store.nextDueAt()).toBe(now + LEASE);
    expect((await store.claimBatch('w3', 10, LEASE, now + LEASE)).map((d) => d.intentId)).toEqual(['A', 'A', 'A']);
    expect((await store.claimBatch('w3', 10, LEASE, now + LEASE)).map((d) => d.intentId)).toEqual(['B']);
  });

  test('a claim leaves out the deliveries it is told its process still holds, though their lease ran out', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await store.recordOrder(incoming({ intentId: 'A' }))).deliveryId);
    const [heldA, heldB, free] = ids;
    const now = Date.now();
    expect(await store.claimBatch('w1/1', 10, LEASE, now)).toHaveLength(3);
    // The lease ran out; two are still under way in this process, the third was handed back.
    expect((await store.claimBatch('w1/2', 10, LEASE, now + LEASE, [heldA as number, heldB as number])).map((d) => d.id)).toEqual([free]);
    expect((await store.claimBatch('w1/3', 10, LEASE, now + LEASE)).map((d) => d.id)).toEqual([heldA, heldB]);
  });

  test('claimed deliveries carry what the broadcast needs', async () => {
    const recorded = await store.recordOrder(incoming({ orderId: 'o-full', userId: 'U0123456789abcdef0123456789abcdef' }));
    const [claimed] = await claimAll();
    expect(claimed).toMatchObject({
      id: recorded.deliveryId,
      source: 'shopify',
      orderId: 'o-full',
      platform: 'line',
      clientId: 'U0123456789abcdef0123456789abcdef',
      rule: 'r',
      intentId: 'moduleA',
      message: null,
      fbTag: null,
      name: 'r o-full',
      attempts: 0,
    });
  });

  test('attempts move deliveries on: retry, then sent', async () => {
    await store.recordOrder(incoming({ orderId: 'o-retry' }));
    const now = Date.now();
    const [d] = await claimAll('w1', now);
    await store.recordAttempts('w1', [attempt(d!, { to: 'retry', at: now + 5_000, counted: true })], Date.now());
    expect(await claimAll('w1', now + 4_999)).toEqual([]);
    const [again] = await claimAll('w1', now + 5_000);
    expect(again).toMatchObject({ id: d!.id, attempts: 1 });
    await store.recordAttempts('w1', [attempt(again!, { to: 'sent' }, 'sent')], Date.now());
    expect(await claimAll('w1', now + 10 ** 9)).toEqual([]);
    expect((await store.recordOrder(incoming({ orderId: 'o-retry' }))).status).toBe('sent');
  });

  test('a write of attempts again (its first COMMIT not heard) adds no attempt twice; a later call of the same delivery is its own', async () => {
    await store.recordOrder(incoming({ orderId: 'o-twice' }));
    const now = Date.now();
    const [d] = await claimAll('w1', now);
    const first = attempt(d!, { to: 'retry', at: now, counted: true });
    await store.recordAttempts('w1', [first], now);
    await store.recordAttempts('w1', [first], now, true);
    const [again] = await claimAll('w1', now);
    const second = { ...attempt(again!, { to: 'sent' }, 'sent') };
    second.attempt.startedAt = first.attempt.startedAt + 1;
    await store.recordAttempts('w1', [second], now, true);
    const detail = await store.operator.getDelivery(d!.id, now);
    expect(detail).toMatchObject({ status: 'sent', attempts: 2 });
    expect(detail?.attemptLog.map((a) => a.outcome)).toEqual(['failed', 'sent']);
  });

  test('statuses: the status of each delivery that exists, by id', async () => {
    const skipped = await store.recordOrder(incoming({ skip: true }));
    const sent = await store.recordOrder(incoming());
    const [d] = await claimAll();
    await store.recordAttempts('w1', [attempt(d!, { to: 'sent' }, 'sent')], Date.now());
    const pending = await store.recordOrder(incoming());
    const statuses = await store.operator.statuses([skipped.deliveryId, sent.deliveryId, pending.deliveryId, 999_999]);
    expect(Object.fromEntries(statuses)).toEqual({
      [skipped.deliveryId]: 'skipped',
      [sent.deliveryId]: 'sent',
      [pending.deliveryId]: 'pending',
    });
    expect((await store.operator.statuses([])).size).toBe(0);
  });

  test('an uncounted retry leaves the attempt count alone; dead is final', async () => {
    await store.recordOrder(incoming({ orderId: 'o-dead' }));
    const [d] = await claimAll();
    await store.recordAttempts('w1', [attempt(d!, { to: 'retry', at: 0, counted: false }, 'credentials_expired')], Date.now());
    const [again] = await claimAll();
    expect(again?.attempts).toBe(0);
    await store.recordAttempts('w1', [attempt(again!, { to: 'dead', reason: 'refused' })], Date.now());
    expect(await claimAll('w1', Date.now() + 10 ** 9)).toEqual([]);
    expect((await store.recordOrder(incoming({ orderId: 'o-dead' }))).status).toBe('dead');
  });

  test('an in-flight attempt keeps the lease; a retry from a worker whose lease was taken over changes nothing', async () => {
    await store.recordOrder(incoming({ orderId: 'o-lease' }));
    const now = Date.now();
    const [d] = await claimAll('w1', now);
    await store.recordAttempts('w1', [attempt(d!, { to: 'in_flight' }, 'credentials_expired')], Date.now());
    expect(await claimAll('w2', now)).toEqual([]);
    const [takenOver] = await claimAll('w2', now + LEASE);
    await store.recordAttempts('w1', [attempt(d!, { to: 'retry', at: now, counted: true })], Date.now());
    expect(await claimAll('w3', now + LEASE)).toEqual([]); // still w2's
    await store.recordAttempts('w2', [attempt(takenOver!, { to: 'sent' }, 'sent')], Date.now());
  });

  test('a renewed lease keeps the work claimed; only its owner can renew it', async () => {
    await store.recordOrder(incoming());
    const now = Date.now();
    const [d] = await claimAll('w1', now);
    await store.renewLease('w2', [d!.id], now + 10 * LEASE); // not w2's: no effect
    expect(await claimAll('w2', now + LEASE)).toHaveLength(1); // w1's lease ran out; w2 takes it
    await store.renewLease('w2', [d!.id], now + 3 * LEASE);
    expect(await claimAll('w3', now + 2 * LEASE)).toEqual([]);
    expect(await claimAll('w3', now + 3 * LEASE)).toHaveLength(1);
  });

  test('release hands claimed work back, due at once', async () => {
    await store.recordOrder(incoming());
    const now = Date.now();
    const [d] = await claimAll('w1', now);
    await store.release('w2', [d!.id], now); // not w2's to release
    expect(await claimAll('w2', now)).toEqual([]);
    await store.release('w1', [d!.id], now);
    expect(await claimAll('w2', now)).toHaveLength(1);
  });

  test('handed back with no time, a delivery stays due when it was: the claim after says when it fell due (the quiet hours judge by it)', async () => {
    const order = incoming();
    const { receivedAt } = order;
    await store.recordOrder(order);
    const later = receivedAt + 30 * 60_000; // claimed half an hour after it fell due (a backlog), then given back
    const [d] = await claimAll('w1', later);
    expect(d?.dueAt).toBe(receivedAt);
    await store.release('w1', [d!.id], undefined);
    const [again] = await claimAll('w2', later);
    expect(again).toMatchObject({ id: d!.id, dueAt: receivedAt });
    await store.release('w2', [d!.id], later + LEASE); // with a time: due then
    expect(await claimAll('w3', later)).toEqual([]);
    expect((await claimAll('w3', later + LEASE))[0]?.dueAt).toBe(later + LEASE);
  });

  test("a placed delivery claimed after its order's cancel was stored is withdrawn, not handed out", async () => {
    const placed = await store.recordOrder(incoming({ orderId: 'cx-1' }));
    const other = await store.recordOrder(incoming({ orderId: 'cx-2' }));
    const cancel = incoming({ orderId: 'cx-1', skip: true });
    await store.recordOrder({ ...cancel, dedupeKey: `${cancel.dedupeKey}\u001fcancelled`, event: 'cancelled' });
    expect((await claimAll()).map((d) => d.id)).toEqual([other.deliveryId]);
    expect(await store.operator.getDelivery(placed.deliveryId, Date.now())).toMatchObject({
      status: 'skipped',
      lastError: 'order cancelled before the message went out',
    });
  });

  test('listeners hear of new due deliveries after they are committed', async () => {
    let heard = 0;
    const unsubscribe = store.onDeliveryDue(() => heard++);
    await store.recordOrder(incoming());
    await waitFor(() => heard > 0, { what: 'the listener' });
    expect(await claimAll()).toHaveLength(1); // committed by the time the listener ran
    unsubscribe();
  });

  test('credentials: a save never goes back a generation; one refresh claim at a time, ended by a save or a release, taken over once it runs out', async () => {
    const base: StoredCredentials = {
      botId: 'b',
      apiToken: 't1',
      apiSecret: 's1',
      generation: 1,
      origin: 'env',
      envFingerprint: 'f',
      obtainedAt: 1,
      expiresAt: 2,
      lastRefreshAt: null,
      state: 'ok',
      lastError: null,
    };
    expect(await store.loadCredentials('b')).toBeUndefined();
    expect(await store.saveCredentials(base)).toEqual(base);
    const now = Date.now();
    expect(await store.claimRefresh('b', 'one', 1, now + 1_000, now)).toBe(true);
    expect(await store.claimRefresh('b', 'two', 1, now + 1_000, now)).toBe(false);
    expect(await store.claimRefresh('b', 'one', 1, now + 2_000, now)).toBe(true); // its own claim, extended
    expect(await store.claimRefresh('b', 'two', 1, now + 5_000, now + 2_001)).toBe(true); // one's claim ran out
    await store.releaseRefresh('b', 'one'); // not one's any more: no effect
    expect(await store.claimRefresh('b', 'three', 1, now + 5_000, now + 2_002)).toBe(false);
    await store.releaseRefresh('b', 'two');
    expect(await store.claimRefresh('b', 'three', 1, now + 5_000, now + 2_002)).toBe(true);
    // The new pair ends the claim; a claim is for one generation; an older save is ignored.
    expect(await store.saveCredentials({ ...base, generation: 2, apiToken: 't2', origin: 'refresh' })).toMatchObject({
      generation: 2,
      apiToken: 't2',
    });
    expect(await store.claimRefresh('b', 'four', 1, now + 5_000, now)).toBe(false);
    expect(await store.claimRefresh('b', 'four', 2, now + 5_000, now)).toBe(true);
    expect(await store.saveCredentials({ ...base, apiToken: 'stale' })).toMatchObject({ generation: 2, apiToken: 't2' });
    // The same generation can be saved again (marked rejected, say).
    expect(await store.saveCredentials({ ...base, generation: 2, apiToken: 't2', state: 'rejected', lastError: 'refused' })).toMatchObject({
      generation: 2,
      state: 'rejected',
    });
    expect(await store.loadCredentials('b')).toMatchObject({ generation: 2, apiToken: 't2', state: 'rejected', lastError: 'refused' });
  });

  test("the lease rule: a stale holder's attempt is recorded, its state change is not; the holder's is", async () => {
    await store.recordOrder(incoming({ orderId: 'o-stale-sent' }));
    await store.recordOrder(incoming({ orderId: 'o-stale-dead' }));
    const now = Date.now();
    const [a, b] = await store.claimBatch('w1', 10, LEASE, now);
    // w1 stalls past its lease; w2 takes both over.
    const takenOver = await store.claimBatch('w2', 10, LEASE, now + LEASE);
    expect(takenOver.map((d) => d.id)).toEqual([a?.id, b?.id]);
    await store.recordAttempts(
      'w1',
      [attempt(a!, { to: 'sent' }, 'sent'), attempt(b!, { to: 'dead', reason: 'stale refusal' })],
      Date.now(),
    );
    for (const d of [a!, b!]) {
      const detail = await store.operator.getDelivery(d.id, Date.now());
      expect(detail).toMatchObject({ status: 'pending', attempts: 0, inFlight: true });
      expect(detail?.attemptLog).toHaveLength(1); // what w1 saw is on the record
    }
    await store.recordAttempts(
      'w2',
      [attempt(takenOver[0]!, { to: 'sent' }, 'sent'), attempt(takenOver[1]!, { to: 'dead', reason: 'refused' })],
      Date.now(),
    );
    expect((await store.operator.getDelivery(a!.id, Date.now()))?.status).toBe('sent');
    expect(await store.operator.getDelivery(b!.id, Date.now())).toMatchObject({ status: 'dead', lastError: 'refused' });
  });

  test('idempotency keys: the first claim runs, a repeat replays its answer, another request with the key is refused, an old key is new again', async () => {
    const now = Date.now();
    expect(await store.claimIdempotencyKey('k1', 'req-a', now, now - 1_000)).toEqual({ state: 'new', claimedAt: now });
    expect(await store.claimIdempotencyKey('k1', 'req-a', now + 1, now - 1_000)).toEqual({ state: 'in_progress', since: now });
    await store.saveIdempotentResponse('k1', 202, '{"status":"pending"}');
    expect(await store.claimIdempotencyKey('k1', 'req-a', now + 2, now - 1_000)).toEqual({
      state: 'replay',
      statusCode: 202,
      response: '{"status":"pending"}',
    });
    expect(await store.claimIdempotencyKey('k1', 'req-b', now + 3, now - 1_000)).toEqual({ state: 'mismatch' });
    expect(await store.claimIdempotencyKey('k1', 'req-b', now + 5_000, now + 1)).toEqual({ state: 'new', claimedAt: now + 5_000 }); // older than the window
    expect(await store.operator.prune({ finishedBefore: 0, deadBefore: 0, keysBefore: now + 10_000 })).toBe(0);
    expect(await store.claimIdempotencyKey('k1', 'req-a', now + 6_000, now)).toEqual({ state: 'new', claimedAt: now + 6_000 }); // pruned
  });

  test('ping answers while open', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  test('createdAt is when the store was made (its first migration, just now), as a number', async () => {
    const at = await store.createdAt();
    expect(typeof at).toBe('number');
    expect(Date.now() - (at as number)).toBeGreaterThanOrEqual(0);
    expect(Date.now() - (at as number)).toBeLessThan(60_000);
  });
});
