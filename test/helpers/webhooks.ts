// Sample orders as each shop platform sends them, signed as each platform signs them.
import type { InjectOptions } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { hmacSha256Base64 } from '../../src/sources/signature.ts';

export const SHOPIFY_SECRET = 'shpss_test_shopify_app_secret';
export const WOO_SECRET = 'woo-test-webhook-secret';
export const STANDARD_SECRET = `whsec_${Buffer.from('standard-webhooks-test-secret-32b').toString('base64')}`;
export const LINE_USER = 'U4af4980629ab33c3c2f0c1d9d2a1b2c3';
export const LINE_USER_2 = 'U0123456789abcdef0123456789abcdef';
export const MESSENGER_USER = '6543210987654321';

let sequence = 1000;
export const nextOrderId = () => ++sequence;

export function shopifyOrder(overrides: Record<string, unknown> = {}) {
  const id = nextOrderId();
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    name: `#${id}`,
    order_number: id,
    total_price: '1200.00',
    currency: 'TWD',
    email: 'mei@example.com',
    order_status_url: `https://demo.myshopify.com/orders/${id}/authenticate?key=abc`,
    customer: { id: 7001, email: 'mei@example.com', first_name: 'Mei', last_name: 'Lin', phone: null },
    note_attributes: [{ name: 'line_uid', value: LINE_USER }],
    line_items: [{ title: 'Oolong tea', quantity: 2, price: '600.00', sku: 'TEA-1' }],
    ...overrides,
  };
}

export function wooOrder(overrides: Record<string, unknown> = {}) {
  const id = nextOrderId();
  return {
    id,
    number: String(id),
    status: 'processing',
    total: '880.00',
    currency: 'TWD',
    customer_id: 42,
    billing: { first_name: 'Ken', last_name: 'Wu', email: 'ken@example.com', phone: '+886 912-345-678' },
    meta_data: [{ id: 1, key: 'line_uid', value: LINE_USER }],
    line_items: [{ name: 'Green tea', quantity: 1, price: 880, sku: 'TEA-2' }],
    ...overrides,
  };
}

export function normalizedOrder(overrides: Record<string, unknown> = {}) {
  return {
    orderId: `ord_${nextOrderId()}`,
    orderNumber: 'A-1001',
    shop: 'custom-shop',
    total: 450,
    currency: 'TWD',
    statusUrl: 'https://shop.example/orders/A-1001',
    customer: { id: 'c-9', email: 'ann@example.com', firstName: 'Ann' },
    attributes: { line_uid: LINE_USER },
    ...overrides,
  };
}

type Headers = Record<string, string>;

export function shopifyRequest(
  payload: unknown,
  options: { topic?: string; shop?: string; secret?: string; signature?: string } = {},
): InjectOptions {
  // A string is the body as sent (numbers JSON.stringify cannot write, such as ids past 2^53).
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headers: Headers = {
    'content-type': 'application/json',
    'x-shopify-hmac-sha256': options.signature ?? hmacSha256Base64(options.secret ?? SHOPIFY_SECRET, body),
    'x-shopify-topic': options.topic ?? 'orders/create',
    'x-shopify-shop-domain': options.shop ?? 'demo.myshopify.com',
  };
  return { method: 'POST', url: '/webhooks/shopify', headers, payload: body };
}

export function wooRequest(payload: unknown, options: { topic?: string; secret?: string; signature?: string } = {}): InjectOptions {
  // A string is the body as sent (numbers JSON.stringify cannot write, such as ids past 2^53).
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headers: Headers = {
    'content-type': 'application/json',
    'x-wc-webhook-signature': options.signature ?? hmacSha256Base64(options.secret ?? WOO_SECRET, body),
    'x-wc-webhook-topic': options.topic ?? 'order.updated',
    'x-wc-webhook-source': 'https://tea.example/',
  };
  return { method: 'POST', url: '/webhooks/woocommerce', headers, payload: body };
}

/** `payload` as an object, or as the body's exact text (a number JSON.stringify cannot write, say). */
export function standardRequest(payload: unknown, options: { secret?: string; timestamp?: Date; id?: string } = {}): InjectOptions {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const id = options.id ?? `msg_${nextOrderId()}`;
  const timestamp = options.timestamp ?? new Date();
  const signature = new Webhook(options.secret ?? STANDARD_SECRET).sign(id, timestamp, body);
  const headers: Headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signature,
  };
  return { method: 'POST', url: '/webhooks/orders', headers, payload: body };
}

/** A Shopify fulfillment of order `orderId` (fulfillments/create, fulfillments/update). */
export function shopifyFulfillment(orderId: number, overrides: Record<string, unknown> = {}) {
  const id = nextOrderId();
  return {
    id,
    order_id: orderId,
    admin_graphql_api_id: `gid://shopify/Fulfillment/${id}`,
    status: 'success',
    tracking_company: 'Taiwan Post',
    tracking_number: `TW${id}`,
    tracking_numbers: [`TW${id}`],
    tracking_url: `https://track.example/TW${id}`,
    tracking_urls: [`https://track.example/TW${id}`],
    ...overrides,
  };
}

/** A Shopify refund of order `orderId` (refunds/create). */
export function shopifyRefund(orderId: number, amount = '300.00') {
  return { id: nextOrderId(), order_id: orderId, transactions: [{ amount, currency: 'TWD', kind: 'refund', status: 'success' }] };
}
