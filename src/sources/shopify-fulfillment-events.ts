// Shopify's fulfillment_events/create: a fulfillment's progress as its carrier reports it (REST
// Admin API FulfillmentEvent; statuses lower-case). The statuses that are delivery stages become
// those events of the fulfillment's shipment; any other (confirmed, label_printed, delayed, ...) is
// ignored. The tracking number and link come from the fulfillment's own (shipped) webhook.
import Type, { type Static } from 'typebox';
import type { DeliveryStage, Order } from '../domain/order.ts';
import { Id, Nullable } from './fields.ts';
import { optionalText, type Normalized } from './source.ts';
import { SHOPIFY } from './names.ts';

/** Shopify's status → the stage it is. No prototype: a status `constructor` names no stage. */
export const SHOPIFY_STAGES: Readonly<Record<string, DeliveryStage>> = Object.assign(Object.create(null), {
  in_transit: 'in_transit',
  out_for_delivery: 'out_for_delivery',
  attempted_delivery: 'delivery_attempted',
  delivered: 'delivered',
  ready_for_pickup: 'ready_for_pickup',
  failure: 'delivery_failed',
});

const Text = (maxLength: number) => Nullable(Type.String({ maxLength }));

export const ShopifyFulfillmentEventSchema = Type.Object(
  {
    id: Type.Optional(Id),
    fulfillment_id: Id,
    order_id: Id,
    status: Type.String({ minLength: 1, maxLength: 100 }),
    happened_at: Text(100),
    estimated_delivery_at: Text(100),
    city: Text(200),
    message: Text(2000),
  },
  { description: 'A Shopify fulfillment event webhook payload (REST Admin API FulfillmentEvent resource)' },
);
export type ShopifyFulfillmentEvent = Static<typeof ShopifyFulfillmentEventSchema>;

/** `occurredAt`: its happened_at, read by the Shopify source as it reads every Shopify time. */
export function normalizeShopifyFulfillmentEvent(payload: ShopifyFulfillmentEvent, shop: string, occurredAt?: number): Normalized {
  const stage = SHOPIFY_STAGES[payload.status.toLowerCase()];
  if (!stage) {
    return {
      ignored: `fulfillment event status ${payload.status} is not a delivery stage this service sends messages for (${Object.keys(SHOPIFY_STAGES).join(', ')})`,
    };
  }
  const estimatedDeliveryAt = optionalText(payload.estimated_delivery_at);
  const city = optionalText(payload.city);
  const message = optionalText(payload.message);
  const order: Order = {
    source: SHOPIFY,
    event: stage,
    orderId: String(payload.order_id),
    shop,
    ...(occurredAt !== undefined && { occurredAt }),
    customer: {},
    attributes: {},
    items: [],
    shipment: {
      id: String(payload.fulfillment_id),
      status: stage,
      ...(estimatedDeliveryAt && { estimatedDeliveryAt }),
      ...(city && { city }),
      ...(message && { message }),
    },
  };
  return { order, scope: '' };
}
