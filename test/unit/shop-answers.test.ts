// The shop connections against a far end answering oddly (a local HTTP server): a page count that
// is missing or not a number, a body that is no list, a redirect, an error echoing the credentials,
// a listing without end. Each is read as the shop's trouble, said plainly, without the credentials.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ShopMetrics } from '../../src/metrics/shop-metrics.ts';
import { ShopCallError } from '../../src/reconcile/shop-call.ts';
import { shopifyConnection } from '../../src/reconcile/shopify-connection.ts';
import { keepWebhooks } from '../../src/reconcile/webhook-keeper.ts';
import { woocommerceConnection } from '../../src/reconcile/woocommerce-connection.ts';
import { wooOrder } from '../helpers/webhooks.ts';

type Answer = { status?: number; headers?: Record<string, string>; body?: unknown };
let answer: (request: IncomingMessage) => Answer = () => ({ body: [] });
let calls = 0;
let server: ReturnType<typeof createServer>;
let base: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    calls++;
    request.resume();
    request.on('end', () => {
      const { status = 200, headers = {}, body } = answer(request);
      response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body === undefined ? '' : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const KEY = 'ck_0123456789abcdef';
const SECRET = 'cs_fedcba9876543210';
const TOKEN = 'shpat_0123456789abcdef';
const woo = () => woocommerceConnection({ url: base, consumerKey: KEY, consumerSecret: SECRET, webhookSecret: 'whsec' });
const order = (id: number) => ({ id, status: 'processing', date_modified_gmt: '2026-12-01T00:00:00' });
const orders = (n: number) => Array.from({ length: n }, (_, i) => order(i + 1));
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('WooCommerce', () => {
  test.each([
    ['missing', undefined],
    ['not a number', 'abc'],
    ['negative', '-1'],
  ])('a page count %s: a full page says there may be more, a short one that it is the last', async (_what, pages) => {
    const headers: Record<string, string> = pages === undefined ? {} : { 'x-wp-totalpages': pages };
    answer = () => ({ headers, body: orders(100) });
    const { next } = await woo().page({ since: 0 }, undefined);
    expect(next).toBeDefined();
    answer = () => ({ headers, body: orders(40) });
    expect((await woo().page({ since: 0 }, next)).next).toBeUndefined();
  });

  test('an order changed between two pages (it moves to the end of the list) costs no other order its read', async () => {
    // 150 orders changed a second apart; the shop lists them oldest change first, 100 a page.
    const shop = Array.from({ length: 150 }, (_, i) => ({ id: 1000 + i, modified: Date.UTC(2026, 11, 1, 0, 0, i) }));
    const gmtText = (ms: number) => new Date(ms).toISOString().slice(0, 19);
    let requests = 0;
    answer = (request) => {
      // After the first page was answered, the shop changes its first order.
      if (requests++ === 1) (shop[0] as { modified: number }).modified = Date.UTC(2026, 11, 1, 1);
      const params = new URL(request.url ?? '', base).searchParams;
      const after = Date.parse(`${params.get('modified_after')}Z`);
      const page = Number(params.get('page') ?? 1); // WooCommerce's default
      const excluded = new Set((params.get('exclude') ?? '').split(',').filter(Boolean).map(Number));
      const matching = shop.filter((o) => o.modified > after && !excluded.has(o.id)).sort((a, b) => a.modified - b.modified || a.id - b.id);
      return {
        headers: { 'x-wp-totalpages': String(Math.ceil(matching.length / 100)) },
        body: matching.slice((page - 1) * 100, page * 100).map((o) => wooOrder({ id: o.id, date_modified_gmt: gmtText(o.modified) })),
      };
    };
    const read = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await woo().page({ since: Date.UTC(2026, 10, 30) }, cursor);
      for (const event of page.events) read.add(event.order.orderId);
      cursor = page.next;
    } while (cursor !== undefined && requests < 10);
    expect(read.size).toBe(150);
  });

  test('a bulk change of 1,200 orders in one second, listed in a different order each time by change: each is read, no URL grows with it', async () => {
    const at = Date.UTC(2026, 11, 1, 0, 0, 0);
    const shop = Array.from({ length: 1_200 }, (_, i) => 2000 + i);
    const changed = (id: number) => wooOrder({ id, date_modified_gmt: new Date(at).toISOString().slice(0, 19) });
    let requests = 0;
    let longest = 0;
    answer = (request) => {
      requests++;
      longest = Math.max(longest, (request.url ?? '').length);
      const params = new URL(request.url ?? '', base).searchParams;
      // By id, WooCommerce's order is fixed; `offset` skips that many.
      if (params.get('orderby') === 'id') {
        const offset = Number(params.get('offset') ?? 0);
        return { body: shop.slice(offset, offset + 100).map(changed) };
      }
      const excluded = new Set((params.get('exclude') ?? '').split(',').filter(Boolean).map(Number));
      // Ties come in no fixed order (MySQL sorts them as it likes): rotated by each request.
      const matching = shop.filter((id) => !excluded.has(id)).map((_, i, all) => all[(i + requests * 37) % all.length] as number);
      return {
        headers: { 'x-wp-totalpages': String(Math.ceil(matching.length / 100)) },
        body: matching.slice(0, 100).map(changed),
      };
    };
    const read = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await woo().page({ since: at - 60_000 }, cursor);
      for (const event of page.events) read.add(event.order.orderId);
      cursor = page.next;
    } while (cursor !== undefined && requests < 30);
    expect(read.size).toBe(1_200);
    expect(longest).toBeLessThan(2_000); // an exclude list of every id read was 8 KB past 900 orders: a 414 from nginx
  });

  test('a bulk change at a shop that ignores offset: said at once, not read as a thousand pages of the same orders', async () => {
    const at = Date.UTC(2026, 11, 1, 0, 0, 0);
    const changed = (id: number) => wooOrder({ id, date_modified_gmt: new Date(at).toISOString().slice(0, 19) });
    let requests = 0;
    answer = () => {
      requests++;
      return { headers: { 'x-wp-totalpages': '3' }, body: Array.from({ length: 100 }, (_, i) => changed(3000 + i)) };
    };
    let cursor: string | undefined;
    const error = await failure(
      (async () => {
        for (;;) cursor = (await woo().page({ since: at - 60_000 }, cursor)).next;
      })(),
    );
    expect((error as Error).message).toMatch(
      /^WooCommerce ignores offset: past the 100 orders read of those changed in the second of 2026-12-01T00:00:00/,
    );
    expect(requests).toBe(4); // up to the second (2), its first page by id, and the one that did not move on
  });

  test('a body that is no list of orders (an error object, null) is the shop’s trouble, said, not "ok, 0 orders"', async () => {
    for (const body of [{ code: 'rest_no_route' }, null]) {
      answer = () => ({ body });
      const error = await failure(woo().page({ since: 0 }, undefined));
      expect(error).toBeInstanceOf(ShopCallError);
      expect((error as Error).message).toBe('WooCommerce answered something that is not a list of orders: check WOOCOMMERCE_URL');
    }
  });

  test('an order the webhook schema refuses (a quantity as text) is said with the page, not dropped unseen; the others are read', async () => {
    const good = wooOrder();
    const bad = { ...wooOrder(), line_items: [{ ...(wooOrder().line_items as object[])[0], quantity: '2' }] };
    answer = () => ({ headers: { 'x-wp-totalpages': '1' }, body: [good, bad] });
    const page = await woo().page({ since: 0 }, undefined);
    expect(page.orders).toBe(2);
    expect(page.events.map((e) => e.order.orderId)).toEqual([String(good.id)]);
    expect(page.unreadable).toEqual({ count: 1, problem: expect.stringContaining('quantity') });
  });

  test('a redirect is not followed (the credentials would go along) and is named', async () => {
    answer = () => ({ status: 302, headers: { location: 'http://elsewhere.example/wp-json/wc/v3/orders?x=1' } });
    const error = await failure(woo().page({ since: 0 }, undefined));
    expect((error as Error).message).toBe(
      "WooCommerce answered HTTP 302, a redirect to http://elsewhere.example/wp-json/wc/v3/orders: check the shop's URL",
    );
  });

  test('an error echoing the consumer key, the secret and the Basic header: none of them is in the message', async () => {
    answer = (request) => ({
      status: 400,
      body: { message: `Consumer key ${KEY} / secret ${SECRET} invalid; header ${request.headers.authorization}` },
    });
    const message = String(((await failure(woo().page({ since: 0 }, undefined))) as Error).message);
    expect(message).toBe('WooCommerce answered HTTP 400: Consumer key [redacted] / secret [redacted] invalid; header [redacted]');
  });

  test("a webhook's creation answered with an error echoing the webhook secret it was sent: the secret is not in the message", async () => {
    answer = (request) =>
      request.method === 'POST'
        ? { status: 400, body: { message: 'secret whsec is too short' } }
        : { headers: { 'x-wp-totalpages': '1' }, body: [] };
    const message = String(((await failure(woo().keepWebhooks('https://notifier.example', ['placed']))) as Error).message);
    expect(message).toBe('WooCommerce answered HTTP 400: secret [redacted] is too short');
  });

  test("another app's webhooks are listed by their origin only (their addresses may carry that app's token); ours in full", async () => {
    const theirs = { topic: 'order.updated', status: 'active', delivery_url: 'https://hooks.zapier.example/hooks/catch/123/s3cr3t/' };
    const ours = { topic: 'order.updated', status: 'active', delivery_url: 'https://notifier.example/webhooks/woocommerce' };
    answer = () => ({
      headers: { 'x-wp-totalpages': '1' },
      body: [
        { id: 1, ...theirs },
        { id: 2, ...ours },
      ],
    });
    // Kept as the keeper keeps them for GET /admin/shops (webhook-keeper.ts).
    const { webhooks } = await keepWebhooks(woo(), {
      publicUrl: 'https://notifier.example',
      events: ['placed'],
      previous: undefined,
      now: 0,
      log: pino({ level: 'silent' }),
      metrics: { repaired: () => {} } as unknown as ShopMetrics,
      retrying: (work) => work(),
    });
    expect(webhooks.map((w) => w.address)).toContain('https://hooks.zapier.example/…');
    expect(webhooks.map((w) => w.address)).toContain('https://notifier.example/webhooks/woocommerce');
    expect(JSON.stringify(webhooks)).not.toContain('s3cr3t');
  });

  test('webhooks listed without end (a page count that is not a number, full pages forever): given up after a bound, not forever', async () => {
    answer = () => ({ headers: { 'x-wp-totalpages': 'abc' }, body: Array.from({ length: 100 }, (_, i) => ({ id: i, status: 'active' })) });
    calls = 0;
    const error = await failure(woo().keepWebhooks('https://notifier.example', ['placed']));
    expect((error as Error).message).toBe('WooCommerce listed webhooks without end');
    expect(calls).toBe(20);
  });
});

