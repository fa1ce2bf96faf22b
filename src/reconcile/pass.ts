// One pass over a window of a shop's orders: page by page, each order's events handed to the same
// intake as webhooks (so an event whose webhook came is a duplicate and nothing more is sent),
// an order's events one after another (its placed event first), orders side by side. After each
// page is stored, `onPage` hears how far it went (the watermark's step), and may stop the pass.
// Between pages the pass rests a few times as long as storing the page took, so webhooks arriving
// meanwhile keep nearly all of the CPU (a pass is catching up, a webhook's shop is waiting).
import type { Clock } from '../clock.ts';
import type { Intake } from '../delivery/intake.ts';
import { withBackoff } from './backoff.ts';
import type { ShopConnection, Window } from './connection.ts';
import type { ReceivedOrder } from '../domain/order.ts';
import { ShopCallError } from './shop-call.ts';

/** The topic an event found by reconciliation is recorded with. */
export const RECONCILE_TOPIC = 'reconcile';

/**
 * A pass rests this many times its storing time after each page, so it stores at most a fifteenth of
 * the time. Nine let webhook ingest during passes fall to 0.88-0.89 of without once the worker's idle
 * claims were gone (bench:reconcile, 3 pairs); fourteen keep it at 0.92.
 */
const REST_PER_BUSY = 14;
/** The longest rest: a clock that jumps while a page is stored (a test's, NTP's) must not stall the pass. */
const MAX_REST_MS = 1_000;
/**
 * Pages in one pass (50,000 Shopify orders, 100,000 WooCommerce ones): a bound for a shop that pages
 * without end in a way the checks below miss; a poll goes on from the watermark, other shops get their turn.
 */
export const MAX_PAGES_PER_PASS = 1_000;

export interface PassCounts {
  /** Orders read from the shop. */
  orders: number;
  /** Events stored now, which no webhook had brought. */
  new: number;
  duplicates: number;
  /** Events no rule sends a message for. */
  ignored: number;
  /** Orders read that could not be used (their webhooks would be refused too): no message for them. */
  unreadable: number;
}

/** Nothing read yet. */
export const noCounts = (): PassCounts => ({ orders: 0, new: 0, duplicates: 0, ignored: 0, unreadable: 0 });

/** Two passes' counts together. */
export const addCounts = (a: PassCounts, b: PassCounts): PassCounts => ({
  orders: a.orders + b.orders,
  new: a.new + b.new,
  duplicates: a.duplicates + b.duplicates,
  ignored: a.ignored + b.ignored,
  unreadable: a.unreadable + b.unreadable,
});

/** A pass's counts, and where to go on from if it ended before the window's end. */
export interface PassResult extends PassCounts {
  /** Set when orders were left (the page bound, the deadline, a stop): the latest update time stored through, else the window's start. */
  resumeFrom?: number;
  /** Set with it: the shop's cursor of the first page left (a replay goes on from there: replay-resume.ts). */
  resumeCursor?: string;
}

export interface PassOptions {
  clock: Clock;
  intake: Intake;
  /**
   * Orders stored at once by all passes side by side (a page's all, unless given): a share of
   * INTAKE_QUEUE_MAX, so a page larger than the queue is stored in turns instead of refused by it,
   * and webhooks keep room beside it.
   */
  parallel?: number;
  /** True once the pass should end (the service stops). */
  stopped: () => boolean;
  /** After a page's events are stored: its latest update time; false ends the pass (the lease was lost). */
  onPage?: (through: number) => Promise<boolean>;
  onWait?: (error: ShopCallError, ms: number) => void;
  onNew?: (count: number) => void;
  /** A page held orders that could not be read: their messages are not sent. */
  onUnreadable?: (unreadable: { count: number; problem: string }) => void;
  /** Passes running side by side now (one unless given): each rests that many times longer, so together they still store a fifteenth of the time. */
  sideBySide?: () => number;
  /** How a backoff or a rest waits (the clock's sleep unless given: the poller's ends early when it stops). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * A clock time after which no page is begun and no wait outlasts (a replay someone waits for over
   * HTTP): the pass ends with `resumeFrom`. A shop's trouble met past it ends the pass that way too,
   * once a page is stored, rather than as the shop's failure.
   */
  deadline?: number;
  /** The page to begin at (a replay going on): a cursor an earlier pass over the same window left. */
  cursor?: string;
}

