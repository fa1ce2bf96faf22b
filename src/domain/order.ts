// An order as the whole service sees it, whatever shop platform sent it. Every id is a string.

/** What happened to an order: each is its own message (rules choose by event). */
export const ORDER_EVENTS = ['placed', 'shipped', 'cancelled', 'refunded'] as const;
export type OrderEvent = (typeof ORDER_EVENTS)[number];

export interface Customer {
  id?: string;
  email?: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
}

export interface OrderItem {
  name: string;
  quantity: number;
  price?: string;
  sku?: string;
}

/** A shipment of the order (a Shopify fulfillment; WooCommerce's completion): one message each. */
export interface Shipment {
  id: string;
  trackingNumber?: string;
  trackingUrl?: string;
  company?: string;
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
}

/** What is kept of an order: everything but its line items, which no message uses. */
export type StoredOrder = Omit<Order, 'items'>;
