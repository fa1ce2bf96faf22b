// WooCommerce `order.created` / `order.updated` webhooks; an order is sent once it is
// processing or completed. https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks
import Type, { type Static } from 'typebox';
import type { Order } from '../domain/order.ts';
import { Amount, Currency, Id, Nullable } from './fields.ts';
import { hmacVerifier } from './signature.ts';
import { header, optionalText, topicScreen, type WebhookSource } from './source.ts';

const SIGNATURE_HEADER = 'x-wc-webhook-signature';
const ORDER_TOPICS = ['order.created', 'order.updated'];
export const SENDABLE_STATUSES = ['processing', 'completed'];
/** WooCommerce's unsigned, form-encoded check that the delivery URL answers, sent when a webhook is saved. */
const PING = /^webhook_id=\d+$/;

export const WooCommerceOrderSchema = Type.Object(
  {
    id: Id,
    number: Type.Optional(Id),
    status: Type.String(),
    payment_url: Nullable(Type.String({ maxLength: 2000 })),
    _links: Nullable(
      Type.Object({ self: Nullable(Type.Array(Type.Object({ href: Type.String({ maxLength: 2000 }) }), { maxItems: 10 })) }),
    ),
    total: Amount,
    currency: Currency,
    customer_id: Type.Optional(Id),
    billing: Nullable(
      Type.Object({
        first_name: Nullable(Type.String()),
        last_name: Nullable(Type.String()),
        email: Nullable(Type.String()),
        phone: Nullable(Type.String()),
      }),
    ),
    meta_data: Nullable(Type.Array(Type.Object({ key: Type.String(), value: Type.Unknown() }), { maxItems: 1000 })),
    line_items: Nullable(
      Type.Array(
        Type.Object({
          name: Type.String(),
          quantity: Type.Integer({ minimum: 0 }),
          price: Type.Optional(Amount),
          sku: Nullable(Type.String()),
        }),
        { maxItems: 2000 },
      ),
    ),
  },
  { description: 'A WooCommerce order webhook payload (REST API v3 order)' },
);
export type WooCommerceOrder = Static<typeof WooCommerceOrderSchema>;

export function normalizeWooCommerceOrder(payload: WooCommerceOrder, shop: string): Order {
  const billing = payload.billing ?? undefined;
  const attributes: Record<string, string> = {};
  for (const { key, value } of payload.meta_data ?? []) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[key] = String(value);
  }
  const customerId = optionalText(payload.customer_id);
  return {
    source: 'woocommerce',
    orderId: String(payload.id),
    orderNumber: optionalText(payload.number),
    shop,
    total: String(payload.total),
    currency: payload.currency.toUpperCase(),
    customer: {
      id: customerId === '0' ? undefined : customerId, // 0 is WooCommerce's guest checkout
      email: optionalText(billing?.email),
      phone: optionalText(billing?.phone),
      firstName: optionalText(billing?.first_name),
      lastName: optionalText(billing?.last_name),
    },
    attributes,
    items: (payload.line_items ?? []).map((item) => ({
      name: item.name,
      quantity: item.quantity,
      price: optionalText(item.price),
      sku: optionalText(item.sku),
    })),
  };
}

export const woocommerceSource: WebhookSource<WooCommerceOrder> = {
  name: 'woocommerce',
  path: '/webhooks/woocommerce',
  secret: {
    name: 'WOOCOMMERCE_WEBHOOK_SECRET',
    schema: Type.String({ description: "the WooCommerce webhook's secret; unset disables /webhooks/woocommerce", minLength: 1 }),
  },
  topicHeader: 'x-wc-webhook-topic',
  ping: {
    contentType: 'application/x-www-form-urlencoded',
    matches: (raw, headers) => !header(headers, SIGNATURE_HEADER) && PING.test(raw.toString('latin1')),
    reason: 'WooCommerce webhook ping',
  },
  verifier: (secret) => hmacVerifier(secret, 'X-WC-Webhook-Signature'),
  screen: topicScreen('x-wc-webhook-topic', ORDER_TOPICS),
  payloadSchema: WooCommerceOrderSchema,
  normalize(payload, headers) {
    if (!SENDABLE_STATUSES.includes(payload.status)) {
      return { ignored: `order status ${payload.status}: a message is sent once the order is ${SENDABLE_STATUSES.join(' or ')}` };
    }
    const site = signedSite(payload);
    return { order: normalizeWooCommerceOrder(payload, site ?? header(headers, 'x-wc-webhook-source') ?? ''), scope: site ?? '' };
  },
};

/**
 * The shop's site, from signed fields of the body (the REST order's own `_links.self` URL, or its
 * `payment_url`): WooCommerce order ids are per site, and X-WC-Webhook-Source is not signed.
 */
export function signedSite(payload: WooCommerceOrder): string | undefined {
  for (const url of [payload._links?.self?.[0]?.href, payload.payment_url]) {
    if (!url) continue;
    try {
      const { protocol, host } = new URL(url);
      if (protocol === 'https:' || protocol === 'http:') return `${protocol}//${host}/`;
    } catch {
      // not a URL: look at the next
    }
  }
  return undefined;
}
