// Each shop platform's payload turned into the one normalized order.
import { describe, expect, test } from 'vitest';
import { hmacSha256Base64, isValidBase64Hmac } from '../src/sources/signature.ts';
import { normalizeShopifyOrder, normalizeShopifyRefund, type ShopifyOrder } from '../src/sources/shopify.ts';
import type { ShopifyRefund } from '../src/sources/shopify-payloads.ts';
import { normalizeWooCommerceOrder, woocommerceSource, type WooCommerceOrder } from '../src/sources/woocommerce.ts';
import { fromNormalizedPayload } from '../src/sources/normalized-order.ts';
import { normalizedOrder, shopifyOrder, wooOrder } from './helpers/webhooks.ts';

describe('Shopify', () => {
  test('an order with a customer', () => {
    const payload = shopifyOrder({
      id: 5,
      admin_graphql_api_id: 'gid://shopify/Order/5',
      name: '#1005',
      total_price: '99.50',
      currency: 'twd',
    }) as ShopifyOrder;
    expect(normalizeShopifyOrder(payload, 'demo.myshopify.com')).toMatchObject({
      source: 'shopify',
      orderId: '5',
      orderNumber: '#1005',
      shop: 'demo.myshopify.com',
      total: '99.50',
      currency: 'TWD',
      statusUrl: expect.stringMatching(/^https:\/\/demo\.myshopify\.com\/orders\//),
      customer: { id: '7001', email: 'mei@example.com', firstName: 'Mei', lastName: 'Lin' },
      attributes: { line_uid: 'U4af4980629ab33c3c2f0c1d9d2a1b2c3' },
      items: [{ name: 'Oolong tea', quantity: 2, price: '600.00', sku: 'TEA-1' }],
    });
  });

  test("a refund counts the money going back (gone, or pending at the gateway), not a failed transaction's", () => {
    const refund = (transactions: { amount: string; currency: string; kind: string; status: string }[]) =>
      normalizeShopifyRefund({ id: 1, order_id: 5, transactions } as ShopifyRefund).refund;
    const success = { amount: '300.00', currency: 'TWD', kind: 'refund', status: 'success' };
    expect(refund([success, { ...success, amount: '50.00', status: 'failure' }])).toEqual({ amount: '300.00', currency: 'TWD' });
    expect(refund([success, { ...success, amount: '50.00', status: 'pending' }])).toEqual({ amount: '350.00', currency: 'TWD' });
    expect(refund([{ ...success, status: 'failure' }])).toEqual({});
  });

  test('ids beyond 2^53 keep their exact digits from the GraphQL id', () => {
    const json =
      '{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508","total_price":"1.00","currency":"USD"}';
    expect(normalizeShopifyOrder(JSON.parse(json) as ShopifyOrder, 's').orderId).toBe('820982911946154508');
  });

  test('a guest checkout takes names and phone from the addresses', () => {
    const payload = shopifyOrder({
      customer: null,
      email: null,
      phone: null,
      billing_address: { first_name: 'Bo', last_name: 'Li', phone: '0912' },
    }) as ShopifyOrder;
    expect(normalizeShopifyOrder(payload, 's').customer).toEqual({
      id: undefined,
      email: undefined,
      phone: '0912',
      firstName: 'Bo',
      lastName: 'Li',
    });
  });
});

describe('WooCommerce', () => {
  test('an order: billing is the customer, meta_data are the attributes, customer 0 is a guest', () => {
    const payload = wooOrder({ id: 77, number: '77', customer_id: 0 }) as WooCommerceOrder;
    expect(normalizeWooCommerceOrder(payload, 'https://tea.example/')).toMatchObject({
      source: 'woocommerce',
      orderId: '77',
      orderNumber: '77',
      total: '880.00',
      customer: { id: undefined, email: 'ken@example.com', phone: '+886 912-345-678', firstName: 'Ken' },
      attributes: { line_uid: 'U4af4980629ab33c3c2f0c1d9d2a1b2c3' },
      items: [{ name: 'Green tea', quantity: 1, price: '880' }],
    });
  });

  test("the order's status is the event: processing placed, completed shipped (placed if first seen), cancelled, refunded; the rest ignored", () => {
    const normalize = (status: string) => {
      const kind = woocommerceSource.payloadKind({ 'x-wc-webhook-topic': 'order.updated' });
      if ('ignored' in kind) throw new Error(kind.ignored);
      return kind.normalize(wooOrder({ status }) as never, {});
    };
    for (const status of ['pending', 'on-hold', 'failed', 'checkout-draft']) expect(normalize(status)).toHaveProperty('ignored');
    // A processing that comes after the order was first seen completed announces the shipment spent then.
    expect(normalize('processing')).toMatchObject({ order: { event: 'placed' }, revivesShipment: true });
    expect(normalize('completed')).toMatchObject({ order: { event: 'shipped', shipment: { id: 'completed' } }, placedIfFirst: true });
    expect(normalize('cancelled')).toMatchObject({ order: { event: 'cancelled' } });
    expect(normalize('refunded')).toMatchObject({ order: { event: 'refunded', refund: { amount: '880.00', currency: 'TWD' } } });
    expect(woocommerceSource.payloadKind({ 'x-wc-webhook-topic': 'product.updated' })).toHaveProperty('ignored');
  });
});

test('the normalized order: numbers become strings, the currency upper case', () => {
  expect(
    fromNormalizedPayload({ ...normalizedOrder({ orderId: 12, orderNumber: 34, currency: 'usd' }), total: 450 } as never),
  ).toMatchObject({
    source: 'orders',
    orderId: '12',
    orderNumber: '34',
    shop: 'custom-shop',
    total: '450',
    currency: 'USD',
    customer: { id: 'c-9', firstName: 'Ann' },
  });
});

test('HMAC signatures: exact bytes, constant-time compare, garbage refused', () => {
  const body = Buffer.from('{"a":1}');
  const signature = hmacSha256Base64('k', body);
  expect(isValidBase64Hmac('k', body, signature)).toBe(true);
  expect(isValidBase64Hmac('k', Buffer.from('{"a": 1}'), signature)).toBe(false);
  expect(isValidBase64Hmac('other', body, signature)).toBe(false);
  expect(isValidBase64Hmac('k', body, 'short')).toBe(false);
  expect(isValidBase64Hmac('k', body, undefined)).toBe(false);
});
