// The shop stand-ins' control routes: what `npm run simulator -- --shops` and the demo drive.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type ShopifyShop, startShopifyShop } from '../simulator/shops/shopify.ts';
import { startWooCommerceSite, type WooCommerceSite } from '../simulator/shops/woocommerce.ts';

let shop: ShopifyShop;
let site: WooCommerceSite;
beforeAll(async () => {
  shop = await startShopifyShop();
  site = await startWooCommerceSite();
});
afterAll(async () => {
  await shop.close();
  await site.close();
});

const post = async (url: string, body: unknown) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

test('Shopify: orders made, fulfilled, refunded and cancelled; switches set; state read', async () => {
  const made = await post(`${shop.url}/__simulator/orders`, { customAttributes: { line_uid: 'U1' } });
  const id = made.body.legacyId as number;
  expect((await post(`${shop.url}/__simulator/orders/${id}/fulfill`, { tracking: { number: 'BC1' } })).status).toBe(200);
  expect((await post(`${shop.url}/__simulator/orders/${id}/refund`, { amount: '10.00' })).status).toBe(200);
  expect((await post(`${shop.url}/__simulator/orders/${id}/cancel`, { reason: 'STAFF' })).status).toBe(200);
  expect((await post(`${shop.url}/__simulator/orders/999/cancel`, {})).status).toBe(404);
  expect(shop.order(id)).toMatchObject({
    cancelReason: 'STAFF',
    fulfillments: [{ tracking: [{ number: 'BC1' }] }],
    refunds: [{ amount: '10.00' }],
  });
  await post(`${shop.url}/__simulator/switches`, { fail: { status: 503, count: 1 }, loseWebhooks: true });
  expect(shop.fail).toEqual({ status: 503, count: 1 });
  const state = (await (await fetch(`${shop.url}/__simulator/state`)).json()) as { orders: number; env: Record<string, string> };
  expect(state).toMatchObject({ orders: 1, env: shop.serviceEnv() });
});

test('WooCommerce: orders made, updated and refunded; switches set; state read', async () => {
  const made = await post(`${site.url}/__simulator/orders`, { meta: { line_uid: 'U1' } });
  const id = made.body.id as number;
  expect((await post(`${site.url}/__simulator/orders/${id}/update`, { status: 'completed' })).body).toMatchObject({ status: 'completed' });
  expect((await post(`${site.url}/__simulator/orders/${id}/refund`, { amount: '880.00' })).body).toMatchObject({ status: 'refunded' });
  await post(`${site.url}/__simulator/switches`, { loseDeliveries: { count: 2 } });
  const state = (await (await fetch(`${site.url}/__simulator/state`)).json()) as { orders: number };
  expect(state.orders).toBe(1);
});
