// The WooCommerce stand-in's webhooks: pinged on creation, one signed try per order event, and
// `disabled` once a failure finds more than 5 before it (WC_Webhook::failed_delivery: the 7th
// failure in a row), after which nothing is sent until the webhook is set active again.
import { Value } from 'typebox/value';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { startWooCommerceSite, type WooCommerceSite } from '../simulator/shops/woocommerce.ts';
import { isValidBase64Hmac } from '../src/sources/signature.ts';
import { WooCommerceOrderSchema } from '../src/sources/woocommerce.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { wc } from './helpers/woocommerce-client.ts';

let site: WooCommerceSite;
let receiver: Receiver;
beforeEach(async () => {
  receiver = await startReceiver();
  site = await startWooCommerceSite({ deliveryTimeoutMs: 300 });
});
afterEach(async () => {
  await site.close();
  await receiver.close();
});

type Hook = { id: number; status: string; topic: string; delivery_url: string; secret: string };

async function createHook(topic = 'order.created', extra: Record<string, unknown> = {}) {
  const reply = await wc<Hook>(site, 'POST', 'webhooks', {
    name: 'MantaGO notifier',
    topic,
    delivery_url: `${receiver.url}/webhooks/woocommerce`,
    secret: site.webhookSecret,
    ...extra,
  });
  expect(reply.status).toBe(201);
  return reply.body;
}
const orderDeliveries = () => receiver.received.filter((r) => r.headers['x-wc-webhook-topic']);

