// What a shop connection is: a source whose shop's orders can be read page by page (each order's
// events derived from its current state, as its webhooks would have brought them) and whose
// webhooks can be checked and repaired. The poller and the admin routes see only this.
import type { OrderEvent, ReceivedOrder } from '../domain/order.ts';
import type { ConnectedSource, RepairAction } from './outcomes.ts';

/** One page of the orders updated in a window. */
export interface OrderPage {
  orders: number;
  events: ReceivedOrder[];
  /** The latest update time (the shop's, ms) among the page's orders: the watermark once they are stored. */
  through: number | undefined;
  /** Where the next page starts; none after the last. */
  next: string | undefined;
  /** Orders the page held that could not be read (their webhook would have been refused too): how many, and why the first. */
  unreadable?: { count: number; problem: string };
}

/** A window of update times (ms): from `since` on, before `until` if given. */
export interface Window {
  since: number;
  until?: number;
}

export interface LastRepair {
  action: RepairAction;
  at: number;
  error?: string;
}

/** One of the shop's webhooks (a Shopify subscription, a WooCommerce webhook), as a check found it. */
export interface ShopWebhook {
  id: string;
  topic: string;
  address: string;
  /** Shopify: `active` (it exists); WooCommerce: active, paused or disabled. */
  state: string;
  /** It points at this service's PUBLIC_URL. */
  ours: boolean;
  lastRepair?: LastRepair;
}

export interface WebhookCheck {
  webhooks: ShopWebhook[];
  /** What was repaired now, topic by topic. */
  repairs: { topic: string; action: RepairAction; error?: string }[];
}

export interface ShopConnection {
  readonly source: ConnectedSource;
  /** Its settings as shown to the operator: secrets as set/unset. */
  readonly settings: Record<string, string>;
  /** A page of the orders updated in `window`, from `cursor` (none: the first). */
  page(window: Window, cursor: string | undefined): Promise<OrderPage>;
  /** Makes sure the shop sends the webhooks these events need to `${publicUrl}${path}`; leaves others alone. */
  keepWebhooks(publicUrl: string, events: readonly OrderEvent[]): Promise<WebhookCheck>;
  close(): Promise<void>;
}
