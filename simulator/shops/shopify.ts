// A local stand-in for one Shopify shop, seen from a custom app: the Admin GraphQL API
// (POST /admin/api/{version}/graphql.json, X-Shopify-Access-Token) over the schema subset the
// service reads, with Shopify's cost bucket, and the shop's signed webhooks sent to the app's
// subscriptions. Tests make orders happen (`createOrder`, `fulfill`, `refund`, `cancel`) at the
// time of an injectable clock, flip switches (errors, lost webhooks) and look at what happened.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { CONTROL_PREFIX, shopifyControl } from './control.ts';
import { closeServer, listen, sendJson } from './http.ts';
import { type BucketOptions, CostBucket } from './shopify-cost.ts';
import { answerGraphql, type ShopifyBackend } from './shopify-graphql.ts';
import {
  buildOrder,
  gid,
  restFulfillment,
  restOrder,
  restRefund,
  type ShopifyOrderInput,
  type ShopifyOrderRecord,
  type Tracking,
} from './shopify-orders.ts';
import { SHOPIFY_RETRY_SCHEDULE_MS, SHOPIFY_TIMEOUT_MS, type ShopifyDelivery, ShopifyWebhooks } from './shopify-webhooks.ts';
import { type FailSwitch, type LoseRule, take } from './switches.ts';

export type { ShopifyOrderInput, ShopifyOrderRecord, Tracking } from './shopify-orders.ts';
export type { ShopifyDelivery, ShopifySubscription } from './shopify-webhooks.ts';
export { gid } from './shopify-orders.ts';

export const SHOPIFY_INVALID_TOKEN = '[API] Invalid API key or access token (unrecognized login or wrong password)';
const GRAPHQL_PATH = /^\/admin\/api\/(\d{4}-\d{2}|unstable)\/graphql\.json$/;

export interface ShopifyShopOptions {
  port?: number;
  host?: string;
  /** The shop's domain; default `sim-shop.myshopify.com`. */
  shop?: string;
  /** The custom app's Admin API token; default a new `shpat_…`. */
  accessToken?: string;
  /** The app's API secret, which signs its webhooks; default a new one. */
  webhookSecret?: string;
  /** The version `serviceEnv()` names and webhooks are sent with; default `2026-10`. */
  apiVersion?: string;
  /** The shop's clock (ms since the epoch): order times and the bucket's refill; default `Date.now`. */
  now?: () => number;
  bucket?: BucketOptions;
  /** Waits before each retry of a failed webhook; default Shopify's 8 over 4 hours. */
  retryScheduleMs?: number[];
  /** A webhook not answered within this fails; default 5000. */
  deliveryTimeoutMs?: number;
  /** Delete a subscription once a webhook to it fails past its retries, as Shopify does; default true. */
  removeFailingSubscriptions?: boolean;
}

export interface ShopifySwitches {
  /** Answer the next API calls with this status (429 with Retry-After) instead of running them. */
  fail: FailSwitch | null;
  /** Webhooks dropped without a try. */
  loseWebhooks: LoseRule<ShopifyDelivery>;
}

export interface ShopifyCall {
  /** The shop's time when the call came. */
  at: number;
  version: string;
  status: number;
  outcome: 'ok' | 'throttled' | 'invalid' | 'unauthorized' | 'failed';
  query?: string;
  requestedQueryCost?: number;
  actualQueryCost?: number | null;
  /** Points in the bucket once the call was answered. */
  available: number;
}

export class ShopifyShop {
  readonly shop: string;
  readonly accessToken: string;
  readonly webhookSecret: string;
  readonly apiVersion: string;
  readonly orders: ShopifyOrderRecord[] = [];
  /** Every Admin API call, whatever came of it. */
  readonly calls: ShopifyCall[] = [];
  readonly bucket: CostBucket;
  fail: FailSwitch | null = null;
  private readonly webhooks: ShopifyWebhooks;
  private readonly now: () => number;
  // Ids in the ranges Shopify's have now: under 2^53, so the REST bodies' JSON numbers stay exact.
  private readonly ids = {
    number: 1000,
    order: 5_100_000_000_000,
    customer: 7_100_000_000_000,
    item: 13_100_000_000_000,
    fulfillment: 4_100_000_000_000,
    refund: 9_100_000_000_000,
  };
  private server: Server | undefined;
  private origin = '';

