// Stored orders for the store suites, as the intake would hand them to the store.
import { dedupeKey } from '../../src/domain/delivery.ts';
import type { IncomingOrder } from '../../src/domain/delivery.ts';
import type { Order, StoredOrder } from '../../src/domain/order.ts';

/** An order as the sources make one (placed unless told), for tests that build orders by hand. */
export type TestOrder = Omit<StoredOrder, 'event'> & Partial<Pick<StoredOrder, 'event'>>;

/** What the intake stores for `order` with `plan`: the dedupe key and columns come from the order. */
export function incomingOrder(
  order: TestOrder,
  rest: Omit<IncomingOrder, 'dedupeKey' | 'source' | 'shop' | 'orderId' | 'order' | 'event'>,
): IncomingOrder {
  const stored: StoredOrder = { ...order, event: order.event ?? 'placed' };
  return {
    dedupeKey: dedupeKey(order.source, order.shop, order.orderId, stored.event),
    source: order.source,
    shop: order.shop,
    orderId: order.orderId,
    order: stored,
    event: stored.event,
    ...rest,
  };
}

/** A placed order with its line items, as a source normalizes one. */
export const placedOrder = (order: Omit<Order, 'event'> & Partial<Pick<Order, 'event'>>): Order => ({
  ...order,
  event: order.event ?? 'placed',
});
