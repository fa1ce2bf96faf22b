// The journey where events and rules do not line up: a cancel with no rule of its own still
// withdraws the held confirmation; a shop that sends shipment messages only still finds its
// customers; a cancel that overtakes a confirmation in flight, or its redelivery, withdraws it.
import { describe, expect, test } from 'vitest';
import { EXAMPLE_MAPPING, startServiceWithSimulator } from './helpers/service.ts';
import { sample } from './helpers/metrics.ts';
import { ADMIN_AUTH, deliveryOf, messagesTo, settledDelivery } from './helpers/admin.ts';
import { waitFor } from './helpers/wait.ts';
import {
  normalizedOrder,
  shopifyFulfillment,
  shopifyOrder,
  shopifyRequest,
  standardRequest,
  wooOrder,
  wooRequest,
} from './helpers/webhooks.ts';

const RECIPIENTS = EXAMPLE_MAPPING.slice(0, EXAMPLE_MAPPING.indexOf('rules:'));
const user = (i: number) => `U${(0x1ed9e0 + i).toString(16).padStart(32, '0')}`;

const WITHDRAWN = { status: 'skipped', lastError: 'order cancelled before the message went out' };

test('a mapping with a held confirmation and no cancellation rule: the cancel still withdraws it, and nothing is sent', async () => {
  const mapping = `${RECIPIENTS}rules:\n  - name: confirmation\n    delay: 10m\n    send: { intentId: rb2kYmMdW }\n`;
  const { app, sim } = await startServiceWithSimulator({ mapping });
  const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(1) }] });
  const placed = (await app.inject(shopifyRequest(order))).json();
  const cancel = await app.inject(shopifyRequest({ ...order, cancel_reason: 'customer' }, { topic: 'orders/cancelled' }));
  expect(cancel.statusCode).toBe(202);
  expect(cancel.json()).toMatchObject({ status: 'accepted', delivery: 'skipped', reason: 'no rule sends a message for cancelled events' });
  expect(await deliveryOf(app, placed.deliveryId)).toMatchObject(WITHDRAWN);
  // Both reached their end skipped: the cancel (no rule) and the confirmation it withdrew.
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(sample(metrics, 'notifier_deliveries_total{outcome="skipped"}')).toBe(2);
  // Withdrawn, not without a recipient: the retry's refusal says so.
  const retry = await app.inject({ method: 'POST', url: `/admin/deliveries/${placed.deliveryId}/retry`, headers: ADMIN_AUTH });
  expect(retry.statusCode).toBe(409);
  expect(retry.json().message).toBe(
    `delivery ${placed.deliveryId} was skipped, and a skipped delivery is not sent again: order cancelled before the message went out`,
  );
  expect(sim.broadcastCalls()).toEqual([]);
});

describe('a shop that sends shipment messages only', () => {
  const mapping = `${RECIPIENTS}rules:\n  - name: shipped\n    when: { event: shipped }\n    send: { intentId: shipMod01 }\n`;

  test('Shopify: the placed event is kept (sending nothing) so the fulfillment finds its customer', async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping });
    const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(2) }] });
    expect((await app.inject(shopifyRequest(order))).json()).toMatchObject({
      status: 'accepted',
      delivery: 'skipped',
      reason: 'no rule sends a message for placed events',
    });
    const shipped = await app.inject(shopifyRequest(shopifyFulfillment(order.id), { topic: 'fulfillments/create' }));
    expect(await settledDelivery(app, shipped.json().deliveryId)).toMatchObject({ status: 'sent', clientId: user(2), rule: 'shipped' });
    expect(messagesTo(sim, user(2))).toEqual([expect.objectContaining({ intentId: 'shipMod01' })]);
  });

  test('WooCommerce: processing is kept, completed is its shipment; an order first seen completed is its shipment too', async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping });
    const order = wooOrder({ meta_data: [{ id: 1, key: 'line_uid', value: user(3) }] });
    expect((await app.inject(wooRequest(order))).json()).toMatchObject({ delivery: 'skipped' });
    const completed = await app.inject(wooRequest({ ...order, status: 'completed' }));
    expect(await settledDelivery(app, completed.json().deliveryId)).toMatchObject({ status: 'sent', clientId: user(3), event: 'shipped' });

    const late = wooOrder({ status: 'completed', meta_data: [{ id: 1, key: 'line_uid', value: user(4) }] });
    const first = await app.inject(wooRequest(late));
    expect(await settledDelivery(app, first.json().deliveryId)).toMatchObject({ status: 'sent', clientId: user(4), event: 'shipped' });
    expect(messagesTo(sim, user(3))).toHaveLength(1);
    expect(messagesTo(sim, user(4))).toHaveLength(1);
  });
});

test('Shopify: a pending or cancelled fulfillment is no shipment; its update to success is, with the tracking it then carries', async () => {
  const mapping = `${RECIPIENTS}rules:\n  - name: shipped\n    when: { event: shipped }\n    send: { message: "Shipped: {{shipment.trackingNumber | \\"no tracking\\"}}" }\n`;
  const { app, sim } = await startServiceWithSimulator({ mapping });
  const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(5) }] });
  await app.inject(shopifyRequest(order));
  const bare = { tracking_company: null, tracking_number: null, tracking_numbers: [], tracking_url: null, tracking_urls: [] };
  const pending = shopifyFulfillment(order.id, { status: 'pending', ...bare });
  const first = await app.inject(shopifyRequest(pending, { topic: 'fulfillments/create' }));
  expect(first.statusCode).toBe(200);
  expect(first.json()).toEqual({
    status: 'ignored',
    reason: 'a fulfillment whose status is pending has not shipped: only a successful one is announced',
  });
  const cancelled = shopifyFulfillment(order.id, { status: 'cancelled' });
  expect((await app.inject(shopifyRequest(cancelled, { topic: 'fulfillments/update' }))).json()).toMatchObject({ status: 'ignored' });

  const shipped = await app.inject(
    shopifyRequest(
      { ...pending, status: 'success', tracking_number: 'TW77', tracking_numbers: ['TW77'] },
      { topic: 'fulfillments/update' },
    ),
  );
  expect(shipped.statusCode).toBe(202);
  expect(await settledDelivery(app, shipped.json().deliveryId)).toMatchObject({ status: 'sent', clientId: user(5) });
  expect(messagesTo(sim, user(5)).map((b) => b.message)).toEqual(['Shipped: TW77']);
});