  constructor(options: ShopifyShopOptions = {}) {
    this.shop = options.shop ?? 'sim-shop.myshopify.com';
    this.accessToken = options.accessToken ?? `shpat_${randomBytes(16).toString('hex')}`;
    this.webhookSecret = options.webhookSecret ?? `shpss_${randomBytes(16).toString('hex')}`;
    this.apiVersion = options.apiVersion ?? '2026-10';
    this.now = options.now ?? Date.now;
    this.bucket = new CostBucket(options.bucket ?? {}, this.now);
    this.webhooks = new ShopifyWebhooks({
      shop: this.shop,
      secret: this.webhookSecret,
      apiVersion: this.apiVersion,
      retryScheduleMs: options.retryScheduleMs ?? SHOPIFY_RETRY_SCHEDULE_MS,
      timeoutMs: options.deliveryTimeoutMs ?? SHOPIFY_TIMEOUT_MS,
      removeOnGiveUp: options.removeFailingSubscriptions ?? true,
    });
  }

  get url(): string {
    return this.origin;
  }

  /** The settings that point the service at this shop. */
  serviceEnv() {
    return {
      SHOPIFY_SHOP: this.shop,
      SHOPIFY_ADMIN_TOKEN: this.accessToken,
      SHOPIFY_ADMIN_URL: this.url,
      SHOPIFY_API_VERSION: this.apiVersion,
      SHOPIFY_WEBHOOK_SECRET: this.webhookSecret,
    };
  }

  /** The GraphQL endpoint of a version (default the shop's). */
  graphqlUrl(version = this.apiVersion): string {
    return `${this.url}/admin/api/${version}/graphql.json`;
  }

  set(switches: Partial<ShopifySwitches>): void {
    if (switches.fail !== undefined) this.fail = switches.fail;
    if (switches.loseWebhooks !== undefined) this.webhooks.lose = switches.loseWebhooks;
  }

  get subscriptions() {
    return this.webhooks.subscriptions;
  }

  /** Deletes a subscription (its gid), as the merchant uninstalling or another tool would. */
  removeSubscription(id: string): void {
    this.webhooks.delete(id);
  }

  /** Every webhook the shop meant to send, with its tries (or `lost`). */
  get deliveries(): ShopifyDelivery[] {
    return this.webhooks.deliveries;
  }

  /** Points in the cost bucket now. */
  bucketLevel(): number {
    return this.bucket.level();
  }

  /** Resolves once no webhook is under way or waiting for a retry. */
  idle(): Promise<void> {
    return this.webhooks.idle();
  }

  order(id: number | string): ShopifyOrderRecord {
    const order = this.orders.find((o) => o.legacyId === Number(id) || gid('Order', o.legacyId) === id);
    if (!order) throw new Error(`no order ${id}`);
    return order;
  }

  /** A new order, as a checkout makes it: orders/create, and orders/paid when paid. */
  createOrder(input: ShopifyOrderInput = {}): ShopifyOrderRecord {
    const order = buildOrder(input, this.stamp(), (kind) => ++this.ids[kind]);
    this.orders.push(order);
    this.publish('orders/create', order, restOrder(order, this.shop));
    if (order.financialStatus === 'paid') this.publish('orders/paid', order, restOrder(order, this.shop));
    return order;
  }

  /** A fulfillment with its tracking: fulfillments/create, orders/fulfilled and orders/updated. */
  fulfill(orderId: number | string, tracking: Tracking | Tracking[] = []): ShopifyOrderRecord {
    const order = this.order(orderId);
    const at = this.touch(order);
    const fulfillment = {
      legacyId: ++this.ids.fulfillment,
      name: `${order.name}.${order.fulfillments.length + 1}`,
      createdAt: at,
      updatedAt: at,
      tracking: Array.isArray(tracking) ? tracking : [tracking],
    };
    order.fulfillments.push(fulfillment);
    this.publish('fulfillments/create', order, restFulfillment(order, fulfillment));
    this.publish('orders/fulfilled', order, restOrder(order, this.shop));
    this.publish('orders/updated', order, restOrder(order, this.shop));
    return order;
  }

