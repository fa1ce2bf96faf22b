// Shopify `orders/create` and `orders/paid` webhooks.
// https://shopify.dev/docs/apps/build/webhooks/subscribe/https — HMAC-SHA256 of the raw body, base64.
import Type, { type Static } from 'typebox';
import type { Order } from '../domain/order.ts';
import { Amount, Currency, Id, Nullable } from './fields.ts';
import { hmacVerifier } from './signature.ts';
import { header, optionalText, topicScreen, type WebhookSource } from './source.ts';

const ORDER_TOPICS = ['orders/create', 'orders/paid'];

const Address = Type.Object({
  first_name: Nullable(Type.String()),
  last_name: Nullable(Type.String()),
  phone: Nullable(Type.String()),
});

export const ShopifyOrderSchema = Type.Object(
  {
    id: Id,
    admin_graphql_api_id: Type.Optional(Type.String()),
    name: Nullable(Type.String()),
    order_number: Type.Optional(Id),
    total_price: Amount,
    currency: Currency,
    email: Nullable(Type.String()),
    contact_email: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    order_status_url: Nullable(Type.String()),
    customer: Nullable(
      Type.Object({
        id: Type.Optional(Id),
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

/** Shopify ids can exceed 2^53; the GraphQL id keeps the exact digits that JSON numbers lose. */
function exactId(id: string | number | undefined, graphqlId: string | undefined): string | undefined {
  const tail = graphqlId?.match(/\/(\d+)$/)?.[1];
  return tail ?? optionalText(id);
}

export function normalizeShopifyOrder(payload: ShopifyOrder, shop: string): Order {
  const customer = payload.customer ?? undefined;
  const billing = payload.billing_address ?? undefined;
  const shipping = payload.shipping_address ?? undefined;
  const attributes: Record<string, string> = {};
  for (const { name, value } of payload.note_attributes ?? []) if (value !== null) attributes[name] = String(value);
  return {
    source: 'shopify',
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
    },
    attributes,
    items: (payload.line_items ?? []).map((item) => ({
      name: item.title,
      quantity: item.quantity,
      price: optionalText(item.price),
      sku: optionalText(item.sku),
    })),
  };
}

export const shopifySource: WebhookSource<ShopifyOrder> = {
  name: 'shopify',
  path: '/webhooks/shopify',
  secret: {
    name: 'SHOPIFY_WEBHOOK_SECRET',
    schema: Type.String({ description: "the Shopify app's API secret key; unset disables /webhooks/shopify", minLength: 1 }),
  },
  topicHeader: 'x-shopify-topic',
  verifier: (secret) => hmacVerifier(secret, 'X-Shopify-Hmac-Sha256'),
  screen: topicScreen('x-shopify-topic', ORDER_TOPICS),
  payloadSchema: ShopifyOrderSchema,
  normalize(payload, headers) {
    // Shopify's order ids are global (gid://shopify/Order/N), unique across shops: the unsigned
    // X-Shopify-Shop-Domain names the shop for rules and people, and no part of the dedupe key.
    return { order: normalizeShopifyOrder(payload, header(headers, 'x-shopify-shop-domain') ?? ''), scope: '' };
  },
};
