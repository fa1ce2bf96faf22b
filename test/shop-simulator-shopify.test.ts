// The Shopify stand-in's Admin GraphQL API must answer as Shopify's docs say: the service's
// reconciliation is built against it. Time is the test's: the shop's clock is injected.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { SHOPIFY_INVALID_TOKEN, type ShopifyShop, startShopifyShop } from '../simulator/shops/shopify.ts';
import { graphql, ORDERS_QUERY, type OrdersPage } from './helpers/shopify-client.ts';

let clock = Date.parse('2026-12-01T09:00:00.250Z');
let shop: ShopifyShop;
beforeEach(async () => {
  clock = Date.parse('2026-12-01T09:00:00.250Z');
  shop = await startShopifyShop({ now: () => clock, bucket: { maximumAvailable: 1000, restoreRate: 50 } });
});
afterEach(() => shop.close());

const orders = (variables: Record<string, unknown>) => graphql<OrdersPage>(shop, ORDERS_QUERY, { first: 10, ...variables });

test('a wrong or missing access token is refused with 401 and Shopify’s message', async () => {
  for (const token of ['shpat_wrong', null]) {
    const reply = await graphql(shop, '{ orders(first: 1) { nodes { id } } }', {}, { token });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ errors: SHOPIFY_INVALID_TOKEN });
  }
  expect(shop.calls.map((c) => c.outcome)).toEqual(['unauthorized', 'unauthorized']);
  expect((await graphql(shop, '{ orders(first: 1) { nodes { id } } }')).status).toBe(200);
});

test('serviceEnv names the shop, its token, its origin, version and webhook secret', () => {
  expect(shop.serviceEnv()).toEqual({
    SHOPIFY_SHOP: 'sim-shop.myshopify.com',
    SHOPIFY_ADMIN_TOKEN: expect.stringMatching(/^shpat_/),
    SHOPIFY_ADMIN_URL: shop.url,
    SHOPIFY_API_VERSION: '2026-10',
    SHOPIFY_WEBHOOK_SECRET: expect.any(String),
  });
});

test('orders carry the fields the service reads, times to whole seconds', async () => {
  const order = shop.createOrder({ customAttributes: { line_uid: 'U1' }, customer: { firstName: 'Ken', email: 'ken@example.com' } });
  clock += 60_000;
  shop.fulfill(order.legacyId, { company: 'Black Cat', number: 'BC123', url: 'https://track.example/BC123' });
  clock += 60_000;
  shop.refund(order.legacyId, '100.00');
  const reply = await orders({});
  expect(reply.status).toBe(200);
  const node = reply.body.data!.orders.edges[0]!.node;
  expect(node).toMatchObject({
    id: `gid://shopify/Order/${order.legacyId}`,
    legacyResourceId: String(order.legacyId),
    name: '#1001',
    createdAt: '2026-12-01T09:00:00Z',
    updatedAt: '2026-12-01T09:02:00Z',
    cancelledAt: null,
    currencyCode: 'TWD',
    totalPriceSet: { shopMoney: { amount: '1200.00', currencyCode: 'TWD' } },
    customAttributes: [{ key: 'line_uid', value: 'U1' }],
    customer: { firstName: 'Ken', email: 'ken@example.com' },
    fulfillments: [
      { createdAt: '2026-12-01T09:01:00Z', trackingInfo: [{ company: 'Black Cat', number: 'BC123', url: 'https://track.example/BC123' }] },
    ],
    refunds: [{ totalRefundedSet: { shopMoney: { amount: '100.00' } } }],
  });
  shop.cancel(order.legacyId, 'customer');
  const cancelled = (await orders({})).body.data!.orders.edges[0]!.node;
  expect(cancelled).toMatchObject({ cancelledAt: '2026-12-01T09:02:00Z', cancelReason: 'CUSTOMER' });
});

test('updated_at filters, UPDATED_AT order and cursors page through every order once', async () => {
  const made = [];
  for (let i = 0; i < 7; i++) {
    made.push(shop.createOrder());
    clock += 1000;
  }
  shop.fulfill(made[0]!.legacyId); // updated last: sorts last by UPDATED_AT
  const since = '2026-12-01T09:00:02Z';
  const seen: string[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const reply = await orders({ first: 2, after, sortKey: 'UPDATED_AT', query: `updated_at:>='${since}'` });
    const { edges, pageInfo } = reply.body.data!.orders;
    seen.push(...edges.map((e) => e.node.legacyResourceId));
    pages++;
    if (!pageInfo.hasNextPage) break;
    after = pageInfo.endCursor;
  }
  const ids = made.map((o) => String(o.legacyId));
  expect(seen).toEqual([...ids.slice(2), ids[0]]);
  expect(pages).toBe(3);

  const strictly = await orders({ sortKey: 'UPDATED_AT', query: `updated_at:>'${since}'` });
  expect(strictly.body.data!.orders.edges.map((e) => e.node.legacyResourceId)).toEqual([...ids.slice(3), ids[0]]);
  const before = await orders({ sortKey: 'CREATED_AT', reverse: true, query: "updated_at:<'2026-12-01T09:00:02Z'" });
  expect(before.body.data!.orders.edges.map((e) => e.node.legacyResourceId)).toEqual([ids[1]]);
  const bounded = await orders({ sortKey: 'ID', query: "updated_at:>='2026-12-01T09:00:03Z' AND updated_at:<='2026-12-01T09:00:04Z'" });
  expect(bounded.body.data!.orders.edges.map((e) => e.node.legacyResourceId)).toEqual(ids.slice(3, 5));
});

