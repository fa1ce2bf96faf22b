// An event's webhook may not carry its order (Shopify's fulfillments, refunds and fulfillment
// events name only the order's id): what the order's earlier events stored fills it in, at intake
// and again when the worker decides an event that came before its order.
import type { Customer, Order, StoredOrder } from '../domain/order.ts';

/** A delivery stage's shipment, with what its fulfillment's shipped event said (tracking number, link, carrier). */
export function withShipmentDetails(order: Order, shipped: StoredOrder | null | undefined): Order {
  if (!shipped?.shipment || !order.shipment) return order;
  return { ...order, shipment: { ...shipped.shipment, ...order.shipment } };
}

/** The order's own fields from its placed event, under what this event says itself. */
export function withPlacedDetails(order: Order, placed: StoredOrder | null | undefined): Order {
  if (!placed) return order;
  return {
    ...placed,
    ...Object.fromEntries(Object.entries(order).filter(([, v]) => v !== undefined)),
    customer: customerOf(order.customer, placed.customer),
    occurredAt: order.occurredAt, // the event's own time, never the placed one's
    attributes: { ...placed.attributes, ...order.attributes },
    items: order.items,
  } as Order;
}

/**
 * The event's customer over the placed one's, field by field (a shop resending only the e-mail keeps
 * the name and the language), unless the event names another customer (another id or e-mail): then its own.
 */
function customerOf(said: Customer, placed: Customer): Customer {
  const differs = (a: string | undefined, b: string | undefined) =>
    a !== undefined && b !== undefined && a.toLowerCase() !== b.toLowerCase();
  if (differs(said.id, placed.id) || differs(said.email, placed.email)) return said;
  const merged: Customer = { ...placed };
  for (const [field, value] of Object.entries(said) as [keyof Customer, string | undefined][])
    if (value !== undefined) merged[field] = value;
  return merged;
}