describe('a cancel that overtakes the confirmation', () => {
  const mapping = `${RECIPIENTS}rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
  - name: cancelled
    when: { event: cancelled }
    send: { message: "Order {{order.number}} was cancelled." }
`;

  test('in flight when the cancel comes, then refused with a 503: its retry is withdrawn, only the cancellation goes', async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping });
    const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(5) }] });
    sim.set({ hold: true });
    const placed = (await app.inject(shopifyRequest(order))).json();
    await waitFor(() => sim.heldCalls === 1, { what: 'the confirmation in flight' });
    expect((await app.inject(shopifyRequest({ ...order, cancel_reason: 'customer' }, { topic: 'orders/cancelled' }))).statusCode).toBe(202);
    sim.set({ fail: { status: 503, count: 1 }, hold: false });
    expect(await settledDelivery(app, placed.deliveryId)).toMatchObject(WITHDRAWN);
    await waitFor(() => messagesTo(sim, user(5)).length === 1, { what: 'the cancellation' });
    expect(messagesTo(sim, user(5))).toEqual([expect.objectContaining({ message: `Order ${order.name} was cancelled.` })]);
    // Withdrawn at its retry's claim: counted as skipped too.
    expect(sample((await app.inject({ method: 'GET', url: '/metrics' })).body, 'notifier_deliveries_total{outcome="skipped"}')).toBe(1);
  });

  test('a confirmation redelivered after the cancel was taken (its first try was refused) is withdrawn, not sent', async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping });
    const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(6) }] });
    await app.inject(shopifyRequest({ ...order, cancel_reason: 'customer' }, { topic: 'orders/cancelled' }));
    await waitFor(() => messagesTo(sim, user(6)).length === 1, { what: 'the cancellation' });
    const placed = await app.inject(shopifyRequest(order));
    expect(placed.statusCode).toBe(202);
    expect(await settledDelivery(app, placed.json().deliveryId)).toMatchObject(WITHDRAWN);
    expect(messagesTo(sim, user(6))).toHaveLength(1);
  });
});

test("a later event naming part of its customer keeps the rest of the placed event's (name, language); another customer's is its own", async () => {
  const mapping = `${RECIPIENTS}rules:
  - name: shipped-zh
    when: { event: shipped, locale: zh }
    send: { message: "{{customer.firstName}}，訂單 {{order.number}} 已出貨" }
  - name: shipped
    when: { event: shipped }
    send: { message: "Hi {{customer.firstName | \\"there\\"}}, order {{order.number}} shipped" }
`;
  const { app, sim } = await startServiceWithSimulator({ mapping });
  const to = user(20);
  const customer = { id: 'c-20', email: 'mei@example.com', firstName: '美玲', locale: 'zh-TW' };
  const order = normalizedOrder({ orderId: 'L-20', orderNumber: 'L-20', customer, attributes: { line_uid: to } });
  await app.inject(standardRequest(order));
  const shipped = (id: string, said: Record<string, string>) =>
    standardRequest({ ...order, event: 'shipped', customer: said, attributes: {}, shipment: { id } });
  expect((await app.inject(shipped('S1', { email: 'MEI@example.com' }))).json()).toMatchObject({ status: 'accepted' });
  // Another customer's e-mail is not merged into this one's name and language.
  expect((await app.inject(shipped('S2', { email: 'ann@example.com', firstName: 'Ann' }))).json()).toMatchObject({ status: 'accepted' });
  await waitFor(() => messagesTo(sim, to).length === 2, { what: 'both shipments' });
  expect(messagesTo(sim, to).map((b) => b.message)).toEqual(['美玲，訂單 L-20 已出貨', 'Hi Ann, order L-20 shipped']);
});

test("WooCommerce: an order's processing and completed webhooks at the same moment (two replicas, say): its confirmation and its shipment each go once", async () => {
  const mapping = `${RECIPIENTS}rules:\n  - name: confirmation\n    send: { intentId: rb2kYmMdW }\n  - name: shipped\n    when: { event: shipped }\n    send: { intentId: shipMod01 }\n`;
  const { app, sim } = await startServiceWithSimulator({ mapping });
  const users = Array.from({ length: 10 }, (_, i) => user(30 + i));
  await Promise.all(
    users.map(async (to) => {
      const order = wooOrder({ meta_data: [{ id: 1, key: 'line_uid', value: to }] });
      const answers = await Promise.all([app.inject(wooRequest(order)), app.inject(wooRequest({ ...order, status: 'completed' }))]);
      expect(answers.map((a) => a.statusCode)).toEqual([202, 202]);
    }),
  );
  await waitFor(() => users.every((to) => messagesTo(sim, to).length >= 2), { what: 'each order confirmed and shipped' });
  for (const to of users)
    expect(
      messagesTo(sim, to)
        .map((b) => b.intentId)
        .sort(),
    ).toEqual(['rb2kYmMdW', 'shipMod01']);
});
