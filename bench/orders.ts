// Realistic Shopify orders for the benchmark: about 2 KB each, every one with its own order id,
// signed as Shopify signs them.
import { createHmac } from 'node:crypto';

export const BENCH_SHOPIFY_SECRET = 'bench-shopify-secret';

const items = Array.from({ length: 6 }, (_, i) => ({
  title: `Item ${i} with a reasonably long product title`,
  quantity: 1 + i,
  price: '129.00',
  sku: `SKU-${i}-XYZ`,
  vendor: 'Tea House',
  properties: [{ name: 'gift', value: 'no' }],
}));
const address = {
  first_name: 'Mei',
  last_name: 'Lin',
  address1: '1 Tea Road',
  city: 'Taipei',
  zip: '100',
  country: 'Taiwan',
  phone: '+886912345678',
};

export function shopifyOrderBody(id: number, lineUserId = 'U4af4980629ab33c3c2f0c1d9d2a1b2c3'): string {
  return JSON.stringify({
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    name: `#${id}`,
    order_number: id,
    total_price: '1280.00',
    subtotal_price: '1200.00',
    total_tax: '80.00',
    currency: 'TWD',
    financial_status: 'paid',
    email: 'mei@example.com',
    created_at: '2026-11-24T10:00:00+08:00',
    order_status_url: `https://bench.myshopify.com/orders/${id}/authenticate?key=0123456789abcdef`,
    customer: { id: 7001, email: 'mei@example.com', first_name: 'Mei', last_name: 'Lin', phone: '+886912345678', tags: 'vip,tea' },
    billing_address: address,
    shipping_address: address,
    note_attributes: [{ name: 'line_uid', value: lineUserId }],
    line_items: items,
  });
}

export function shopifyHeaders(body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-shopify-topic': 'orders/create',
    'x-shopify-shop-domain': 'bench.myshopify.com',
    'x-shopify-hmac-sha256': createHmac('sha256', BENCH_SHOPIFY_SECRET).update(body).digest('base64'),
  };
}

/** A distinct LINE user id per number, so orders can be told apart at MantaGO. */
export const lineUser = (n: number) => `U${n.toString(16).padStart(32, '0')}`;
