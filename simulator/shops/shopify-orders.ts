// The stand-in shop's orders, and the two shapes Shopify shows them in: the GraphQL Admin API's
// Order (what a poll reads) and the REST resources its webhooks carry (orders/*, fulfillments/*,
// refunds/create). One record feeds both, so a poll and a webhook always tell the same story.
import { isoSeconds } from './http.ts';
import { CURRENCY_CODES } from './shopify-schema.ts';

export interface ShopifyCustomerInput {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
}

export interface ShopifyOrderInput {
  email?: string | null;
  phone?: string | null;
  customer?: ShopifyCustomerInput | null;
  /** The order's note attributes (GraphQL `customAttributes`), e.g. `{ line_uid: 'U…' }`. */
  customAttributes?: Record<string, string>;
  lineItems?: { title: string; quantity: number; price: string; sku?: string | null }[];
  /** Defaults to the sum of the line items. */
  total?: string;
  currency?: string;
  customerLocale?: string;
  /** `paid` (the default) also sends orders/paid. */
  financialStatus?: 'paid' | 'pending';
}

export interface Tracking {
  company?: string | null;
  number?: string | null;
  url?: string | null;
}

export interface ShopifyFulfillmentRecord {
  legacyId: number;
  name: string;
  createdAt: number;
  updatedAt: number;
  tracking: Tracking[];
}

export interface ShopifyRefundRecord {
  legacyId: number;
  createdAt: number;
  amount: string;
  note: string | null;
}

export interface ShopifyOrderRecord {
  legacyId: number;
  orderNumber: number;
  name: string;
  createdAt: number;
  updatedAt: number;
  cancelledAt: number | null;
  /** GraphQL's OrderCancelReason: CUSTOMER, DECLINED, FRAUD, INVENTORY, OTHER, STAFF. */
  cancelReason: string | null;
  email: string | null;
  phone: string | null;
  customerLocale: string;
  currency: string;
  total: string;
  financialStatus: string;
  customer: (Required<ShopifyCustomerInput> & { legacyId: number }) | null;
  attributes: { key: string; value: string }[];
  lineItems: { legacyId: number; title: string; quantity: number; price: string; sku: string | null }[];
  fulfillments: ShopifyFulfillmentRecord[];
  refunds: ShopifyRefundRecord[];
}

/** A new order's record; `next` hands out the shop's ids and order numbers. */
export function buildOrder(
  input: ShopifyOrderInput,
  at: number,
  next: (kind: 'number' | 'order' | 'customer' | 'item') => number,
): ShopifyOrderRecord {
  const items = input.lineItems ?? [{ title: 'Oolong tea', quantity: 2, price: '600.00', sku: 'TEA-1' }];
  const lineItems = items.map((item) => ({ legacyId: next('item'), sku: null, ...item }));
  const currency = input.currency ?? 'TWD';
  if (!CURRENCY_CODES.includes(currency)) throw new Error(`the stand-in knows no currency ${currency}`);
  const number = next('number');
  const customer =
    input.customer === null ? null : { firstName: 'Mei', lastName: 'Lin', email: 'mei@example.com', phone: null, ...input.customer };
  return {
    legacyId: next('order'),
    orderNumber: number,
    name: `#${number}`,
    createdAt: at,
    updatedAt: at,
    cancelledAt: null,
    cancelReason: null,
    email: input.email === undefined ? (customer?.email ?? null) : input.email,
    phone: input.phone ?? null,
    customerLocale: input.customerLocale ?? 'zh-TW',
    currency,
    total: input.total ?? lineItems.reduce((sum, i) => sum + Number(i.price) * i.quantity, 0).toFixed(2),
    financialStatus: input.financialStatus ?? 'paid',
    customer: customer && { legacyId: next('customer'), ...customer },
    attributes: Object.entries(input.customAttributes ?? {}).map(([key, value]) => ({ key, value })),
    lineItems,
    fulfillments: [],
    refunds: [],
  };
}

export const gid = (type: string, id: number) => `gid://shopify/${type}/${id}`;
const money = (amount: string, currencyCode: string) => {
  const one = { amount, currencyCode };
  return { shopMoney: one, presentmentMoney: one };
};
const statusPageUrl = (shop: string, order: ShopifyOrderRecord) => `https://${shop}/${order.legacyId}/orders/${order.legacyId}-status`;

