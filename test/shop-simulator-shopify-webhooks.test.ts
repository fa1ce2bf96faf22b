// The Shopify stand-in's webhook subscriptions and deliveries: created through GraphQL (`uri` from
// 2025-10, `callbackUrl` before), signed as Shopify signs, retried on failure, lost when told.
import { Value } from 'typebox/value';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { type ShopifyShop, startShopifyShop } from '../simulator/shops/shopify.ts';
import { ShopifyFulfillmentSchema, ShopifyOrderSchema, ShopifyRefundSchema } from '../src/sources/shopify-payloads.ts';
import { isValidBase64Hmac } from '../src/sources/signature.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { graphql } from './helpers/shopify-client.ts';
import { waitFor } from './helpers/wait.ts';

let shop: ShopifyShop;
let receiver: Receiver;
beforeEach(async () => {
  receiver = await startReceiver();
  shop = await startShopifyShop({ retryScheduleMs: [20, 20, 20], deliveryTimeoutMs: 300 });
});
afterEach(async () => {
  await shop.close();
  await receiver.close();
});

const CREATE = `mutation Create($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { webhookSubscription { id topic format } userErrors { field message } }
}`;
type Created = {
  webhookSubscriptionCreate: { webhookSubscription: { id: string } | null; userErrors: { field: string[]; message: string }[] };
};

async function subscribe(topic: string, address = `${receiver.url}/webhooks/shopify`) {
  const reply = await graphql<Created>(shop, CREATE, { topic, sub: { uri: address, format: 'JSON' } });
  expect(reply.body.data!.webhookSubscriptionCreate.userErrors).toEqual([]);
  return reply.body.data!.webhookSubscriptionCreate.webhookSubscription!.id;
}

test('subscriptions: uri from 2025-10 on, callbackUrl (and endpoint) before it', async () => {
  await subscribe('ORDERS_CREATE');
  const listNew = await graphql<{ webhookSubscriptions: { nodes: { topic: string; uri: string; format: string }[] } }>(
    shop,
    '{ webhookSubscriptions(first: 10) { nodes { id topic format uri createdAt apiVersion { handle } } pageInfo { hasNextPage } } }',
  );
  expect(listNew.body.data!.webhookSubscriptions.nodes).toEqual([
    expect.objectContaining({
      topic: 'ORDERS_CREATE',
      format: 'JSON',
      uri: `${receiver.url}/webhooks/shopify`,
      apiVersion: { handle: '2026-10' },
    }),
  ]);
  const old = { version: '2025-07' };
  const uriOnOld = await graphql(shop, '{ webhookSubscriptions(first: 10) { nodes { uri } } }', {}, old);
  expect(uriOnOld.body.errors).toBeDefined();
  const made = await graphql<Created>(
    shop,
    'mutation { webhookSubscriptionCreate(topic: REFUNDS_CREATE, webhookSubscription: { callbackUrl: "https://elsewhere.example/hook", format: JSON }) { webhookSubscription { id } userErrors { message } } }',
    {},
    old,
  );
  expect(made.body.data!.webhookSubscriptionCreate.userErrors).toEqual([]);
  const listOld = await graphql<{ webhookSubscriptions: { nodes: unknown[] } }>(
    shop,
    '{ webhookSubscriptions(first: 10, topics: [REFUNDS_CREATE]) { nodes { topic callbackUrl endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } } } }',
    {},
    old,
  );
  expect(listOld.body.data!.webhookSubscriptions.nodes).toEqual([
    {
      topic: 'REFUNDS_CREATE',
      callbackUrl: 'https://elsewhere.example/hook',
      endpoint: { __typename: 'WebhookHttpEndpoint', callbackUrl: 'https://elsewhere.example/hook' },
    },
  ]);
  const callbackOnNew = await graphql(shop, CREATE, { topic: 'ORDERS_PAID', sub: { callbackUrl: 'https://x.example/' } });
  expect(callbackOnNew.body.errors).toBeDefined();
  expect(shop.subscriptions.map((s) => s.topic)).toEqual(['ORDERS_CREATE', 'REFUNDS_CREATE']);
});

test('a taken or invalid address is a user error; a subscription can be deleted', async () => {
  const id = await subscribe('ORDERS_CREATE');
  const again = await graphql<Created>(shop, CREATE, { topic: 'ORDERS_CREATE', sub: { uri: `${receiver.url}/webhooks/shopify` } });
  expect(again.body.data!.webhookSubscriptionCreate).toEqual({
    webhookSubscription: null,
    userErrors: [{ field: ['webhookSubscription', 'uri'], message: 'Address for this topic has already been taken' }],
  });
  const invalid = await graphql<Created>(shop, CREATE, { topic: 'ORDERS_PAID', sub: { uri: 'not a url' } });
  expect(invalid.body.data!.webhookSubscriptionCreate.userErrors[0]!.message).toBe('Address is invalid');
  const deleted = await graphql(
    shop,
    'mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { message } } }',
    { id },
  );
  expect(deleted.body.data).toEqual({ webhookSubscriptionDelete: { deletedWebhookSubscriptionId: id, userErrors: [] } });
  expect(shop.subscriptions).toEqual([]);
});