  /** A refund of `amount` (e.g. "100.00"): refunds/create and orders/updated. */
  refund(orderId: number | string, amount: string, note: string | null = null): ShopifyOrderRecord {
    const order = this.order(orderId);
    const at = this.touch(order);
    const refund = { legacyId: ++this.ids.refund, createdAt: at, amount, note };
    order.refunds.push(refund);
    this.publish('refunds/create', order, restRefund(order, refund));
    this.publish('orders/updated', order, restOrder(order, this.shop));
    return order;
  }

  /** A cancellation (reason as GraphQL's OrderCancelReason): orders/cancelled and orders/updated. */
  cancel(orderId: number | string, reason = 'CUSTOMER'): ShopifyOrderRecord {
    const order = this.order(orderId);
    order.cancelledAt = this.touch(order);
    order.cancelReason = reason.toUpperCase();
    this.publish('orders/cancelled', order, restOrder(order, this.shop));
    this.publish('orders/updated', order, restOrder(order, this.shop));
    return order;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<this> {
    const listening = await listen((req, res, body) => sendJson(res, ...this.handle(req, body)), port, host);
    this.server = listening.server;
    this.origin = listening.origin;
    return this;
  }

  async close(): Promise<void> {
    this.webhooks.stop();
    await closeServer(this.server);
  }

  /** Shopify shows times to the second; the shop's clock, so. */
  private stamp(): number {
    return Math.floor(this.now() / 1000) * 1000;
  }

  private touch(order: ShopifyOrderRecord): number {
    order.updatedAt = this.stamp();
    return order.updatedAt;
  }

  private publish(topic: string, order: ShopifyOrderRecord, payload: unknown): void {
    this.webhooks.publish({ topic, orderId: order.legacyId, payload, triggeredAt: this.now() });
  }

  private backend(): ShopifyBackend {
    return { shop: this.shop, orders: this.orders, webhooks: this.webhooks, bucket: this.bucket, stamp: () => this.stamp() };
  }

  private handle(req: IncomingMessage, body: string): [number, unknown, Record<string, string>?] {
    const path = new URL(req.url ?? '/', 'http://shop').pathname;
    if (path.startsWith(CONTROL_PREFIX)) return shopifyControl(this, path.slice(CONTROL_PREFIX.length), req.method ?? 'GET', body);
    const version = path.match(GRAPHQL_PATH)?.[1];
    if (req.method !== 'POST' || !version) return [404, { errors: 'Not Found' }];
    const at = this.now();
    const record = (call: Omit<ShopifyCall, 'at' | 'version' | 'available'>) =>
      this.calls.push({ at, version, available: Math.floor(this.bucket.level()), ...call });
    const headers = { 'x-shopify-api-version': version };
    const fail = take(this.fail);
    if (fail) {
      record({ status: fail.status, outcome: 'failed' });
      if (fail.status !== 429) return [fail.status, { errors: 'Internal Server Error' }, headers];
      const message = 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.';
      return [429, { errors: message }, { ...headers, 'retry-after': String(fail.retryAfterSeconds ?? 2) }];
    }
    if (req.headers['x-shopify-access-token'] !== this.accessToken) {
      record({ status: 401, outcome: 'unauthorized' });
      return [401, { errors: SHOPIFY_INVALID_TOKEN }, headers];
    }
    const { status, body: answer, outcome, query, requestedQueryCost, actualQueryCost } = answerGraphql(this.backend(), version, body);
    record({ status, outcome, query, requestedQueryCost, actualQueryCost });
    return [status, answer, headers];
  }
}

export async function startShopifyShop(options: ShopifyShopOptions = {}): Promise<ShopifyShop> {
  return new ShopifyShop(options).listen(options.port ?? 0, options.host ?? '127.0.0.1');
}
