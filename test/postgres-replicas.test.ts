// Two stores on one PostgreSQL schema stand for two replicas: the guarantees hold between them.
import { afterEach, describe, expect, test } from 'vitest';
import { batchKey } from '../src/delivery/batching.ts';
import type { StoredCredentials } from '../src/domain/credentials.ts';
import type { IncomingOrder } from '../src/domain/delivery.ts';
import type { StoredOrder } from '../src/domain/order.ts';
import { openPostgresStore } from '../src/store/postgres/engine.ts';
import type { Store } from '../src/store/store.ts';
import { incomingOrder } from './helpers/orders.ts';
import { freshSchema, postgresServer } from './helpers/postgres.ts';
import { waitFor } from './helpers/wait.ts';

const server = await postgresServer();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function twoReplicas(): Promise<[Store, Store]> {
  const schema = await freshSchema(server as string);
  // Both open (and migrate) at the same instant, as replicas starting together do.
  const stores = await Promise.all([
    openPostgresStore({ url: schema.url, poolMax: 5 }),
    openPostgresStore({ url: schema.url, poolMax: 5 }),
  ]);
  cleanup.push(
    () => schema.drop(),
    async () => void (await Promise.all(stores.map((s) => s.close()))),
  );
  return stores;
}

const order = (orderId: string): IncomingOrder =>
  incomingOrder(
    { source: 'shopify', orderId, shop: 's', total: '1', currency: 'TWD', customer: {}, attributes: {} },
    {
      topic: undefined,
      receivedAt: Date.now(),
      plan: {
        kind: 'send',
        recipient: { platform: 'line', userId: `U${orderId.padStart(32, '0')}`, via: 'test' },
        rule: 'r',
        content: { intentId: 'm' },
        name: `r ${orderId}`,
      },
      batchKey: batchKey('line', { intentId: 'm' }),
    },
  );

/** An order whose plan tags its user: `action` on `buyer`. */
const tagged = (orderId: string, userId: string, action: 'add' | 'remove'): IncomingOrder => {
  const base = order(orderId);
  const recipient = { platform: 'line' as const, userId, via: 'test' };
  const ops = [{ action, tag: { name: 'buyer' } }];
  return { ...base, plan: { ...base.plan, tagging: { recipient, ops } } as IncomingOrder['plan'] };
};

