// MantaGO's token endpoint misbehaving under the deliveries: slow, slower than our patience,
// a new pair the store will not take. Driven through the simulator's switches and the store's
// faults, over HTTP as the operator sees it.
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { LOST_ROTATION_REASON } from '../src/mantago/refresh-policy.ts';
import { postgresServer } from './helpers/postgres.ts';
import { ADMIN_TOKEN, startServiceWithSimulator, tempDir } from './helpers/service.ts';
import { faultyStore } from './helpers/store-faults.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const server = await postgresServer();
const user = (i: number) => `U${(0xc4ed00 + i).toString(16).padStart(32, '0')}`;
const orderFor = (i: number) => shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(i) }] });
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

test('a token endpoint slower than MANTAGO_TIMEOUT_MS: the refresh has its own timeout, so it comes through; one refresh call, no attempt counted', async () => {
  const { sim, app } = await startServiceWithSimulator({
    env: { MANTAGO_TIMEOUT_MS: '300', DELIVERY_LEASE_MS: '5000', RETRY_MAX_ATTEMPTS: '2' },
  });
  sim.set({ tokenLatencyMs: 800 }); // longer than a call may take, well within MANTAGO_REFRESH_TIMEOUT_MS (30 s)
  sim.expireToken();
  const accepted = await Promise.all([1, 2, 3].map((i) => app.inject(shopifyRequest(orderFor(i)))));
  await waitFor(() => [1, 2, 3].every((i) => sim.timesDelivered(user(i)) === 1), { what: 'the three orders after the slow refresh' });
  expect(sim.refreshCalls()).toHaveLength(1);
  for (const answer of accepted) {
    // MantaGO's 200 reaches the simulator before the service records it: wait for the record.
    const detail = await waitFor(async () => {
      const d = (await app.inject({ method: 'GET', url: `/admin/deliveries/${answer.json().deliveryId}`, headers: auth })).json();
      return d.status !== 'pending' ? d : undefined;
    });
    expect(detail.status).toBe('sent');
    // The 1004 and any wait for the refresh are on the record, and none of them counted.
    expect(detail.attemptLog.filter((a: { outcome: string }) => a.outcome === 'sent')).toHaveLength(1);
    expect(detail.attempts).toBe(1);
  }
});

test('a refresh whose answer is lost (slower than MANTAGO_REFRESH_TIMEOUT_MS, rotated anyway): deliveries wait uncounted, refreshes back off, the next refusal is named with how to recover, and the pair from the dashboard delivers each order once', async () => {
  const { sim, app } = await startServiceWithSimulator({ env: { MANTAGO_REFRESH_TIMEOUT_MS: '300', RETRY_MAX_ATTEMPTS: '2' } });
  sim.set({ tokenLatencyMs: 1_500 });
  sim.expireToken();
  const accepted = await Promise.all([1, 2, 3].map((i) => app.inject(shopifyRequest(orderFor(10 + i)))));
  expect(accepted.map((a) => a.statusCode)).toEqual([202, 202, 202]);
  // The slow spell passes once the first refresh is under way: the refresh after it gets MantaGO's answer.
  await waitFor(() => sim.refreshCalls().length === 1, { what: 'the first refresh' });
  sim.set({ tokenLatencyMs: 0 });

  const ready = await waitFor(
    async () => {
      const answer = await app.inject({ method: 'GET', url: '/readyz' });
      return answer.json().checks.credentials === 'rejected' ? answer : undefined;
    },
    { what: 'the lost rotation to be named', timeoutMs: 15_000 },
  );
  expect(ready.statusCode).toBe(200); // still taking webhooks
  expect(ready.json().checks).toMatchObject({ credentials: 'rejected', delivery: 'credentials_rejected' });
  const credentials = (await app.inject({ method: 'GET', url: '/admin/credentials', headers: auth })).json();
  expect(credentials).toMatchObject({ state: 'rejected', lastError: LOST_ROTATION_REASON });
  // One refresh that timed out, one that MantaGO refused: no refresh every few seconds.
  expect(sim.refreshCalls()).toHaveLength(2);
  for (const answer of accepted) {
    const detail = (await app.inject({ method: 'GET', url: `/admin/deliveries/${answer.json().deliveryId}`, headers: auth })).json();
    expect(detail).toMatchObject({ status: 'pending', attempts: 0 });
    expect(detail.attemptLog.length).toBeGreaterThan(0);
    expect(detail.attemptLog.every((a: { outcome: string }) => a.outcome === 'credentials_unavailable')).toBe(true);
  }

  // The operator installs the bot's current pair from the dashboard: every order goes out once.
  const installed = await app.inject({ method: 'PUT', url: '/admin/credentials', headers: auth, payload: sim.credentials() });
  expect(installed.json()).toMatchObject({ state: 'ok', origin: 'admin' });
  await waitFor(() => [11, 12, 13].every((i) => sim.timesDelivered(user(i)) === 1), { what: 'the waiting orders' });
  const dead = (await app.inject({ method: 'GET', url: '/admin/deliveries?status=dead', headers: auth })).json();
  expect(dead.deliveries).toEqual([]);
});

