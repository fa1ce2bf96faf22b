// The shop connections' polls: each interval, per connected source, the one replica holding the
// source's lease (in the store) keeps the shop's webhooks, then reads the orders updated since the
// stored watermark (less an overlap, never before the connection was made) and hands their events
// to the intake; the watermark moves after each page is stored, so a poll stopped anywhere — a
// crash included — resumes where it was and sends nothing twice. The schedule is in the store too
// (next_poll_at), so replicas poll once between them. A poll's trouble is its outcome, never an error.
import type { Logger } from 'pino';
import { type Clock, settleBy } from '../clock.ts';
import type { Intake } from '../delivery/intake.ts';
import type { OrderEvent } from '../domain/order.ts';
import type { ShopMetrics } from '../metrics/shop-metrics.ts';
import type { ShopConnectionRow, ShopConnectionStore } from '../store/store.ts';
import type { ShopConnection, Window } from './connection.ts';
import type { PollOutcome } from './outcomes.ts';
import { withBackoff } from './backoff.ts';
import { addCounts, noCounts, type PassCounts, type PassOptions, type PassResult, runPass } from './pass.ts';
import { ShopCallError } from './shop-call.ts';
import { keepWebhooks, parseWebhookState } from './webhook-keeper.ts';

/** Orders updated this long before the watermark are read again: a shop's clock and index may lag. */
export const OVERLAP_MS = 5 * 60_000;
/** The longest a shop's Retry-After holds its next poll back (beyond the interval). */
const MAX_ASKED_WAIT_MS = 3_600_000;
/**
 * How long a poll's lease lasts, renewed after every page: the interval, within 5 s and 2 min, so a
 * replica killed mid-poll holds it up no longer than a poll's own pace.
 */
export const pollLeaseMs = (intervalMs: number) => Math.min(2 * 60_000, Math.max(5_000, intervalMs));
/**
 * A replay begins no page after this long, and answers what it stored and where to go on from: its
 * caller waits over HTTP (the server drops a connection idle for 30 s; proxies, often 60 s).
 */
export const REPLAY_DEADLINE_MS = 20_000;
/** When the store cannot be read: look again this often. */
const IDLE_RECHECK_MS = 60_000;

export interface PollerOptions {
  store: ShopConnectionStore;
  intake: Intake;
  connections: readonly ShopConnection[];
  clock: Clock;
  log: Logger;
  metrics: ShopMetrics;
  owner: string;
  /** RECONCILE_INTERVAL_S in ms; 0: no polls nor webhook checks of its own (POST /admin/reconcile still reads). */
  intervalMs: number;
  publicUrl: string | undefined;
  /** The events the mapping's rules need webhooks for. */
  events: readonly OrderEvent[];
  /** Orders a pass stores at once (PassOptions; a page's all unless given). */
  parallel?: number;
}

