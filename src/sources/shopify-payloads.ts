// The Shopify payloads the service reads: the REST Admin API's Order (orders/create, orders/paid,
// orders/cancelled), Fulfillment (fulfillments/create, fulfillments/update) and Refund (refunds/create).
import Type, { type Static } from 'typebox';
import { Amount, Currency, GraphqlBackedId, Id, Nullable } from './fields.ts';

const Address = Type.Object({
  first_name: Nullable(Type.String()),
  last_name: Nullable(Type.String()),
  phone: Nullable(Type.String()),
});

export const ShopifyOrderSchema = Type.Object(
  {
    id: GraphqlBackedId,
    admin_graphql_api_id: Type.Optional(Type.String()),
    name: Nullable(Type.String()),
    order_number: Type.Optional(Id),
    total_price: Amount,
    currency: Currency,
    email: Nullable(Type.String()),
    contact_email: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    order_status_url: Nullable(Type.String()),
    customer_locale: Nullable(Type.String({ maxLength: 35 })),
    cancel_reason: Nullable(Type.String({ maxLength: 200 })),
    created_at: Nullable(Type.String({ maxLength: 40 })),
    cancelled_at: Nullable(Type.String({ maxLength: 40 })),
    customer: Nullable(
      Type.Object({
        id: Type.Optional(GraphqlBackedId),
        admin_graphql_api_id: Type.Optional(Type.String()),
        email: Nullable(Type.String()),
        phone: Nullable(Type.String()),
        first_name: Nullable(Type.String()),
        last_name: Nullable(Type.String()),
      }),
    ),
    billing_address: Nullable(Address),
    shipping_address: Nullable(Address),
    note_attributes: Nullable(
      Type.Array(Type.Object({ name: Type.String(), value: Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]) }), {
        maxItems: 500,
      }),
    ),
    line_items: Nullable(
      Type.Array(
        Type.Object({
          title: Type.String(),
          quantity: Type.Integer({ minimum: 0 }),
          price: Type.Optional(Amount),
          sku: Nullable(Type.String()),
        }),
        { maxItems: 2000 },
      ),
    ),
  },
  { description: 'A Shopify order webhook payload (REST Admin API Order resource)' },
);
export type ShopifyOrder = Static<typeof ShopifyOrderSchema>;

const Texts = Nullable(Type.Array(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]), { maxItems: 50 }));

export const ShopifyFulfillmentSchema = Type.Object(
  {
    id: Id,
    order_id: Id,
    admin_graphql_api_id: Type.Optional(Type.String()),
    created_at: Nullable(Type.String({ maxLength: 40 })),
    updated_at: Nullable(Type.String({ maxLength: 40 })),
    name: Nullable(Type.String()),
    status: Nullable(Type.String()),
    tracking_company: Nullable(Type.String({ maxLength: 200 })),
    tracking_number: Nullable(Type.String({ maxLength: 200 })),
    tracking_numbers: Texts,
    tracking_url: Nullable(Type.String({ maxLength: 2000 })),
    tracking_urls: Texts,
  },
  { description: 'A Shopify fulfillment webhook payload (REST Admin API Fulfillment resource)' },
);
export type ShopifyFulfillment = Static<typeof ShopifyFulfillmentSchema>;

export const ShopifyRefundSchema = Type.Object(
  {
    id: Id,
    order_id: Id,
    admin_graphql_api_id: Type.Optional(Type.String()),
    created_at: Nullable(Type.String({ maxLength: 40 })),
    transactions: Nullable(
      Type.Array(
        Type.Object({
          amount: Nullable(Amount),
          currency: Nullable(Type.String({ maxLength: 10 })),
          kind: Nullable(Type.String()),
          status: Nullable(Type.String()),
        }),
        { maxItems: 200 },
      ),
    ),
  },
  { description: 'A Shopify refund webhook payload (REST Admin API Refund resource)' },
);
export type ShopifyRefund = Static<typeof ShopifyRefundSchema>;