test('order events are sent to their topic’s subscriptions, signed, in the REST shape the service reads', async () => {
  for (const topic of ['ORDERS_CREATE', 'FULFILLMENTS_CREATE', 'REFUNDS_CREATE', 'ORDERS_CANCELLED']) await subscribe(topic);
  const order = shop.createOrder({ customAttributes: { line_uid: 'U4af4980629ab33c3c2f0c1d9d2a1b2c3' }, phone: '+886912345678' });
  shop.fulfill(order.legacyId, { company: 'Black Cat', number: 'BC1', url: 'https://t.example/BC1' });
  shop.refund(order.legacyId, '50.00');
  shop.cancel(order.legacyId, 'CUSTOMER');
  await shop.idle();
  expect(receiver.received.map((r) => r.headers['x-shopify-topic'])).toEqual([
    'orders/create',
    'fulfillments/create',
    'refunds/create',
    'orders/cancelled',
  ]);
  for (const request of receiver.received) {
    expect(isValidBase64Hmac(shop.webhookSecret, Buffer.from(request.body), request.headers['x-shopify-hmac-sha256'] as string)).toBe(true);
    expect(request.headers).toMatchObject({
      'x-shopify-shop-domain': 'sim-shop.myshopify.com',
      'x-shopify-api-version': '2026-10',
      'x-shopify-webhook-id': expect.any(String),
      'x-shopify-event-id': expect.any(String),
      'x-shopify-triggered-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  }
  const [created, fulfilled, refunded, cancelled] = receiver.received.map((r) => JSON.parse(r.body));
  expect(Value.Check(ShopifyOrderSchema, created)).toBe(true);
  expect(created).toMatchObject({
    id: order.legacyId,
    admin_graphql_api_id: `gid://shopify/Order/${order.legacyId}`,
    name: order.name,
    phone: '+886912345678',
    customer: { first_name: 'Mei', email: 'mei@example.com' },
    note_attributes: [{ name: 'line_uid', value: 'U4af4980629ab33c3c2f0c1d9d2a1b2c3' }],
  });
  expect(Value.Check(ShopifyFulfillmentSchema, fulfilled)).toBe(true);
  expect(fulfilled).toMatchObject({ order_id: order.legacyId, tracking_number: 'BC1', tracking_company: 'Black Cat' });
  expect(Value.Check(ShopifyRefundSchema, refunded)).toBe(true);
  expect(refunded).toMatchObject({ order_id: order.legacyId, transactions: [{ amount: '50.00', kind: 'refund', status: 'success' }] });
  expect(cancelled).toMatchObject({ id: order.legacyId, cancel_reason: 'customer', cancelled_at: expect.any(String) });
});

test('a failed delivery is retried on the schedule with the same webhook id; given up, its subscription is deleted', async () => {
  await subscribe('ORDERS_CREATE');
  let answered = 0;
  receiver.status = () => (++answered <= 2 ? 500 : 200);
  shop.createOrder();
  await shop.idle();
  expect(receiver.received).toHaveLength(3);
  expect(new Set(receiver.received.map((r) => r.headers['x-shopify-webhook-id'])).size).toBe(1);
  expect(shop.deliveries[0]).toMatchObject({ outcome: 'delivered', attempts: [{ status: 500 }, { status: 500 }, { status: 200 }] });

  receiver.status = 503;
  shop.createOrder();
  await shop.idle();
  expect(shop.deliveries[1]).toMatchObject({ outcome: 'failed' });
  expect(shop.deliveries[1]!.attempts).toHaveLength(4); // the first try and 3 retries
  expect(shop.subscriptions).toEqual([]); // Shopify deletes a subscription an app made once a webhook fails past its retries
});

test('a delivery not answered within the timeout fails and is retried', async () => {
  await subscribe('ORDERS_CREATE');
  receiver.status = 0;
  shop.createOrder();
  await waitFor(() => shop.deliveries[0]!.attempts.length >= 2, { what: 'a retry' });
  expect(shop.deliveries[0]!.attempts[0]).toMatchObject({ error: 'timed out after 300 ms' });
  receiver.status = 200;
  await shop.idle();
  expect(shop.deliveries[0]!.outcome).toBe('delivered');
});

test('lost webhooks never reach the service, but the order is there for a poll', async () => {
  await subscribe('ORDERS_CREATE');
  shop.set({ loseWebhooks: (d) => d.topic === 'orders/create' && d.orderId % 2 === 0 });
  const orders = [shop.createOrder(), shop.createOrder(), shop.createOrder(), shop.createOrder()];
  await shop.idle();
  const sent = receiver.received.map((r) => (JSON.parse(r.body) as { id: number }).id);
  expect(sent).toEqual(orders.filter((o) => o.legacyId % 2 !== 0).map((o) => o.legacyId));
  expect(shop.deliveries.filter((d) => d.outcome === 'lost').map((d) => d.orderId)).toEqual(
    orders.filter((o) => o.legacyId % 2 === 0).map((o) => o.legacyId),
  );
  const polled = await graphql<{ orders: { nodes: unknown[] } }>(shop, '{ orders(first: 10) { nodes { id } } }');
  expect(polled.body.data!.orders.nodes).toHaveLength(4);

  shop.set({ loseWebhooks: { count: 1 } });
  shop.createOrder();
  shop.createOrder();
  await shop.idle();
  expect(shop.deliveries.slice(-2).map((d) => d.outcome)).toEqual(['lost', 'delivered']);
});