export async function runPass(connection: ShopConnection, window: Window, options: PassOptions): Promise<PassResult> {
  const counts = noCounts();
  const { clock, deadline } = options;
  const late = () => deadline !== undefined && clock.now() >= deadline;
  const sideBySide = () => Math.max(1, options.sideBySide?.() ?? 1);
  const take = async (events: ReceivedOrder[]) => {
    for (const event of events) {
      const result = await options.intake({ ...event, polled: true }, RECONCILE_TOPIC);
      if (result.outcome === 'accepted') counts.new++;
      else if (result.outcome === 'duplicate') counts.duplicates++;
      else counts.ignored++;
    }
  };
  const sleepAll = options.sleep ?? ((ms: number) => clock.sleep(ms));
  const sleep = (ms: number) => sleepAll(deadline === undefined ? ms : Math.max(0, Math.min(ms, deadline - clock.now())));
  const stopped = () => options.stopped() || late();
  // An answer the connection could not read (a shape it does not know) is the shop's trouble, not ours.
  const read = async () => {
    try {
      return await connection.page(window, cursor);
    } catch (error) {
      if (error instanceof ShopCallError) throw error;
      throw new ShopCallError(
        'unreachable',
        `${connection.source} answered orders that could not be read (${(error as Error).message})`.slice(0, 300),
      );
    }
  };
  let cursor = options.cursor;
  let pages = 0;
  /** The next page of the last one read: set while orders are left. */
  let left: string | undefined;
  let through: number | undefined;
  do {
    let page: Awaited<ReturnType<typeof read>>;
    try {
      page = await withBackoff(clock, read, { stopped, sleep, ...(options.onWait && { onWait: options.onWait }) });
    } catch (error) {
      if (pages === 0 || !late()) throw error;
      left = cursor; // the shop's trouble past the deadline: what was stored is answered, the rest left
      break;
    }
    left = page.next;
    counts.orders += page.orders;
    const before = counts.new;
    const byOrder = new Map<string, ReceivedOrder[]>();
    for (const event of page.events) {
      const key = `${event.scope}\u0000${event.order.orderId}`;
      byOrder.set(key, [...(byOrder.get(key) ?? []), event]);
    }
    const storing = clock.now();
    const orders = [...byOrder.values()];
    // Passes side by side (two shops, a replay) share it, so together they still leave the queue room.
    const parallel = options.parallel === undefined ? orders.length : Math.max(1, Math.floor(options.parallel / sideBySide()));
    for (let at = 0; at < orders.length; at += parallel) await Promise.all(orders.slice(at, at + parallel).map(take));
    const busy = clock.now() - storing;
    options.onNew?.(counts.new - before);
    if (page.unreadable) {
      counts.unreadable += page.unreadable.count;
      options.onUnreadable?.(page.unreadable);
    }
    if (page.through !== undefined) {
      through = Math.max(through ?? page.through, page.through);
      if (options.onPage && !(await options.onPage(page.through))) break;
    }
    // The same cursor again would read the same page forever. An empty page with more to come goes on
    // (WooCommerce counts orders it then cannot load): the page bound below ends a shop that never stops.
    if (page.next !== undefined && page.next === cursor)
      throw new ShopCallError('unreachable', `${connection.source} paged without end (the same cursor again)`);
    if (++pages >= MAX_PAGES_PER_PASS) break;
    cursor = page.next;
    const share = sideBySide();
    if (cursor !== undefined && busy > 0 && !stopped()) await sleep(share * Math.min(busy * REST_PER_BUSY, MAX_REST_MS));
  } while (cursor !== undefined && !stopped());
  return left === undefined ? counts : { ...counts, resumeFrom: through ?? window.since, resumeCursor: left };
}
