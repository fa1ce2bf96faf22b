// MantaGO's rotating credentials as the operator lives with them: expiry, rotation, restarts,
// a refresh MantaGO refuses, and new credentials from the operator.
import { afterEach, describe, expect, test } from 'vitest';
import { startSimulator, type MantagoSimulator } from '../simulator/simulator.ts';
import { ADMIN_TOKEN, EXAMPLE_MAPPING, shiftedClock, startService, tempDir } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function simulator(options: Parameters<typeof startSimulator>[0] = {}): Promise<MantagoSimulator> {
  const sim = await startSimulator(options);
  cleanup.push(() => sim.close());
  return sim;
}
async function service(sim: MantagoSimulator, options: Parameters<typeof startService>[1] = {}) {
  const started = await startService(sim, options);
  cleanup.push(() => started.app.close());
  return started;
}

const RULES_BEFORE = EXAMPLE_MAPPING.slice(0, EXAMPLE_MAPPING.indexOf('rules:'));
/** Distinct LINE users, so each order is its own broadcast. */
const lineUser = (i: number) => `U${i.toString(16).padStart(32, '0')}`;
const orderFor = (i: number) => shopifyOrder({ note_attributes: [{ name: 'line_uid', value: lineUser(i) }] });
const deliveredTo = (sim: MantagoSimulator, i: number) => sim.deliveredClientIds().filter((id) => id === lineUser(i)).length;

describe.each([401, 200])('an expiry answered with HTTP %i and code 1004', (expiredStatus) => {
  test('20 concurrent sends across it cause exactly one refresh, and all 20 are delivered once', async () => {
    const sim = await simulator({ latencyMs: 100 });
    sim.set({ expiredStatus });
    // Held by a delay until all 20 are stored, then released at once by moving the clock: the worker
    // would otherwise start on the first few while the others are still being taken in.
    const clock = shiftedClock();
    const { app } = await service(sim, {
      clock,
      mapping: `${RULES_BEFORE}rules:\n  - name: confirmation\n    delay: 1m\n    send: { intentId: rb2kYmMdW }\n`,
      env: { BATCH_MAX_RECIPIENTS: '1', MANTAGO_MAX_CONCURRENCY: '20', MANTAGO_MAX_RPS: '1000' },
    });
    sim.expireToken();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => app.inject(shopifyRequest(orderFor(i)))));
    expect(answers.every((a) => a.statusCode === 202)).toBe(true);
    // The simulator holds the calls until ten are in flight together, so the expiry really meets
    // concurrent sends however slowly a loaded machine sends them.
    sim.set({ hold: true });
    clock.offset = 61_000;
    await waitFor(() => sim.heldCalls >= 10, { what: 'ten sends in flight together' });
    sim.set({ hold: false });

    await waitFor(() => Array.from({ length: 20 }, (_, i) => deliveredTo(sim, i)).every((n) => n === 1), {
      what: 'all 20 orders delivered',
    });
    expect(sim.refreshCalls()).toHaveLength(1);
    // They really were in flight together when the expiry hit.
    expect(sim.broadcastCalls().filter((c) => c.error === 'Token is invalid or expired').length).toBeGreaterThanOrEqual(10);
    expect(sim.maxConcurrentCalls()).toBeGreaterThanOrEqual(10);
    expect(Array.from({ length: 20 }, (_, i) => deliveredTo(sim, i))).toEqual(Array(20).fill(1));
  });
});

test('a restart after a rotation delivers with the stored pair, though the environment still holds the dead one', async () => {
  const sim = await simulator();
  const envPair = sim.credentials();
  const dir = tempDir();
  const env = { MANTAGO_API_TOKEN: envPair.apiToken, MANTAGO_API_SECRET: envPair.apiSecret };

  const first = await startService(sim, { dir, env });
  sim.expireToken();
  await first.app.inject(shopifyRequest(orderFor(100)));
  await waitFor(() => deliveredTo(sim, 100) === 1, { what: 'the first order' });
  expect(sim.refreshCalls()).toHaveLength(1);
  expect(sim.credentials().apiToken).not.toBe(envPair.apiToken); // rotated: the environment's pair is dead now
  await first.app.close();

  const second = await service(sim, { dir, env });
  await second.app.inject(shopifyRequest(orderFor(101)));
  await waitFor(() => deliveredTo(sim, 101) === 1, { what: 'the order after the restart' });
  expect(sim.refreshCalls()).toHaveLength(1); // no refresh needed: the stored pair was used
  expect(sim.broadcastCalls().filter((c) => c.status !== 200)).toHaveLength(1); // only the forced expiry failed
});

