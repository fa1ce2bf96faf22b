// Orders waiting together share broadcasts; a refused batch is split to find the bad recipients;
// MantaGO never sees more calls at once, or in a second, than configured.
import { expect, test } from 'vitest';
import type { MantagoSimulator } from '../simulator/simulator.ts';
import { startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const setup = (env: Record<string, string>, latencyMs = 0) => startServiceWithSimulator({ env, simulator: { latencyMs } });

const lineUser = (i: number) => `U${(0xba7c00 + i).toString(16).padStart(32, '0')}`;
const lineOrder = (i: number, extra: Record<string, unknown> = {}) =>
  shopifyOrder({ note_attributes: [{ name: 'line_uid', value: lineUser(i) }], ...extra });
const timesDelivered = (sim: MantagoSimulator, i: number) => sim.deliveredClientIds().filter((id) => id === lineUser(i)).length;

/** Holds MantaGO's first call for a while, so the orders posted meanwhile wait together. */
async function postWhileFirstCallIsSlow(
  sim: MantagoSimulator,
  app: Awaited<ReturnType<typeof setup>>['app'],
  orders: ReturnType<typeof lineOrder>[],
) {
  sim.set({ latencyMs: 400 });
  await app.inject(shopifyRequest(orders[0]));
  await waitFor(() => sim.maxConcurrentCalls() === 1, { what: 'the first call to be under way' });
  for (const order of orders.slice(1)) expect((await app.inject(shopifyRequest(order))).statusCode).toBe(202);
  sim.set({ latencyMs: 0 });
}

test('orders with the same content waiting together go out as one broadcast, up to BATCH_MAX_RECIPIENTS ids', async () => {
  const { sim, app } = await setup({ BATCH_MAX_RECIPIENTS: '10', MANTAGO_MAX_CONCURRENCY: '1', MANTAGO_MAX_RPS: '1000' });
  const orders = Array.from({ length: 26 }, (_, i) => lineOrder(i));
  await postWhileFirstCallIsSlow(sim, app, orders);
  await waitFor(() => orders.every((_, i) => timesDelivered(sim, i) === 1), { what: 'all 26 orders' });
  // The first went alone; the 25 that waited behind it went 10, 10, 5.
  expect(sim.broadcasts.map((b) => b.clientIds.length)).toEqual([1, 10, 10, 5]);
  expect(new Set(sim.broadcasts.map((b) => b.intentId))).toEqual(new Set(['rb2kYmMdW']));
  expect(sim.broadcasts[1]?.name).toMatch(/^default: 10 orders from #\d+$/);
});

test('different content is never mixed into one broadcast, and a customer with two orders gets two messages', async () => {
  const { sim, app } = await setup({ MANTAGO_MAX_CONCURRENCY: '1', MANTAGO_MAX_RPS: '1000' });
  const orders = [
    lineOrder(0),
    lineOrder(1),
    lineOrder(2, { total_price: '9000.00' }), // big-spender: another module
    lineOrder(3),
    lineOrder(3), // the same customer again (a second order)
    shopifyOrder({ note_attributes: [{ name: 'messenger_psid', value: '1234567' }] }), // Messenger text
  ];
  await postWhileFirstCallIsSlow(sim, app, orders);
  await waitFor(() => sim.deliveredClientIds().length === 6, { what: 'all six orders' });
  const byContent = sim.broadcasts.map((b) => `${b.platform}:${b.intentId ?? b.message}:${b.clientIds.length}`);
  expect(byContent.filter((c) => c.startsWith('line:VIPmodule9'))).toEqual(['line:VIPmodule9:1']);
  expect(byContent.filter((c) => c.startsWith('facebook:'))).toEqual([
    expect.stringMatching(/^facebook:Hi Mei, order #\d+ is confirmed\.:1$/),
  ]);
  for (const broadcast of sim.broadcasts) expect(new Set(broadcast.clientIds).size).toBe(broadcast.clientIds.length);
  expect(timesDelivered(sim, 3)).toBe(2);
});

test('a batch refused as a whole (one bad id, 403) is split: the rest go out once, only the bad one is dead', async () => {
  const { sim, app } = await setup({ MANTAGO_MAX_CONCURRENCY: '1', MANTAGO_MAX_RPS: '1000' });
  const orders = Array.from({ length: 12 }, (_, i) => lineOrder(i));
  sim.set({ refusedClientIds: [lineUser(7)] });
  await postWhileFirstCallIsSlow(sim, app, orders);
  await waitFor(async () => (await app.inject(shopifyRequest(orders[7]))).json().delivery === 'dead', {
    what: 'the refused recipient to be dead',
  });
  await waitFor(() => orders.every((_, i) => i === 7 || timesDelivered(sim, i) === 1), { what: 'every other order' });
  expect(orders.map((_, i) => timesDelivered(sim, i))).toEqual(orders.map((_, i) => (i === 7 ? 0 : 1)));
  // The 11 waiting orders were refused together once, then halved until the bad id stood alone.
  const refused = sim.broadcastCalls().filter((c) => c.status === 403).length;
  expect(refused).toBeGreaterThanOrEqual(2);
  expect(refused).toBeLessThanOrEqual(5);
});

/** 12 orders batched behind a first, those at `bad` refused with 36000: only they end dead, the rest go out once, the bot usable. */
async function onlyTheRefusedDead(bad: number[]) {
  const started = await setup({ MANTAGO_MAX_CONCURRENCY: '1', MANTAGO_MAX_RPS: '1000' });
  const { sim, app } = started;
  const orders = Array.from({ length: 12 }, (_, i) => lineOrder(i));
  sim.set({ refusedClientIds: bad.map(lineUser) });
  await postWhileFirstCallIsSlow(sim, app, orders);
  for (const i of bad)
    await waitFor(async () => (await app.inject(shopifyRequest(orders[i]))).json().delivery === 'dead', { what: `recipient ${i} dead` });
  await waitFor(() => orders.every((_, i) => bad.includes(i) || timesDelivered(sim, i) === 1), { what: 'every other order' });
  expect(orders.map((_, i) => timesDelivered(sim, i))).toEqual(orders.map((_, i) => (bad.includes(i) ? 0 : 1)));
  expect((await app.inject({ method: 'GET', url: '/readyz' })).json().checks).toMatchObject({ bot: 'ok', delivery: 'ok' });
  return started;
}

test('two refused recipients, one in each half of a refused batch (36000), are theirs, not the bot: split further, only they are dead, the rest and later orders go out', async () => {
  const { sim, app } = await onlyTheRefusedDead([3, 9]);
  await app.inject(shopifyRequest(lineOrder(20)));
  await waitFor(() => timesDelivered(sim, 20) === 1, { what: 'a later order, not held for a probe' });
});

test('two refused recipients that end up alone together, the rest of their batch accepted: theirs, not the bot: only they are dead, the bot never paused', async () => {
  // The first two of the batch behind order 0: halved down, they are the last two left.
  const { logs } = await onlyTheRefusedDead([1, 2]);
  expect(logs.filter((line) => line.includes('MantaGO refuses the bot'))).toEqual([]);
});

test('two refused recipients alone in a batch pause the bot once; when an order gets through they are ended, not brought back to pause it again', async () => {
  const { sim, app, logs } = await setup({
    MANTAGO_MAX_CONCURRENCY: '1',
    MANTAGO_MAX_RPS: '1000',
    BOT_PROBE_BASE_MS: '100',
    BOT_PROBE_MAX_MS: '300',
  });
  const orders = [0, 1, 2].map((i) => lineOrder(i));
  const bad = orders.slice(1);
  sim.set({ refusedClientIds: [lineUser(1), lineUser(2)] });
  await postWhileFirstCallIsSlow(sim, app, orders);
  // Nothing of their batch accepted: as a bot not published would be, it is taken for the bot's.
  await waitFor(async () => (await app.inject({ method: 'GET', url: '/readyz' })).json().checks.delivery === 'bot_refused', {
    what: 'the bot paused',
  });
  const later = lineOrder(3);
  await app.inject(shopifyRequest(later));
  await waitFor(() => timesDelivered(sim, 3) === 1, { what: 'the later order, as the probe' });
  for (const order of bad)
    await waitFor(async () => (await app.inject(shopifyRequest(order))).json().delivery === 'dead', { what: 'both refused ones dead' });
  expect((await app.inject({ method: 'GET', url: '/readyz' })).json().checks).toMatchObject({ bot: 'ok', delivery: 'ok' });
  expect(logs.filter((line) => line.includes('MantaGO refuses the bot'))).toHaveLength(1);
  expect([0, 1, 2, 3].map((i) => timesDelivered(sim, i))).toEqual([1, 0, 0, 1]);
});

test('never more calls in flight than MANTAGO_MAX_CONCURRENCY', async () => {
  const { sim, app } = await setup({ MANTAGO_MAX_CONCURRENCY: '3', MANTAGO_MAX_RPS: '1000', BATCH_MAX_RECIPIENTS: '1' }, 150);
  for (let i = 0; i < 12; i++) await app.inject(shopifyRequest(lineOrder(i)));
  await waitFor(() => sim.deliveredClientIds().length === 12, { what: 'all 12 orders' });
  expect(sim.maxConcurrentCalls()).toBe(3); // reached, never exceeded
});

test('never more calls started in a second than MANTAGO_MAX_RPS', async () => {
  const { sim, app } = await setup({ MANTAGO_MAX_CONCURRENCY: '20', MANTAGO_MAX_RPS: '4', BATCH_MAX_RECIPIENTS: '1' });
  for (let i = 0; i < 10; i++) await app.inject(shopifyRequest(lineOrder(i)));
  await waitFor(() => sim.deliveredClientIds().length === 10, { what: 'all 10 orders', timeoutMs: 15_000 });
  expect(sim.maxCallsPerSecond()).toBe(4);
});