test('a cursor names a position in the sort: an order updated between pages moves on, none is skipped', async () => {
  const made = [shop.createOrder(), shop.createOrder(), shop.createOrder()];
  clock += 1000;
  const first = await orders({ first: 1, sortKey: 'UPDATED_AT' });
  expect(first.body.data!.orders.edges[0]!.cursor).not.toMatch(/^\d+$/); // opaque
  shop.cancel(made[0]!.legacyId);
  const rest = await orders({ first: 10, sortKey: 'UPDATED_AT', after: first.body.data!.orders.pageInfo.endCursor });
  expect(rest.body.data!.orders.edges.map((e) => e.node.legacyResourceId)).toEqual(
    [made[1]!, made[2]!, made[0]!].map((o) => String(o.legacyId)),
  );
  const bad = await orders({ after: 'not-a-cursor' });
  expect(bad.status).toBe(200);
  expect(bad.body.errors).toBeDefined();
});

test('every answer has extensions.cost: 2 + first × a node’s cost requested, the nodes returned actually', async () => {
  for (let i = 0; i < 3; i++) shop.createOrder();
  const reply = await graphql(
    shop,
    '{ orders(first: 50) { edges { node { id totalPriceSet { shopMoney { amount } } } } pageInfo { hasNextPage } } }',
  );
  // A node: the Order (1), its MoneyBag (1) and MoneyV2 (1).
  expect(reply.body.extensions!.cost).toEqual({
    requestedQueryCost: 2 + 50 * 3,
    actualQueryCost: 2 + 3 * 3,
    throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 1000 - 11, restoreRate: 50 },
  });
  const mutation = await graphql(
    shop,
    'mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: { uri: "http://127.0.0.1:9/x" }) { userErrors { message } } }',
  );
  expect(mutation.body.extensions!.cost.requestedQueryCost).toBe(10);
});

test('the bucket throttles a query it cannot pay for, then refills at the restore rate', async () => {
  for (let i = 0; i < 60; i++) shop.createOrder();
  const query = '{ orders(first: 60) { nodes { id customer { id } } } }'; // 2 + 60 × 2 = 122 a call
  const outcomes: (string | undefined)[] = [];
  for (let i = 0; i < 9; i++) {
    const reply = await graphql(shop, query);
    expect(reply.status).toBe(200);
    outcomes.push(Array.isArray(reply.body.errors) ? (reply.body.errors[0]!.extensions!.code as string) : 'ok');
  }
  expect(outcomes).toEqual([...Array(8).fill('ok'), 'THROTTLED']); // 8 × 122 = 976 of 1000
  const throttled = await graphql(shop, query);
  expect(throttled.body).toEqual({
    errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
    extensions: {
      cost: {
        requestedQueryCost: 122,
        actualQueryCost: null,
        throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 24, restoreRate: 50 },
      },
    },
  });
  clock += 1000; // 50 more points: 74, still short of 122
  expect((await graphql(shop, query)).body.errors).toBeDefined();
  clock += 1000; // 124
  const recovered = await graphql(shop, query);
  expect(recovered.body.errors).toBeUndefined();
  expect(recovered.body.extensions!.cost.throttleStatus.currentlyAvailable).toBe(2);
  expect(shop.calls.filter((c) => c.outcome === 'throttled')).toHaveLength(3);
  expect(shop.bucketLevel()).toBe(2);
  clock += 60_000;
  expect(shop.bucketLevel()).toBe(1000); // never more than the bucket holds
});

test('a query dearer than the whole bucket is refused outright', async () => {
  const reply = await graphql(shop, '{ orders(first: 250) { nodes { id customer { id } totalPriceSet { shopMoney { amount } } } } }');
  expect(reply.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'MAX_COST_EXCEEDED' }) })]);
});

test('a query dearer than 1,000 points is refused outright, however large the bucket (Plus: 20,000)', async () => {
  const plus = await startShopifyShop({ now: () => clock, bucket: { maximumAvailable: 20_000, restoreRate: 1_000 } });
  try {
    const reply = await graphql(plus, '{ orders(first: 250) { nodes { id customer { id } totalPriceSet { shopMoney { amount } } } } }');
    expect(reply.body.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'MAX_COST_EXCEEDED', maxCost: 1000 }) }),
    ]);
  } finally {
    await plus.close();
  }
});

test('switches answer the next calls with 429 (Retry-After) or 5xx, then all is well', async () => {
  shop.set({ fail: { status: 429, count: 2, retryAfterSeconds: 3 } });
  const limited = await graphql(shop, '{ orders(first: 1) { nodes { id } } }');
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toBe('3');
  expect((await graphql(shop, '{ orders(first: 1) { nodes { id } } }')).status).toBe(429);
  expect((await graphql(shop, '{ orders(first: 1) { nodes { id } } }')).status).toBe(200);
  shop.set({ fail: { status: 503, count: 1 } });
  expect((await graphql(shop, '{ orders(first: 1) { nodes { id } } }')).status).toBe(503);
  expect((await graphql(shop, '{ orders(first: 1) { nodes { id } } }')).status).toBe(200);
  expect(shop.calls.map((c) => c.status)).toEqual([429, 429, 200, 503, 200]);
});

test('invalid queries are GraphQL errors with HTTP 200, as on Shopify', async () => {
  const reply = await graphql(shop, '{ orders(first: 1) { nodes { noSuchField } } }');
  expect(reply.status).toBe(200);
  expect((reply.body.errors as { message: string }[])[0]!.message).toMatch(/noSuchField/);
  const unpaged = await graphql(shop, '{ orders { nodes { id } } }');
  expect((unpaged.body.errors as { message: string }[])[0]!.message).toMatch(/first/);
});