/** The order as the GraphQL Admin API answers it; a field with arguments is a function of them, as graphql-js resolves. */
export function graphqlOrder(order: ShopifyOrderRecord, shop: string) {
  const firstOf =
    <T>(list: T[]) =>
    ({ first }: { first?: number | null }) =>
      first == null ? list : list.slice(0, first);
  return {
    id: gid('Order', order.legacyId),
    legacyResourceId: String(order.legacyId),
    name: order.name,
    createdAt: isoSeconds(order.createdAt),
    updatedAt: isoSeconds(order.updatedAt),
    processedAt: isoSeconds(order.createdAt),
    cancelledAt: order.cancelledAt === null ? null : isoSeconds(order.cancelledAt),
    cancelReason: order.cancelReason,
    closed: false,
    email: order.email,
    phone: order.phone,
    customerLocale: order.customerLocale,
    currencyCode: order.currency,
    displayFinancialStatus: order.refunds.length > 0 ? 'PARTIALLY_REFUNDED' : order.financialStatus.toUpperCase(),
    statusPageUrl: statusPageUrl(shop, order),
    totalPriceSet: money(order.total, order.currency),
    customAttributes: order.attributes,
    customer: order.customer && {
      id: gid('Customer', order.customer.legacyId),
      legacyResourceId: String(order.customer.legacyId),
      firstName: order.customer.firstName,
      lastName: order.customer.lastName,
      displayName: [order.customer.firstName, order.customer.lastName].filter(Boolean).join(' ') || order.customer.email || '',
      email: order.customer.email,
      phone: order.customer.phone,
    },
    fulfillments: firstOf(
      order.fulfillments.map((f) => ({
        id: gid('Fulfillment', f.legacyId),
        legacyResourceId: String(f.legacyId),
        name: f.name,
        status: 'SUCCESS',
        createdAt: isoSeconds(f.createdAt),
        updatedAt: isoSeconds(f.updatedAt),
        trackingInfo: firstOf(f.tracking.map((t) => ({ company: t.company ?? null, number: t.number ?? null, url: t.url ?? null }))),
      })),
    ),
    refunds: firstOf(
      order.refunds.map((r) => ({
        id: gid('Refund', r.legacyId),
        legacyResourceId: String(r.legacyId),
        createdAt: isoSeconds(r.createdAt),
        note: r.note,
        totalRefundedSet: money(r.amount, order.currency),
      })),
    ),
  };
}

/** The REST Admin API Order, the body of orders/create, orders/paid, orders/updated and orders/cancelled. */
export function restOrder(order: ShopifyOrderRecord, shop: string) {
  return {
    id: order.legacyId,
    admin_graphql_api_id: gid('Order', order.legacyId),
    name: order.name,
    order_number: order.orderNumber,
    number: order.orderNumber - 1000,
    created_at: isoSeconds(order.createdAt),
    updated_at: isoSeconds(order.updatedAt),
    processed_at: isoSeconds(order.createdAt),
    cancelled_at: order.cancelledAt === null ? null : isoSeconds(order.cancelledAt),
    cancel_reason: order.cancelReason?.toLowerCase() ?? null,
    email: order.email,
    contact_email: order.email,
    phone: order.phone,
    customer_locale: order.customerLocale,
    currency: order.currency,
    presentment_currency: order.currency,
    total_price: order.total,
    financial_status: order.refunds.length > 0 ? 'partially_refunded' : order.financialStatus,
    fulfillment_status: order.fulfillments.length > 0 ? 'fulfilled' : null,
    order_status_url: statusPageUrl(shop, order),
    customer: order.customer && {
      id: order.customer.legacyId,
      admin_graphql_api_id: gid('Customer', order.customer.legacyId),
      first_name: order.customer.firstName,
      last_name: order.customer.lastName,
      email: order.customer.email,
      phone: order.customer.phone,
    },
    note_attributes: order.attributes.map(({ key, value }) => ({ name: key, value })),
    line_items: order.lineItems.map((item) => ({
      id: item.legacyId,
      admin_graphql_api_id: gid('LineItem', item.legacyId),
      title: item.title,
      name: item.title,
      quantity: item.quantity,
      price: item.price,
      sku: item.sku,
    })),
    fulfillments: order.fulfillments.map((f) => restFulfillment(order, f)),
    refunds: order.refunds.map((r) => restRefund(order, r)),
  };
}

/** The REST Fulfillment, the body of fulfillments/create and fulfillments/update. */
export function restFulfillment(order: ShopifyOrderRecord, f: ShopifyFulfillmentRecord) {
  const first = f.tracking[0];
  return {
    id: f.legacyId,
    admin_graphql_api_id: gid('Fulfillment', f.legacyId),
    order_id: order.legacyId,
    name: f.name,
    status: 'success',
    created_at: isoSeconds(f.createdAt),
    updated_at: isoSeconds(f.updatedAt),
    tracking_company: first?.company ?? null,
    tracking_number: first?.number ?? null,
    tracking_numbers: f.tracking.map((t) => t.number ?? null),
    tracking_url: first?.url ?? null,
    tracking_urls: f.tracking.map((t) => t.url ?? null),
  };
}

/** The REST Refund, the body of refunds/create: its money is in the refund transactions. */
export function restRefund(order: ShopifyOrderRecord, r: ShopifyRefundRecord) {
  return {
    id: r.legacyId,
    admin_graphql_api_id: gid('Refund', r.legacyId),
    order_id: order.legacyId,
    created_at: isoSeconds(r.createdAt),
    processed_at: isoSeconds(r.createdAt),
    note: r.note,
    transactions: [
      { id: r.legacyId + 1, order_id: order.legacyId, amount: r.amount, currency: order.currency, kind: 'refund', status: 'success' },
    ],
  };
}