describe.each([{ engine: 'sqlite' as const }, { engine: 'postgres' as const }])(
  '$engine: a new pair the store will not take',
  ({ engine }) => {
    test.skipIf(engine === 'postgres' && !server)(
      'is kept and used (MantaGO killed the old one), stored once the store takes it, and never dropped',
      async () => {
        const store = await faultyStore(engine, tempDir(), server, [{ kind: 'credentials' }]);
        try {
          const { sim, app } = await startServiceWithSimulator({ env: { DATABASE_URL: store.url } });
          sim.expireToken();
          await app.inject(shopifyRequest(orderFor(20)));
          await waitFor(() => sim.timesDelivered(user(20)) === 1, { what: 'the order, with the pair that is not stored yet' });
          expect((await app.inject({ method: 'GET', url: '/readyz' })).json().checks.credentials).toBe('unsaved');
          await app.inject(shopifyRequest(orderFor(21)));
          await waitFor(() => sim.timesDelivered(user(21)) === 1, { what: 'the next order' });
          expect(sim.refreshCalls()).toHaveLength(1); // the old pair was never tried again
          if (engine === 'postgres') {
            await store.set([]);
            await waitFor(
              async () => (await store.query('SELECT api_token FROM credentials')).rows[0]?.api_token === sim.credentials().apiToken,
              {
                what: 'the new pair stored',
                timeoutMs: 15_000,
              },
            );
            await waitFor(async () => (await app.inject({ method: 'GET', url: '/readyz' })).json().checks.credentials === 'ok', {
              what: 'readiness to show it',
            });
          }
        } finally {
          await store.close();
        }
      },
    );
  },
);

test.skipIf(!server)('PostgreSQL: no transaction stays open across a slow refresh', async () => {
  const store = await faultyStore('postgres', tempDir(), server);
  try {
    // The service's connections under a name of this test's own: other suites on the same server
    // (another checkout, a parallel run) have transactions of their own.
    const url = new URL(store.url);
    const name = `notifier-test-${randomUUID().slice(0, 8)}`;
    url.searchParams.set('application_name', name);
    const { sim, app } = await startServiceWithSimulator({ env: { DATABASE_URL: url.toString() } });
    sim.set({ tokenLatencyMs: 1_500 });
    sim.expireToken();
    await app.inject(shopifyRequest(orderFor(30)));
    await waitFor(() => sim.refreshCalls().length === 1, { what: 'the refresh to start' });
    const states: string[] = [];
    while (sim.timesDelivered(user(30)) === 0) {
      // A transaction held across the refresh (1.5 s at MantaGO) would be seen open for over a second
      // ('idle in transaction' while it waits, or 'active'); the service's own transactions (a claim, a
      // commit) are open for milliseconds. A session seen 'idle' holds none, whatever its xact_start
      // read as (seen once, under a full suite's load, beside no open transaction).
      const { rows } = await store.query(
        `SELECT state, state <> 'idle' AND now() - xact_start > interval '1 second' AS long FROM pg_stat_activity
         WHERE application_name = $1 AND datname = current_database()`,
        [name],
      );
      states.push(...rows.map((r) => (r.long ? `long ${r.state}` : String(r.state))));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(states.length).toBeGreaterThan(0);
    expect(states.filter((s) => s.startsWith('long'))).toEqual([]);
  } finally {
    await store.close();
  }
});
