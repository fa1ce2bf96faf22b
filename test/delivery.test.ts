// How deliveries ride out MantaGO's bad days: outages, refusals, rate limits.
import { afterEach, expect, test } from 'vitest';
import { startSimulator, type MantagoSimulator } from '../simulator/simulator.ts';
import { deliveryOf } from './helpers/admin.ts';
import { ADMIN_TOKEN, startService, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});
const setup = (env: Record<string, string> = {}) => startServiceWithSimulator({ env });

const lineUser = (i: number) => `U${(0xabc000 + i).toString(16).padStart(32, '0')}`;
const orderFor = (i: number) => shopifyOrder({ note_attributes: [{ name: 'line_uid', value: lineUser(i) }] });
const timesDelivered = (sim: MantagoSimulator, i: number) => sim.deliveredClientIds().filter((id) => id === lineUser(i)).length;

test('a 503 outage, then recovery: every accepted order is delivered exactly once', async () => {
  const { sim, app } = await setup({ BATCH_MAX_RECIPIENTS: '5', MANTAGO_MAX_RPS: '1000' });
  sim.set({ fail: { status: 503 } });
  const orders = Array.from({ length: 30 }, (_, i) => i);
  for (const i of orders) expect((await app.inject(shopifyRequest(orderFor(i)))).statusCode).toBe(202);
  // Every order has been tried and refused at least once before MantaGO comes back.
  await waitFor(() => sim.broadcastCalls().filter((c) => c.status === 503).length >= 12, { what: 'failing attempts during the outage' });
  expect(sim.broadcasts).toHaveLength(0);
  expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200); // an upstream outage is not ours

  sim.set({ fail: null });
  await waitFor(() => orders.every((i) => timesDelivered(sim, i) >= 1), { what: 'every order after recovery' });
  expect(orders.map((i) => timesDelivered(sim, i))).toEqual(orders.map(() => 1));
});

test('a 403 is not retried: the delivery is dead at once, with the reason', async () => {
  const { sim, app } = await setup();
  // MantaGO's 403 without a code of its own (a lone 36000 is tried again: the bot may be the one refused).
  sim.set({ fail: { status: 403, count: 1 } });
  const order = orderFor(1);
  expect((await app.inject(shopifyRequest(order))).statusCode).toBe(202);
  // Redelivering the webhook shows the shop-facing state of the order: dead, never pending again.
  await waitFor(async () => (await app.inject(shopifyRequest(order))).json().delivery === 'dead', { what: 'the delivery to be dead' });
  expect(sim.broadcastCalls().filter((c) => c.status === 403)).toHaveLength(1);
  expect(sim.broadcastCalls()).toHaveLength(1);
});

