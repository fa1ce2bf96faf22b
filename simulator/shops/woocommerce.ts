// A local stand-in for one WooCommerce site's REST API v3 (/wp-json/wc/v3/, HTTP Basic with a
// consumer key and secret): orders with `modified_after` and pages, webhooks with WooCommerce's
// single try and its silent `disabled` after repeated failures. Tests make orders happen
// (`createOrder`, `updateOrder`, `refund`) at the time of an injectable clock, flip switches
// (errors, lost deliveries) and look at what happened.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { CONTROL_PREFIX, wooControl } from './control.ts';
import { closeServer, listen, sendJson } from './http.ts';
import { type FailSwitch, type LoseRule, take } from './switches.ts';
import {
  buildWooOrder,
  PAID_STATUSES,
  type WooAddress,
  type WooOrderInput,
  type WooOrderRecord,
  wooOrderJson,
} from './woocommerce-orders.ts';
import { answerRest, type RestReply, type WooBackend, wooError } from './woocommerce-rest.ts';
import { type WooDelivery, type WooWebhookRecord, WooWebhooks } from './woocommerce-webhooks.ts';

export type { WooOrderInput, WooOrderRecord } from './woocommerce-orders.ts';
export type { WooDelivery, WooWebhookRecord } from './woocommerce-webhooks.ts';

const PREFIX = '/wp-json/wc/v3/';
const REFUSED: Record<string, [string, string]> = {
  GET: ['woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.'],
  POST: ['woocommerce_rest_cannot_create', 'Sorry, you are not allowed to create resources.'],
  PUT: ['woocommerce_rest_cannot_edit', 'Sorry, you are not allowed to edit this resource.'],
  DELETE: ['woocommerce_rest_cannot_delete', 'Sorry, you are not allowed to delete this resource.'],
};

export interface WooCommerceSiteOptions {
  port?: number;
  host?: string;
  consumerKey?: string;
  consumerSecret?: string;
  /** The secret `serviceEnv()` hands the service for the webhooks it creates; default a new one. */
  webhookSecret?: string;
  /** The site's clock (ms since the epoch); default `Date.now`. */
  now?: () => number;
  /** A delivery not answered within this fails; default 60 s, as WooCommerce waits. */
  deliveryTimeoutMs?: number;
  /** `woocommerce_max_webhook_delivery_failures`; default 5. */
  maxDeliveryFailures?: number;
}

export interface WooSwitches {
  /** Answer the next REST calls with this status (429 with Retry-After) instead of running them. */
  fail: FailSwitch | null;
  /** Order deliveries dropped without a try (no failure counted: nothing was sent). */
  loseDeliveries: LoseRule<WooDelivery>;
  /**
   * A WooCommerce before 5.8, which knows neither `modified_after`, `modified_before` nor
   * `dates_are_gmt`: WordPress ignores parameters a route does not know, so every order is listed.
   */
  before58: boolean;
}

export interface WooCall {
  at: number;
  method: string;
  path: string;
  status: number;
}

export class WooCommerceSite {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly webhookSecret: string;
  readonly orders: WooOrderRecord[] = [];
  /** Every REST call, whatever came of it. */
  readonly calls: WooCall[] = [];
  fail: FailSwitch | null = null;
  before58 = false;
  /** The longest request line the site's web server takes (nginx's 8 KB by default): a longer one is 414. */
  maxUrlLength = 8192;
  private readonly hooks: WooWebhooks;
  private readonly now: () => number;
  private lastId = 100;
  private server: Server | undefined;
  private origin = '';

  constructor(options: WooCommerceSiteOptions = {}) {
    this.consumerKey = options.consumerKey ?? `ck_${randomBytes(20).toString('hex')}`;
    this.consumerSecret = options.consumerSecret ?? `cs_${randomBytes(20).toString('hex')}`;
    this.webhookSecret = options.webhookSecret ?? randomBytes(24).toString('base64url');
    this.now = options.now ?? Date.now;
    this.hooks = new WooWebhooks(() => this.url, options.deliveryTimeoutMs ?? 60_000);
    this.hooks.maxFailures = options.maxDeliveryFailures ?? 5;
  }

  get url(): string {
    return this.origin;
  }

  serviceEnv() {
    return {
      WOOCOMMERCE_URL: this.url,
      WOOCOMMERCE_CONSUMER_KEY: this.consumerKey,
      WOOCOMMERCE_CONSUMER_SECRET: this.consumerSecret,
      WOOCOMMERCE_WEBHOOK_SECRET: this.webhookSecret,
    };
  }

  set(switches: Partial<WooSwitches>): void {
    if (switches.fail !== undefined) this.fail = switches.fail;
    if (switches.loseDeliveries !== undefined) this.hooks.lose = switches.loseDeliveries;
    if (switches.before58 !== undefined) this.before58 = switches.before58;
  }

  /** The site's webhooks, with their failure counts. */
  get webhooks(): WooWebhookRecord[] {
    return this.hooks.webhooks;
  }

  /** Every ping and order delivery, with its answer (or `lost`). */
  get deliveries(): WooDelivery[] {
    return this.hooks.deliveries;
  }

  /** Resolves once no delivery is under way. */
  idle(): Promise<void> {
    return this.hooks.idle();
  }

  order(id: number): WooOrderRecord {
    const order = this.orders.find((o) => o.id === id);
    if (!order) throw new Error(`no order ${id}`);
    return order;
  }

