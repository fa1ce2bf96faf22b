// Stored orders for the store suites, as the intake would hand them to the store.
import { dedupeKey } from '../../src/delivery/intake.ts';
import type { IncomingOrder } from '../../src/domain/delivery.ts';
import type { StoredOrder } from '../../src/domain/order.ts';

/** What the intake stores for `order` with `plan`: the dedupe key and columns come from the order. */
export function incomingOrder(
  order: StoredOrder,
  rest: Omit<IncomingOrder, 'dedupeKey' | 'source' | 'shop' | 'orderId' | 'order'>,
): IncomingOrder {
  return {
    dedupeKey: dedupeKey(order.source, order.shop, order.orderId),
    source: order.source,
    shop: order.shop,
    orderId: order.orderId,
    order,
    ...rest,
  };
}
