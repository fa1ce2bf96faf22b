// A Shopify shop connection: its orders read through the GraphQL Admin API, and the app's webhook
// subscriptions kept: a topic the mapping needs with no subscription to this service gets one;
// a subscription pointing elsewhere is never touched.
import type { OrderEvent } from '../domain/order.ts';
import { maskUrlPassword } from '../secrets.ts';
import type { OrderPage, ShopConnection, WebhookCheck, Window } from './connection.ts';
import { ShopifyAdmin } from './shopify-admin.ts';
import { shopifyOrderEvents } from './shopify-events.ts';
import { SHOPIFY } from '../sources/names.ts';

/** The subscription topics each event needs (its webhooks in sources/shopify.ts). */
export const SHOPIFY_TOPICS: Record<OrderEvent, string[]> = {
  placed: ['ORDERS_CREATE', 'ORDERS_PAID'],
  shipped: ['FULFILLMENTS_CREATE', 'FULFILLMENTS_UPDATE'],
  cancelled: ['ORDERS_CANCELLED'],
  refunded: ['REFUNDS_CREATE'],
  // The delivery stages: one topic, its status says which (sources/shopify-fulfillment-events.ts).
  in_transit: ['FULFILLMENT_EVENTS_CREATE'],
  out_for_delivery: ['FULFILLMENT_EVENTS_CREATE'],
  delivery_attempted: ['FULFILLMENT_EVENTS_CREATE'],
  delivered: ['FULFILLMENT_EVENTS_CREATE'],
  ready_for_pickup: ['FULFILLMENT_EVENTS_CREATE'],
  delivery_failed: ['FULFILLMENT_EVENTS_CREATE'],
};

export interface ShopifySettings {
  shop: string;
  token: string;
  adminUrl: string | undefined;
  apiVersion: string;
}

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export function shopifyConnection(settings: ShopifySettings): ShopConnection {
  const adminUrl = settings.adminUrl ?? `https://${settings.shop}`;
  const admin = new ShopifyAdmin({ adminUrl, apiVersion: settings.apiVersion, token: settings.token });
  return {
    source: SHOPIFY,
    settings: {
      SHOPIFY_SHOP: settings.shop,
      SHOPIFY_ADMIN_URL: maskUrlPassword(adminUrl),
      SHOPIFY_API_VERSION: settings.apiVersion,
      SHOPIFY_ADMIN_TOKEN: 'set',
    },
    async page(window: Window, cursor: string | undefined): Promise<OrderPage> {
      const query = [
        `updated_at:>='${iso(window.since)}'`,
        ...(window.until !== undefined ? [`updated_at:<='${iso(window.until)}'`] : []),
      ].join(' AND ');
      const { nodes, pageInfo } = await admin.orders(query, cursor);
      const through = nodes.reduce<number | undefined>((latest, o) => Math.max(latest ?? 0, Date.parse(o?.updatedAt) || 0), undefined);
      // Order by order: one the connection cannot read is said with the page (as WooCommerce's are),
      // not a failed page that every poll would read again while the orders after it wait.
      const events: OrderPage['events'] = [];
      const problems: string[] = [];
      for (const order of nodes) {
        try {
          events.push(...shopifyOrderEvents(order, settings.shop));
        } catch (error) {
          problems.push(`order ${String(order?.legacyResourceId ?? order?.id ?? '(no id)').slice(0, 40)}: ${(error as Error).message}`);
        }
      }
      return {
        orders: nodes.length,
        events,
        through,
        next: pageInfo.hasNextPage && pageInfo.endCursor ? pageInfo.endCursor : undefined,
        ...(problems.length > 0 && { unreadable: { count: problems.length, problem: (problems[0] as string).slice(0, 300) } }),
      };
    },
    async keepWebhooks(publicUrl: string, events: readonly OrderEvent[]): Promise<WebhookCheck> {
      const address = `${publicUrl.replace(/\/+$/, '')}/webhooks/shopify`;
      const existing = await admin.subscriptions();
      const repairs: WebhookCheck['repairs'] = [];
      const webhooks: WebhookCheck['webhooks'] = existing.map((s) => ({
        id: s.id,
        topic: s.topic,
        address: s.address,
        state: 'active',
        ours: s.address === address,
      }));
      for (const topic of new Set(events.flatMap((e) => SHOPIFY_TOPICS[e]))) {
        if (existing.some((s) => s.topic === topic && s.address === address)) continue;
        const made = await admin.createSubscription(topic, address);
        repairs.push({ topic, action: made.id ? 'created' : 'failed', ...(made.error && { error: made.error }) });
        if (made.id) webhooks.push({ id: made.id, topic, address, state: 'active', ours: true });
      }
      return { webhooks, repairs };
    },
    close: () => admin.close(),
  };
}
