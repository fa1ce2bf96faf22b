// A WooCommerce shop connection: its orders read through REST v3 (modified in a window, oldest
// change first, each page from the last one's latest change on), each made into its event by the webhook source's own
// normalization, and its order webhooks kept: a missing one to this service created (signed with
// WOOCOMMERCE_WEBHOOK_SECRET), a disabled or paused one set active; one pointing elsewhere is left alone.
import type { OrderEvent, ReceivedOrder } from '../domain/order.ts';
import { payloadProblems } from '../sources/payload-check.ts';
import { gmtTime, woocommerceSource } from '../sources/woocommerce.ts';
import { maskUrlPassword } from '../secrets.ts';
import type { OrderPage, ShopConnection, WebhookCheck, Window } from './connection.ts';
import { pagesOf, ShopApi, ShopCallError } from './shop-call.ts';
import { WOOCOMMERCE } from '../sources/names.ts';

/** The webhook topics this service takes (both carry the order; its status is the event). */
export const WOOCOMMERCE_TOPICS = ['order.created', 'order.updated'] as const;
const PAGE = 100;
/** Pages of 100 webhooks: far more than a shop ever has. */
const MAX_WEBHOOK_PAGES = 20;
const KIND = woocommerceSource.payloadKind({ 'x-wc-webhook-topic': 'order.updated' });

export interface WooCommerceSettings {
  url: string;
  consumerKey: string;
  consumerSecret: string;
  /** WOOCOMMERCE_WEBHOOK_SECRET: the secret of a webhook the service creates. */
  webhookSecret: string | undefined;
}

interface WooWebhook {
  id: number;
  status: string;
  topic: string;
  delivery_url: string;
}

/**
 * Where the next page starts. Pages by number over `orderby=modified` lose an order whenever one
 * read before changes meanwhile (it moves to the end, the rest move up one), and within one second
 * WooCommerce orders ties in no fixed order: so each page is a first page, of the orders changed
 * from the last one's latest change on (`after`, to the second, which WooCommerce's filter knows),
 * less those already read at that very second (`seen`, sent as `exclude`). More than a page changed
 * in one second (a bulk change) is read as that second alone, by id, `offset` by what was read less
 * an overlap (an order changed again meanwhile leaves it, and the rest move up), rather than by an
 * `exclude` list that would grow with every page until the URL is too long for the shop's server.
 */
type WooCursor = { after: number; seen: number[] } | { second: number; read: number; last: number };
/** Orders read again at each page of one second: that many may leave it while it is read without one being missed. */
const SECOND_OVERLAP = 10;

const second = (ms: number) => Math.floor(ms / 1000);

/** A WooCommerce date in GMT, to the second, without a zone (with dates_are_gmt=true). */
const wooDate = (ms: number) => new Date(second(ms) * 1000).toISOString().slice(0, 19);
const gmt = (value: unknown) => (typeof value === 'string' ? gmtTime(value) : undefined);

/**
 * A WooCommerce before 5.8 knows no `modified_after` (WordPress ignores parameters it does not
 * know) and lists every order, oldest first: an order changed before the window (to the second,
 * and one more for the shop's rounding), or after its end, says so.
 */
function outsideWindow(changedAt: number | undefined, window: Window): boolean {
  if (changedAt === undefined) return false;
  return second(changedAt) < second(window.since) - 1 || (window.until !== undefined && second(changedAt) > second(window.until) + 1);
}

/** The event an order's status implies, as its webhook would bring it; none for another status; why, if it cannot be read. */
export function wooOrderEvent(payload: unknown): ReceivedOrder | { problem: string } | undefined {
  if ('ignored' in KIND) return undefined;
  const problems = payloadProblems(KIND.schema, payload);
  if (problems.length > 0) return { problem: problems.join(', ') };
  const normalized = KIND.normalize(payload as never, {});
  return 'order' in normalized ? normalized : undefined;
}

