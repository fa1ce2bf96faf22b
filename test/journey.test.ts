// The post-purchase journey over HTTP, for each source, with the simulator as MantaGO: placed then
// shipped, a shipment sent again and updated, a cancel inside the confirmation's delay, a refund
// (not one that gives no money back), and a mapping written for one message per order.
import type { InjectOptions } from 'fastify';
import { describe, expect, test } from 'vitest';
import type { MantagoSimulator } from '../simulator/simulator.ts';
import { JOURNEY_RULES } from './helpers/journey.ts';
import { ADMIN_TOKEN, EXAMPLE_MAPPING, ISSUE_MAPPING, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import {
  normalizedOrder,
  shopifyFulfillment,
  shopifyOrder,
  shopifyRefund,
  shopifyRequest,
  standardRequest,
  wooOrder,
  wooRequest,
} from './helpers/webhooks.ts';

const RECIPIENTS = EXAMPLE_MAPPING.slice(0, EXAMPLE_MAPPING.indexOf('rules:'));
const HELD = `${RECIPIENTS}${JOURNEY_RULES.trimStart()}`;
const AT_ONCE = HELD.replace(/^ {4}delay: 10m.*\n/m, '');

const user = (i: number) => `U${(0x10a000 + i).toString(16).padStart(32, '0')}`;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const messages = (sim: MantagoSimulator, to: string) => sim.broadcasts.filter((b) => b.clientIds.includes(to));

/** One source's webhooks for one order of a customer whose LINE id is `to`. */
interface Shop {
  name: string;
  placed(to: string): { request: InjectOptions; number: string };
  shipped(trackingUrl: string, again?: 'redelivered' | 'updated'): InjectOptions;
  cancelled(): InjectOptions;
  refunded(): InjectOptions;
}

function shopify(): Shop {
  let order: ReturnType<typeof shopifyOrder>;
  let fulfillment: ReturnType<typeof shopifyFulfillment> | undefined;
  return {
    name: 'Shopify',
    placed(to) {
      order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      return { request: shopifyRequest(order), number: order.name };
    },
    shipped(trackingUrl, again) {
      if (!again || !fulfillment) fulfillment = shopifyFulfillment(order.id, { tracking_url: trackingUrl, tracking_urls: [trackingUrl] });
      if (again === 'updated') fulfillment = { ...fulfillment, tracking_number: 'CHANGED-1', tracking_numbers: ['CHANGED-1'] };
      return shopifyRequest(fulfillment, { topic: again === 'updated' ? 'fulfillments/update' : 'fulfillments/create' });
    },
    cancelled: () => shopifyRequest({ ...order, cancel_reason: 'customer' }, { topic: 'orders/cancelled' }),
    refunded: () => shopifyRequest(shopifyRefund(order.id, '300.00'), { topic: 'refunds/create' }),
  };
}

function woocommerce(): Shop {
  let order: ReturnType<typeof wooOrder>;
  const tracking = (url: string, number: string) => ({
    key: '_wc_shipment_tracking_items',
    value: [{ tracking_provider: 'Taiwan Post', tracking_number: number, custom_tracking_link: url }],
  });
  return {
    name: 'WooCommerce',
    placed(to) {
      order = wooOrder({ meta_data: [{ id: 1, key: 'line_uid', value: to }] });
      return { request: wooRequest(order), number: String(order.number) };
    },
    shipped(trackingUrl, again) {
      const meta = [...(order.meta_data as unknown[]), tracking(trackingUrl, again === 'updated' ? 'CHANGED-1' : 'TW1')];
      return wooRequest({ ...order, status: 'completed', meta_data: meta });
    },
    cancelled: () => wooRequest({ ...order, status: 'cancelled' }),
    refunded: () => wooRequest({ ...order, status: 'refunded', total: '300.00', refunds: [{ id: 1, total: '-300.00' }] }),
  };
}

function orders(): Shop {
  let order: ReturnType<typeof normalizedOrder>;
  return {
    name: 'the normalized order',
    placed(to) {
      order = normalizedOrder({ orderNumber: `N-${Math.random().toString(36).slice(2, 8)}`, attributes: { line_uid: to } });
      return { request: standardRequest(order), number: String(order.orderNumber) };
    },
    shipped: (trackingUrl, again) =>
      standardRequest({
        ...order,
        event: 'shipped',
        shipment: { id: 'S1', trackingUrl, trackingNumber: again === 'updated' ? 'CHANGED-1' : 'TW1' },
      }),
    cancelled: () => standardRequest({ ...order, event: 'cancelled', cancelReason: 'customer' }),
    refunded: () => standardRequest({ ...order, event: 'refunded', refund: { amount: '300.00', currency: 'TWD' } }),
  };
}

const SHOPS = [
  { name: 'Shopify', make: shopify },
  { name: 'WooCommerce', make: woocommerce },
  { name: 'the normalized order', make: orders },
];

describe.each(SHOPS)('$name', ({ make }) => {
  test('placed then shipped: two messages, the second with the tracking URL; the shipment sent again and updated is still one message', async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping: AT_ONCE });
    const shop = make();
    const to = user(1);
    const { request, number } = shop.placed(to);
    expect((await app.inject(request)).statusCode).toBe(202);
    const url = 'https://track.example/parcel-42';
    const shipped = await app.inject(shop.shipped(url));
    expect(shipped.statusCode).toBe(202);
    expect((await app.inject(shop.shipped(url, 'redelivered'))).json()).toMatchObject({ status: 'duplicate' });
    expect((await app.inject(shop.shipped(url, 'updated'))).json()).toMatchObject({ status: 'duplicate' });
    await waitFor(() => messages(sim, to).length === 2, { what: 'the confirmation and the shipment' });
    expect(messages(sim, to).map((b) => b.intentId ?? b.message)).toEqual(['rb2kYmMdW', `Order ${number} is on its way: ${url}`]);
    const detail = (await app.inject({ method: 'GET', url: `/admin/deliveries/${shipped.json().deliveryId}`, headers: auth })).json();
    expect(detail).toMatchObject({ event: 'shipped', rule: 'shipped', recipientVia: expect.stringContaining('placed message') });
  });

  test("cancelled inside the confirmation's delay: no confirmation, one cancellation message", async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping: HELD });
    const shop = make();
    const to = user(2);
    const { request, number } = shop.placed(to);
    const placed = await app.inject(request);
    expect(placed.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
    const held = (await app.inject({ method: 'GET', url: `/admin/deliveries/${placed.json().deliveryId}`, headers: auth })).json();
    expect(held).toMatchObject({ status: 'pending', waitReason: 'delay 10m' });
    expect(Date.parse(held.nextAttemptAt) - Date.parse(held.receivedAt)).toBe(600_000);

    expect((await app.inject(shop.cancelled())).statusCode).toBe(202);
    await waitFor(() => messages(sim, to).length === 1, { what: 'the cancellation' });
    expect(messages(sim, to)[0]).toMatchObject({ message: `Order ${number} was cancelled.` });
    const withdrawn = (await app.inject({ method: 'GET', url: `/admin/deliveries/${placed.json().deliveryId}`, headers: auth })).json();
    expect(withdrawn).toMatchObject({ status: 'skipped', lastError: 'order cancelled before the message went out' });
  });

  test("refunded: its rule's message", async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping: AT_ONCE });
    const shop = make();
    const to = user(3);
    const { request, number } = shop.placed(to);
    await app.inject(request);
    expect((await app.inject(shop.refunded())).statusCode).toBe(202);
    await waitFor(() => messages(sim, to).length === 2, { what: 'the refund message' });
    expect(messages(sim, to)[1]).toMatchObject({ message: `300.00 TWD of order ${number} refunded.` });
  });

  test('a mapping written for one message per order sends one per order and ignores the shipment, saying why', async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping: ISSUE_MAPPING });
    const shop = make();
    const to = user(4);
    expect((await app.inject(shop.placed(to).request)).statusCode).toBe(202);
    const shipped = await app.inject(shop.shipped('https://track.example/x'));
    expect(shipped.statusCode).toBe(200);
    expect(shipped.json()).toEqual({ status: 'ignored', reason: 'no rule sends a message for shipped events' });
    await waitFor(() => messages(sim, to).length === 1);
    expect(messages(sim, to)).toHaveLength(1);
  });
});

