// The events a Shopify order's current state implies — placed; each fulfillment a shipment; its
// first refund; its cancellation — made by the webhook source's own normalizers (sources/shopify.ts)
// from the GraphQL order put in the REST shape they read, so each has the dedupe key its webhook has.
import type { OrderEvent } from '../domain/order.ts';
import { normalizeShopifyFulfillment, normalizeShopifyOrder, normalizeShopifyRefund, type ShopifyOrder } from '../sources/shopify.ts';
import type { ReceivedEvent } from './connection.ts';
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
    order_status_url: order.statusPageUrl,
    cancel_reason: order.cancelReason?.toLowerCase() ?? null,
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

const at = (iso: string | null | undefined) => (iso ? Date.parse(iso) : undefined);

/** Every event the order implies, the placed one first, the others in the order they happened. */
export function shopifyOrderEvents(order: GraphqlOrder, shop: string): ReceivedEvent[] {
  const rest = restOrder(order);
  const event = (name: OrderEvent, occurredAt: number | undefined, extra: Partial<ReturnType<typeof normalizeShopifyOrder>> = {}) => ({
    order: { ...normalizeShopifyOrder(rest, shop, name), ...extra },
    scope: '',
    ...(occurredAt !== undefined && { occurredAt }),
  });
  const later: ReceivedEvent[] = order.fulfillments.map((f) => {
    const numbers = f.trackingInfo.map((t) => t.number);
    const urls = f.trackingInfo.map((t) => t.url);
    const { shipment } = normalizeShopifyFulfillment(
      {
        id: f.legacyResourceId,
        admin_graphql_api_id: f.id,
        order_id: order.legacyResourceId,
        tracking_company: f.trackingInfo[0]?.company ?? null,
        tracking_number: numbers[0] ?? null,
        tracking_numbers: numbers,
        tracking_url: urls[0] ?? null,
        tracking_urls: urls,
      },
      shop,
    );
    return event('shipped', at(f.createdAt), { ...(shipment && { shipment }) });
  });
  // One refunded message per order, as its webhooks give: the first refund's.
  const [refund] = [...order.refunds].sort((a, b) => (at(a.createdAt) ?? 0) - (at(b.createdAt) ?? 0));
  if (refund) {
    const money = refund.totalRefundedSet.shopMoney;
    const { refund: refunded } = normalizeShopifyRefund({
      id: refund.legacyResourceId,
      order_id: order.legacyResourceId,
      transactions: [{ amount: money.amount, currency: money.currencyCode, kind: 'refund', status: 'success' }],
    });
    later.push(event('refunded', at(refund.createdAt), { ...(refunded && { refund: refunded }) }));
  }
  if (order.cancelledAt) later.push(event('cancelled', at(order.cancelledAt)));
  later.sort((a, b) => (a.occurredAt ?? 0) - (b.occurredAt ?? 0));
  return [event('placed', at(order.createdAt)), ...later];
}
