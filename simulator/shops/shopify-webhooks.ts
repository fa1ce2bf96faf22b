// The shop's webhook subscriptions (what webhookSubscriptionCreate makes) and the deliveries of its
// events to them: signed as Shopify signs (base64 HMAC-SHA256 of the raw body with the app's secret),
// retried after a non-2xx or a 5 s timeout on a schedule (Shopify: 8 retries over 4 hours), and
// lost on purpose when a test says so, as webhooks are lost when a service is down past the retries.
// A subscription whose webhook fails past all its retries is deleted, as Shopify deletes one an app made.
import { createHmac, randomUUID } from 'node:crypto';
import { gid } from './shopify-orders.ts';
import { type PostOutcome, postWebhook } from './http.ts';
import { isLost, type LoseRule } from './switches.ts';

/** Shopify retries 8 times over 4 hours; its exact spacing is not published, this one doubles up to it. */
export const SHOPIFY_RETRY_SCHEDULE_MS = [60, 120, 240, 480, 960, 1920, 3840, 6780].map((s) => s * 1000);
export const SHOPIFY_TIMEOUT_MS = 5000;

export interface ShopifySubscription {
  legacyId: number;
  /** GraphQL's topic, e.g. ORDERS_CREATE. */
  topic: string;
  format: 'JSON' | 'XML';
  address: string;
  apiVersion: string;
  createdAt: number;
}

/** One webhook to one subscription, with each of its tries. */
export interface ShopifyDelivery {
  /** The REST topic, e.g. orders/create. */
  topic: string;
  subscriptionId: string;
  address: string;
  /** X-Shopify-Webhook-Id: the same on each retry of this delivery. */
  webhookId: string;
  /** X-Shopify-Event-Id: the same for every subscription the event went to. */
  eventId: string;
  orderId: number;
  body: string;
  attempts: ({ at: number } & PostOutcome)[];
  outcome: 'pending' | 'delivered' | 'failed' | 'lost';
}

export interface ShopifyEvent {
  topic: string;
  orderId: number;
  payload: unknown;
  triggeredAt: number;
}

/** GraphQL's ORDERS_CREATE for REST's orders/create. */
export const graphqlTopic = (restTopic: string) => restTopic.replace('/', '_').toUpperCase();

export interface DeliveryOptions {
  shop: string;
  secret: string;
  apiVersion: string;
  retryScheduleMs: number[];
  timeoutMs: number;
  removeOnGiveUp: boolean;
}

export class ShopifyWebhooks {
  readonly subscriptions: ShopifySubscription[] = [];
  readonly deliveries: ShopifyDelivery[] = [];
  lose: LoseRule<ShopifyDelivery> = false;
  private nextId = 1_400_000_001;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private readonly options: DeliveryOptions;

  constructor(options: DeliveryOptions) {
    this.options = options;
  }

  /** webhookSubscriptionCreate, with the user errors Shopify gives for a bad or taken address. */
  create(topic: string, address: string | undefined, format: 'JSON' | 'XML', apiVersion: string, now: number, field: string) {
    const userError = (message: string) => ({
      webhookSubscription: null,
      userErrors: [{ field: ['webhookSubscription', field], message }],
    });
    // Shopify wants https; the stand-in takes http too, as tests and local services listen on it.
    if (!address || !/^https?:\/\/[^/\s]+/.test(address)) return { ...userError('Address is invalid'), subscription: undefined };
    if (this.subscriptions.some((s) => s.topic === topic && s.address === address))
      return { ...userError('Address for this topic has already been taken'), subscription: undefined };
    const subscription: ShopifySubscription = { legacyId: this.nextId++, topic, format, address, apiVersion, createdAt: now };
    this.subscriptions.push(subscription);
    return { webhookSubscription: subscription, userErrors: [], subscription };
  }

  delete(id: string) {
    const index = this.subscriptions.findIndex((s) => gid('WebhookSubscription', s.legacyId) === id);
    if (index < 0)
      return { deletedWebhookSubscriptionId: null, userErrors: [{ field: ['id'], message: 'Webhook subscription does not exist' }] };
    this.subscriptions.splice(index, 1);
    return { deletedWebhookSubscriptionId: id, userErrors: [] };
  }

  /** Sends `event` to every subscription of its topic. */
  publish(event: ShopifyEvent): void {
    const eventId = randomUUID();
    const body = JSON.stringify(event.payload);
    for (const subscription of this.subscriptions.filter((s) => s.topic === graphqlTopic(event.topic))) {
      const delivery: ShopifyDelivery = {
        topic: event.topic,
        subscriptionId: gid('WebhookSubscription', subscription.legacyId),
        address: subscription.address,
        webhookId: randomUUID(),
        eventId,
        orderId: event.orderId,
        body,
        attempts: [],
        outcome: 'pending',
      };
      this.deliveries.push(delivery);
      if (isLost(this.lose, delivery)) {
        delivery.outcome = 'lost';
        continue;
      }
      this.track(this.attempt(delivery, event.triggeredAt, 0));
    }
  }

  /** Resolves once no delivery is under way or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.timers.size > 0) {
      await Promise.all([...this.inFlight]);
      if (this.timers.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Stops the retries still scheduled (the shop is closing). */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async attempt(delivery: ShopifyDelivery, triggeredAt: number, retry: number): Promise<void> {
    const { shop, secret, apiVersion, timeoutMs, retryScheduleMs } = this.options;
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Shopify-Captain-Hook',
      'x-shopify-topic': delivery.topic,
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(delivery.body).digest('base64'),
      'x-shopify-shop-domain': shop,
      'x-shopify-api-version': apiVersion,
      'x-shopify-webhook-id': delivery.webhookId,
      'x-shopify-event-id': delivery.eventId,
      'x-shopify-triggered-at': new Date(triggeredAt).toISOString(),
    };
    const outcome = await postWebhook(delivery.address, headers, delivery.body, timeoutMs);
    delivery.attempts.push({ at: Date.now(), ...outcome });
    if ('status' in outcome && outcome.status >= 200 && outcome.status < 300) {
      delivery.outcome = 'delivered';
      return;
    }
    const wait = retryScheduleMs[retry];
    if (wait === undefined) {
      delivery.outcome = 'failed';
      // Shopify deletes a subscription made through the Admin API once a webhook to it fails past its retries.
      if (this.options.removeOnGiveUp) this.delete(delivery.subscriptionId);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.track(this.attempt(delivery, triggeredAt, retry + 1));
    }, wait);
    this.timers.add(timer);
  }
}