describe.skipIf(!server)('two replicas on one PostgreSQL', () => {
  test('the same order arriving at both at the same instant is stored once', async () => {
    const [a, b] = await twoReplicas();
    const ids = Array.from({ length: 50 }, (_, i) => String(i));
    const results = await Promise.all(ids.flatMap((id) => [a.recordOrder(order(id)), b.recordOrder(order(id))]));
    expect(results.filter((r) => r.outcome === 'accepted')).toHaveLength(50);
    for (let i = 0; i < 50; i++) expect(results[2 * i]?.deliveryId).toBe(results[2 * i + 1]?.deliveryId);
  });

  test('a skipped delivery both replace at the same instant (its shipment announced after all) is replaced once', async () => {
    const [a, b] = await twoReplicas();
    const ids = Array.from({ length: 20 }, (_, i) => `spent-${i}`);
    await Promise.all(ids.map((id) => a.recordOrder({ ...order(id), plan: { kind: 'skip', reason: 'spent' }, batchKey: undefined })));
    const replaced = await Promise.all(
      ids.flatMap((id) => [
        a.recordOrder({ ...order(id), replacesSkipped: 'spent' }),
        b.recordOrder({ ...order(id), replacesSkipped: 'spent' }),
      ]),
    );
    for (let i = 0; i < ids.length; i++) {
      const pair = [replaced[2 * i], replaced[2 * i + 1]];
      expect(pair.map((r) => r?.outcome).sort()).toEqual(['accepted', 'duplicate']);
      expect(pair[0]?.deliveryId).toBe(pair[1]?.deliveryId);
    }
  });

  test("a spent shipment noted on both at the same instant (a processing on one, a completion on the other): each sees the other's", async () => {
    const [a, b] = await twoReplicas();
    const ids = Array.from({ length: 20 }, (_, i) => `noted-${i}`);
    const spent = (id: string): IncomingOrder => ({ ...order(id), plan: { kind: 'skip', reason: 'spent' }, batchKey: undefined });
    await Promise.all(ids.map((id) => a.recordOrder(spent(id))));
    const noted = await Promise.all(
      ids.map((id) =>
        Promise.all([
          a.noteSpentShipment(spent(id).dedupeKey, 'spent', { processingAt: 9 }),
          b.noteSpentShipment(spent(id).dedupeKey, 'spent', { completed: { ...(spent(id).order as StoredOrder), changedAt: 12 } }),
        ]),
      ),
    );
    // Whichever went second saw both: the order seen in processing before a completion.
    for (const pair of noted) expect(pair.some((o) => o?.processingSeenAt === 9 && o.changedAt === 12)).toBe(true);
  });

  test("a tag job's retry recorded on one replica as the same user's later job of the tag is queued on the other: never both left waiting", async () => {
    const [a, b] = await twoReplicas();
    const now = Date.now() + 60_000;
    const users = Array.from({ length: 30 }, (_, i) => `U${String(i).padStart(32, '7')}`);
    const placed = await Promise.all(users.map((u, i) => a.recordOrder(tagged(`tp-${i}`, u, 'add'))));
    const adds = await a.claimTags('a', 100, 60_000, now);
    expect(adds).toHaveLength(users.length);
    const failed = { startedAt: now, durationMs: 1, outcome: 'failed' as const, httpStatus: 503, error: 'down' };
    // Each add's retry is written while its user's refund (another replica) queues the remove.
    await Promise.all(
      adds.flatMap((job, i) => [
        a.recordTagTry(job, { status: 'pending', counted: true, nextAttemptAt: now + 3_600_000, error: 'down', attempt: failed }, now),
        b.recordOrder(tagged(`tr-${i}`, users[i] as string, 'remove')),
      ]),
    );
    for (const { deliveryId } of placed) expect((await a.tagJobsOf(deliveryId))[0]?.status).toBe('tagged');
    expect(await b.claimTags('b', 100, 60_000, now)).toHaveLength(users.length);
  });

  test('concurrent claims never take the same delivery twice', async () => {
    const [a, b] = await twoReplicas();
    await Promise.all(Array.from({ length: 200 }, (_, i) => a.recordOrder(order(String(i)))));
    const now = Date.now();
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claimBatch(`w${i}`, 30, 60_000, now)));
    const ids = claims.flat().map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(200);
  });

  test('one refresh claim across replicas: the others wait for the pair it stores, and it never goes back a generation', async () => {
    const [a, b] = await twoReplicas();
    const base: StoredCredentials = {
      botId: 'bot',
      apiToken: 't1',
      apiSecret: 's1',
      generation: 1,
      origin: 'env',
      envFingerprint: 'f',
      obtainedAt: 0,
      expiresAt: 0,
      lastRefreshAt: null,
      state: 'ok',
      lastError: null,
    };
    await a.saveCredentials(base);
    const now = Date.now();
    const claims = await Promise.all([a, b, a, b].map((store, i) => store.claimRefresh('bot', `r${i}`, 1, now + 30_000, now)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    const winner = `r${claims.indexOf(true)}`;
    // Saving the new pair ends the claim; a stale save of the old generation changes nothing.
    expect(await b.saveCredentials({ ...base, generation: 2, apiToken: 't2' })).toMatchObject({ generation: 2, apiToken: 't2' });
    expect(await a.saveCredentials({ ...base, generation: 1, apiToken: 'stale' })).toMatchObject({ generation: 2, apiToken: 't2' });
    expect(await a.claimRefresh('bot', winner, 1, now + 30_000, now)).toBe(false); // generation 1 is gone
    expect(await a.claimRefresh('bot', 'r9', 2, now + 30_000, now)).toBe(true);
    // A claim whose holder died runs out; another replica takes it over then, not before.
    expect(await b.claimRefresh('bot', 'r8', 2, now + 60_000, now + 1_000)).toBe(false);
    expect(await b.claimRefresh('bot', 'r8', 2, now + 90_000, now + 30_001)).toBe(true);
    await b.releaseRefresh('bot', 'r8');
    expect(await a.claimRefresh('bot', 'r7', 2, now + 90_000, now + 30_002)).toBe(true);
  });

  test('a delivery stored on one replica wakes the other at once (LISTEN/NOTIFY)', async () => {
    const [a, b] = await twoReplicas();
    let woken = 0;
    b.onDeliveryDue(() => woken++);
    await a.recordOrder(order('wake'));
    await waitFor(() => woken > 0, { what: 'the other replica to be woken', timeoutMs: 2_000 });
  });
});
