// WooCommerce `order.created` / `order.updated` webhooks: the order's status says the event —
// processing is placed, completed is shipped (or placed, for an order first seen completed),
// cancelled and refunded are theirs. https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks
// Core WooCommerce has no delivery stages (out for delivery, delivered...): a shop that tracks them
// sends them through the normalized order. Nor does an order carry the site language: the
// customer's language is read from the order meta multilingual plugins write, where present.
import Type, { type Static } from 'typebox';
import { LOCALE_PATTERN, type Order, type OrderEvent, type Shipment } from '../domain/order.ts';
import { Amount, Currency, Id, Nullable } from './fields.ts';
import { hmacVerifier } from './signature.ts';
import { byTopic, header, optionalText, payloadKind, type Normalized, type WebhookSource } from './source.ts';
import { WOOCOMMERCE } from './names.ts';

const SIGNATURE_HEADER = 'x-wc-webhook-signature';
/** The order statuses that are events, and which. */
/** No prototype: a status `constructor` names no event. */
const EVENTS: Record<string, OrderEvent> = Object.assign(Object.create(null), {
  processing: 'placed',
  completed: 'shipped',
  cancelled: 'cancelled',
  refunded: 'refunded',
});
/** The WooCommerce Shipment Tracking extension's order meta. */
const TRACKING_META = '_wc_shipment_tracking_items';
/** Order meta that names the customer's language (WPML, Polylang, or the shop's own), first found wins. */
const LOCALE_META = ['customer_locale', 'wpml_language', 'pll_language', 'locale'];
/** WooCommerce's unsigned, form-encoded check that the delivery URL answers, sent when a webhook is saved. */
const PING = /^webhook_id=\d+$/;
const NEVER_PAID = 'an order cancelled before it was paid (date_paid is null): no message told of it, so its cancellation is not news';