test('Shopify: a refund that gives no money back (its transaction failed, a restock) is ignored; the refund after it is announced', async () => {
  const { app, sim } = await startServiceWithSimulator({ mapping: AT_ONCE });
  const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(4) }] });
  await app.inject(shopifyRequest(order));
  const refund = (transactions: unknown[]) => shopifyRequest({ ...shopifyRefund(order.id), transactions }, { topic: 'refunds/create' });
  const failed = await app.inject(refund([{ amount: '300.00', currency: 'TWD', kind: 'refund', status: 'failure' }]));
  expect([failed.statusCode, failed.json()]).toEqual([
    200,
    { status: 'ignored', reason: 'a refund that gives no money back (its refund transactions failed, or it has none)' },
  ]);
  expect((await app.inject(refund([]))).json()).toMatchObject({ status: 'ignored' });
  const real = await app.inject(refund([{ amount: '250.00', currency: 'TWD', kind: 'refund', status: 'success' }]));
  expect(real.statusCode).toBe(202);
  await waitFor(() => messages(sim, user(4)).length === 2, { what: 'the refund message' });
  expect(messages(sim, user(4))[1]).toMatchObject({ message: `250.00 TWD of order ${order.name} refunded.` });
});

test('WooCommerce: an order cancelled before it was paid (its checkout left pending) is ignored, never having been confirmed; one cancelled once paid is announced', async () => {
  const { app, sim } = await startServiceWithSimulator({ mapping: AT_ONCE });
  const unpaid = wooOrder({ status: 'pending', date_paid_gmt: null, meta_data: [{ id: 1, key: 'line_uid', value: user(6) }] });
  expect((await app.inject(wooRequest(unpaid, { topic: 'order.created' }))).json()).toMatchObject({ status: 'ignored' });
  const cancelled = await app.inject(wooRequest({ ...unpaid, status: 'cancelled' }));
  expect([cancelled.statusCode, cancelled.json()]).toEqual([
    200,
    {
      status: 'ignored',
      reason: 'an order cancelled before it was paid (date_paid is null): no message told of it, so its cancellation is not news',
    },
  ]);
  const paid = wooOrder({ date_paid_gmt: '2026-03-02T10:00:00', meta_data: [{ id: 1, key: 'line_uid', value: user(7) }] });
  await app.inject(wooRequest(paid));
  // Cancelled only once confirmed: a cancellation before the confirmation went out skips it, by design.
  await waitFor(() => messages(sim, user(7)).length === 1, { what: 'the confirmation' });
  expect((await app.inject(wooRequest({ ...paid, status: 'cancelled' }))).statusCode).toBe(202);
  await waitFor(() => messages(sim, user(7)).length === 2, { what: 'the confirmation and the cancellation' });
  expect(messages(sim, user(6))).toEqual([]);
  // Set to processing by hand, its items virtual: WooCommerce leaves date_paid null then. Confirmed, so its cancellation is news.
  const byHand = wooOrder({ date_paid_gmt: null, meta_data: [{ id: 1, key: 'line_uid', value: user(8) }] });
  expect((await app.inject(wooRequest(byHand))).statusCode).toBe(202);
  await waitFor(() => messages(sim, user(8)).length === 1, { what: 'the confirmation of the order set to processing by hand' });
  expect((await app.inject(wooRequest({ ...byHand, status: 'cancelled' }))).statusCode).toBe(202);
  await waitFor(() => messages(sim, user(8)).length === 2, { what: 'its cancellation' });
});

test('a held message counts as pending, shows when it goes and why, and a manual retry sends it at once', async () => {
  const { app, sim } = await startServiceWithSimulator({ mapping: HELD });
  const to = user(5);
  const placed = await app.inject(shopify().placed(to).request);
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(metrics).toMatch(/^notifier_deliveries_pending 1$/m);
  const listed = (await app.inject({ method: 'GET', url: '/admin/deliveries?status=pending&event=placed', headers: auth })).json();
  expect(listed.deliveries).toEqual([expect.objectContaining({ id: placed.json().deliveryId, waitReason: 'delay 10m', inFlight: false })]);
  expect((await app.inject({ method: 'POST', url: `/admin/deliveries/${placed.json().deliveryId}/retry`, headers: auth })).statusCode).toBe(
    200,
  );
  await waitFor(() => messages(sim, to).length === 1, { what: 'the held confirmation, sent now' });
});
