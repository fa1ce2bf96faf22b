// A poll read the order before its webhook, or two copies of one event differ: an order stored before
// with nobody to send to, whose next copy finds its customer (the poll holds less of the customer: no
// addresses; a binding the operator made between two webhooks), takes the skipped delivery's place,
// once, over HTTP on both engines; not once the order was cancelled, nor a copy that only waits for
// MantaGO's member lookup again; a refund of nothing the poll reads is not the order's refund.
import { afterEach, describe, expect, test } from 'vitest';
import { auth, SHOP_ENGINES, shiftedClock, shopifyAndSimulator, shopUser, startConnected } from './helpers/shops.ts';
import { SHIPPED_MAPPING, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const cleanup: (() => Promise<void>)[] = [];
const deliveryIdOf = (answer: { json(): { deliveryId: number } }) => answer.json().deliveryId;
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

describe.each(SHOP_ENGINES)('$engine', ({ engine, available }) => {
  test.skipIf(!available)(
    'a guest order a poll read before its webhook: the webhook, whose shipping phone the directory binds, sends the confirmation once',
    async () => {
      const clock = shiftedClock();
      const { shop, sim, dir, store } = await shopifyAndSimulator(engine, cleanup, { now: () => clock.now() });
      const service = await startConnected(sim, {
        env: { ...shop.serviceEnv(), DATABASE_URL: store.url, RECONCILE_INTERVAL_S: '3600' },
        dir,
        clock,
      });
      cleanup.push(() => service.app.close());
      const inject = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
        service.app.inject({ method, url, headers: auth, ...(payload && { payload }) });
      await waitFor(async () => (await inject('GET', '/admin/shops')).json().shops[0]?.lastPoll, { what: 'the first poll' });
      const to = shopUser(900);
      expect((await inject('PUT', '/admin/recipients/phone:886912000111', { platform: 'line', userId: to })).statusCode).toBe(200);

      const since = new Date(clock.now() - 1000).toISOString();
      const guest = shop.createOrder({ email: null, phone: null, customer: null, customAttributes: {} });
      expect((await inject('POST', '/admin/reconcile', { source: 'shopify', since })).json()).toMatchObject({ new: 1 });
      const [skipped] = (await inject('GET', `/admin/deliveries?order=${guest.legacyId}`)).json().deliveries;
      expect(skipped).toMatchObject({ status: 'skipped', lastError: expect.stringMatching(/^no chat user for this customer/) });

      const webhook = shopifyOrder({
        id: guest.legacyId,
        admin_graphql_api_id: `gid://shopify/Order/${guest.legacyId}`,
        email: null,
        customer: null,
        note_attributes: [],
        shipping_address: { first_name: 'Mei', last_name: 'Lin', phone: '+886 912 000 111' },
      });
      const late = await service.app.inject(shopifyRequest(webhook, { secret: shop.webhookSecret, shop: shop.shop }));
      expect([late.statusCode, late.json()]).toMatchObject([202, { status: 'accepted' }]);
      await waitFor(() => sim.broadcasts.some((b) => b.clientIds.includes(to)), { what: 'the confirmation' });
      // Redelivered, and read again by a poll: nothing more.
      const again = await service.app.inject(
        shopifyRequest(webhook, { topic: 'orders/paid', secret: shop.webhookSecret, shop: shop.shop }),
      );
      expect(again.json()).toMatchObject({ status: 'duplicate', deliveryId: deliveryIdOf(late) });
      expect((await inject('POST', '/admin/reconcile', { source: 'shopify', since })).json()).toMatchObject({ new: 0 });
      const deliveries = (await inject('GET', `/admin/deliveries?order=${guest.legacyId}`)).json().deliveries;
      expect(deliveries).toHaveLength(1);
      await waitFor(async () => (await inject('GET', `/admin/deliveries/${deliveries[0].id}`)).json().status === 'sent', {
        what: 'the confirmation recorded sent',
      });
      expect(sim.broadcasts.filter((b) => b.clientIds.includes(to))).toHaveLength(1);
    },
  );
});

test("a binding the operator made between an order's orders/create and its orders/paid: the paid webhook sends the confirmation", async () => {
  const { app, sim } = await startServiceWithSimulator();
  const guest = shopifyOrder({ email: 'walk-in@example.com', customer: null, note_attributes: [] });
  const created = await app.inject(shopifyRequest(guest));
  expect(created.json()).toMatchObject({ status: 'accepted', delivery: 'skipped' });
  const bind = { method: 'PUT' as const, url: '/admin/recipients/email:walk-in@example.com', headers: auth };
  expect((await app.inject({ ...bind, payload: { platform: 'line', userId: shopUser(901) } })).statusCode).toBe(200);
  const paid = await app.inject(shopifyRequest(guest, { topic: 'orders/paid' }));
  expect([paid.statusCode, paid.json()]).toMatchObject([202, { status: 'accepted', delivery: 'pending' }]);
  await waitFor(() => sim.broadcasts.some((b) => b.clientIds.includes(shopUser(901))), { what: 'the confirmation' });
  expect((await app.inject(shopifyRequest(guest, { topic: 'orders/paid' }))).json()).toMatchObject({ status: 'duplicate' });
});

test('an order cancelled before the copy that finds its customer: that copy is a duplicate (the confirmation is not taken up again)', async () => {
  const { app, sim } = await startServiceWithSimulator();
  const guest = shopifyOrder({ email: 'gone@example.com', customer: null, note_attributes: [] });
  const created = (await app.inject(shopifyRequest(guest))).json();
  const bind = { method: 'PUT' as const, url: '/admin/recipients/email:gone@example.com', headers: auth };
  expect((await app.inject({ ...bind, payload: { platform: 'line', userId: shopUser(903) } })).statusCode).toBe(200);
  expect((await app.inject(shopifyRequest({ ...guest, cancel_reason: 'customer' }, { topic: 'orders/cancelled' }))).statusCode).toBe(202);
  const paid = await app.inject(shopifyRequest(guest, { topic: 'orders/paid' }));
  expect(paid.json()).toMatchObject({ status: 'duplicate', deliveryId: created.deliveryId, delivery: 'skipped' });
  await waitFor(() => sim.broadcasts.some((b) => b.clientIds.includes(shopUser(903))), { what: 'the cancellation' });
  expect(sim.broadcasts.filter((b) => b.clientIds.includes(shopUser(903))).map((b) => b.message ?? b.intentId)).toHaveLength(1);
});

test('a cancellation skipped for nobody, its customer bound since: its redelivery sends it (its own kind is no ending before it)', async () => {
  const { app, sim } = await startServiceWithSimulator();
  const guest = shopifyOrder({ email: 'late@example.com', customer: null, note_attributes: [] });
  await app.inject(shopifyRequest(guest));
  const cancel = shopifyRequest({ ...guest, cancel_reason: 'customer' }, { topic: 'orders/cancelled' });
  expect((await app.inject(cancel)).json()).toMatchObject({ status: 'accepted', delivery: 'skipped' });
  const bind = { method: 'PUT' as const, url: '/admin/recipients/email:late@example.com', headers: auth };
  expect((await app.inject({ ...bind, payload: { platform: 'line', userId: shopUser(904) } })).statusCode).toBe(200);
  expect((await app.inject(cancel)).json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
  await waitFor(() => sim.broadcasts.some((b) => b.clientIds.includes(shopUser(904))), { what: 'the cancellation' });
});

test("a customer MantaGO's member lookup does not find: the order's later copies are duplicates, not looked up again and again", async () => {
  const { app } = await startServiceWithSimulator({ mapping: SHIPPED_MAPPING });
  const unbound = shopifyOrder({ customer: { id: 8101, email: 'nobody@example.com' }, email: 'nobody@example.com', note_attributes: [] });
  const created = (await app.inject(shopifyRequest(unbound))).json();
  await waitFor(
    async () => (await app.inject({ url: `/admin/deliveries/${created.deliveryId}`, headers: auth })).json().status === 'skipped',
    { what: 'the worker to find nobody' },
  );
  for (const topic of ['orders/paid', 'orders/create'])
    expect((await app.inject(shopifyRequest(unbound, { topic }))).json()).toMatchObject({
      status: 'duplicate',
      deliveryId: created.deliveryId,
      delivery: 'skipped',
    });
});

test("Shopify's refunds read by a poll: the first that gave money back is the order's refund (a restock's refund of nothing is not)", async () => {
  const clock = shiftedClock();
  const { shop, sim, dir, store } = await shopifyAndSimulator('sqlite', cleanup, { now: () => clock.now() });
  shop.set({ loseWebhooks: true });
  const service = await startConnected(sim, { env: { ...shop.serviceEnv(), DATABASE_URL: store.url }, dir, clock });
  cleanup.push(() => service.app.close());
  const since = new Date(clock.now() - 1000).toISOString();
  const order = shop.createOrder({ customAttributes: { line_uid: shopUser(902) } });
  clock.offset += 60_000;
  shop.refund(order.legacyId, '0.00', 'restock');
  clock.offset += 60_000;
  shop.refund(order.legacyId, '120.00');
  const replay = await service.app.inject({
    method: 'POST',
    url: '/admin/reconcile',
    headers: auth,
    payload: { source: 'shopify', since },
  });
  expect(replay.statusCode).toBe(200); // what it stored (or the service's own poll did before it)
  await waitFor(() => sim.broadcasts.filter((b) => b.clientIds.includes(shopUser(902))).length === 2, { what: 'the refund message' });
  expect(sim.broadcasts.filter((b) => b.clientIds.includes(shopUser(902)))[1]).toMatchObject({
    message: expect.stringContaining('120.00 TWD refunded.'),
  });
});
