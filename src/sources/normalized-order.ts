// The normalized order: the contract of POST /webhooks/orders. Shopify and WooCommerce payloads
// are turned into the same Order (domain/order.ts); mapping and delivery only ever see that.
import Type, { type Static } from 'typebox';
import type { Order } from '../domain/order.ts';
import { Amount, Currency, Id } from './fields.ts';
import { optionalText } from './source.ts';

const Scalar = Type.Union([Type.String({ maxLength: 2000 }), Type.Number(), Type.Boolean()]);

export const NormalizedOrderSchema = Type.Object(
  {
    orderId: Id,
    orderNumber: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Integer()])),
    shop: Type.Optional(Type.String({ maxLength: 300 })),
    total: Amount,
    currency: Currency,
    statusUrl: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2000 })),
    customer: Type.Object({
      id: Type.Optional(Id),
      email: Type.Optional(Type.String({ maxLength: 320 })),
      phone: Type.Optional(Type.String({ maxLength: 50 })),
      firstName: Type.Optional(Type.String({ maxLength: 200 })),
      lastName: Type.Optional(Type.String({ maxLength: 200 })),
    }),
    attributes: Type.Optional(Type.Record(Type.String({ maxLength: 200 }), Scalar, { maxProperties: 200 })),
    items: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.String({ maxLength: 500 }),
          quantity: Type.Integer({ minimum: 0 }),
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

/** The normalized payload as an Order; `shop` comes from the payload, else from where it was sent. */
export function fromNormalizedPayload(payload: NormalizedOrderPayload, fallbackShop = ''): Order {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload.attributes ?? {})) attributes[name] = String(value);
  return {
    source: 'orders',
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
    },
    attributes,
    items: (payload.items ?? []).map((item) => ({
      name: item.name,
      quantity: item.quantity,
      price: optionalText(item.price),
      sku: item.sku,
    })),
  };
}
