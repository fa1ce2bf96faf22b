// The normalized order: the contract of POST /webhooks/orders. Shopify and WooCommerce payloads
// are turned into the same Order (domain/order.ts); mapping and delivery only ever see that.
import Type, { type Static } from 'typebox';
import { isDeliveryStage, isShipmentEvent, LOCALE_PATTERN, ORDER_EVENTS, type Order } from '../domain/order.ts';
import { Amount, Currency, KeyText, StrictId } from './fields.ts';
import { optionalText } from './source.ts';
import { NORMALIZED } from './names.ts';

const Scalar = Type.Union([Type.String({ maxLength: 2000 }), Type.Number(), Type.Boolean()]);
/** A link, or "" for none (as for every optional text: a shop may send "" rather than leave it out). */
const Link = Type.String({ pattern: '^(https?://|$)', maxLength: 2000 });

export const NormalizedOrderSchema = Type.Object(
  {
    event: Type.Optional(Type.Enum([...ORDER_EVENTS], { description: 'what happened to the order; placed when absent' })),
    orderId: StrictId,
    orderNumber: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Integer()])),
    shop: Type.Optional(KeyText(300)),
    total: Amount,
    currency: Currency,
    statusUrl: Type.Optional(Link),
    customer: Type.Object({
      id: Type.Optional(StrictId),
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
          id: StrictId,
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

/**
 * Whether an ISO_TIME names a real moment: no 30 February, no 25:00 (Date.parse rolls them over into
 * another day). 24:00 is ISO 8601's end of the day, as Date.parse reads it.
 */
function isRealTime(text: string): boolean {
  const [, year, month, day, hour, minute, second] = (/^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?/.exec(text) ?? []).map(Number);
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, day));
  const endOfDay = hour === 24 && minute === 0 && !(Number(second) > 0);
  return (
    date.getUTCMonth() === Number(month) - 1 &&
    date.getUTCDate() === day &&
    (Number(hour) < 24 || endOfDay) &&
    Number(minute) < 60 &&
    !(Number(second) >= 60)
  );
}

/**
 * What the schema cannot say: a shipped event or a delivery stage names its shipment; an event's
 * time is a real one. (That ids are exact and hold no control character is the schema's: fields.ts.)
 */
export function normalizedOrderProblem(payload: NormalizedOrderPayload): string | undefined {
  const problems: string[] = [];
  if (payload.event !== undefined && isShipmentEvent(payload.event) && !payload.shipment)
    problems.push(`body/shipment is required for a ${payload.event} event: {"id", "trackingNumber"?, "trackingUrl"?, "company"?}`);
  const { occurredAt } = payload;
  if (occurredAt !== undefined && (!ISO_TIME.test(occurredAt) || !isRealTime(occurredAt) || Number.isNaN(Date.parse(occurredAt))))
    problems.push('body/occurredAt must be a time such as 2026-12-01T10:00:00+08:00');
  return problems.length > 0 ? problems.join(', ') : undefined;
}

/** The normalized payload as an Order; `shop` comes from the payload, else from where it was sent. */
export function fromNormalizedPayload(payload: NormalizedOrderPayload, fallbackShop = ''): Order {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload.attributes ?? {})) attributes[name] = String(value);
  const { shipment, refund, cancelReason } = payload;
  return {
    source: NORMALIZED,
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