test("a gateway's 403 or 404 page in front of MantaGO is an outage, not a refusal: retried, never split or dead, then sent once", async () => {
  const { sim, app } = await setup({ BATCH_MAX_RECIPIENTS: '5', MANTAGO_MAX_RPS: '1000' });
  sim.set({ gatewayPage: { status: 403 } });
  const orders = [10, 11, 12];
  for (const i of orders) expect((await app.inject(shopifyRequest(orderFor(i)))).statusCode).toBe(202);
  await waitFor(() => sim.broadcastCalls().length >= 4, { what: 'pages answered for MantaGO' });
  sim.set({ gatewayPage: { status: 404, count: 2 } });
  await waitFor(() => orders.every((i) => timesDelivered(sim, i) >= 1), { what: 'every order once the gateway lets them through' });
  expect(orders.map((i) => timesDelivered(sim, i))).toEqual([1, 1, 1]);
  const dead = (await app.inject({ url: '/admin/deliveries?status=dead', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
  expect(dead.deliveries).toEqual([]);
});

test('a 429 is retried no sooner than its Retry-After', async () => {
  const { sim, app } = await setup({ RETRY_MAX_DELAY_MS: '5000' });
  sim.set({ fail: { status: 429, count: 1, retryAfterSeconds: 1 } });
  await app.inject(shopifyRequest(orderFor(2)));
  await waitFor(() => timesDelivered(sim, 2) === 1, { what: 'delivery after the rate limit' });
  const [limited, sent] = sim.broadcastCalls();
  expect(limited?.status).toBe(429);
  expect(sent?.status).toBe(200);
  expect((sent?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(950);
});

test('retries are bounded: a delivery MantaGO keeps failing (500) while it takes others is dead after RETRY_MAX_ATTEMPTS', async () => {
  // MantaGO took a broadcast within the longest retry wait before each failure: the failures are the delivery's, counted.
  const { sim, app, logs } = await setup({ RETRY_MAX_ATTEMPTS: '3', RETRY_MAX_DELAY_MS: '60000' });
  await app.inject(shopifyRequest(orderFor(30)));
  await waitFor(() => timesDelivered(sim, 30) === 1, { what: 'a broadcast MantaGO takes' });
  sim.set({ failFor: { clientIds: [lineUser(3)], status: 500 } });
  const order = orderFor(3);
  await app.inject(shopifyRequest(order));
  await waitFor(async () => (await app.inject(shopifyRequest(order))).json().delivery === 'dead', { what: 'the delivery to give up' });
  expect(sim.broadcastCalls().filter((c) => c.status === 500)).toHaveLength(3);
  expect(logs.some((line) => line.includes('gave up after 3 attempts; last error: MantaGO answered HTTP 500'))).toBe(true);
});

test('a MantaGO outage longer than the attempts allow (500 for everyone, then unreachable) spends none of them: nothing dead, each order sent once when it is back', async () => {
  const { sim, app } = await setup({ RETRY_MAX_ATTEMPTS: '3' });
  const tries = async (id: number): Promise<{ httpStatus: number | null }[]> => (await deliveryOf(app, id)).attemptLog;
  sim.set({ fail: { status: 500 } });
  const ids: number[] = [];
  for (const i of [40, 41]) ids.push((await app.inject(shopifyRequest(orderFor(i)))).json().deliveryId);
  const failedPast = (n: number, status: number | null) => async () =>
    (await Promise.all(ids.map(tries))).every((log) => log.filter((t) => t.httpStatus === status).length >= n);
  await waitFor(failedPast(4, 500), { what: 'each order failed more times than the attempts allowed' });
  await sim.close(); // and now nothing listens
  await waitFor(failedPast(4, null), { what: 'each order failed to connect more times than the attempts allowed' });
  expect((await Promise.all(ids.map((id) => deliveryOf(app, id)))).map((d) => d.status)).toEqual(['pending', 'pending']);
  sim.set({ fail: null });
  await sim.listen(Number(new URL(sim.url).port));
  await waitFor(() => timesDelivered(sim, 40) >= 1 && timesDelivered(sim, 41) >= 1, { what: 'both orders once MantaGO is back' });
  expect([timesDelivered(sim, 40), timesDelivered(sim, 41)]).toEqual([1, 1]);
  const dead = (await app.inject({ url: '/admin/deliveries?status=dead', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
  expect(dead.deliveries).toEqual([]);
});

test('connection errors are retried until MantaGO is reachable', async () => {
  const sim = await startSimulator();
  const { url } = sim;
  await sim.close(); // nothing listens there now
  const service = await startService(sim, { env: { MANTAGO_BASE_URL: url } });
  cleanup.push(() => service.app.close());
  await service.app.inject(shopifyRequest(orderFor(4)));
  await waitFor(() => service.logs.some((l) => l.includes('delivery will be retried') && l.includes('MantaGO unreachable: ECONNREFUSED')), {
    what: 'a refused connection',
  });
  await sim.listen(Number(new URL(url).port));
  cleanup.push(() => sim.close());
  await waitFor(() => timesDelivered(sim, 4) === 1, { what: 'delivery once MantaGO listens' });
});

test('a 429 asking for an hour is honoured only up to RETRY_MAX_DELAY_MS: the order still goes out within seconds', async () => {
  const { sim, app } = await setup({ RETRY_MAX_DELAY_MS: '300' });
  sim.set({ fail: { status: 429, count: 1, retryAfterSeconds: 3600 } });
  await app.inject(shopifyRequest(orderFor(5)));
  await waitFor(() => timesDelivered(sim, 5) === 1, { what: 'delivery well before the hour is up' });
  const [limited, sent] = sim.broadcastCalls();
  expect(limited?.status).toBe(429);
  expect(sent?.status).toBe(200);
});