export const WooCommerceOrderSchema = Type.Object(
  {
    id: Id,
    number: Type.Optional(Id),
    // WordPress keeps a post status in 20 characters; the rest of the bound is room, not a guess.
    status: Type.String({ maxLength: 100 }),
    payment_url: Nullable(Type.String({ maxLength: 2000 })),
    date_created_gmt: Nullable(Type.String({ maxLength: 40 })),
    date_modified_gmt: Nullable(Type.String({ maxLength: 40 })),
    date_paid_gmt: Nullable(Type.String({ maxLength: 40 })),
    date_completed_gmt: Nullable(Type.String({ maxLength: 40 })),
    refunds: Nullable(Type.Array(Type.Object({ id: Type.Optional(Id), total: Type.Optional(Amount) }), { maxItems: 500 })),
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
          // Decimal where the shop sells by weight or length (the woocommerce_stock_amount filter).
          quantity: Type.Number({ minimum: 0 }),
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

export function normalizeWooCommerceOrder(payload: WooCommerceOrder, shop: string, event: OrderEvent = 'placed'): Order {
  const billing = payload.billing ?? undefined;
  const attributes: Record<string, string> = {};
  for (const { key, value } of payload.meta_data ?? []) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[key] = String(value);
  }
  const customerId = optionalText(payload.customer_id);
  const currency = payload.currency.toUpperCase();
  const changedAt = gmtTime(payload.date_modified_gmt);
  const occurredAt = eventTime(payload, event, changedAt);
  return {
    source: WOOCOMMERCE,
    event,
    orderId: String(payload.id),
    orderNumber: optionalText(payload.number),
    shop,
    total: String(payload.total),
    currency,
    customer: {
      id: customerId === '0' ? undefined : customerId, // 0 is WooCommerce's guest checkout
      email: optionalText(billing?.email),
      phone: optionalText(billing?.phone),
      firstName: optionalText(billing?.first_name),
      lastName: optionalText(billing?.last_name),
      ...(localeOf(attributes) && { locale: localeOf(attributes) }),
    },
    attributes,
    ...(event === 'shipped' && { shipment: shipmentOf(payload) }),
    ...(event === 'refunded' && { refund: { amount: refundedAmount(payload), currency } }),
    ...(occurredAt !== undefined && { occurredAt }),
    ...(changedAt !== undefined && { changedAt }),
    items: (payload.line_items ?? []).map((item) => ({
      name: item.name,
      quantity: item.quantity,
      price: optionalText(item.price),
      sku: optionalText(item.sku),
    })),
  };
}

const localeOf = (meta: Record<string, string>): string | undefined =>
  LOCALE_META.map((key) => meta[key]).find((value) => value !== undefined && new RegExp(LOCALE_PATTERN).test(value));

/**
 * The status is the event: it happened when the order was created (placed), completed (shipped: an
 * edit of a completed order, a partial refund, moves `date_modified`, never `date_completed`), else
 * when the order last changed.
 */
function eventTime(payload: WooCommerceOrder, event: OrderEvent, changedAt: number | undefined): number | undefined {
  if (event === 'placed') return gmtTime(payload.date_created_gmt);
  return (event === 'shipped' ? gmtTime(payload.date_completed_gmt) : undefined) ?? changedAt;
}

/** WooCommerce's `_gmt` dates carry no zone: they are UTC. */
export function gmtTime(value: string | null | undefined): number | undefined {
  const at = value ? Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

/** Completion is WooCommerce's shipment: one per order, tracked by the Shipment Tracking extension if it is there. */
function shipmentOf(payload: WooCommerceOrder): Shipment {
  const items = payload.meta_data?.find((m) => m.key === TRACKING_META)?.value;
  const last = (Array.isArray(items) ? items.at(-1) : undefined) as Record<string, unknown> | undefined;
  const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? optionalText(value) : undefined);
  const trackingNumber = text(last?.tracking_number);
  const trackingUrl = text(last?.custom_tracking_link);
  const company = text(last?.custom_tracking_provider) ?? text(last?.tracking_provider);
  return { id: 'completed', ...(trackingNumber && { trackingNumber }), ...(trackingUrl && { trackingUrl }), ...(company && { company }) };
}

/** When the order was created: its placed event's time, should a later status be the first seen of it. */
function placedAt(payload: WooCommerceOrder): { placedAt?: number } {
  const at = gmtTime(payload.date_created_gmt);
  return at === undefined ? {} : { placedAt: at };
}

/** What was refunded: the refunds' totals (WooCommerce lists them negative), else the whole order. */
function refundedAmount(payload: WooCommerceOrder): string {
  const refunds = payload.refunds ?? [];
  const sum = refunds.reduce((total, r) => total + Math.abs(Number(r.total ?? 0)), 0);
  return refunds.length > 0 ? sum.toFixed(2) : String(payload.total);
}

const ORDER = payloadKind<WooCommerceOrder>({
  schema: WooCommerceOrderSchema,
  normalize(payload, headers): Normalized {
    const event = EVENTS[payload.status];
    if (!event)
      return {
        ignored: `order status ${payload.status} is not an event this service sends messages for (${Object.keys(EVENTS).join(', ')})`,
      };
    // WooCommerce cancels an order never paid by itself (a checkout left pending, a bank transfer on
    // hold): no message of ours told of it. date_paid alone cannot say so (an order of virtual items
    // set to processing by hand keeps it null): the intake asks whether its placed event is stored.
    const unpaid = event === 'cancelled' && payload.date_paid_gmt === null;
    const site = signedSite(payload);
    const order = normalizeWooCommerceOrder(payload, site ?? header(headers, 'x-wc-webhook-source') ?? '', event);
    return {
      order,
      scope: site === undefined ? '' : siteScope(site),
      ...(event === 'shipped' && { placedIfFirst: true, ...placedAt(payload) }),
      ...(event === 'placed' && { revivesShipment: true }),
      ...(unpaid && { newsIfPlaced: NEVER_PAID }),
    };
  },
});

export const woocommerceSource: WebhookSource = {
  name: WOOCOMMERCE,
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
  payloadKind: byTopic('x-wc-webhook-topic', { 'order.created': ORDER, 'order.updated': ORDER }, 'order.updated'),
  payloadKinds: [ORDER],
};

/**
 * The site as dedupe keys name it: its address with either scheme as https, so a site moved from
 * http:// to https:// (its links changing between an order's webhooks, or its poll) keeps its orders.
 */
export const siteScope = (site: string): string => (site.startsWith('http:') ? `https:${site.slice(5)}` : site);

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
