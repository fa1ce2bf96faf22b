// Sends stored deliveries in the background: claims a batch, broadcasts it, records one attempt per
// delivery, and lets the retry policy decide what comes next. Woken by new deliveries; otherwise it
// sleeps until the next one falls due (or a poll interval, whichever is sooner).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { CallResult, MantagoClient } from '../mantago/client.ts';
import type { CredentialsManager } from '../mantago/credentials.ts';
import type { AttemptOutcome, AttemptResult, ClaimedDelivery, Store, Transition } from '../store/store.ts';
import { broadcastRequest, oneRecipientEach } from './batching.ts';
import { retryLater, shouldRetry, type Decision, type RetryPolicy } from './retry-policy.ts';

export interface WorkerOptions {
  batchMaxRecipients: number;
  maxConcurrency: number;
  leaseMs: number;
  /** The longest one MantaGO call may take: a lease with less than this left is renewed first. */
  callTimeoutMs: number;
  pollMs: number;
  policy: RetryPolicy;
}

export interface WorkerDeps {
  store: Store;
  client: MantagoClient;
  credentials: CredentialsManager;
  log: Logger;
  options: WorkerOptions;
  /** Told of every delivery that reached an end, for metrics. */
  onFinished?: (outcome: 'sent' | 'dry_run' | 'dead', deliveries: ClaimedDelivery[]) => void;
}

/** The deliveries of one claim and when their lease ends. */
interface Lease {
  ids: number[];
  until: number;
}

/** How often one claim may renew the credentials before it gives up for now. */
const MAX_RENEWALS_PER_SEND = 2;

export class DeliveryWorker {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly deps: WorkerDeps;
  private readonly inFlight = new Set<Promise<void>>();
  private running: Promise<void> | undefined;
  private stopping = false;
  private woken = false;
  private wakeUp: (() => void) | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(deps: WorkerDeps) {
    this.deps = deps;
  }

  start(): void {
    if (this.running) return;
    this.unsubscribe.push(this.deps.store.onDeliveryDue(() => this.wake()));
    this.unsubscribe.push(this.deps.credentials.onUsable(() => this.wake()));
    this.running = this.loop();
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming and waits for the sends already under way. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    this.wake();
    await this.running;
    await Promise.allSettled([...this.inFlight]);
  }

  private async loop(): Promise<void> {
    const { store, credentials, log, options } = this.deps;
    while (!this.stopping) {
      try {
        if (!credentials.isUsable()) {
          await credentials.reload(); // the operator, or another replica, may have stored a good pair
          if (!credentials.isUsable()) {
            await this.idle(options.pollMs);
            continue;
          }
        }
        if (this.inFlight.size >= options.maxConcurrency) {
          await this.idle(options.pollMs);
          continue;
        }
        // While a 429 holds calls back, claimed work would only sit out its lease.
        const paused = this.deps.client.limiter.pausedUntilMs - Date.now();
        if (paused > 0) {
          await this.idle(Math.min(paused, options.pollMs));
          continue;
        }
        const claimed = await store.claimBatch(this.owner, options.batchMaxRecipients, options.leaseMs, Date.now());
        if (claimed.length === 0) {
          const due = await store.nextDueAt();
          await this.idle(due === undefined ? options.pollMs : Math.min(options.pollMs, due - Date.now()));
          continue;
        }
        void this.track(
          this.deliver(claimed).catch((error: unknown) => log.error({ err: error, deliveries: claimed.length }, 'delivery failed unexpectedly; the lease will bring it back')),
        ).finally(() => this.wake());
      } catch (error) {
        log.error({ err: error }, 'delivery worker could not reach the store; retrying');
        await this.idle(options.pollMs);
      }
    }
  }

  /** Waits for a wake-up or `ms`, whichever comes first; a wake-up that came early is not lost. */
  private async idle(ms: number): Promise<void> {
    if (this.woken || this.stopping) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = undefined;
    this.woken = false;
  }

  private async deliver(claimed: ClaimedDelivery[]): Promise<void> {
    const { batch, later } = oneRecipientEach(claimed);
    if (later.length > 0) await this.deps.store.release(this.owner, later.map((d) => d.id), Date.now());
    await this.send(batch, { ids: batch.map((d) => d.id), until: Date.now() + this.deps.options.leaseMs });
  }

  /**
   * Before another call under the same claim: a lease that could run out during it is extended,
   * for the whole claim (a split batch's other half waits under it too).
   */
  private async keepLease(lease: Lease): Promise<void> {
    const { store, options } = this.deps;
    if (Date.now() + options.callTimeoutMs + 1_000 < lease.until) return;
    lease.until = Date.now() + options.leaseMs;
    await store.renewLease(this.owner, lease.ids, lease.until);
  }

  /**
   * Sends deliveries this worker already holds (stored leased to `owner` by a manual broadcast)
   * now, as it would any claim; resolves with MantaGO's last answer. Shutdown waits for it.
   */
  async sendNow(claimed: ClaimedDelivery[], leaseUntil: number): Promise<CallResult | undefined> {
    let last: CallResult | undefined;
    await this.track(this.send(claimed, { ids: claimed.map((d) => d.id), until: leaseUntil }, (result) => {
      last = result;
    }));
    return last;
  }

  /** A send counts against the concurrency limit, and stop() waits for it, until it settles. */
  private track(send: Promise<void>): Promise<void> {
    const tracked = send.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return tracked;
  }