  /** A webhook as a merchant adds it in the admin (pinged when active). */
  async addWebhook(webhook: {
    topic: string;
    deliveryUrl: string;
    secret?: string;
    status?: string;
    name?: string;
  }): Promise<WooWebhookRecord> {
    const body = JSON.stringify({ ...webhook, delivery_url: webhook.deliveryUrl, secret: webhook.secret ?? this.webhookSecret });
    const [status, created] = await answerRest(this.backend(), 'POST', 'webhooks', new URLSearchParams(), body);
    if (status !== 201) throw new Error(`webhook refused: ${JSON.stringify(created)}`);
    return this.hooks.find((created as { id: number }).id) as WooWebhookRecord;
  }

  /** A new order, as a checkout makes it: order.created. */
  createOrder(input: WooOrderInput = {}): WooOrderRecord {
    const order = buildWooOrder(input, this.stamp(), () => ++this.lastId);
    this.orders.push(order);
    this.hooks.publish('order.created', order.id, wooOrderJson(order, this.url));
    return order;
  }

  /** A change by the shop (e.g. status completed or cancelled): order.updated. */
  updateOrder(id: number, changes: { status?: string; billing?: Partial<WooAddress>; meta?: Record<string, unknown> }): WooOrderRecord {
    const order = this.order(id);
    const completes = changes.status === 'completed' && order.status !== 'completed';
    if (changes.status) order.status = changes.status;
    if (changes.billing) order.billing = { ...order.billing, ...changes.billing };
    for (const [key, value] of Object.entries(changes.meta ?? {})) {
      const found = order.meta.find((m) => m.key === key);
      if (found) found.value = value;
      else order.meta.push({ id: ++this.lastId, key, value });
    }
    return this.updated(order, completes);
  }

  /** A refund of `amount` ("100.00"); refunding the rest makes the order `refunded`, as WooCommerce does. order.updated. */
  refund(id: number, amount: string, reason = ''): WooOrderRecord {
    const order = this.order(id);
    order.refunds.push({ id: ++this.lastId, reason, amount });
    const refunded = order.refunds.reduce((sum, r) => sum + Number(r.amount), 0);
    if (refunded >= Number(order.total)) order.status = 'refunded';
    return this.updated(order);
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<this> {
    const listening = await listen(async (req, res, body) => sendJson(res, ...(await this.handle(req, body))), port, host);
    this.server = listening.server;
    this.origin = listening.origin;
    return this;
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  /** Saved: `completes` when its status moved to completed, which WooCommerce dates (`date_completed`). */
  private updated(order: WooOrderRecord, completes = false): WooOrderRecord {
    order.modifiedAt = this.stamp();
    if (order.paidAt === null && PAID_STATUSES.includes(order.status)) order.paidAt = order.modifiedAt;
    if (completes) order.completedAt = order.modifiedAt;
    this.hooks.publish('order.updated', order.id, wooOrderJson(order, this.url));
    return order;
  }

  private stamp(): number {
    return Math.floor(this.now() / 1000) * 1000;
  }

  private backend(): WooBackend {
    return {
      url: this.url,
      consumerSecret: this.consumerSecret,
      orders: this.orders,
      webhooks: this.hooks,
      stamp: () => this.stamp(),
      nextId: () => ++this.lastId,
      unknownParams: this.before58 ? ['modified_after', 'modified_before', 'dates_are_gmt'] : [],
    };
  }

  private async handle(req: IncomingMessage, body: string): Promise<RestReply> {
    const url = new URL(req.url ?? '/', 'http://site');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith(CONTROL_PREFIX)) return wooControl(this, url.pathname.slice(CONTROL_PREFIX.length), method, body);
    const reply = await this.answer(req, url, method, body);
    this.calls.push({ at: this.now(), method, path: url.pathname + url.search, status: reply[0] });
    return reply;
  }

  private async answer(req: IncomingMessage, url: URL, method: string, body: string): Promise<RestReply> {
    if (!url.pathname.startsWith(PREFIX)) return wooError(404, 'rest_no_route', 'No route was found matching the URL and request method.');
    if ((req.url ?? '').length > this.maxUrlLength) return wooError(414, 'uri_too_long', 'Request-URI Too Long');
    const fail = take(this.fail);
    if (fail) {
      if (fail.status !== 429) return wooError(fail.status, 'internal_server_error', 'There has been a critical error on this website.');
      const [status, content] = wooError(429, 'too_many_requests', 'Too Many Requests');
      return [status, content, { 'retry-after': String(fail.retryAfterSeconds ?? 10) }];
    }
    const refused = this.authenticate(req, url, method);
    if (refused) return refused;
    return answerRest(this.backend(), method, url.pathname.slice(PREFIX.length).replace(/\/$/, ''), url.searchParams, body);
  }

  /** HTTP Basic (or, as WooCommerce also takes over HTTPS, consumer_key and consumer_secret in the query). */
  private authenticate(req: IncomingMessage, url: URL, method: string): RestReply | undefined {
    const basic = req.headers.authorization?.match(/^Basic\s+(.+)$/i)?.[1];
    const [key, secret] = basic
      ? Buffer.from(basic, 'base64').toString('utf8').split(/:(.*)/s)
      : [url.searchParams.get('consumer_key'), url.searchParams.get('consumer_secret')];
    if (!key) {
      const [code, message] = REFUSED[method] ?? ['woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.'];
      return wooError(401, code, message);
    }
    if (key !== this.consumerKey) return wooError(401, 'woocommerce_rest_authentication_error', 'Consumer key is invalid.');
    if (secret !== this.consumerSecret) return wooError(401, 'woocommerce_rest_authentication_error', 'Consumer secret is invalid.');
    return undefined;
  }
}

export async function startWooCommerceSite(options: WooCommerceSiteOptions = {}): Promise<WooCommerceSite> {
  return new WooCommerceSite(options).listen(options.port ?? 0, options.host ?? '127.0.0.1');
}
