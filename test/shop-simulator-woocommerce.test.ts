// The WooCommerce stand-in's REST API v3 must answer as WooCommerce's docs say: the service's
// reconciliation pages through it. Time is the test's: the site's clock is injected.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { startWooCommerceSite, type WooCommerceSite } from '../simulator/shops/woocommerce.ts';
import { wc, type WooOrderJson } from './helpers/woocommerce-client.ts';

let clock = Date.parse('2026-12-01T09:00:00.500Z');
let site: WooCommerceSite;
beforeEach(async () => {
  clock = Date.parse('2026-12-01T09:00:00.500Z');
  site = await startWooCommerceSite({ now: () => clock });
});
afterEach(() => site.close());

test('no keys, a wrong key or a wrong secret is refused with 401 and WooCommerce’s error body', async () => {
  expect(await wc(site, 'GET', 'orders', undefined, null)).toMatchObject({
    status: 401,
    body: { code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.', data: { status: 401 } },
  });
  expect(await wc(site, 'GET', 'orders', undefined, { key: 'ck_wrong', secret: site.consumerSecret })).toMatchObject({
    status: 401,
    body: { code: 'woocommerce_rest_authentication_error', message: 'Consumer key is invalid.', data: { status: 401 } },
  });
  expect((await wc(site, 'GET', 'orders', undefined, { key: site.consumerKey, secret: 'cs_wrong' })).status).toBe(401);
  expect((await wc(site, 'POST', 'webhooks', {}, null)).body).toMatchObject({ code: 'woocommerce_rest_cannot_create' });
  const query = `consumer_key=${site.consumerKey}&consumer_secret=${site.consumerSecret}`;
  expect((await fetch(`${site.url}/wp-json/wc/v3/orders?${query}`)).status).toBe(200);
  expect(site.calls.map((c) => c.status)).toEqual([401, 401, 401, 401, 200]);
});

test('serviceEnv names the site, its keys and the webhook secret', () => {
  expect(site.serviceEnv()).toEqual({
    WOOCOMMERCE_URL: site.url,
    WOOCOMMERCE_CONSUMER_KEY: expect.stringMatching(/^ck_/),
    WOOCOMMERCE_CONSUMER_SECRET: expect.stringMatching(/^cs_/),
    WOOCOMMERCE_WEBHOOK_SECRET: expect.any(String),
  });
});

test('an order has the v3 fields the service reads', async () => {
  const order = site.createOrder({ customerId: 42, meta: { line_uid: 'U1' }, billing: { first_name: 'Ann', phone: '0912345678' } });
  clock += 90_000;
  site.refund(order.id, '80.00', 'broken cup');
  const { body } = await wc<Record<string, unknown>>(site, 'GET', `orders/${order.id}`);
  expect(body).toMatchObject({
    id: order.id,
    number: String(order.id),
    status: 'processing',
    date_created_gmt: '2026-12-01T09:00:00',
    date_modified_gmt: '2026-12-01T09:01:30',
    currency: 'TWD',
    total: '880.00',
    customer_id: 42,
    billing: { first_name: 'Ann', last_name: 'Wu', email: 'ken@example.com', phone: '0912345678' },
    meta_data: [{ id: expect.any(Number), key: 'line_uid', value: 'U1' }],
    refunds: [{ id: expect.any(Number), reason: 'broken cup', total: '-80.00' }],
    _links: { self: [{ href: `${site.url}/wp-json/wc/v3/orders/${order.id}` }], customer: [expect.any(Object)] },
  });
  site.refund(order.id, '800.00');
  expect((await wc<WooOrderJson>(site, 'GET', `orders/${order.id}`)).body.status).toBe('refunded'); // refunded in full
  expect((await wc(site, 'GET', 'orders/99999')).body).toMatchObject({ code: 'woocommerce_rest_shop_order_invalid_id' });
});

test('date_paid is set as an order first becomes processing or completed, and kept when it is cancelled; a pending order has none', async () => {
  const paidAt = async (id: number) => (await wc<Record<string, unknown>>(site, 'GET', `orders/${id}`)).body.date_paid_gmt;
  const paid = site.createOrder();
  const unpaid = site.createOrder({ status: 'pending' });
  expect([await paidAt(paid.id), await paidAt(unpaid.id)]).toEqual(['2026-12-01T09:00:00', null]);
  clock += 60_000;
  site.updateOrder(paid.id, { status: 'cancelled' });
  site.updateOrder(unpaid.id, { status: 'processing' });
  expect([await paidAt(paid.id), await paidAt(unpaid.id)]).toEqual(['2026-12-01T09:00:00', '2026-12-01T09:01:00']);
});

test('date_completed is set as an order becomes completed and kept through later edits; it is null before', async () => {
  const dates = async (id: number) => {
    const { body } = await wc<Record<string, unknown>>(site, 'GET', `orders/${id}`);
    return [body.date_completed_gmt, body.date_modified_gmt];
  };
  const order = site.createOrder();
  expect(await dates(order.id)).toEqual([null, '2026-12-01T09:00:00']);
  clock += 60_000;
  site.updateOrder(order.id, { status: 'completed' });
  clock += 60_000;
  site.updateOrder(order.id, { meta: { note: 'left with the neighbour' } });
  site.updateOrder(order.id, { status: 'completed' }); // saved again as completed: not a new completion
  expect(await dates(order.id)).toEqual(['2026-12-01T09:01:00', '2026-12-01T09:02:00']);
});

test('modified_after is strictly after; orderby=modified&order=asc pages by X-WP-TotalPages', async () => {
  const made = [];
  for (let i = 0; i < 25; i++) {
    made.push(site.createOrder());
    clock += 1000;
  }
  site.updateOrder(made[0]!.id, { status: 'completed' }); // modified last
  const since = '2026-12-01T09:00:04'; // the 5th order's second: not included
  const seen: number[] = [];
  let totalPages = 1;
  for (let page = 1; page <= totalPages; page++) {
    const reply = await wc<WooOrderJson[]>(
      site,
      'GET',
      `orders?modified_after=${since}&orderby=modified&order=asc&per_page=10&page=${page}`,
    );
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-wp-total')).toBe('21');
    totalPages = Number(reply.headers.get('x-wp-totalpages'));
    seen.push(...reply.body.map((o) => o.id));
  }
  expect(totalPages).toBe(3);
  expect(seen).toEqual([...made.slice(5).map((o) => o.id), made[0]!.id]);
  const beyond = await wc<unknown[]>(site, 'GET', `orders?modified_after=${since}&per_page=10&page=4`);
  expect(beyond.body).toEqual([]);

  const newest = await wc<WooOrderJson[]>(site, 'GET', 'orders'); // date, desc, 10 a page by default
  expect(newest.body.map((o) => o.id)).toEqual(
    made
      .slice(15)
      .reverse()
      .map((o) => o.id),
  );
  const byId = await wc<WooOrderJson[]>(site, 'GET', 'orders?orderby=id&order=asc&per_page=3&status=completed');
  expect(byId.body.map((o) => o.id)).toEqual([made[0]!.id]);
  const zoned = await wc<WooOrderJson[]>(
    site,
    'GET',
    `orders?modified_after=${encodeURIComponent('2026-12-01T17:00:23+08:00')}&per_page=100`,
  );
  expect(zoned.body.map((o) => o.id).sort()).toEqual([made[24]!.id, made[0]!.id].sort());
});

test('per_page above 100 and bad parameters are refused with rest_invalid_param', async () => {
  const reply = await wc(site, 'GET', 'orders?per_page=101');
  expect(reply).toMatchObject({
    status: 400,
    body: { code: 'rest_invalid_param', data: { status: 400, params: { per_page: expect.any(String) } } },
  });
  expect((await wc(site, 'GET', 'orders?modified_after=yesterday')).status).toBe(400);
  expect((await wc(site, 'GET', 'orders?orderby=price')).status).toBe(400);
});

test('switches answer the next REST calls with 429 (Retry-After) or 5xx', async () => {
  site.set({ fail: { status: 429, count: 1, retryAfterSeconds: 7 } });
  const limited = await wc(site, 'GET', 'orders');
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toBe('7');
  site.set({ fail: { status: 502, count: 2 } });
  expect((await wc(site, 'GET', 'orders')).status).toBe(502);
  expect((await wc(site, 'GET', 'webhooks')).status).toBe(502);
  expect((await wc(site, 'GET', 'orders')).status).toBe(200);
});
