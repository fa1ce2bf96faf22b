// Sends stored deliveries in the background: claims a batch, broadcasts it, records one attempt per
// delivery, and carries out what the state machine (outcome.ts) decides. Woken by new deliveries;
// otherwise it sleeps until the next one falls due (or a poll interval, whichever is sooner).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../clock.ts';
import type { AttemptOutcome, ClaimedDelivery, Transition } from '../domain/delivery.ts';
import type { CallResult } from '../mantago/client.ts';
import type { BindJob, UnresolvedDelivery } from '../store/store.ts';
import { broadcastRequest, oneRecipientEach } from './batching.ts';
import { Lease } from './lease.ts';
import type { Stage, WorkerDeps } from './worker-deps.ts';

export type { Broadcaster, CredentialsSource, Stage, WorkerDeps, WorkerOptions } from './worker-deps.ts';
import { afterCall, afterRenewalFailed, attemptsOf, type Step } from './outcome.ts';
import { reportOutcome } from './report.ts';

/** How often one claim may renew the credentials before it gives up for now. */
const MAX_RENEWALS_PER_SEND = 2;

export function workerOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export class DeliveryWorker {
  readonly owner: string;
  private readonly deps: WorkerDeps;
  private readonly clock: Clock;
  private readonly inFlight = new Set<Promise<void>>();
  private claims = 0;
  private running: Promise<void> | undefined;
  private stopping = false;
  private woken = false;
  private wakeUp: (() => void) | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(deps: WorkerDeps) {
    this.deps = deps;
    this.owner = deps.owner ?? workerOwner();
    this.clock = deps.clock ?? systemClock;
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
        const paused = this.deps.client.pausedUntil() - this.clock.now();
        if (paused > 0) {
          await this.idle(Math.min(paused, options.pollMs));
          continue;
        }
        // First the deliveries whose recipient is still to be found: once resolved they can join a batch.
        const { resolver, binder } = this.deps;
        const resolving = (batch: UnresolvedDelivery[], lease: Lease) =>
          (resolver as NonNullable<typeof resolver>).resolve(lease.owner, batch, lease);
        if (await this.startStage(resolver, resolving)) continue;
        const owner = this.claimOwner();
        const claimedAt = this.clock.now();
        const claimed = await store.claimBatch(owner, options.batchMaxRecipients, options.leaseMs, claimedAt);
        if (claimed.length === 0) {
          // Binds go last: nothing a customer waits for.
          const binding = (jobs: BindJob[], lease: Lease) => (binder as NonNullable<typeof binder>).bind(jobs, lease);
          if (await this.startStage(binder, binding)) continue;
          const due = await store.nextDueAt();
          await this.idle(due === undefined ? options.pollMs : Math.min(options.pollMs, due - this.clock.now()));
          continue;
        }
        void this.track(
          this.deliver(claimed, this.lease(claimedAt + options.leaseMs, owner)).catch((error: unknown) =>
            log.error({ err: error, deliveries: claimed.length }, 'delivery failed unexpectedly; the lease will bring it back'),
          ),
        ).finally(() => this.wake());
      } catch (error) {
        log.error({ err: error }, 'delivery worker could not reach the store; retrying');
        await this.idle(options.pollMs);
      }
    }
  }

  /** Claims a stage's work and starts it (tracked like a send); whether there was any. */
  private async startStage<W>(stage: Stage<W> | undefined, run: (work: W[], lease: Lease) => Promise<void>): Promise<boolean> {
    if (!stage) return false;
    const { options, log } = this.deps;
    const owner = this.claimOwner();
    const claimedAt = this.clock.now();
    const work = await stage.claim(owner, options.batchMaxRecipients, options.leaseMs, claimedAt);
    if (work.length === 0) return false;
    void this.track(
      run(work, this.lease(claimedAt + options.leaseMs, owner)).catch((error: unknown) =>
        log.error({ err: error, items: work.length }, 'worker stage failed unexpectedly; the lease will bring its work back'),
      ),
    ).finally(() => this.wake());
    return true;
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

  /** A customer with two orders gets two messages: the second waits for the next claim. */
  private async deliver(claimed: ClaimedDelivery[], claim: Lease): Promise<void> {
    const { batch, later } = oneRecipientEach(claimed);
    if (later.length > 0)
      await this.deps.store.release(
        claim.owner,
        later.map((d) => d.id),
        this.clock.now(),
      );
    // The lease runs from the claim, as the store recorded it, not from now.
    await this.send(batch, claim);
  }

  private lease(until: number, owner = this.owner): Lease {
    return new Lease(until, this.deps.options, owner);
  }

  /** Each claim holds its work under a name of its own: a claim of this process never passes for another. */
  private claimOwner(): string {
    return `${this.owner}/${++this.claims}`;
  }

  /** An attempt after which the same claim calls again (renewed credentials, a split batch): it stays in flight. */
  private recordStillClaimed(lease: Lease, batch: ClaimedDelivery[], startedAt: number, result: CallResult, outcome: AttemptOutcome) {
    const stillClaimed = batch.map((): Transition => ({ to: 'in_flight' }));
    return this.deps.store.recordAttempts(lease.owner, attemptsOf(batch, startedAt, result, outcome, stillClaimed), this.clock.now());
  }

  /** Before another call under the same claim, a lease that could run out during it is renewed, for the whole claim. */
  private async keepLease(lease: Lease, batch: ClaimedDelivery[]): Promise<boolean> {
    const now = this.clock.now();
    if (!lease.needsRenewal(now)) return true;
    if (now >= lease.until) return false;
    lease.until = lease.renewedUntil(now);
    const ids = batch.map((d) => d.id);
    return (await this.deps.store.renewLease(lease.owner, ids, lease.until)) === ids.length;
  }

  /**
   * Sends deliveries this worker already holds (stored leased to `owner` by a manual broadcast)
   * now, as it would any claim; resolves with MantaGO's last answer. Shutdown waits for it.
   */
  async sendNow(claimed: ClaimedDelivery[], leaseUntil: number): Promise<CallResult | undefined> {
    let last: CallResult | undefined;
    await this.track(
      this.send(claimed, this.lease(leaseUntil), (result) => {
        last = result;
      }),
    );
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
    const random = this.deps.random ?? Math.random;
    for (let renewals = 0; ; renewals++) {
      if (!(await this.keepLease(lease, batch))) {
        // Another claim may hold them now: this one neither calls nor records; what it still holds goes back.
        log.warn({ deliveries: batch.length }, 'a claim ran out before its next call; handing its deliveries back');
        await store.release(
          lease.owner,
          batch.map((d) => d.id),
          this.clock.now(),
        );
        return;
      }
      const pair = await credentials.get({ waitUntil: lease.latestStart() });
      if (!pair) {
        // Rejected credentials: hand the work back uncounted and wait for the operator.
        await store.release(
          lease.owner,
          batch.map((d) => d.id),
          this.clock.now(),
        );
        return;
      }
      const startedAt = this.clock.now();
      const result = await client.broadcast(pair.apiToken, broadcastRequest(batch, pair.apiSecret), { startBy: lease.latestStart() });
      observe?.(result);
      let step: Step = afterCall(result, batch, options.policy, this.clock.now(), random());

      if (step.step === 'release') {
        // No call slot within the lease: nothing was sent, nothing is counted; another claim takes it up.
        await store.release(
          lease.owner,
          batch.map((d) => d.id),
          this.clock.now(),
        );
        return;
      }

      if (step.step === 'renew') {
        // The lease bounds the wait for a refresh as it bounds a call: past it, the work waits, uncounted.
        const waitUntil = lease.latestStart();
        const renewal = renewals < MAX_RENEWALS_PER_SEND ? await credentials.expired(pair.generation, { waitUntil }) : 'unavailable';
        if (renewal === 'renewed') {
          await this.recordStillClaimed(lease, batch, startedAt, result, step.outcome);
          continue;
        }
        const now = this.clock.now();
        step = afterRenewalFailed(renewal, batch, options.policy, now, credentials.nextRefreshAt() ?? now + options.policy.baseDelayMs);
      }

      if (step.step === 'split') {
        await this.recordStillClaimed(lease, batch, startedAt, result, step.outcome);
        log.warn(
          { deliveries: batch.length, reason: step.reason },
          'MantaGO refused a batched broadcast; sending halves to find the refused recipients',
        );
        const half = Math.ceil(batch.length / 2);
        await this.send(batch.slice(0, half), lease, observe);
        await this.send(batch.slice(half), lease, observe);
        return;
      }

      if (step.step === 'finish') {
        const { retryTime } = this.deps;
        const transitions = retryTime
          ? step.transitions.map((t, i): Transition => (t.to === 'retry' ? { ...t, at: retryTime(batch[i]?.rule ?? '', t.at) } : t))
          : step.transitions;
        const results = attemptsOf(batch, startedAt, result, step.outcome, transitions);
        await store.recordAttempts(lease.owner, results, this.clock.now());
        reportOutcome(this.deps.log, results, batch, this.deps.onFinished);
      }
      return;
    }
  }
}