describe('Shopify', () => {
  const shopify = () => shopifyConnection({ shop: 'demo.myshopify.com', token: TOKEN, adminUrl: base, apiVersion: '2026-01' });

  test('GraphQL errors echoing the access token: the token is not in the message', async () => {
    answer = (request) => ({ body: { errors: [{ message: `Access denied for ${request.headers['x-shopify-access-token']}` }] } });
    const message = String(((await failure(shopify().page({ since: 0 }, undefined))) as Error).message);
    expect(message).toBe('Shopify answered with errors: Access denied for [redacted]');
  });

  const graphqlOrder = (id: number) => ({
    id: `gid://shopify/Order/${id}`,
    legacyResourceId: String(id),
    name: `#${id}`,
    createdAt: '2026-12-01T00:00:00Z',
    updatedAt: '2026-12-01T00:00:00Z',
    cancelledAt: null,
    cancelReason: null,
    email: 'mei@example.com',
    phone: null,
    customerLocale: 'zh-TW',
    currencyCode: 'TWD',
    statusPageUrl: null,
    totalPriceSet: { shopMoney: { amount: '1200.00', currencyCode: 'TWD' } },
    customAttributes: [],
    customer: null,
    fulfillments: [],
    refunds: [],
  });
  const ordersPage = (nodes: unknown[]) => ({
    body: { data: { orders: { nodes, pageInfo: { hasNextPage: true, endCursor: 'next' } } } },
  });

  test('an order the connection cannot read (a price set that is null) is said with the page; the orders around it are read', async () => {
    const broken = { ...graphqlOrder(2), totalPriceSet: null };
    answer = () => ordersPage([graphqlOrder(1), broken, graphqlOrder(3)]);
    const page = await shopify().page({ since: 0 }, undefined);
    expect(page.orders).toBe(3);
    expect(page.events.map((e) => e.order.orderId)).toEqual(['1', '3']);
    expect(page.unreadable).toEqual({ count: 1, problem: expect.stringMatching(/^order 2: /) });
    expect(page.next).toBe('next');
    expect(page.through).toBe(Date.parse('2026-12-01T00:00:00Z'));
  });

  test('a token without the scope (ACCESS_DENIED) or a shop that is not active is refused, once: the operator’s to mend, not an outage', async () => {
    for (const code of ['ACCESS_DENIED', 'SHOP_INACTIVE']) {
      answer = () => ({ body: { errors: [{ message: `Access denied for orders field (${TOKEN})`, extensions: { code } }] } });
      const error = await failure(shopify().page({ since: 0 }, undefined));
      expect(error).toBeInstanceOf(ShopCallError);
      expect(error).toMatchObject({ outcome: 'unauthorized' });
      expect((error as Error).message).toBe(`Shopify refused the query (${code}): Access denied for orders field ([redacted])`);
    }
  });

  test('a fulfillment that has not shipped (pending, cancelled) is no shipment in a poll, as its webhook is none', async () => {
    const fulfillment = (id: number, status: string) => ({
      id: `gid://shopify/Fulfillment/${id}`,
      legacyResourceId: String(id),
      status,
      createdAt: '2026-12-01T01:00:00Z',
      trackingInfo: [{ company: 'Taiwan Post', number: `TW${id}`, url: null }],
    });
    const order = {
      ...graphqlOrder(4),
      fulfillments: [fulfillment(41, 'CANCELLED'), fulfillment(42, 'PENDING'), fulfillment(43, 'SUCCESS')],
    };
    answer = () => ordersPage([order]);
    const page = await shopify().page({ since: 0 }, undefined);
    expect(page.events.map((e) => [e.order.event, e.order.shipment?.id])).toEqual([
      ['placed', undefined],
      ['shipped', expect.stringContaining('43')],
    ]);
  });

  test('errors as a string rather than a list: said, not a TypeError', async () => {
    answer = () => ({ body: { errors: 'Internal error' } });
    expect(String(((await failure(shopify().page({ since: 0 }, undefined))) as Error).message)).toBe(
      'Shopify answered with errors: Internal error',
    );
  });

  test('subscriptions listed with the same cursor again: given up at once, not forever', async () => {
    answer = () => ({
      body: {
        data: {
          webhookSubscriptions: {
            nodes: [{ id: '1', topic: 'ORDERS_CREATE', uri: 'x' }],
            pageInfo: { hasNextPage: true, endCursor: 'same' },
          },
        },
      },
    });
    calls = 0;
    const error = await failure(shopify().keepWebhooks('https://notifier.example', ['placed']));
    expect((error as Error).message).toContain('Shopify listed webhook subscriptions without end');
    expect(calls).toBe(2);
  });
});

