// An order as the whole service sees it, whatever shop platform sent it. Every id is a string.

/**
 * A shipment's progress after it left, each its own message per shipment (Shopify's fulfillment
 * events; the normalized order). These names are the contract: rules, the stored deliveries and the
 * metrics all use them.
 */
export const DELIVERY_STAGES = [
  'in_transit',
  'out_for_delivery',
  'delivery_attempted',
  'delivered',
  'ready_for_pickup',
  'delivery_failed',
] as const;
export type DeliveryStage = (typeof DELIVERY_STAGES)[number];

/** What happened to an order: each is its own message (rules choose by event). */
export const ORDER_EVENTS = ['placed', 'shipped', 'cancelled', 'refunded', ...DELIVERY_STAGES] as const;
export type OrderEvent = (typeof ORDER_EVENTS)[number];

export const isDeliveryStage = (event: OrderEvent): event is DeliveryStage => (DELIVERY_STAGES as readonly string[]).includes(event);
/** The events that belong to one shipment: one message per (shipment, event). */
export const isShipmentEvent = (event: OrderEvent): boolean => event === 'shipped' || isDeliveryStage(event);
/** A parcel's events before it is delivered (its shipment, the stages on its way): none is sent once it is. */
export const BEFORE_DELIVERY = ['shipped', 'in_transit', 'out_for_delivery', 'delivery_attempted'] as const satisfies readonly OrderEvent[];
export const isBeforeDelivery = (event: OrderEvent): boolean => (BEFORE_DELIVERY as readonly string[]).includes(event);
/** The events after which the order goes no further: no news of its shipment is announced once either is stored. */
export const ORDER_ENDINGS = ['cancelled', 'refunded'] as const satisfies readonly OrderEvent[];
export const isOrderEnding = (event: OrderEvent): boolean => (ORDER_ENDINGS as readonly string[]).includes(event);

/** Whether an event names its customer at all (any customer field). */
export const namesCustomer = (order: Pick<Order, 'customer'>): boolean => Object.values(order.customer).some((v) => v !== undefined);

/** An event that says nothing of its customer (no customer field, no attribute): only its order can. */
export const isBare = (order: Pick<Order, 'customer' | 'attributes'>): boolean =>
  !namesCustomer(order) && Object.keys(order.attributes).length === 0;

/** A language tag as shops write one (zh-TW, zh_TW, en): a language of 2 or 3 letters and optional subtags. */
export const LOCALE_PATTERN = '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$';

export interface Customer {
  id?: string;
  email?: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  /** The customer's language as the shop knows it (a BCP 47 tag such as zh-TW). */
  locale?: string;
}

export interface OrderItem {
  name: string;
  quantity: number;
  price?: string;
  sku?: string;
}

/** A shipment of the order (a Shopify fulfillment; WooCommerce's completion): one message each, and one per delivery stage. */
export interface Shipment {
  id: string;
  trackingNumber?: string;
  trackingUrl?: string;
  company?: string;
  /** For a delivery stage: the stage (one of DELIVERY_STAGES), and what the carrier said with it. */
  status?: string;
  estimatedDeliveryAt?: string;
  city?: string;
  message?: string;
  /** When the shop last changed it (ms, by its own clock), where it says: an older update never overwrites a newer one. */
  updatedAt?: number;
}

/** What a shipment's update did to the one kept: changed it, said it again, or came too late (older, or none kept). */
export type ShipmentUpdate = 'changed' | 'same' | 'stale';

/** An update older than what is kept, by the shop's own clock (a redelivery overtaken by a newer update). */
export const isOlderUpdate = (kept: Shipment, update: Shipment): boolean =>
  update.updatedAt !== undefined && kept.updatedAt !== undefined && update.updatedAt < kept.updatedAt;

/**
 * A shipment as a later update of it leaves it (tracking added after it shipped), or undefined when
 * the update changes nothing or is older than what is kept.
 */
export function updatedShipment(kept: Shipment, update: Shipment): Shipment | undefined {
  if (isOlderUpdate(kept, update)) return undefined;
  // Tracking comes whole (a fulfillment's number, link and carrier): one it no longer has is gone,
  // not kept from before (another carrier, without a link).
  const { trackingNumber: _number, trackingUrl: _url, company: _company, ...untracked } = kept;
  const tracked = update.trackingNumber !== undefined || update.trackingUrl !== undefined || update.company !== undefined;
  const merged: Shipment = { ...(tracked ? untracked : kept), ...update };
  // Field by field: the merge puts the fields in another order than the kept one, which is no change.
  const fields = new Set([...Object.keys(merged), ...Object.keys(kept)] as (keyof Shipment)[]);
  return [...fields].every((field) => merged[field] === kept[field]) ? undefined : merged;
}

export interface Refund {
  amount?: string;
  currency?: string;
}

/** An order event: the order, what happened to it, and what that event carries. */
export interface Order {
  /** The webhook source's name (shopify, woocommerce, orders), or `admin` for a manual broadcast. */
  source: string;
  event: OrderEvent;
  orderId: string;
  orderNumber?: string;
  /** The shop it came from; where the platform names it in signed bytes, from there. */
  shop: string;
  /** Absent on events whose webhook does not carry the order (a Shopify fulfillment or refund). */
  total?: string;
  currency?: string;
  statusUrl?: string;
  customer: Customer;
  attributes: Record<string, string>;
  items: OrderItem[];
  shipment?: Shipment;
  cancelReason?: string;
  refund?: Refund;
  /** When the event happened by the shop's own time (ms), where the shop says: for a rule's maxAge. */
  occurredAt?: number;
  /** When the shop last changed the order (ms, its own time), where it says: a status that came late is told from one the shop went back to. */
  changedAt?: number;
}

/**
 * An order event as a source reads it, with its `scope`: what makes its order id unique beyond the
 * source, taken from signed bytes only (an unsigned header could be changed on a replay, and the
 * customer messaged twice). `placedIfFirst`: a status change that means this event for an order
 * seen before, and `placed` for one never seen (WooCommerce's `completed`), `placedAt` then the
 * time it was placed; `revivesShipment`: a placed event that, come after its order was first seen
 * so, may announce the shipment spent then (WooCommerce's `processing`); `followedBy`: the events the
 * shop shows already happened to the order after this one (a poll reads the order as it is now);
 * `polled`: read by a poll of the shop's API, which re-reads an old order whenever the shop changes it;
 * `newsIfPlaced`: an event that is news only to an order whose placed event is stored, ignored for
 * this reason otherwise (WooCommerce's cancellation of an order it never marked paid).
 */
export interface ReceivedOrder {
  order: Order;
  scope: string;
  placedIfFirst?: boolean;
  placedAt?: number;
  revivesShipment?: boolean;
  followedBy?: readonly OrderEvent[];
  polled?: boolean;
  newsIfPlaced?: string;
}

/**
 * What is kept of an order: everything but its line items, which no message uses. A shipment spent
 * at its order's first sight keeps `processingSeenAt`, the earliest processing status seen of the
 * order since (0 when undated), and as `changedAt` its latest completion.
 */
export type StoredOrder = Omit<Order, 'items'> & { processingSeenAt?: number };

/** What came of an order whose shipment was spent at its first sight: a processing status (its time, 0 undated), or a completion. */
export type SpentShipmentNews = { processingAt: number } | { completed: StoredOrder };
