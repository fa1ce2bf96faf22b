// The events a Shopify order's current state implies — placed; each fulfillment a shipment; its
// first refund that gave money back; its cancellation — made by the webhook source's own normalizers (sources/shopify.ts)
// from the GraphQL order put in the REST shape they read, so each has the dedupe key its webhook has.
import type { Order, OrderEvent, ReceivedOrder } from '../domain/order.ts';
import {
  normalizeShopifyFulfillment,
  normalizeShopifyOrder,
  hasShipped,
  normalizeShopifyRefund,
  refundsMoney,
  type ShopifyOrder,
  shopTime,
} from '../sources/shopify.ts';
import type { ShopifyRefund } from '../sources/shopify-payloads.ts';
import type { GraphqlOrder } from './shopify-admin.ts';

/** The REST Order the webhooks carry, from the GraphQL one (no line items or addresses: no poll reads them). */
function restOrder(order: GraphqlOrder): ShopifyOrder {
  const customer = order.customer;
  return {
    id: order.legacyResourceId,
    admin_graphql_api_id: order.id,
    name: order.name,
    total_price: order.totalPriceSet.shopMoney.amount,
    currency: order.currencyCode,
    email: order.email,
    phone: order.phone,
    customer_locale: order.customerLocale,
    order_status_url: order.statusPageUrl,
    cancel_reason: order.cancelReason?.toLowerCase() ?? null,
    created_at: order.createdAt,
    cancelled_at: order.cancelledAt,
    customer: customer && {
      id: customer.legacyResourceId,
      admin_graphql_api_id: customer.id,
      email: customer.email,
      phone: customer.phone,
      first_name: customer.firstName,
      last_name: customer.lastName,
    },
    note_attributes: order.customAttributes.map(({ key, value }) => ({ name: key, value })),
    line_items: [],
  };
}

/** Every event the order implies, the placed one first, the others in the order they happened. */
export function shopifyOrderEvents(order: GraphqlOrder, shop: string): ReceivedOrder[] {
  const rest = restOrder(order);
  const event = (name: OrderEvent, extra: Partial<Order> = {}): ReceivedOrder => ({
    order: { ...normalizeShopifyOrder(rest, shop, name), ...extra },
    scope: '',
  });
  // A fulfillment that has not shipped (pending, cancelled …) is no shipment, as its webhook is none.
  const later: ReceivedOrder[] = order.fulfillments
    .filter((f) => hasShipped(f.status))
    .map((f) => {
      const numbers = f.trackingInfo.map((t) => t.number);
      const urls = f.trackingInfo.map((t) => t.url);
      const { shipment, occurredAt } = normalizeShopifyFulfillment(
        {
          id: f.legacyResourceId,
          admin_graphql_api_id: f.id,
          order_id: order.legacyResourceId,
          created_at: f.createdAt,
          updated_at: f.updatedAt,
          tracking_company: f.trackingInfo[0]?.company ?? null,
          tracking_number: numbers[0] ?? null,
          tracking_numbers: numbers,
          tracking_url: urls[0] ?? null,
          tracking_urls: urls,
        },
        shop,
      );
      return event('shipped', { ...(shipment && { shipment }), ...(occurredAt !== undefined && { occurredAt }) });
    });
  // One refunded message per order, as its webhooks give: the first refund that gave money back,
  // each read as its webhook would carry it (refundsMoney decides for both).
  const [refund] = order.refunds
    .map(
      (r): ShopifyRefund => ({
        id: r.legacyResourceId,
        order_id: order.legacyResourceId,
        created_at: r.createdAt,
        transactions: [
          {
            amount: r.totalRefundedSet.shopMoney.amount,
            currency: r.totalRefundedSet.shopMoney.currencyCode,
            kind: 'refund',
            status: 'success',
          },
        ],
      }),
    )
    .filter(refundsMoney)
    .sort((a, b) => (shopTime(a.created_at) ?? 0) - (shopTime(b.created_at) ?? 0));
  if (refund) {
    const { refund: refunded, occurredAt } = normalizeShopifyRefund(refund);
    later.push(event('refunded', { ...(refunded && { refund: refunded }), ...(occurredAt !== undefined && { occurredAt }) }));
  }
  if (order.cancelledAt) later.push(event('cancelled'));
  later.sort((a, b) => (a.order.occurredAt ?? 0) - (b.order.occurredAt ?? 0));
  // Each event knows what came after it, so a message those withdraw is not sent before they are stored.
  const events = [event('placed'), ...later];
  return events.map((e, i) => (i + 1 < events.length ? { ...e, followedBy: events.slice(i + 1).map((f) => f.order.event) } : e));
}