test('a pair the operator changed in the environment wins over the stored one', async () => {
  const sim = await simulator();
  const dir = tempDir();
  const first = await startService(sim, { dir });
  sim.expireToken();
  await first.app.inject(shopifyRequest(orderFor(200)));
  await waitFor(() => deliveredTo(sim, 200) === 1);
  await first.app.close();

  const fromDashboard = sim.issuePair(); // the operator regenerates the pair in MantaGO: the stored one dies
  const second = await service(sim, {
    dir,
    env: { MANTAGO_API_TOKEN: fromDashboard.apiToken, MANTAGO_API_SECRET: fromDashboard.apiSecret },
  });
  await second.app.inject(shopifyRequest(orderFor(201)));
  await waitFor(() => deliveredTo(sim, 201) === 1);
  expect(sim.refreshCalls()).toHaveLength(1);
  expect((await second.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
});

test('a refused refresh marks the credentials bad: the replica stays ready and takes orders, /readyz and the admin API say why, no refresh loop, and new credentials resume delivery', async () => {
  const sim = await simulator();
  const dir = tempDir();
  const first = await startService(sim, { dir });
  expect((await first.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);

  sim.set({ rejectRefresh: true });
  sim.expireToken();
  expect((await first.app.inject(shopifyRequest(orderFor(300)))).statusCode).toBe(202);
  const ready = await waitFor(
    async () => {
      const answer = await first.app.inject({ method: 'GET', url: '/readyz' });
      return answer.json().checks.credentials === 'rejected' ? answer : undefined;
    },
    { what: '/readyz to report the rejected credentials' },
  );
  // Still ready: this replica takes webhooks (WooCommerce never retries one it failed); the body says what holds deliveries back.
  expect(ready.statusCode).toBe(200);
  expect(ready.json()).toEqual({
    status: 'ready',
    checks: { store: 'ok', mapping: 'ok', load: 'ok', credentials: 'rejected', bot: 'ok', delivery: 'credentials_rejected' },
  });
  // The unauthenticated /readyz shows codes only; the operator reads MantaGO's reason on the admin API.
  const shown = await first.app.inject({ method: 'GET', url: '/admin/credentials', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(shown.json().lastError).toBe('MantaGO refused to refresh the token (HTTP 401: Token is invalid or expired)');
  expect((await first.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

  // Still taking orders while it waits.
  for (const i of [301, 302, 303]) expect((await first.app.inject(shopifyRequest(orderFor(i)))).statusCode).toBe(202);
  await first.app.close();

  // The operator gets a new pair from the dashboard and restarts with it: everything waiting goes out.
  const fresh = sim.issuePair();
  sim.set({ rejectRefresh: false });
  const second = await service(sim, { dir, env: { MANTAGO_API_TOKEN: fresh.apiToken, MANTAGO_API_SECRET: fresh.apiSecret } });
  await waitFor(() => [300, 301, 302, 303].every((i) => deliveredTo(sim, i) === 1), { what: 'the waiting orders' });
  expect((await second.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  // Across all that time, MantaGO was asked to refresh exactly once.
  expect(sim.refreshCalls()).toHaveLength(1);
});

test('the token is refreshed ahead of its JWT exp, before MantaGO ever rejects it', async () => {
  const sim = await simulator({ tokenLifetimeMs: 4_000 });
  const { app } = await service(sim);
  await waitFor(() => sim.refreshCalls().length === 1, { what: 'a proactive refresh', timeoutMs: 8_000 });
  await app.inject(shopifyRequest(orderFor(400)));
  await waitFor(() => deliveredTo(sim, 400) === 1);
  expect(sim.calls.filter((c) => c.error === 'Token is invalid or expired')).toHaveLength(0);
});
