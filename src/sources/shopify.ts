// Shopify webhooks: orders/create and orders/paid (placed), orders/cancelled, fulfillments/create
// and fulfillments/update (shipped: one message per fulfillment), fulfillment_events/create (its
// delivery stages: shopify-fulfillment-events.ts), refunds/create (refunded).
// https://shopify.dev/docs/apps/build/webhooks/subscribe/https — HMAC-SHA256 of the raw body, base64.
import type { IncomingHttpHeaders } from 'node:http';
import Type from 'typebox';
import type { Order, OrderEvent } from '../domain/order.ts';
import {
  type ShopifyFulfillment,
  ShopifyFulfillmentSchema,
  type ShopifyOrder,
  ShopifyOrderSchema,
  type ShopifyRefund,
  ShopifyRefundSchema,
} from './shopify-payloads.ts';
import {
  normalizeShopifyFulfillmentEvent,
  type ShopifyFulfillmentEvent,
  ShopifyFulfillmentEventSchema,
} from './shopify-fulfillment-events.ts';
import { hmacVerifier } from './signature.ts';
import { byTopic, header, optionalText, payloadKind, type Normalized, type WebhookSource } from './source.ts';
import { SHOPIFY } from './names.ts';

export type { ShopifyOrder } from './shopify-payloads.ts';