test('a webhook created active is pinged, unsigned and form-encoded; one created paused is not', async () => {
  const hook = await createHook();
  expect(hook).toMatchObject({ status: 'active', topic: 'order.created', resource: 'order', event: 'created', secret: site.webhookSecret });
  expect(receiver.received).toEqual([expect.objectContaining({ body: `webhook_id=${hook.id}` })]);
  expect(receiver.received[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
  expect(receiver.received[0]!.headers['x-wc-webhook-signature']).toBeUndefined();
  const paused = await createHook('order.updated', { status: 'paused' });
  expect(receiver.received).toHaveLength(1);
  expect(site.deliveries.map((d) => d.kind)).toEqual(['ping']);
  // Saved active later, or moved to a new URL, it is pinged (WC_Webhook_Data_Store::update); a 200 ends the pending ping.
  await wc(site, 'PUT', `webhooks/${paused.id}`, { status: 'active' });
  expect(receiver.received.at(-1)!.body).toBe(`webhook_id=${paused.id}`);
  await wc(site, 'PUT', `webhooks/${paused.id}`, { name: 'renamed' });
  expect(receiver.received).toHaveLength(2);
  await wc(site, 'PUT', `webhooks/${paused.id}`, { delivery_url: `${receiver.url}/elsewhere` });
  expect(receiver.received.at(-1)!.path).toBe('/elsewhere');
});

test('webhooks are listed, read, updated and deleted (deleting needs force=true)', async () => {
  const a = await createHook();
  const b = await createHook('order.updated');
  const list = await wc<Hook[]>(site, 'GET', 'webhooks');
  expect(list.body.map((h) => h.id)).toEqual([b.id, a.id]);
  expect(list.headers.get('x-wp-total')).toBe('2');
  expect((await wc<Hook>(site, 'PUT', `webhooks/${a.id}`, { status: 'paused' })).body.status).toBe('paused');
  expect((await wc<Hook[]>(site, 'GET', 'webhooks?status=paused')).body.map((h) => h.id)).toEqual([a.id]);
  expect((await wc(site, 'DELETE', `webhooks/${a.id}`)).status).toBe(501);
  expect((await wc(site, 'DELETE', `webhooks/${a.id}?force=true`)).status).toBe(200);
  expect((await wc(site, 'GET', `webhooks/${a.id}`)).status).toBe(404);
  expect((await wc(site, 'POST', 'webhooks', { topic: 'order.shipped', delivery_url: receiver.url })).body).toMatchObject({
    code: 'woocommerce_rest_webhook_invalid_topic',
  });
  expect((await wc(site, 'POST', 'webhooks', { topic: 'order.created' })).body).toMatchObject({ code: 'rest_missing_callback_param' });
});

test('order events go to the active webhooks of their topic, signed, with the v3 order as body', async () => {
  await createHook('order.created');
  await createHook('order.updated');
  const order = site.createOrder({ meta: { line_uid: 'U4af4980629ab33c3c2f0c1d9d2a1b2c3' } });
  await site.idle();
  site.updateOrder(order.id, { status: 'completed' });
  await site.idle();
  site.refund(order.id, '880.00', 'out of stock');
  await site.idle();
  const sent = orderDeliveries();
  expect(sent.map((r) => r.headers['x-wc-webhook-topic'])).toEqual(['order.created', 'order.updated', 'order.updated']);
  for (const request of sent) {
    expect(isValidBase64Hmac(site.webhookSecret, Buffer.from(request.body), request.headers['x-wc-webhook-signature'] as string)).toBe(
      true,
    );
    expect(request.headers).toMatchObject({
      'x-wc-webhook-source': `${site.url}/`,
      'x-wc-webhook-resource': 'order',
      'x-wc-webhook-id': expect.stringMatching(/^\d+$/),
      'x-wc-webhook-delivery-id': expect.any(String),
    });
    expect(Value.Check(WooCommerceOrderSchema, JSON.parse(request.body))).toBe(true);
  }
  expect(sent.map((r) => r.headers['x-wc-webhook-event'])).toEqual(['created', 'updated', 'updated']);
  expect(new Set(sent.map((r) => r.headers['x-wc-webhook-delivery-id'])).size).toBe(3);
  expect(sent.map((r) => (JSON.parse(r.body) as { status: string }).status)).toEqual(['processing', 'completed', 'refunded']);
});

test('one try, no retry; the 7th failure in a row disables the webhook, and then nothing is sent', async () => {
  const hook = await createHook();
  receiver.status = 500;
  const statuses: string[] = [];
  for (let i = 0; i < 7; i++) {
    site.createOrder();
    await site.idle();
    statuses.push(site.webhooks[0]!.status);
  }
  expect(orderDeliveries()).toHaveLength(7); // one try each
  expect(statuses).toEqual([...Array(6).fill('active'), 'disabled']);
  expect((await wc<Hook>(site, 'GET', `webhooks/${hook.id}`)).body.status).toBe('disabled');
  receiver.status = 200;
  const missed = site.createOrder();
  await site.idle();
  expect(orderDeliveries()).toHaveLength(7);
  expect(site.deliveries.some((d) => d.orderId === missed.id)).toBe(false);

  // Set active again (what the service's repair does): the next order is sent and clears the count.
  await wc(site, 'PUT', `webhooks/${hook.id}`, { status: 'active' });
  site.createOrder();
  await site.idle();
  expect(orderDeliveries()).toHaveLength(8);
  expect(site.webhooks[0]).toMatchObject({ status: 'active', failureCount: 0 });
});

test('a success clears the failure count; a timeout or a 404 counts as a failure, a 302 does not', async () => {
  await createHook();
  const answers = [500, 404, 0, 302, 500];
  receiver.status = () => answers.shift() ?? 200;
  const counts: number[] = [];
  for (let i = 0; i < 5; i++) {
    site.createOrder();
    await site.idle();
    counts.push(site.webhooks[0]!.failureCount);
  }
  expect(counts).toEqual([1, 2, 3, 0, 1]);
  expect(site.deliveries.filter((d) => d.kind === 'webhook').map((d) => d.outcome)).toEqual([
    'failed',
    'failed',
    'failed',
    'delivered',
    'failed',
  ]);
});

test('lost deliveries are never sent and count no failure; the orders are there for a poll', async () => {
  await createHook();
  let seen = 0;
  site.set({ loseDeliveries: () => seen++ % 2 === 1 }); // every second one
  const orders = [site.createOrder(), site.createOrder(), site.createOrder(), site.createOrder()];
  await site.idle();
  const sent = orderDeliveries().map((r) => (JSON.parse(r.body) as { id: number }).id);
  expect(sent).toEqual([orders[0]!.id, orders[2]!.id]);
  expect(site.deliveries.filter((d) => d.outcome === 'lost')).toHaveLength(2);
  expect(site.webhooks[0]!.failureCount).toBe(0);
  expect((await wc<unknown[]>(site, 'GET', 'orders')).body).toHaveLength(4);
});