  private async send(batch: ClaimedDelivery[], lease: Lease, observe?: (result: CallResult) => void): Promise<void> {
    const { client, credentials, store, log, options } = this.deps;
    for (let renewals = 0; ; renewals++) {
      await this.keepLease(lease);
      const pair = await credentials.get();
      if (!pair) {
        // Rejected credentials: hand the work back uncounted and wait for the operator.
        await store.release(this.owner, batch.map((d) => d.id), Date.now());
        return;
      }
      const startedAt = Date.now();
      const result = await client.broadcast(pair.apiToken, broadcastRequest(batch, pair.apiSecret));
      observe?.(result);
      const progress = (d: ClaimedDelivery) => ({ attempts: d.attempts, receivedAt: d.waitingSince, batchSize: batch.length });
      const first = shouldRetry(result, progress(batch[0] as ClaimedDelivery), options.policy);

      if (first.action === 'renew') {
        const renewal = renewals < MAX_RENEWALS_PER_SEND ? await credentials.expired(pair.generation) : 'unavailable';
        if (renewal === 'renewed') {
          await store.recordAttempts(this.owner, batch.map((d) => this.result(d, startedAt, result, 'credentials_expired', { to: 'in_flight' }, batch.length)));
          continue;
        }
        const outcomes = batch.map((d): AttemptResult => {
          const then: Transition =
            renewal === 'rejected'
              ? { to: 'retry', at: Date.now(), counted: false }
              : toTransition(retryLater('MantaGO credentials could not be renewed', progress(d), options.policy));
          return this.result(d, startedAt, result, 'credentials_expired', then, batch.length);
        });
        await store.recordAttempts(this.owner, outcomes);
        this.report(outcomes, batch);
        return;
      }

      if (first.action === 'split') {
        await store.recordAttempts(this.owner, batch.map((d) => this.result(d, startedAt, result, 'batch_refused', { to: 'in_flight' }, batch.length)));
        log.warn({ deliveries: batch.length, reason: first.reason }, 'MantaGO refused a batched broadcast; sending halves to find the refused recipients');
        const half = Math.ceil(batch.length / 2);
        await this.send(batch.slice(0, half), lease, observe);
        await this.send(batch.slice(half), lease, observe);
        return;
      }

      // Every delivery in the batch shares the call's outcome, each within its own attempt and age bounds.
      const outcomes = batch.map((d) => {
        const decision = d === batch[0] ? first : shouldRetry(result, progress(d), options.policy);
        const outcome = decision.action !== 'sent' ? 'failed' : result.kind === 'ok' && result.dryRun ? 'dry_run' : 'sent';
        return this.result(d, startedAt, result, outcome, toTransition(decision), batch.length);
      });
      await store.recordAttempts(this.owner, outcomes);
      this.report(outcomes, batch);
      return;
    }
  }

  private result(d: ClaimedDelivery, startedAt: number, call: CallResult, outcome: AttemptOutcome, then: Transition, batchSize: number): AttemptResult {
    return {
      attempt: {
        deliveryId: d.id,
        startedAt,
        durationMs: call.durationMs,
        outcome,
        httpStatus: call.kind === 'unreachable' ? null : call.status,
        error: call.kind === 'ok' ? null : call.message,
        batchSize,
      },
      then,
    };
  }

  private report(outcomes: AttemptResult[], batch: ClaimedDelivery[]): void {
    const { log, onFinished } = this.deps;
    const byId = new Map(batch.map((d) => [d.id, d]));
    const sent = outcomes.filter((o) => o.then.to === 'sent').map((o) => byId.get(o.attempt.deliveryId) as ClaimedDelivery);
    const dead = outcomes.filter((o) => o.then.to === 'dead');
    const retrying = outcomes.filter((o) => o.then.to === 'retry');
    if (sent.length > 0) {
      log.info({ deliveries: sent.length, rule: sent[0]?.rule, platform: sent[0]?.platform, orders: sent.slice(0, 5).map((d) => d.orderId) }, outcomes[0]?.attempt.outcome === 'dry_run' ? 'broadcast recorded, not sent (DRY_RUN)' : 'broadcast sent');
      onFinished?.(outcomes[0]?.attempt.outcome === 'dry_run' ? 'dry_run' : 'sent', sent);
    }
    if (dead.length > 0) {
      const reason = (dead[0]?.then as { reason: string }).reason;
      log.error({ deliveries: dead.length, orders: dead.slice(0, 5).map((o) => byId.get(o.attempt.deliveryId)?.orderId), reason }, 'delivery dead');
      onFinished?.('dead', dead.map((o) => byId.get(o.attempt.deliveryId) as ClaimedDelivery));
    }
    if (retrying.length > 0) {
      const first = retrying[0] as AttemptResult;
      log.warn({ deliveries: retrying.length, error: first.attempt.error, retryAt: new Date((first.then as { at: number }).at).toISOString() }, 'delivery will be retried');
    }
  }
}

function toTransition(decision: Decision): Transition {
  switch (decision.action) {
    case 'sent':
      return { to: 'sent' };
    case 'retry':
      return { to: 'retry', at: decision.at, counted: true };
    case 'dead':
    case 'split':
      return { to: 'dead', reason: decision.reason };
    case 'renew':
      return { to: 'in_flight' };
  }
}