test('a shop URL with a password written into it is shown without it (GET /admin/shops shows these settings)', async () => {
  const woo = woocommerceConnection({
    url: 'https://shop:hunter2@wp.example',
    consumerKey: KEY,
    consumerSecret: SECRET,
    webhookSecret: undefined,
  });
  const shopify = shopifyConnection({
    shop: 'demo.myshopify.com',
    token: TOKEN,
    adminUrl: 'https://proxy:hunter2@admin.example',
    apiVersion: '2026-01',
  });
  expect(woo.settings.WOOCOMMERCE_URL).toBe('https://shop:***@wp.example');
  expect(shopify.settings.SHOPIFY_ADMIN_URL).toBe('https://proxy:***@admin.example');
  expect(JSON.stringify([woo.settings, shopify.settings])).not.toContain('hunter2');
  await Promise.all([woo.close(), shopify.close()]);
});

test('a shop that does not answer in time is said so by name (TimeoutError), not by a DOMException number', async () => {
  const { ShopApi } = await import('../../src/reconcile/shop-call.ts');
  const silent = createServer(() => {}); // takes the request, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const api = new ShopApi(
    'WooCommerce',
    `http://127.0.0.1:${(silent.address() as AddressInfo).port}/wp-json/wc/v3`,
    {},
    { timeoutMs: 200 },
  );
  const error = await failure(api.call('GET', 'orders'));
  expect((error as Error).message).toBe('WooCommerce did not answer (TimeoutError)');
  await api.close();
  silent.closeAllConnections();
  await new Promise((resolve) => silent.close(resolve));
});
