// The site's webhooks (REST `webhooks`) and their deliveries, as WooCommerce's WC_Webhook does
// them: ONE try, no retry; a 2xx, 301 or 302 is a success and clears the failure count; any other
// answer (or none) is a failure, and a failure that finds the count already above 5
// (`woocommerce_max_webhook_delivery_failures`) sets the webhook `disabled` — the 7th in a row —
// after which it gets nothing until someone sets it active again. A webhook saved active is pinged
// when new, when its delivery URL changes, and while no ping of it has been answered 200.
import { createHmac, randomBytes } from 'node:crypto';
import { type PostOutcome, postWebhook } from './http.ts';
import { isLost, type LoseRule } from './switches.ts';
import { wooDate } from './woocommerce-orders.ts';

export const WEBHOOK_STATUSES = ['active', 'paused', 'disabled'];
export const WEBHOOK_TOPICS = [
  'order.created',
  'order.updated',
  'order.deleted',
  'order.restored',
  'product.created',
  'product.updated',
  'customer.created',
  'customer.updated',
  'coupon.created',
  'coupon.updated',
];
const HOOKS: Record<string, string[]> = {
  'order.created': ['woocommerce_new_order'],
  'order.updated': ['woocommerce_update_order', 'woocommerce_order_refunded'],
};
const USER_AGENT = 'WooCommerce/9.4.0 Hookshot (WordPress/6.7.1)';

export interface WooWebhookRecord {
  id: number;
  name: string;
  status: string;
  topic: string;
  deliveryUrl: string;
  secret: string;
  /** Consecutive failed deliveries (WC_Webhook's failure_count; not in the REST answer). */
  failureCount: number;
  /** No ping has been answered 200 yet (WC_Webhook's pending_delivery): saving it active pings again. */
  pendingDelivery: boolean;
  createdAt: number;
  modifiedAt: number;
}

export interface WooDelivery {
  kind: 'ping' | 'webhook';
  webhookId: number;
  topic: string;
  orderId?: number;
  /** X-WC-Webhook-Delivery-ID: new on every try. */
  deliveryId: string;
  url: string;
  body: string;
  at?: number;
  outcome: 'delivered' | 'failed' | 'lost';
  result?: PostOutcome;
}

export function webhookJson(hook: WooWebhookRecord, site: string) {
  const [resource, event] = hook.topic.split('.');
  return {
    id: hook.id,
    name: hook.name,
    status: hook.status,
    topic: hook.topic,
    resource,
    event,
    hooks: HOOKS[hook.topic] ?? [],
    delivery_url: hook.deliveryUrl,
    secret: hook.secret,
    date_created: wooDate(hook.createdAt),
    date_created_gmt: wooDate(hook.createdAt),
    date_modified: wooDate(hook.modifiedAt),
    date_modified_gmt: wooDate(hook.modifiedAt),
    _links: { self: [{ href: `${site}/wp-json/wc/v3/webhooks/${hook.id}` }], collection: [{ href: `${site}/wp-json/wc/v3/webhooks` }] },
  };
}

export class WooWebhooks {
  readonly webhooks: WooWebhookRecord[] = [];
  readonly deliveries: WooDelivery[] = [];
  lose: LoseRule<WooDelivery> = false;
  /** WooCommerce's `woocommerce_max_webhook_delivery_failures`. */
  maxFailures = 5;
  timeoutMs: number;
  private readonly siteOf: () => string;
  // Each webhook's deliveries go one after another, so its failure count is counted in order.
  private readonly queues = new Map<number, Promise<void>>();

  constructor(site: () => string, timeoutMs: number) {
    this.siteOf = site;
    this.timeoutMs = timeoutMs;
  }

  find(id: number): WooWebhookRecord | undefined {
    return this.webhooks.find((w) => w.id === id);
  }

  /** The unsigned, form-encoded ping WooCommerce sends when a webhook is first saved active; its answer changes nothing. */
  async ping(hook: WooWebhookRecord): Promise<void> {
    const delivery: WooDelivery = {
      kind: 'ping',
      webhookId: hook.id,
      topic: hook.topic,
      deliveryId: '',
      url: hook.deliveryUrl,
      body: `webhook_id=${hook.id}`,
      outcome: 'failed',
    };
    this.deliveries.push(delivery);
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': USER_AGENT };
    delivery.result = await postWebhook(hook.deliveryUrl, headers, delivery.body, this.timeoutMs);
    delivery.at = Date.now();
    if ('status' in delivery.result && delivery.result.status === 200) {
      delivery.outcome = 'delivered';
      hook.pendingDelivery = false;
    }
  }

  /** Sends `payload` to each active webhook of `topic`. */
  publish(topic: string, orderId: number, payload: unknown): void {
    const body = JSON.stringify(payload);
    for (const hook of this.webhooks.filter((w) => w.topic === topic && w.status === 'active')) {
      const delivery: WooDelivery = {
        kind: 'webhook',
        webhookId: hook.id,
        topic,
        orderId,
        deliveryId: '',
        url: hook.deliveryUrl,
        body,
        outcome: 'lost',
      };
      this.deliveries.push(delivery);
      if (isLost(this.lose, delivery)) continue;
      const previous = this.queues.get(hook.id) ?? Promise.resolve();
      const next = previous.then(() => this.deliver(hook, delivery));
      this.queues.set(hook.id, next);
      void next.finally(() => {
        if (this.queues.get(hook.id) === next) this.queues.delete(hook.id);
      });
    }
  }

  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  private async deliver(hook: WooWebhookRecord, delivery: WooDelivery): Promise<void> {
    const [resource, event] = hook.topic.split('.');
    delivery.deliveryId = randomBytes(16).toString('hex');
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-wc-webhook-source': `${this.siteOf()}/`,
      'x-wc-webhook-topic': hook.topic,
      'x-wc-webhook-resource': resource ?? '',
      'x-wc-webhook-event': event ?? '',
      'x-wc-webhook-signature': createHmac('sha256', hook.secret).update(delivery.body).digest('base64'),
      'x-wc-webhook-id': String(hook.id),
      'x-wc-webhook-delivery-id': delivery.deliveryId,
    };
    delivery.result = await postWebhook(delivery.url, headers, delivery.body, this.timeoutMs);
    delivery.at = Date.now();
    const status = 'status' in delivery.result ? delivery.result.status : 0;
    if (status >= 200 && status < 303) {
      delivery.outcome = 'delivered';
      hook.failureCount = 0;
      return;
    }
    delivery.outcome = 'failed';
    if (hook.failureCount > this.maxFailures) hook.status = 'disabled';
    else hook.failureCount++;
  }
}