export class ShopPoller {
  private readonly options: PollerOptions;
  private readonly outcomes = new Map<string, PollOutcome>();
  /** Each source's next poll, cancelled by stop(): each shop keeps its own schedule, so one's long poll holds no other's up. */
  private readonly timers = new Map<string, () => void>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;
  /** Passes under way (polls and replays): each rests in proportion, so webhooks keep their share of the CPU. */
  private passes = 0;
  private readonly sideBySide = () => this.passes;
  /** Backoff waits under way, each ended at once by stop(). */
  private readonly waits = new Set<() => void>();
  private readonly sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const end = () => {
        cancel();
        this.waits.delete(end);
        resolve();
      };
      const cancel = this.options.clock.setTimer(end, ms);
      this.waits.add(end);
    });

  constructor(options: PollerOptions) {
    this.options = options;
  }

  get connections(): readonly ShopConnection[] {
    return this.options.connections;
  }

  /**
   * Each connected source's last poll outcome, for /readyz: as the store has it (whichever replica
   * polled), else — the store not answering within `waitMs` — as this replica last saw it.
   */
  async status(waitMs: number): Promise<Record<string, PollOutcome>> {
    const { clock, connections, store } = this.options;
    if (connections.length === 0) return {};
    const rows = store.listShopConnections().catch(() => undefined);
    const stored = new Map((await settleBy(clock, rows, clock.now() + waitMs, undefined))?.map((r) => [r.source, r.lastOutcome]));
    return Object.fromEntries(connections.map((c) => [c.source, stored.get(c.source) ?? this.outcomes.get(c.source) ?? 'ok']));
  }

  /** With RECONCILE_INTERVAL_S=0 nothing runs on its own: POST /admin/reconcile still does. */
  start(): void {
    if (this.options.intervalMs === 0) return;
    for (const connection of this.options.connections) this.schedule(connection, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const cancel of this.timers.values()) cancel();
    for (const end of [...this.waits]) end();
    // A shop call under way is cut short (a poll stopped anywhere resumes from its watermark).
    const closed = Promise.all(this.options.connections.map((c) => c.close()));
    await Promise.all(this.running);
    await closed;
  }

  /** One pass over `window` now (POST /admin/reconcile), from `cursor` if given: the watermark and the schedule stay as they are. */
  replay(connection: ShopConnection, window: Window, cursor?: string): Promise<PassResult> {
    return this.countedPass(connection, window, { deadline: this.options.clock.now() + REPLAY_DEADLINE_MS, ...(cursor && { cursor }) });
  }

  /** A pass of a poll or a replay, counted among those under way, with what both tell and share; `own`, what one of them adds. */
  private async countedPass(
    connection: ShopConnection,
    window: Window,
    own: Pick<PassOptions, 'deadline' | 'onPage' | 'onWait' | 'cursor'>,
  ): Promise<PassResult> {
    const { source } = connection;
    const { clock, intake, metrics, log, parallel } = this.options;
    this.passes++;
    try {
      return await runPass(connection, window, {
        clock,
        intake,
        ...(parallel !== undefined && { parallel }),
        stopped: () => this.stopped,
        sleep: this.sleep,
        sideBySide: this.sideBySide,
        onNew: (count) => metrics.recovered(source, count),
        onUnreadable: ({ count, problem }) =>
          log.warn(
            { source, orders: count, problem },
            'shop poll read orders it cannot use (their webhooks would be refused too): no message for them',
          ),
        ...own,
      });
    } finally {
      this.passes--;
    }
  }

  private schedule(connection: ShopConnection, ms: number): void {
    if (this.stopped) return;
    this.timers.set(
      connection.source,
      this.options.clock.setTimer(() => {
        const run = this.tick(connection).finally(() => this.running.delete(run));
        this.running.add(run);
      }, ms),
    );
  }

  private async tick(connection: ShopConnection): Promise<void> {
    const { clock, log } = this.options;
    let due: number;
    try {
      due = await this.poll(connection);
    } catch (error) {
      // The store failed: try again later; webhooks are unaffected.
      log.warn({ source: connection.source, reason: (error as Error).message }, 'shop poll could not use the store');
      due = clock.now() + IDLE_RECHECK_MS;
    }
    this.schedule(connection, Math.max(0, Math.min(due, clock.now() + IDLE_RECHECK_MS * 60) - clock.now()));
  }

  /** Polls `connection` if it is due and this replica gets the lease; when it is next due. */
  private async poll(connection: ShopConnection): Promise<number> {
    const { store, clock, intervalMs, owner } = this.options;
    const { source } = connection;
    const now = clock.now();
    const row = await store.openShopConnection(source, now);
    const leaseMs = pollLeaseMs(intervalMs);
    if (!(await store.claimShopPoll(source, owner, now + leaseMs, now, true))) {
      this.outcomes.set(source, row.lastOutcome ?? 'ok');
      return row.nextPollAt > now ? row.nextPollAt : now + Math.min(leaseMs, intervalMs);
    }
    const holding = this.holdLease(source, leaseMs);
    const passed = await this.pass(connection, row).finally(holding);
    // Cut short by a stop, a failure may not be the shop's: a poll's last outcome stays as it was, uncounted.
    const cut = this.stopped && passed.outcome !== 'ok' && row.lastOutcome !== null;
    const { outcome, error, counts } = cut ? { ...passed, outcome: row.lastOutcome ?? passed.outcome, error: row.lastError } : passed;
    // An interval from this poll's start (a long pass makes the next one due at once), or the wait a
    // throttled shop asked for, if longer; stopped mid-pass (a shutdown): due at once, for another
    // replica or the next start to resume.
    // An hour at most (or the interval, if longer): a shop's Retry-After of a year must not stop polling.
    const asked = clock.now() + Math.min(passed.retryAfterMs ?? 0, Math.max(intervalMs, MAX_ASKED_WAIT_MS));
    const nextPollAt = this.stopped ? clock.now() : Math.max(now + intervalMs, asked);
    await store.finishShopPoll(source, owner, { outcome, error, orders: counts.orders, recovered: counts.new, nextPollAt }, clock.now());
    this.outcomes.set(source, outcome);
    if (!cut) this.options.metrics.polled(source, outcome);
    return nextPollAt;
  }

  /**
   * Renews the poll's lease a third of its length apart while the pass runs, so the webhooks' check,
   * a call under backoff or a slow page never outlasts it (another replica would poll the shop too).
   * A lease lost meanwhile ends the pass at its next page. Returns what stops the renewing, once a
   * renewal under way has ended (it would otherwise take the lease back after the poll gave it up).
   */
  private holdLease(source: string, leaseMs: number): () => Promise<void> {
    const { store, clock, owner, log } = this.options;
    let cancel = () => {};
    let held = true;
    let renewing: Promise<void> = Promise.resolve();
    const renew = () => {
      cancel = clock.setTimer(() => {
        renewing = store
          .claimShopPoll(source, owner, clock.now() + leaseMs, clock.now(), false)
          .then(
            () => undefined,
            (error: unknown) => log.warn({ source, reason: (error as Error).message }, 'the shop poll lease could not be renewed'),
          )
          .finally(() => held && renew());
      }, leaseMs / 3);
    };
    renew();
    return () => {
      held = false;
      cancel();
      return renewing;
    };
  }

  private async pass(
    connection: ShopConnection,
    row: ShopConnectionRow,
  ): Promise<{ outcome: PollOutcome; error: string | null; counts: PassCounts; retryAfterMs?: number }> {
    const { store, clock, owner, log, metrics, publicUrl, events } = this.options;
    const { source } = connection;
    if (publicUrl) {
      const previous = parseWebhookState(row.webhooksJson);
      const retrying = <T>(work: () => Promise<T>) => withBackoff(clock, work, { stopped: () => this.stopped, sleep: this.sleep });
      const state = await keepWebhooks(connection, { publicUrl, events, previous, now: clock.now(), log, metrics, retrying });
      await store.saveShopWebhooks(source, JSON.stringify(state));
    }
    let window = { since: Math.max(row.watermark - OVERLAP_MS, row.connectedAt) };
    let counts = noCounts();
    let held = true;
    const onPage = async (through: number) => {
      held =
        (await store.claimShopPoll(source, owner, clock.now() + pollLeaseMs(this.options.intervalMs), clock.now(), false)) &&
        // Never past now: an order stamped in the future (a shop's clock, a bad date) would skip every order after it.
        (await store.advanceWatermark(source, owner, Math.min(through, clock.now())));
      return held;
    };
    try {
      // A pass ended at its page bound goes on from where it stopped, without the overlap: a stretch
      // denser than the bound would otherwise be read from its start again at every poll.
      for (;;) {
        const { resumeFrom, ...pass } = await this.countedPass(connection, window, {
          onPage,
          onWait: (e, ms) => log.info({ source, outcome: e.outcome, waitMs: ms }, 'shop poll backs off'),
        });
        counts = addCounts(counts, pass);
        if (resumeFrom === undefined || resumeFrom <= window.since || !held || this.stopped) break;
        window = { since: resumeFrom };
      }
      if (counts.new > 0) log.info({ source, ...counts }, 'shop poll recovered events no webhook brought');
      else log.debug({ source, ...counts }, 'shop poll done');
      return { outcome: 'ok', error: null, counts };
    } catch (error) {
      if (!(error instanceof ShopCallError)) throw error;
      log.warn({ source, outcome: error.outcome, reason: error.message }, 'shop poll failed');
      return {
        outcome: error.outcome,
        error: error.message,
        counts,
        ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
      };
    }
  }
}