export function woocommerceConnection(settings: WooCommerceSettings): ShopConnection {
  const basic = Buffer.from(`${settings.consumerKey}:${settings.consumerSecret}`).toString('base64');
  // The webhook secret is sent too (in the body of a webhook's creation): an echo of it is cut like the key's.
  const api = new ShopApi(
    'WooCommerce',
    `${settings.url.replace(/\/+$/, '')}/wp-json/wc/v3`,
    { authorization: `Basic ${basic}` },
    {
      alsoSecret: settings.webhookSecret ? [settings.webhookSecret] : [],
    },
  );
  return {
    source: WOOCOMMERCE,
    settings: {
      WOOCOMMERCE_URL: maskUrlPassword(settings.url),
      WOOCOMMERCE_CONSUMER_KEY: 'set',
      WOOCOMMERCE_CONSUMER_SECRET: 'set',
      WOOCOMMERCE_WEBHOOK_SECRET: settings.webhookSecret ? 'set' : 'unset',
    },
    async page(window: Window, cursor: string | undefined): Promise<OrderPage> {
      const at: WooCursor = cursor ? (JSON.parse(cursor) as WooCursor) : { after: window.since, seen: [] };
      const offset = 'second' in at ? Math.max(0, at.read - SECOND_OVERLAP) : 0;
      // `modified_after` is strictly after: the second before the first one wanted.
      const query = new URLSearchParams({
        dates_are_gmt: 'true',
        order: 'asc',
        per_page: String(PAGE),
        ...('second' in at
          ? {
              modified_after: wooDate(at.second * 1000 - 1000),
              modified_before: wooDate(at.second * 1000 + 1000),
              orderby: 'id',
              offset: String(offset),
            }
          : {
              modified_after: wooDate(at.after - 1000),
              ...(window.until !== undefined && { modified_before: wooDate(window.until + 1000) }),
              orderby: 'modified',
              ...(at.seen.length > 0 && { exclude: at.seen.join(',') }),
            }),
      });
      const { body, headers } = await api.call('GET', `orders?${query}`);
      if (!Array.isArray(body))
        throw new ShopCallError('unreachable', 'WooCommerce answered something that is not a list of orders: check WOOCOMMERCE_URL');
      const listed = body as Record<string, unknown>[];
      const outside = listed.find((o) => outsideWindow(gmt(o.date_modified_gmt), window));
      if (outside)
        throw new ShopCallError(
          'unreachable',
          `WooCommerce listed order ${Number(outside.id)}, changed ${String(outside.date_modified_gmt)} (GMT), outside the window asked: it ignores modified_after, which needs WooCommerce 5.8 or later (its orders are not read, lest their history be sent as news)`,
          undefined,
          { lasting: true },
        );
      // Without a page count (missing, or not a number) a full page says there may be more.
      const totalPages = pagesOf(headers['x-wp-totalpages']);
      const more = totalPages === undefined ? listed.length === PAGE : totalPages > 1;
      const through = listed.reduce<number | undefined>((latest, o) => Math.max(latest ?? 0, gmt(o.date_modified_gmt) ?? 0), undefined);
      const seen = new Set('second' in at ? [] : at.seen);
      const orders = listed.filter((o) => !seen.has(Number(o.id))); // a shop that ignored `exclude`
      const atSecond = (s: number) => listed.filter((o) => second(gmt(o.date_modified_gmt) ?? 0) === s).map((o) => Number(o.id));
      let next: WooCursor | undefined;
      if ('second' in at) {
        const last = listed.reduce((max, o) => Math.max(max, Number(o.id)), 0);
        // By id, a page goes past the last one's highest id: one that does not ignores `offset`.
        if (listed.length === PAGE && last <= at.last)
          throw new ShopCallError(
            'unreachable',
            `WooCommerce ignores offset: past the ${at.read} orders read of those changed in the second of ${wooDate(at.second * 1000)} (GMT), none can be read`,
          );
        // `offset` pages have no count to trust: a full page may have more; the second done, on after it.
        next =
          listed.length === PAGE ? { second: at.second, read: offset + listed.length, last } : { after: at.second * 1000 + 1000, seen: [] };
      } else if (more)
        next =
          through === undefined // an empty page said to have more: the same cursor again, which the pass refuses
            ? at
            : second(through) > second(at.after)
              ? { after: through, seen: atSecond(second(through)) }
              : // A page all of one second: more than a page changed in it (a bulk change), read as that second alone.
                { second: second(at.after), read: 0, last: 0 };
      const read = orders.map((o) => wooOrderEvent(o));
      const problems = read.flatMap((r) => (r && 'problem' in r ? [r.problem] : []));
      return {
        orders: orders.length,
        events: read.flatMap((r) => (r && !('problem' in r) ? [r] : [])),
        through,
        next: next && JSON.stringify(next),
        ...(problems.length > 0 && { unreadable: { count: problems.length, problem: problems[0] as string } }),
      };
    },
    async keepWebhooks(publicUrl: string, _events: readonly OrderEvent[]): Promise<WebhookCheck> {
      const address = `${publicUrl.replace(/\/+$/, '')}/webhooks/woocommerce`;
      const hooks: WooWebhook[] = [];
      for (let page = 1; ; page++) {
        const { body, headers } = await api.call('GET', `webhooks?per_page=100&page=${page}`);
        if (!Array.isArray(body)) throw new ShopCallError('unreachable', 'WooCommerce answered something that is not a list of webhooks');
        hooks.push(...(body as WooWebhook[]));
        const totalPages = pagesOf(headers['x-wp-totalpages']);
        if (body.length === 0 || (totalPages === undefined ? body.length < 100 : page >= totalPages)) break;
        if (page >= MAX_WEBHOOK_PAGES) throw new ShopCallError('unreachable', 'WooCommerce listed webhooks without end');
      }
      const repairs: WebhookCheck['repairs'] = [];
      for (const topic of WOOCOMMERCE_TOPICS) {
        const ours = hooks.filter((h) => h.topic === topic && h.delivery_url === address);
        if (ours.some((h) => h.status === 'active')) continue;
        const stopped = ours[0];
        if (stopped) {
          const { body } = await api.call('PUT', `webhooks/${stopped.id}`, { status: 'active' });
          stopped.status = (body as WooWebhook).status;
          repairs.push({ topic, action: 'reactivated' });
        } else if (settings.webhookSecret) {
          const { body } = await api.call('POST', 'webhooks', {
            name: `MantaGO order notifier (${topic})`,
            topic,
            delivery_url: address,
            secret: settings.webhookSecret,
            status: 'active',
          });
          hooks.push(body as WooWebhook);
          repairs.push({ topic, action: 'created' });
        } else {
          repairs.push({ topic, action: 'failed', error: 'WOOCOMMERCE_WEBHOOK_SECRET is not set: no webhook can be created' });
        }
      }
      const webhooks = hooks.map((h) => ({
        id: String(h.id),
        topic: h.topic,
        address: h.delivery_url,
        state: h.status,
        ours: h.delivery_url === address,
      }));
      return { webhooks, repairs };
    },
    close: () => api.close(),
  };
}
