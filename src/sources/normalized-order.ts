// The normalized order: the contract of POST /webhooks/orders. Shopify and WooCommerce payloads
// are turned into the same Order (domain/order.ts); mapping and delivery only ever see that.
import Type, { type Static } from 'typebox';
import { isDeliveryStage, isShipmentEvent, LOCALE_PATTERN, ORDER_EVENTS, type Order } from '../domain/order.ts';
import { Amount, Currency, Id } from './fields.ts';
import { optionalText } from './source.ts';

const Scalar = Type.Union([Type.String({ maxLength: 2000 }), Type.Number(), Type.Boolean()]);
/** A link, or "" for none (as for every optional text: a shop may send "" rather than leave it out). */
const Link = Type.String({ pattern: '^(https?://|$)', maxLength: 2000 });

export const NormalizedOrderSchema = Type.Object(
  {
    event: Type.Optional(Type.Enum([...ORDER_EVENTS], { description: 'what happened to the order; placed when absent' })),
    orderId: Id,
    orderNumber: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Integer()])),
    shop: Type.Optional(Type.String({ maxLength: 300 })),
    total: Amount,
    currency: Currency,
    statusUrl: Type.Optional(Link),
    customer: Type.Object({
      id: Type.Optional(Id),
      email: Type.Optional(Type.String({ maxLength: 320 })),
      phone: Type.Optional(Type.String({ maxLength: 50 })),
      firstName: Type.Optional(Type.String({ maxLength: 200 })),
      lastName: Type.Optional(Type.String({ maxLength: 200 })),
      locale: Type.Optional(
        Type.String({
          pattern: `${LOCALE_PATTERN}|^$`,
          maxLength: 35,
          description: "the customer's language, e.g. zh-TW",
        }),
      ),
    }),
    shipment: Type.Optional(
      Type.Object(
        {
          id: Id,
          trackingNumber: Type.Optional(Type.String({ maxLength: 200 })),
          trackingUrl: Type.Optional(Link),
          company: Type.Optional(Type.String({ maxLength: 200 })),
          estimatedDeliveryAt: Type.Optional(Type.String({ maxLength: 100 })),
          city: Type.Optional(Type.String({ maxLength: 200 })),
          message: Type.Optional(Type.String({ maxLength: 2000 })),
        },
        { description: 'for a shipped event or a delivery stage (delivered, ...): one message per shipment id and event' },
      ),
    ),
    occurredAt: Type.Optional(
      Type.String({
        maxLength: 40,
        description: "when the event happened, by the shop's clock (ISO 8601 with its offset): for a rule's maxAge",
      }),
    ),
    cancelReason: Type.Optional(Type.String({ maxLength: 500 })),
    refund: Type.Optional(Type.Object({ amount: Amount, currency: Currency })),
    attributes: Type.Optional(Type.Record(Type.String({ maxLength: 200 }), Scalar, { maxProperties: 200 })),
    items: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.String({ maxLength: 500 }),
          quantity: Type.Number({ minimum: 0, description: 'a decimal for goods sold by weight or length' }),
          price: Type.Optional(Amount),
          sku: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        { maxItems: 1000 },
      ),
    ),
  },
  { description: 'A normalized order, as any shop can send it to POST /webhooks/orders' },
);
export type NormalizedOrderPayload = Static<typeof NormalizedOrderSchema>;

/** An ISO 8601 date and time with its offset (without one, it would be read in the server's own zone). */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/;

/** A control character: the parts of an order event's key (domain/delivery.ts dedupeKey) are joined by one. */
const CONTROL = /\p{Cc}/u;

/**
 * What the schema cannot say: a shipped event or a delivery stage names its shipment; an id is
 * exact (a JSON number past 2^53 has lost digits: two orders would be one) and, with the shop, holds
 * no control character (another order's key could be spelled with one).
 */
export function normalizedOrderProblem(payload: NormalizedOrderPayload): string | undefined {
  const problems: string[] = [];
  if (payload.event !== undefined && isShipmentEvent(payload.event) && !payload.shipment)
    problems.push(`body/shipment is required for a ${payload.event} event: {"id", "trackingNumber"?, "trackingUrl"?, "company"?}`);
  const keyed: [string, string | number | undefined][] = [
    ['orderId', payload.orderId],
    ['shop', payload.shop],
    ['shipment/id', payload.shipment?.id],
    ['customer/id', payload.customer.id],
  ];
  if (payload.occurredAt !== undefined && (!ISO_TIME.test(payload.occurredAt) || Number.isNaN(Date.parse(payload.occurredAt))))
    problems.push('body/occurredAt must be a time such as 2026-12-01T10:00:00+08:00');
  for (const [field, value] of keyed) {
    if (typeof value === 'number' && !Number.isSafeInteger(value))
      problems.push(`body/${field} is a number too large for JSON to carry exactly (over 2^53): send it as a string`);
    else if (typeof value === 'string' && CONTROL.test(value)) problems.push(`body/${field} must not hold control characters`);
  }
  return problems.length > 0 ? problems.join(', ') : undefined;
}

/** The normalized payload as an Order; `shop` comes from the payload, else from where it was sent. */
export function fromNormalizedPayload(payload: NormalizedOrderPayload, fallbackShop = ''): Order {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload.attributes ?? {})) attributes[name] = String(value);
  const { shipment, refund, cancelReason } = payload;
  return {
    source: 'orders',
    event: payload.event ?? 'placed',
    orderId: String(payload.orderId),
    orderNumber: optionalText(payload.orderNumber),
    shop: payload.shop ?? fallbackShop,
    total: String(payload.total),
    currency: payload.currency.toUpperCase(),
    statusUrl: optionalText(payload.statusUrl),
    customer: {
      id: optionalText(payload.customer.id),
      email: optionalText(payload.customer.email),
      phone: optionalText(payload.customer.phone),
      firstName: optionalText(payload.customer.firstName),
      lastName: optionalText(payload.customer.lastName),
      ...(optionalText(payload.customer.locale) && { locale: payload.customer.locale }),
    },
    attributes,
    ...(shipment && {
      shipment: {
        id: String(shipment.id),
        ...(optionalText(shipment.trackingNumber) && { trackingNumber: shipment.trackingNumber }),
        ...(optionalText(shipment.trackingUrl) && { trackingUrl: shipment.trackingUrl }),
        ...(optionalText(shipment.company) && { company: shipment.company }),
        ...(payload.event !== undefined && isDeliveryStage(payload.event) && { status: payload.event }),
        ...(optionalText(shipment.estimatedDeliveryAt) && { estimatedDeliveryAt: shipment.estimatedDeliveryAt }),
        ...(optionalText(shipment.city) && { city: shipment.city }),
        ...(optionalText(shipment.message) && { message: shipment.message }),
      },
    }),
    ...(payload.occurredAt !== undefined && { occurredAt: Date.parse(payload.occurredAt) }),
    ...(optionalText(cancelReason) && { cancelReason }),
    ...(refund && { refund: { amount: String(refund.amount), currency: refund.currency.toUpperCase() } }),
    items: (payload.items ?? []).map((item) => ({
      name: item.name,
      quantity: item.quantity,
      price: optionalText(item.price),
      sku: item.sku,
    })),
  };
}
