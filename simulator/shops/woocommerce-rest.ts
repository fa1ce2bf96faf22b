// The REST routes of the stand-in site under /wp-json/wc/v3/: orders (list and one) and webhooks
// (list, create, read, update, delete), with WooCommerce's error bodies ({code, message, data: {status}}).
import { type WooOrderRecord, InvalidParam, listOrders, wooOrderJson } from './woocommerce-orders.ts';
import { WEBHOOK_STATUSES, WEBHOOK_TOPICS, type WooWebhookRecord, type WooWebhooks, webhookJson } from './woocommerce-webhooks.ts';

export type RestReply = [number, unknown, Record<string, string>?];

export interface WooBackend {
  url: string;
  consumerSecret: string;
  orders: WooOrderRecord[];
  webhooks: WooWebhooks;
  /** The site's time, whole seconds. */
  stamp(): number;
  nextId(): number;
  /** Parameters this version does not know: ignored, as WordPress does. */
  unknownParams: readonly string[];
}

export const wooError = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): RestReply => [
  status,
  { code, message, data: { status, ...extra } },
];

const pages = (total: number, totalPages: number) => ({ 'x-wp-total': String(total), 'x-wp-totalpages': String(totalPages) });

export async function answerRest(
  site: WooBackend,
  method: string,
  route: string,
  params: URLSearchParams,
  raw: string,
): Promise<RestReply> {
  try {
    const id = Number(route.split('/')[1]);
    if (route === 'orders' && method === 'GET') {
      for (const unknown of site.unknownParams) params.delete(unknown);
      const { page, total, totalPages } = listOrders(site.orders, params);
      return [200, page.map((o) => wooOrderJson(o, site.url)), pages(total, totalPages)];
    }
    if (/^orders\/\d+$/.test(route) && method === 'GET') {
      const order = site.orders.find((o) => o.id === id);
      return order ? [200, wooOrderJson(order, site.url)] : wooError(404, 'woocommerce_rest_shop_order_invalid_id', 'Invalid ID.');
    }
    if (route === 'webhooks' && method === 'GET') return listWebhooks(site, params);
    if (route === 'webhooks' && method === 'POST') return await createWebhook(site, body(raw));
    if (/^webhooks\/\d+$/.test(route)) {
      const hook = site.webhooks.find(id);
      if (!hook) return wooError(404, 'woocommerce_rest_webhook_invalid_id', 'Invalid ID.');
      if (method === 'GET') return [200, webhookJson(hook, site.url)];
      if (method === 'PUT' || method === 'POST' || method === 'PATCH') return await updateWebhook(site, hook, body(raw));
      if (method === 'DELETE') {
        // Webhooks cannot be trashed: WooCommerce wants force=true.
        if (params.get('force') !== 'true' && params.get('force') !== '1')
          return wooError(501, 'woocommerce_rest_trash_not_supported', 'Webhooks do not support trashing.');
        site.webhooks.webhooks.splice(site.webhooks.webhooks.indexOf(hook), 1);
        return [200, webhookJson(hook, site.url)];
      }
    }
    return wooError(404, 'rest_no_route', 'No route was found matching the URL and request method.');
  } catch (e) {
    if (e instanceof InvalidParam)
      return wooError(400, 'rest_invalid_param', `Invalid parameter(s): ${e.param}`, { params: { [e.param]: e.message } });
    if (e instanceof SyntaxError) return wooError(400, 'rest_invalid_json', 'Invalid JSON body passed.');
    throw e;
  }
}

function body(raw: string): Record<string, unknown> {
  const parsed = JSON.parse(raw || '{}') as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SyntaxError('not an object');
  return parsed as Record<string, unknown>;
}

function listWebhooks(site: WooBackend, params: URLSearchParams): RestReply {
  const status = params.get('status') ?? 'all';
  const perPage = Number(params.get('per_page') ?? 10);
  const page = Number(params.get('page') ?? 1);
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100)
    throw new InvalidParam('per_page', 'per_page must be between 1 (inclusive) and 100 (inclusive)');
  const chosen = site.webhooks.webhooks.filter((w) => status === 'all' || w.status === status).sort((a, b) => b.id - a.id);
  const shown = chosen.slice((page - 1) * perPage, page * perPage).map((w) => webhookJson(w, site.url));
  return [200, shown, pages(chosen.length, Math.ceil(chosen.length / perPage))];
}

/** What a create or update sets, checked as WooCommerce checks it; a string is the error. */
function fields(input: Record<string, unknown>): Partial<WooWebhookRecord> | RestReply {
  const out: Partial<WooWebhookRecord> = {};
  if (input.topic !== undefined) {
    if (typeof input.topic !== 'string' || !WEBHOOK_TOPICS.includes(input.topic))
      return wooError(400, 'woocommerce_rest_webhook_invalid_topic', 'Webhook topic is required and must be valid.');
    out.topic = input.topic;
  }
  if (input.delivery_url !== undefined) {
    if (typeof input.delivery_url !== 'string' || !/^https?:\/\/\S+$/.test(input.delivery_url))
      return wooError(
        400,
        'woocommerce_rest_webhook_invalid_delivery_url',
        'Webhook delivery URL must be a valid URL starting with http:// or https://.',
      );
    out.deliveryUrl = input.delivery_url;
  }
  if (input.status !== undefined) {
    if (typeof input.status !== 'string' || !WEBHOOK_STATUSES.includes(input.status))
      return wooError(400, 'rest_invalid_param', 'Invalid parameter(s): status', {
        params: { status: `status is not one of ${WEBHOOK_STATUSES.join(', ')}.` },
      });
    out.status = input.status;
  }
  if (typeof input.name === 'string') out.name = input.name;
  if (typeof input.secret === 'string' && input.secret) out.secret = input.secret;
  return out;
}

async function createWebhook(site: WooBackend, input: Record<string, unknown>): Promise<RestReply> {
  const missing = ['topic', 'delivery_url'].filter((name) => input[name] === undefined);
  if (missing.length > 0)
    return wooError(400, 'rest_missing_callback_param', `Missing parameter(s): ${missing.join(', ')}`, { params: missing });
  const set = fields(input);
  if (Array.isArray(set)) return set;
  const at = site.stamp();
  const hook: WooWebhookRecord = {
    id: site.nextId(),
    name: `Webhook created on ${new Date(at).toUTCString()}`,
    status: 'active',
    topic: '',
    deliveryUrl: '',
    // Without one, WooCommerce signs with the API user's consumer secret.
    secret: site.consumerSecret,
    failureCount: 0,
    pendingDelivery: true,
    createdAt: at,
    modifiedAt: at,
    ...set,
  };
  site.webhooks.webhooks.push(hook);
  if (hook.status === 'active') await site.webhooks.ping(hook);
  return [201, webhookJson(hook, site.url)];
}

async function updateWebhook(site: WooBackend, hook: WooWebhookRecord, input: Record<string, unknown>): Promise<RestReply> {
  const set = fields(input);
  if (Array.isArray(set)) return set;
  const moved = set.deliveryUrl !== undefined && set.deliveryUrl !== hook.deliveryUrl;
  // The failure count stays as it is: WC_Webhook::set_status leaves it, only a delivery that succeeds clears it.
  Object.assign(hook, set, { modifiedAt: site.stamp() });
  // WC_Webhook_Data_Store::update pings an active webhook whose URL changed or whose ping never got a 200.
  if (hook.status === 'active' && (moved || hook.pendingDelivery)) await site.webhooks.ping(hook);
  return [200, webhookJson(hook, site.url)];
}
