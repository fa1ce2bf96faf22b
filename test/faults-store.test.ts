// The store failing under the webhooks, on both engines: one bad row, a wedged store, a full
// intake queue, a failure after a manual broadcast was stored. Driven over HTTP, with the store's
// faults set by triggers in its own database.
import { describe, expect, test } from 'vitest';
import { faultyStore, type Fault } from './helpers/store-faults.ts';
import { postgresServer } from './helpers/postgres.ts';
import { ADMIN_TOKEN, startServiceWithSimulator, tempDir } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { LINE_USER, normalizedOrder, standardRequest } from './helpers/webhooks.ts';

const server = await postgresServer();
const ENGINES = [
  { engine: 'sqlite' as const, available: true },
  { engine: 'postgres' as const, available: server !== undefined },
];

async function setup(engine: 'sqlite' | 'postgres', faults: Fault[], env: Record<string, string> = {}, stallMs?: number) {
  const store = await faultyStore(engine, tempDir(), server, faults, stallMs === undefined ? {} : { stallMs });
  const service = await startServiceWithSimulator({ env: { DATABASE_URL: store.url, STORE_TIMEOUT_MS: '500', ...env } });
  return { ...service, store };
}

const user = (i: number) => `U${(0xfa0170 + i).toString(16).padStart(32, '0')}`;
const order = (orderId: string, i: number) => normalizedOrder({ orderId, attributes: { line_uid: user(i) } });

describe.each(ENGINES)('$engine', ({ engine, available }) => {
  test.skipIf(!available)('one bad row fails only its own webhook: the orders committed with it are accepted and delivered', async () => {
    // The store's deadline is not what this is about: a loaded machine must not turn a good order's 202 into a 503.
    const { app, sim, store } = await setup(engine, [{ kind: 'poison', orderId: 'poison' }], { STORE_TIMEOUT_MS: '5000' });
    try {
      const answers = await Promise.all([
        ...[1, 2, 3, 4].map((i) => app.inject(standardRequest(order(`ok-${i}`, i)))),
        app.inject(standardRequest(order('poison', 5))),
      ]);
      expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202, 202, 500]);
      expect(answers[4]?.json()).toEqual({
        statusCode: 500,
        code: 'INTERNAL',
        error: 'Internal Server Error',
        message: 'internal error; the service log has the details',
      });
      await waitFor(() => [1, 2, 3, 4].every((i) => sim.timesDelivered(user(i)) === 1), { what: 'the four good orders' });
      expect(sim.timesDelivered(user(5))).toBe(0);
      // The operator's alert sees our fault as ours, not as a shop sending bad bodies.
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/notifier_webhooks_total\{source="orders",outcome="error"\} 1\n/);
      expect(metrics).not.toMatch(/notifier_webhooks_total\{source="orders",outcome="invalid"\}/);
    } finally {
      await store.close();
    }
  });

  test.skipIf(!available)(
    'a wedged store: the webhook gets 503 with Retry-After within STORE_TIMEOUT_MS, logged; what was stored after all is delivered once',
    async () => {
      // The wedge outlasts STORE_TIMEOUT_MS (500 ms) and, on SQLite, the readiness check's own 2 s deadline for the store's ping.
      const stallMs = engine === 'sqlite' ? 3_000 : 1_200;
      const { app, sim, logs, store } = await setup(engine, [{ kind: 'slow', orderId: 'slow' }], { LOAD_RETRY_AFTER_S: '3' }, stallMs);
      try {
        const webhook = app.inject(standardRequest(order('slow', 10)));
        // SQLite's one thread is stuck in that insert, so its ping times out (a code, not the error); PostgreSQL's pool still answers.
        const readyz = () => app.inject({ method: 'GET', url: '/readyz' });
        const ready = await waitFor(async () => {
          const r = await readyz();
          return r.json().checks.store !== 'ok' || engine === 'postgres' ? r : undefined;
        });
        expect(ready.json().checks.store).toBe(engine === 'sqlite' ? 'timeout' : 'ok');
        expect(ready.statusCode).toBe(engine === 'sqlite' ? 503 : 200);
        const answer = await webhook;
        expect(answer.statusCode).toBe(503);
        expect(answer.headers['retry-after']).toBe('3');
        expect(answer.json()).toMatchObject({
          code: 'STORE_UNAVAILABLE',
          message: 'the service cannot take this right now; retry after 3 s',
        });
        expect(logs.some((l) => l.includes('store unavailable: answered 503') && l.includes('within 500 ms'))).toBe(true);
        // The order went in after all: it is delivered, once (a shop's retry of it would be a duplicate).
        await waitFor(() => sim.timesDelivered(user(10)) === 1, { what: 'the slow order, once stored' });
        const stored = await app.inject({
          method: 'GET',
          url: '/admin/deliveries?order=slow',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(stored.json().deliveries).toHaveLength(1);
      } finally {
        await store.close();
      }
    },
  );

  test.skipIf(!available)('a full intake queue answers 503 with Retry-After at once instead of queueing without bound', async () => {
    const env = { INTAKE_QUEUE_MAX: '10', STORE_TIMEOUT_MS: '10000' };
    const { app, store } = await setup(engine, [{ kind: 'slow', orderId: 'slow' }], env, 1_000);
    try {
      const wedge = app.inject(standardRequest(order('slow', 20))); // holds the store while the burst arrives
      await new Promise((resolve) => setImmediate(resolve));
      const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => app.inject(standardRequest(order(`burst-${i}`, 30 + i)))));
      const refused = burst.filter((a) => a.statusCode === 503);
      expect(burst.map((a) => a.statusCode).filter((code) => code !== 202 && code !== 503)).toEqual([]);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((a) => a.headers['retry-after'] === '10' && a.json().code === 'STORE_UNAVAILABLE')).toBe(true);
      expect(burst.filter((a) => a.statusCode === 202).length + refused.length).toBe(30);
      expect((await wedge).statusCode).toBe(202);
    } finally {
      await store.close();
    }
  });

  test.skipIf(!available)('a manual broadcast stored but not recorded as sent answers 202 pending, never 500', async () => {
    const { app, sim, store } = await setup(engine, [{ kind: 'attempts' }]);
    try {
      const answer = await app.inject({
        method: 'POST',
        url: '/admin/broadcasts',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        payload: { platform: 'line', userIds: [LINE_USER], intentId: 'rb2kYmMdW' },
      });
      expect(answer.statusCode).toBe(202);
      expect(answer.json()).toMatchObject({ status: 'pending', deliveryIds: [expect.any(Number)], mantago: null });
      expect(sim.broadcasts).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
