// The worker's first step for a delivery whose recipient needs MantaGO: its member lookup, then the
// rule (the platform is known only then) and the due time — or the reason it is skipped. A lookup
// that fails follows the broadcast's rules (the same state machine, the same limits): retried with
// backoff and counted, a credentials wait not counted, given up past the attempt or age bound.
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.ts';
import { type AttemptResult, type ClaimedDelivery, placedKeyOf } from '../domain/delivery.ts';
import type { Order } from '../domain/order.ts';
import type { CallResult } from '../mantago/client.ts';
import { LookupFailed, type MemberDirectory } from '../mantago/members.ts';
import type { Mapping } from '../mapping/mapping-file.ts';
import { planDelivery } from '../mapping/plan.ts';
import type { DirectoryLookup } from '../mapping/recipients.ts';
import type { Resolved, Store, UnresolvedDelivery } from '../store/store.ts';
import { batchKey } from './batching.ts';
import type { Lease } from './lease.ts';
import type { BotStatus } from '../mantago/bot-status.ts';
import { afterBotRefused, afterCall, afterRenewalFailed, attemptsOf, type RetryPolicy, type Step } from './outcome.ts';

export interface ResolverDeps {
  store: Pick<Store, 'findDelivery' | 'claimUnresolved' | 'resolveDeliveries' | 'recordAttempts' | 'release'>;
  mapping: Mapping;
  members: Pick<MemberDirectory, 'lookup'>;
  directory: DirectoryLookup;
  credentials: { nextRefreshAt(): number | undefined };
  /** Told of a lookup refused for the bot (1002, 5001): the delivery then waits for it, uncounted. */
  bot?: Pick<BotStatus, 'refused' | 'probeAt'>;
  policy: RetryPolicy;
  log: Logger;
  /** Told of deliveries the resolution skipped, for metrics. */
  onSkipped?: (count: number) => void;
  clock?: Clock;
  random?: () => number;
}

/** How soon to look again at an event whose order's placed delivery is still being resolved. */
const PLACED_WAIT_MS = 1_000;

export class Resolver {
  private readonly deps: ResolverDeps;
  private readonly clock: Clock;

  constructor(deps: ResolverDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
  }

  claim(owner: string, limit: number, leaseMs: number, now: number): Promise<UnresolvedDelivery[]> {
    return this.deps.store.claimUnresolved(owner, limit, leaseMs, now);
  }

  async resolve(owner: string, batch: UnresolvedDelivery[], lease: Lease): Promise<void> {
    const { store, log } = this.deps;
    const decided: Resolved[] = [];
    const failed: AttemptResult[] = [];
    const later: number[] = [];
    await Promise.all(
      batch.map(async (d) => {
        const outcome = await this.one(d, lease);
        if ('plan' in outcome) decided.push(outcome);
        else if ('attempt' in outcome) failed.push(outcome);
        else later.push(d.id);
      }),
    );
    await store.resolveDeliveries(owner, decided, this.clock.now());
    if (failed.length > 0) await store.recordAttempts(owner, failed, this.clock.now());
    if (later.length > 0) await store.release(owner, later, this.clock.now() + PLACED_WAIT_MS);
    const skipped = decided.filter((d) => d.plan.kind === 'skip').length;
    if (skipped > 0) this.deps.onSkipped?.(skipped);
    log.debug({ resolved: decided.length - skipped, skipped, failed: failed.length, waiting: later.length }, 'resolved recipients');
  }

  private async one(d: UnresolvedDelivery, lease: Lease): Promise<Resolved | AttemptResult | { later: true }> {
    const { store, mapping, members, directory } = this.deps;
    const order: Order = { ...d.order, items: [] };
    const now = this.clock.now();
    try {
      const placed = order.event === 'placed' ? undefined : await store.findDelivery(placedKeyOf(d.dedupeKey));
      const plan = await planDelivery(order, mapping, {
        lookups: { directory, members: (customerId, platform) => members.lookup(customerId, platform, { startBy: lease.latestStart() }) },
        ...(placed && { placed }),
        receivedAt: d.receivedAt,
        now,
      });
      if (plan.kind === 'resolve') return { later: true };
      return { id: d.id, plan, ...(plan.kind === 'send' && { batchKey: batchKey(plan.recipient.platform, plan.content) }) };
    } catch (error) {
      if (!(error instanceof LookupFailed)) throw error;
      return this.failedLookup(d, error, now);
    }
  }

  private failedLookup(d: UnresolvedDelivery, error: LookupFailed, now: number): AttemptResult | { later: true } {
    const { policy } = this.deps;
    const { result } = error;
    let step: Step;
    let call: CallResult;
    if (result.kind === 'credentials') {
      step = afterRenewalFailed(result.renewal, [d], policy, now, this.deps.credentials.nextRefreshAt() ?? now + policy.baseDelayMs);
      call = {
        kind: 'unreachable',
        durationMs: 0,
        message: `MantaGO credentials ${result.renewal === 'rejected' ? 'rejected' : 'could not be renewed'}`,
        timeout: false,
      };
    } else {
      step = afterCall(result, [d], policy, now, (this.deps.random ?? Math.random)());
      call = result;
    }
    if (step.step === 'pause') {
      this.deps.bot?.refused(step.refusal);
      step = afterBotRefused(step.refusal, [d], policy, now, this.deps.bot?.probeAt() ?? now + policy.baseDelayMs);
    }
    if (step.step === 'release') return { later: true };
    // A lookup is one call for one delivery: never a batch to split, never a renewal here (members renewed already).
    const finished =
      step.step === 'finish'
        ? step
        : { outcome: 'failed' as const, transitions: [{ to: 'retry' as const, at: now + policy.baseDelayMs, counted: true }] };
    const outcome = finished.outcome === 'failed' ? 'lookup_failed' : finished.outcome;
    const [attempt] = attemptsOf([d as unknown as ClaimedDelivery], now, call, outcome, finished.transitions);
    return attempt as AttemptResult;
  }
}
