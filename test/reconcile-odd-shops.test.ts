// Shops answering oddly, over HTTP with the shop stand-ins and the simulator as MantaGO: an order
// stamped in the future (a shop's clock, a bad date) must not move the watermark past orders that
// come after it, one shop failing must not hold the other's poll up, and a WooCommerce too old to
// filter by modification time must not have its whole history sent.
import { createServer, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { type ShopifyShop, startShopifyShop } from '../simulator/shops/shopify.ts';
import { startWooCommerceSite } from '../simulator/shops/woocommerce.ts';
import { startSimulator } from '../simulator/simulator.ts';
import { auth, type ConnectedService, shiftedClock, shopUser, startConnected, tempDir } from './helpers/shops.ts';
import { waitFor } from './helpers/wait.ts';

const INTERVAL_S = 300;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

const shopsOf = async (service: ConnectedService) =>
  (await service.app.inject({ method: 'GET', url: '/admin/shops', headers: auth })).json().shops as {
    watermark: string;
    lastPoll: { at: string; outcome: string; orders: number; error: string | null } | null;
  }[];

/** Webhooks to a subscription whose deliveries are all lost: only polls find the orders. */
function loseEveryWebhook(shop: ShopifyShop) {
  shop.set({ loseWebhooks: true });
}

/** A WooCommerce site on the shop's clock and the simulator as MantaGO, both closed after the test. */
async function wooSiteAndSimulator(now: () => number) {
  const site = await startWooCommerceSite({ now });
  const sim = await startSimulator();
  cleanup.push(
    async () => site.close(),
    async () => sim.close(),
  );
  return { site, sim };
}

test('an order stamped a year ahead by the shop: the watermark stays at the poll, and later orders are still found and sent once', async () => {
  const clock = shiftedClock();
  let shopAheadMs = 0;
  const shop = await startShopifyShop({ now: () => clock.now() + shopAheadMs });
  const sim = await startSimulator();
  cleanup.push(
    async () => shop.close(),
    async () => sim.close(),
  );
  const env = { ...shop.serviceEnv(), RECONCILE_INTERVAL_S: String(INTERVAL_S) };
  const service = await startConnected(sim, { env, dir: tempDir(), clock });
  cleanup.push(() => service.app.close());
  await waitFor(async () => (await shopsOf(service))[0]?.lastPoll, { what: 'the first poll' });
  loseEveryWebhook(shop);

  shopAheadMs = 365 * 86_400_000;
  shop.createOrder({ customAttributes: { line_uid: shopUser(1) } });
  shopAheadMs = 0;
  clock.offset += INTERVAL_S * 1000;
  await waitFor(() => sim.timesDelivered(shopUser(1)) === 1, { what: 'the order stamped ahead, sent' });
  const [polled] = await waitFor(
    async () => {
      const shops = await shopsOf(service);
      return shops[0]?.lastPoll?.orders === 1 ? shops : undefined;
    },
    { what: 'the poll recorded' },
  );
  expect(Date.parse(polled?.watermark ?? '')).toBeLessThanOrEqual(clock.now());

  clock.offset += 60_000;
  shop.createOrder({ customAttributes: { line_uid: shopUser(2) } });
  clock.offset += INTERVAL_S * 1000;
  await waitFor(() => sim.timesDelivered(shopUser(2)) === 1, { what: 'the order after it, found by the next poll' });
  expect([sim.timesDelivered(shopUser(1)), sim.timesDelivered(shopUser(2))]).toEqual([1, 1]);
});

test("a Shopify that fails every call (its poll backing off for half a minute and more) does not hold WooCommerce's poll up", async () => {
  const clock = shiftedClock();
  const shop = await startShopifyShop({ now: () => clock.now() });
  const site = await startWooCommerceSite({ now: () => clock.now() });
  const sim = await startSimulator();
  cleanup.push(
    async () => shop.close(),
    async () => site.close(),
    async () => sim.close(),
  );
  const env = { ...shop.serviceEnv(), ...site.serviceEnv(), RECONCILE_INTERVAL_S: String(INTERVAL_S) };
  const service = await startConnected(sim, { env, dir: tempDir(), clock });
  cleanup.push(() => service.app.close());
  await waitFor(async () => (await shopsOf(service)).every((s) => s.lastPoll), { what: 'the first polls' });

  shop.set({ fail: { status: 503 } }); // backoff: 1 + 2 + 4 + 8 + 16 s before its poll gives up
  site.set({ loseDeliveries: true });
  site.createOrder({ meta: { line_uid: shopUser(3) } });
  clock.offset += INTERVAL_S * 1000;
  await waitFor(() => sim.timesDelivered(shopUser(3)) === 1, {
    what: "WooCommerce's order, found while Shopify backs off",
    timeoutMs: 10_000,
  });
  expect(shop.calls.filter((c) => c.status === 503).length).toBeLessThan(6); // Shopify's poll is still backing off
});

test("a Shopify that never answers (each call waits out its 30 s) holds up neither WooCommerce's next polls nor the service's stop", async () => {
  const clock = shiftedClock();
  const shop = await startShopifyShop({ now: () => clock.now() });
  const site = await startWooCommerceSite({ now: () => clock.now() });
  const sim = await startSimulator();
  const held = new Set<Socket>();
  const silent = createServer((socket) => {
    socket.resume(); // read what comes (the request, its end), never answer
    held.add(socket);
    socket.on('close', () => held.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    async () => shop.close(),
    async () => site.close(),
    async () => sim.close(),
    async () => {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    },
  );
  const { port } = silent.address() as { port: number };
  const env = {
    ...shop.serviceEnv(),
    SHOPIFY_ADMIN_URL: `http://127.0.0.1:${port}`,
    ...site.serviceEnv(),
    RECONCILE_INTERVAL_S: String(INTERVAL_S),
  };
  const service = await startConnected(sim, { env, dir: tempDir(), clock });
  await waitFor(async () => (await shopsOf(service)).some((s) => s.lastPoll), { what: "WooCommerce's first poll" });

  site.set({ loseDeliveries: true });
  for (const n of [4, 5]) {
    site.createOrder({ meta: { line_uid: shopUser(n) } });
    clock.offset += INTERVAL_S * 1000;
    await waitFor(() => sim.timesDelivered(shopUser(n)) === 1, {
      what: `WooCommerce's order ${n}, found by its next poll while Shopify's first call is unanswered`,
      timeoutMs: 10_000,
    });
  }
  expect(held.size).toBe(1); // Shopify's first call, still waiting
  await service.app.close(); // cuts that call short rather than waiting out its 30 s (the test's limit is 20 s)
  await waitFor(() => held.size === 0, { what: 'the unanswered call closed' });
}, 20_000);

test('a WooCommerce before 5.8 (it ignores modified_after and lists every order): the poll says so and reads none, so no old order is sent as news; once upgraded, polls go on from there', async () => {
  const clock = shiftedClock();
  const { site, sim } = await wooSiteAndSimulator(() => clock.now());
  // Orders of last week, before the connection: not news.
  clock.offset -= 7 * 86_400_000;
  for (const n of [1, 2, 3]) site.createOrder({ meta: { line_uid: shopUser(40 + n) } });
  clock.offset += 7 * 86_400_000;
  site.set({ before58: true, loseDeliveries: true });
  const env = { ...site.serviceEnv(), RECONCILE_INTERVAL_S: String(INTERVAL_S) };
  const service = await startConnected(sim, { env, dir: tempDir(), clock });
  cleanup.push(() => service.app.close());
  const [refused] = await waitFor(async () => ((await shopsOf(service))[0]?.lastPoll ? shopsOf(service) : undefined), {
    what: 'the first poll',
  });
  expect(refused?.lastPoll).toMatchObject({ outcome: 'unreachable', orders: 0 });
  expect(refused?.lastPoll?.error).toContain('ignores modified_after, which needs WooCommerce 5.8 or later');
  // One call: an answer that lasts is not tried again at once.
  expect(site.calls.filter((c) => c.path.includes('/orders')).length).toBe(1);

  site.set({ before58: false }); // upgraded
  site.createOrder({ meta: { line_uid: shopUser(44) } });
  clock.offset += INTERVAL_S * 1000;
  await waitFor(() => sim.timesDelivered(shopUser(44)) === 1, { what: 'the order after the upgrade, found by the poll' });
  expect([1, 2, 3].map((n) => sim.timesDelivered(shopUser(40 + n)))).toEqual([0, 0, 0]);
});

test('a WooCommerce bulk change of 1,500 orders in one second, their webhooks lost: each is sent once, no request too long for the shop', async () => {
  const clock = shiftedClock();
  let frozen: number | undefined;
  const { site, sim } = await wooSiteAndSimulator(() => frozen ?? clock.now());
  const env = { ...site.serviceEnv(), RECONCILE_INTERVAL_S: String(INTERVAL_S) };
  const service = await startConnected(sim, { env, dir: tempDir(), clock });
  cleanup.push(() => service.app.close());
  await waitFor(async () => (await shopsOf(service))[0]?.lastPoll, { what: 'the first poll' });

  // An ERP's sync sets 1,500 orders to processing within one second (the site's web server takes 8 KB a request line).
  site.set({ loseDeliveries: true });
  frozen = clock.now() + 1_000;
  const users = Array.from({ length: 1_500 }, (_, i) => shopUser(5_000 + i));
  for (const user of users) site.createOrder({ meta: { line_uid: user } });
  frozen = undefined;
  clock.offset += INTERVAL_S * 1000;
  await waitFor(() => users.every((u) => sim.timesDelivered(u) >= 1), { what: 'every order of the bulk change', timeoutMs: 40_000 });
  expect(users.filter((u) => sim.timesDelivered(u) !== 1)).toEqual([]);
  expect(site.calls.filter((c) => c.status === 414)).toEqual([]);
  expect((await shopsOf(service))[0]?.lastPoll).toMatchObject({ outcome: 'ok', orders: expect.any(Number) });
}, 60_000);

test('an old completed WooCommerce order the shop edits again (a note), its deliveries gone with the retention: the poll does not send its shipment again', async () => {
  const clock = shiftedClock();
  const { site, sim } = await wooSiteAndSimulator(() => clock.now());
  const env = { ...site.serviceEnv(), RECONCILE_INTERVAL_S: String(INTERVAL_S), RETENTION_DAYS: '1' };
  const dir = tempDir();
  let service = await startConnected(sim, { env, dir, clock });
  await waitFor(async () => (await shopsOf(service))[0]?.lastPoll, { what: 'the first poll' });
  await service.app.close();

  // Placed and completed while nothing of it was stored (as if its deliveries had been pruned); edited two days on.
  site.set({ loseDeliveries: true });
  const user = shopUser(60);
  const order = site.createOrder({ meta: { line_uid: user } });
  site.updateOrder(order.id, { status: 'completed' });
  clock.offset += 2 * 86_400_000;
  site.updateOrder(order.id, { meta: { delivery_note: 'left with the neighbour' } });

  service = await startConnected(sim, { env, dir, clock });
  cleanup.push(() => service.app.close());
  clock.offset += INTERVAL_S * 1000;
  const deliveries = async () =>
    (await service.app.inject({ url: `/admin/deliveries?order=${order.id}`, headers: auth })).json().deliveries as {
      event: string;
      status: string;
      lastError: string | null;
    }[];
  await waitFor(async () => (await deliveries()).some((d) => d.event === 'shipped'), { what: 'the edited order, polled' });
  await waitFor(async () => (await deliveries()).every((d) => d.status !== 'pending'), { what: 'nothing left to send' });
  expect((await deliveries()).find((d) => d.event === 'shipped')).toMatchObject({
    status: 'skipped',
    lastError: 'older than the retention (1d): whether its message went is no longer known',
  });
  expect(sim.timesDelivered(user)).toBe(0);
}, 60_000);

test('a refunded WooCommerce order the shop edits after the retention pruned its deliveries: its refund is not told again (WooCommerce dates it by the edit)', async () => {
  const clock = shiftedClock();
  const { site, sim } = await wooSiteAndSimulator(() => clock.now());
  site.set({ loseDeliveries: true }); // the polls find it all
  const env = { ...site.serviceEnv(), RECONCILE_INTERVAL_S: String(INTERVAL_S), RETENTION_DAYS: '1' };
  const service = await startConnected(sim, { env, dir: tempDir(), clock });
  cleanup.push(() => service.app.close());
  await waitFor(async () => (await shopsOf(service))[0]?.lastPoll, { what: 'the first poll' });
  const deliveries = async (id: number) =>
    (await service.app.inject({ url: `/admin/deliveries?order=${id}`, headers: auth })).json().deliveries as {
      event: string;
      status: string;
      lastError: string | null;
    }[];
  const poll = async (what: string, done: () => Promise<boolean>) => {
    clock.offset += INTERVAL_S * 1000;
    await waitFor(done, { what });
  };

  const user = shopUser(61);
  const order = site.createOrder({ meta: { line_uid: user } });
  site.refund(order.id, order.total);
  await poll('the refund told', async () => (await deliveries(order.id)).some((d) => d.event === 'refunded' && d.status === 'sent'));
  const told = sim.timesDelivered(user);
  // A later order moves the polls on, past the refunded one's overlap.
  clock.offset += 3_600_000;
  const later = site.createOrder({ meta: { line_uid: shopUser(62) } });
  await poll('the later order', async () => (await deliveries(later.id)).some((d) => d.status === 'sent'));

  // Two days on, retention has pruned the order's deliveries; then the shop edits the order (a note).
  clock.offset += 2 * 86_400_000;
  await waitFor(async () => (await deliveries(order.id)).length === 0, { what: 'the deliveries pruned' });
  site.updateOrder(order.id, { meta: { delivery_note: 'returned to the warehouse' } });
  await poll('the edited order, polled', async () => (await deliveries(order.id)).some((d) => d.event === 'refunded'));
  await waitFor(async () => (await deliveries(order.id)).every((d) => d.status !== 'pending'), { what: 'nothing left to send' });
  expect((await deliveries(order.id)).find((d) => d.event === 'refunded')).toMatchObject({
    status: 'skipped',
    lastError: expect.stringContaining('told already'),
  });
  expect(sim.timesDelivered(user)).toBe(told);
}, 60_000);
