// The store's behaviour, one suite for every engine.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { batchKey } from '../src/delivery/batching.ts';
import type { DeliveryPlan } from '../src/mapping/plan.ts';
import type { Order } from '../src/sources/order.ts';
import type { AttemptResult, ClaimedDelivery, IncomingOrder, Store, StoredCredentials } from '../src/store/store.ts';
import { STORE_ENGINES } from './helpers/stores.ts';
import { waitFor } from './helpers/wait.ts';

let sequence = 0;
function incoming(overrides: { shop?: string; orderId?: string; intentId?: string; userId?: string; skip?: boolean } = {}): IncomingOrder {
  const orderId = overrides.orderId ?? `o${++sequence}`;
  const order: Order = { source: 'shopify', orderId, shop: overrides.shop ?? 'shop', total: '10', currency: 'TWD', customer: {}, attributes: {}, items: [] };
  const content = { intentId: overrides.intentId ?? 'moduleA' };
  const plan: DeliveryPlan = overrides.skip
    ? { kind: 'skip', reason: 'nobody' }
    : { kind: 'send', recipient: { platform: 'line', userId: overrides.userId ?? `U${String(sequence).padStart(32, '0')}`, via: 'test' }, rule: 'r', content, name: `r ${orderId}` };
  return { order, topic: 'orders/create', receivedAt: Date.now(), plan, batchKey: overrides.skip ? undefined : batchKey('line', content) };
}

const attempt = (d: ClaimedDelivery, then: AttemptResult['then'], outcome: AttemptResult['attempt']['outcome'] = 'failed'): AttemptResult => ({
  attempt: { deliveryId: d.id, startedAt: Date.now(), durationMs: 3, outcome, httpStatus: 503, error: 'down', batchSize: 1 },
  then,
});

describe.each(STORE_ENGINES)('$name store', (engine) => {
  if (!engine.available) {
    test.skip(`every ${engine.name} store test (no ${engine.name} here)`);
    return;
  }
  let store: Store;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, close } = await engine.open());
  });
  afterEach(async () => close());

  const LEASE = 60_000;
  const claimAll = (owner = 'w1', now = Date.now()) => store.claimBatch(owner, 100, LEASE, now);

  test('an order is stored once per source, shop and order id', async () => {
    const first = await store.recordOrder(incoming({ orderId: 'same' }));
    const again = await store.recordOrder(incoming({ orderId: 'same' }));
    const otherShop = await store.recordOrder(incoming({ orderId: 'same', shop: 'other' }));
    expect(first).toMatchObject({ outcome: 'accepted', status: 'pending' });
    expect(again).toEqual({ outcome: 'duplicate', deliveryId: first.deliveryId, status: 'pending' });
    expect(otherShop.outcome).toBe('accepted');
  });

  test('concurrent duplicates: exactly one is accepted', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => store.recordOrder(incoming({ orderId: 'race' }))));
    expect(results.filter((r) => r.outcome === 'accepted')).toHaveLength(1);
    expect(new Set(results.map((r) => r.deliveryId)).size).toBe(1);
  });

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
    await store.recordAttempts('w1', [attempt(d!, { to: 'retry', at: now + 5_000, counted: true })]);
    expect(await claimAll('w1', now + 4_999)).toEqual([]);
    const [again] = await claimAll('w1', now + 5_000);
    expect(again).toMatchObject({ id: d!.id, attempts: 1 });
    await store.recordAttempts('w1', [attempt(again!, { to: 'sent' }, 'sent')]);
    expect(await claimAll('w1', now + 10 ** 9)).toEqual([]);
    expect((await store.recordOrder(incoming({ orderId: 'o-retry' }))).status).toBe('sent');
  });

  test('an uncounted retry leaves the attempt count alone; dead is final', async () => {
    await store.recordOrder(incoming({ orderId: 'o-dead' }));
    const [d] = await claimAll();
    await store.recordAttempts('w1', [attempt(d!, { to: 'retry', at: 0, counted: false }, 'credentials_expired')]);
    const [again] = await claimAll();
    expect(again?.attempts).toBe(0);
    await store.recordAttempts('w1', [attempt(again!, { to: 'dead', reason: 'refused' })]);
    expect(await claimAll('w1', Date.now() + 10 ** 9)).toEqual([]);
    expect((await store.recordOrder(incoming({ orderId: 'o-dead' }))).status).toBe('dead');
  });

  test('an in-flight attempt keeps the lease; a retry from a worker whose lease was taken over changes nothing', async () => {
    await store.recordOrder(incoming({ orderId: 'o-lease' }));
    const now = Date.now();
    const [d] = await claimAll('w1', now);
    await store.recordAttempts('w1', [attempt(d!, { to: 'in_flight' }, 'credentials_expired')]);
    expect(await claimAll('w2', now)).toEqual([]);
    const [takenOver] = await claimAll('w2', now + LEASE);
    await store.recordAttempts('w1', [attempt(d!, { to: 'retry', at: now, counted: true })]);
    expect(await claimAll('w3', now + LEASE)).toEqual([]); // still w2's
    await store.recordAttempts('w2', [attempt(takenOver!, { to: 'sent' }, 'sent')]);
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

  test('listeners hear of new due deliveries after they are committed', async () => {
    let heard = 0;
    const unsubscribe = store.onDeliveryDue(() => heard++);
    await store.recordOrder(incoming());
    await waitFor(() => heard > 0, { what: 'the listener' });
    expect(await claimAll()).toHaveLength(1); // committed by the time the listener ran
    unsubscribe();
  });

  test('the credentials lock runs one holder at a time, each seeing what the last stored', async () => {
    const base: StoredCredentials = {
      botId: 'b',
      apiToken: 't0',
      apiSecret: 's0',
      generation: 0,
      origin: 'env',
      envFingerprint: 'f',
      obtainedAt: 1,
      expiresAt: 2,
      lastRefreshAt: null,
      state: 'ok',
      lastError: null,
    };
    const seen: number[] = [];
    const bump = () =>
      store.withCredentialsLock('b', async (current) => {
        const generation = current?.generation ?? -1;
        seen.push(generation);
        await new Promise((resolve) => setTimeout(resolve, 10));
        return { save: { ...base, generation: generation + 1, apiToken: `t${generation + 1}` }, result: generation };
      });
    await Promise.all([bump(), bump(), bump()]);
    expect(seen).toEqual([-1, 0, 1]);
    expect(await store.loadCredentials('b')).toMatchObject({ generation: 2, apiToken: 't2' });
    // A holder that throws stores nothing and does not block the next.
    await expect(store.withCredentialsLock('b', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await store.withCredentialsLock('b', async (current) => ({ result: current?.generation }))).toBe(2);
  });

  test('ping answers while open', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
