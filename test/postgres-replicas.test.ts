// Two stores on one PostgreSQL schema stand for two replicas: the guarantees hold between them.
import { afterEach, describe, expect, test } from 'vitest';
import { batchKey } from '../src/delivery/batching.ts';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres/postgres-store.ts';
import type { IncomingOrder, StoredCredentials } from '../src/store/store.ts';
import { freshSchema, postgresServer } from './helpers/postgres.ts';
import { waitFor } from './helpers/wait.ts';

const server = await postgresServer();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function twoReplicas(): Promise<[PostgresStore, PostgresStore]> {
  const schema = await freshSchema(server as string);
  // Both open (and migrate) at the same instant, as replicas starting together do.
  const stores = await Promise.all([openPostgresStore({ url: schema.url, poolMax: 5 }), openPostgresStore({ url: schema.url, poolMax: 5 })]);
  cleanup.push(() => schema.drop(), async () => void (await Promise.all(stores.map((s) => s.close()))));
  return stores;
}

const order = (orderId: string): IncomingOrder => ({
  order: { source: 'shopify', orderId, shop: 's', total: '1', currency: 'TWD', customer: {}, attributes: {} },
  topic: undefined,
  receivedAt: Date.now(),
  plan: { kind: 'send', recipient: { platform: 'line', userId: `U${orderId.padStart(32, '0')}`, via: 'test' }, rule: 'r', content: { intentId: 'm' }, name: `r ${orderId}` },
  batchKey: batchKey('line', { intentId: 'm' }),
});

describe.skipIf(!server)('two replicas on one PostgreSQL', () => {
  test('the same order arriving at both at the same instant is stored once', async () => {
    const [a, b] = await twoReplicas();
    const ids = Array.from({ length: 50 }, (_, i) => String(i));
    const results = await Promise.all(ids.flatMap((id) => [a.recordOrder(order(id)), b.recordOrder(order(id))]));
    expect(results.filter((r) => r.outcome === 'accepted')).toHaveLength(50);
    for (let i = 0; i < 50; i++) expect(results[2 * i]?.deliveryId).toBe(results[2 * i + 1]?.deliveryId);
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

  test('credential refreshes are serialized across replicas, each seeing what the last stored', async () => {
    const [a, b] = await twoReplicas();
    const base: StoredCredentials = {
      botId: 'bot',
      apiToken: 't',
      apiSecret: 's',
      generation: 0,
      origin: 'env',
      envFingerprint: 'f',
      obtainedAt: 0,
      expiresAt: 0,
      lastRefreshAt: null,
      state: 'ok',
      lastError: null,
    };
    const seen: number[] = [];
    const bump = (store: PostgresStore) =>
      store.withCredentialsLock('bot', async (current) => {
        const generation = current?.generation ?? 0;
        seen.push(generation);
        await new Promise((resolve) => setTimeout(resolve, 30)); // a MantaGO call under the lock
        return { save: { ...base, generation: generation + 1 }, result: undefined };
      });
    await Promise.all([bump(a), bump(b), bump(a), bump(b)]);
    expect(seen.sort()).toEqual([0, 1, 2, 3]);
    expect((await b.loadCredentials('bot'))?.generation).toBe(4);
  });

  test('a delivery stored on one replica wakes the other at once (LISTEN/NOTIFY)', async () => {
    const [a, b] = await twoReplicas();
    let woken = 0;
    b.onDeliveryDue(() => woken++);
    await a.recordOrder(order('wake'));
    await waitFor(() => woken > 0, { what: 'the other replica to be woken', timeoutMs: 2_000 });
  });
});