/** A platform's time (ISO 8601) in ms, if it is one. */
export function shopTime(value: string | null | undefined): number | undefined {
  const at = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

/** A JSON number past 2^53: it has lost digits. */
const rounded = (id: string | number | undefined) => typeof id === 'number' && !Number.isSafeInteger(id);
/** The digits of a GraphQL id (`gid://shopify/Order/820982911946154508`), which JSON numbers lose past 2^53. */
const graphqlDigits = (graphqlId: string | undefined) => graphqlId?.match(/\/(\d+)$/)?.[1];

/** Shopify ids can exceed 2^53: read from the GraphQL id, else as sent (a rounded number is no id). */
function exactId(id: string | number | undefined, graphqlId: string | undefined): string | undefined {
  return graphqlDigits(graphqlId) ?? (rounded(id) ? undefined : optionalText(id));
}

export function normalizeShopifyOrder(payload: ShopifyOrder, shop: string, event: OrderEvent = 'placed'): Order {
  const customer = payload.customer ?? undefined;
  const billing = payload.billing_address ?? undefined;
  const shipping = payload.shipping_address ?? undefined;
  const attributes: Record<string, string> = {};
  for (const { name, value } of payload.note_attributes ?? []) if (value !== null) attributes[name] = String(value);
  const occurredAt = shopTime(event === 'cancelled' ? payload.cancelled_at : event === 'placed' ? payload.created_at : undefined);
  return {
    source: SHOPIFY,
    event,
    orderId: exactId(payload.id, payload.admin_graphql_api_id) ?? String(payload.id),
    orderNumber: optionalText(payload.name) ?? optionalText(payload.order_number),
    shop,
    total: String(payload.total_price),
    currency: payload.currency.toUpperCase(),
    statusUrl: optionalText(payload.order_status_url),
    customer: {
      id: customer ? exactId(customer.id, customer.admin_graphql_api_id) : undefined,
      email: optionalText(payload.email) ?? optionalText(customer?.email) ?? optionalText(payload.contact_email),
      phone: optionalText(payload.phone) ?? optionalText(customer?.phone) ?? optionalText(billing?.phone) ?? optionalText(shipping?.phone),
      firstName: optionalText(customer?.first_name) ?? optionalText(billing?.first_name) ?? optionalText(shipping?.first_name),
      lastName: optionalText(customer?.last_name) ?? optionalText(billing?.last_name) ?? optionalText(shipping?.last_name),
      ...(optionalText(payload.customer_locale) && { locale: optionalText(payload.customer_locale) }),
    },
    attributes,
    ...(event === 'cancelled' &&
      optionalText(payload.cancel_reason) !== undefined && { cancelReason: optionalText(payload.cancel_reason) }),
    ...(occurredAt !== undefined && { occurredAt }),
    items: (payload.line_items ?? []).map((item) => ({
      name: item.title,
      quantity: item.quantity,
      price: optionalText(item.price),
      sku: optionalText(item.sku),
    })),
  };
}

/** Shopify's order ids are global (gid://shopify/Order/N), unique across shops: the unsigned
 * X-Shopify-Shop-Domain names the shop for rules and people, and no part of the dedupe key. */
const shopOf = (headers: IncomingHttpHeaders) => header(headers, 'x-shopify-shop-domain') ?? '';
const first = (one: string | null | undefined, many: (string | null)[] | null | undefined) =>
  optionalText(one) ?? optionalText(many?.find(Boolean));

/** A fulfillment or refund carries only the order's id; the rest comes from the order's placed event, when the service has it. */
function bareOrder(orderId: string | number, shop: string, event: OrderEvent): Order {
  return { source: SHOPIFY, event, orderId: String(orderId), shop, customer: {}, attributes: {}, items: [] };
}

export function normalizeShopifyFulfillment(payload: ShopifyFulfillment, shop: string): Order {
  const occurredAt = shopTime(payload.created_at);
  const updatedAt = shopTime(payload.updated_at);
  return {
    ...bareOrder(payload.order_id, shop, 'shipped'),
    ...(occurredAt !== undefined && { occurredAt }),
    shipment: {
      id: exactId(payload.id, payload.admin_graphql_api_id) ?? String(payload.id),
      ...(first(payload.tracking_number, payload.tracking_numbers) && {
        trackingNumber: first(payload.tracking_number, payload.tracking_numbers),
      }),
      ...(first(payload.tracking_url, payload.tracking_urls) && { trackingUrl: first(payload.tracking_url, payload.tracking_urls) }),
      ...(optionalText(payload.tracking_company) && { company: optionalText(payload.tracking_company) }),
      ...(updatedAt !== undefined && { updatedAt }),
    },
  };
}

type RefundTransaction = NonNullable<ShopifyRefund['transactions']>[number];
/**
 * A refund transaction that gives money back: gone through, or going through (pending at the
 * gateway: Shopify sends no second webhook when it clears), of some amount.
 */
const givesMoney = (t: RefundTransaction) =>
  t.kind === 'refund' && ['success', 'pending'].includes(t.status ?? 'success') && Number(t.amount ?? 0) > 0;

/**
 * Whether a refund gives money back (givesMoney). One whose transactions all failed, or that has none
 * (a restock, a refund of nothing), is no refund to the customer; the real one after it is announced.
 */
export function refundsMoney(payload: Pick<ShopifyRefund, 'transactions'>): boolean {
  return (payload.transactions ?? []).some(givesMoney);
}

export function normalizeShopifyRefund(payload: ShopifyRefund): Omit<Order, 'shop'> {
  const counted = (payload.transactions ?? []).filter(givesMoney);
  const amount = counted.reduce((sum, t) => sum + Number(t.amount ?? 0), 0);
  const currency = optionalText(counted.find((t) => t.currency)?.currency)?.toUpperCase();
  const { shop: _shop, ...order } = bareOrder(payload.order_id, '', 'refunded');
  const occurredAt = shopTime(payload.created_at);
  return {
    ...order,
    ...(occurredAt !== undefined && { occurredAt }),
    refund: { ...(counted.length > 0 && { amount: amount.toFixed(2) }), ...(currency && { currency }) },
  };
}

const placed = (event: OrderEvent) =>
  payloadKind<ShopifyOrder>({
    schema: ShopifyOrderSchema,
    // An order id read rounded would be another order's: refused. A customer's is left out (exactId): the
    // customer is still found by e-mail, phone or the order's attributes, and the order not lost.
    normalize: (p, headers): Normalized =>
      rounded(p.id) && graphqlDigits(p.admin_graphql_api_id) === undefined
        ? { invalid: 'body/id is a number past 2^53 without its admin_graphql_api_id: JSON carries no such number exactly' }
        : { order: normalizeShopifyOrder(p, shopOf(headers), event), scope: '' },
  });

/**
 * Whether a fulfillment has shipped: `success` (or no status, as older payloads). A pending or open
 * one has not yet, a cancelled, failed or erred one never will; its later update to `success` is the
 * one announced (with the tracking it then carries).
 */
export const hasShipped = (status: string | null | undefined) =>
  status === undefined || status === null || status.toLowerCase() === 'success';

// Fulfillment, fulfillment-event and refund bodies name their order (and a stage its fulfillment) by number only.
const FULFILLMENT = payloadKind<ShopifyFulfillment>({
  schema: ShopifyFulfillmentSchema,
  exactIntegers: true,
  normalize: (p, headers): Normalized =>
    hasShipped(p.status)
      ? { order: normalizeShopifyFulfillment(p, shopOf(headers)), scope: '' }
      : { ignored: `a fulfillment whose status is ${String(p.status).slice(0, 40)} has not shipped: only a successful one is announced` },
});
const FULFILLMENT_EVENT = payloadKind<ShopifyFulfillmentEvent>({
  schema: ShopifyFulfillmentEventSchema,
  exactIntegers: true,
  normalize: (p, headers) => normalizeShopifyFulfillmentEvent(p, shopOf(headers), shopTime(p.happened_at)),
});
const REFUND = payloadKind<ShopifyRefund>({
  schema: ShopifyRefundSchema,
  exactIntegers: true,
  normalize: (p, headers): Normalized =>
    refundsMoney(p)
      ? { order: { ...normalizeShopifyRefund(p), shop: shopOf(headers) }, scope: '' }
      : { ignored: 'a refund that gives no money back (its refund transactions failed, or it has none)' },
});

export const shopifySource: WebhookSource = {
  name: SHOPIFY,
  path: '/webhooks/shopify',
  secret: {
    name: 'SHOPIFY_WEBHOOK_SECRET',
    schema: Type.String({ description: "the Shopify app's API secret key; unset disables /webhooks/shopify", minLength: 1 }),
  },
  topicHeader: 'x-shopify-topic',
  verifier: (secret) => hmacVerifier(secret, 'X-Shopify-Hmac-Sha256'),
  payloadKind: byTopic(
    'x-shopify-topic',
    {
      'orders/create': placed('placed'),
      'orders/paid': placed('placed'),
      'orders/cancelled': placed('cancelled'),
      'fulfillments/create': FULFILLMENT,
      'fulfillments/update': FULFILLMENT,
      'fulfillment_events/create': FULFILLMENT_EVENT,
      'refunds/create': REFUND,
    },
    'orders/create',
  ),
  payloadKinds: [placed('placed'), FULFILLMENT, FULFILLMENT_EVENT, REFUND],
};
