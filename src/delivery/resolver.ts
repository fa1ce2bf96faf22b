// The worker's first step for a delivery whose recipient needs MantaGO: its member lookup, then the
// rule (the platform is known only then) and the due time — or the reason it is skipped. A lookup
// that fails follows the broadcast's rules (the same state machine, the same limits): retried with
// backoff and counted, a credentials wait not counted, given up past the attempt or age bound.
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.ts';
import { type AttemptResult, type ClaimedDelivery, orderEventKey, placedKeyOf } from '../domain/delivery.ts';
import { isBare, isDeliveryStage, type Order } from '../domain/order.ts';
import { OPTED_OUT_REASON } from '../domain/recipient.ts';
import { customerKeys } from '../mapping/directory-keys.ts';
import type { CallResult } from '../mantago/client.ts';
import { LookupFailed, type MemberDirectory } from '../mantago/members.ts';
import type { Mapping } from '../mapping/mapping-file.ts';
import { planDelivery } from '../mapping/plan.ts';
import type { DirectoryLookup } from '../mapping/recipients.ts';
import type { Resolved, Store, UnresolvedDelivery } from '../store/store.ts';
import { batchKey } from './batching.ts';
import { withTagsOf } from './first-sight-tags.ts';
import { awaitsTracking } from './stage-tracking.ts';
import { lateReason, mayComeLate } from './late-stage.ts';
import type { Lease } from './lease.ts';
import { withPlacedDetails, withShipmentDetails } from './order-details.ts';
import type { BotStatus } from '../mantago/bot-status.ts';
import { afterBotRefused, afterCall, afterRenewalFailed, attemptsOf, type Step } from './outcome.ts';
import type { RetryPolicy } from './retry-policy.ts';

export interface ResolverDeps {
  store: Pick<Store, 'findDelivery' | 'claimUnresolved' | 'resolveDeliveries' | 'recordAttempts' | 'release' | 'optedOut'>;
  mapping: Mapping;
  members: Pick<MemberDirectory, 'lookup'>;
  directory: DirectoryLookup;
  credentials: { nextRefreshAt(): number | undefined };
  /** Told of a lookup refused for the bot (1002, 5001): the delivery then waits for it, uncounted; asked when MantaGO last answered. */
  bot?: Pick<BotStatus, 'refused' | 'probeAt' | 'lastAccepted'>;
  policy: RetryPolicy;
  log: Logger;
  /** Told of deliveries the resolution skipped, for metrics. */
  onSkipped?: (count: number) => void;
  /** Told of deliveries that died on their lookup, as the worker tells of those that die on their send. */
  onDead?: (deliveries: readonly UnresolvedDelivery[]) => void;
  clock?: Clock;
  random?: () => number;
}

/** The soonest an event that waits (for its order, its tracking, its placed message's recipient) is looked at again. */
const RECHECK_MIN_MS = 1_000;
/**
 * How long an event that came before its order waits for it: Shopify retries a webhook for 4 hours
 * (and a shop connection's poll finds an order whose webhook never came). A waiting event is looked
 * at again a tenth of the time it has waited, from a second up to a minute: one whose placed message
 * waits out a MantaGO outage costs a claim a minute, not one a second.
 */
export const AWAIT_ORDER_MS = 4 * 3_600_000;
const AWAIT_ORDER_RECHECK_MAX_MS = 60_000;

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
    /** Deliveries to look at again, by when. */
    const later = new Map<number, number[]>();
    await Promise.all(
      batch.map(async (d) => {
        const outcome = await this.one(d, lease);
        if ('plan' in outcome) decided.push(outcome);
        else if ('attempt' in outcome) failed.push(outcome);
        else later.set(outcome.at, [...(later.get(outcome.at) ?? []), d.id]);
      }),
    );
    await store.resolveDeliveries(owner, decided, this.clock.now());
    if (failed.length > 0) await store.recordAttempts(owner, failed, this.clock.now());
    const died = new Map(
      failed.flatMap(({ attempt, transition }) => (transition.to === 'dead' ? [[attempt.deliveryId, transition.reason]] : [])),
    );
    if (died.size > 0) {
      log.error({ deliveries: died.size, reason: died.values().next().value }, 'delivery dead: its recipient could not be looked up');
      this.deps.onDead?.(batch.filter((d) => died.has(d.id)));
    }
    for (const [at, ids] of later) await store.release(owner, ids, at);
    const skipped = decided.filter((d) => d.plan.kind === 'skip').length;
    if (skipped > 0) this.deps.onSkipped?.(skipped);
    const waiting = [...later.values()].reduce((n, ids) => n + ids.length, 0);
    log.debug({ resolved: decided.length - skipped, skipped, failed: failed.length, waiting }, 'resolved recipients');
  }

  private async one(d: UnresolvedDelivery, lease: Lease): Promise<Resolved | AttemptResult | { later: true; at: number }> {
    const { store, mapping, members, directory } = this.deps;
    const now = this.clock.now();
    try {
      const placedKey = placedKeyOf(d.dedupeKey);
      const event = d.order.event;
      // An event that came before its order is told now what the order's events stored (as at intake);
      // its parcel's delivered may have come while it waited (for its order, its customer): late then.
      const shipmentId = isDeliveryStage(event) ? d.order.shipment?.id : undefined;
      const parcel = mayComeLate(event, mapping.rules) ? d.order.shipment?.id : undefined;
      const [placed, shipped, delivered] = await Promise.all([
        event === 'placed' ? undefined : store.findDelivery(placedKey),
        shipmentId === undefined ? undefined : store.findDelivery(orderEventKey(placedKey, 'shipped', shipmentId)),
        parcel === undefined ? undefined : store.findDelivery(orderEventKey(placedKey, 'delivered', parcel)),
      ]);
      const late = lateReason(event, delivered);
      if (late) return { id: d.id, plan: { kind: 'skip', reason: late } };
      const order: Order = withShipmentDetails(withPlacedDetails({ ...d.order, items: [] }, placed?.order), shipped?.order);
      const waited = now - d.receivedAt;
      const plan = await planDelivery(order, mapping, {
        lookups: { directory, members: (customerId, platform) => members.lookup(customerId, platform, { startBy: lease.latestStart() }) },
        ...(placed && { placed }),
        awaitOrder: waited < AWAIT_ORDER_MS,
        awaitShipment: waited < AWAIT_ORDER_MS && awaitsTracking(event, d.order.shipment),
        receivedAt: d.receivedAt,
        now,
      });
      if (plan.kind === 'resolve') {
        const wait = Math.min(AWAIT_ORDER_RECHECK_MAX_MS, Math.max(RECHECK_MIN_MS, waited / 10));
        return { later: true, at: Math.ceil((now + wait) / 1000) * 1000 }; // to the second: released together
      }
      // Its customer may be known only now (an event that waited for its order), or may have opted
      // out meanwhile: then no message, and no tags either (for a message skipped anyway: tags only, too old).
      const reaches = plan.kind === 'send' || (plan.kind === 'skip' && plan.tagging !== undefined);
      if (reaches && (await store.optedOut(customerKeys(order.customer))).size > 0) {
        if (plan.kind === 'send') return { id: d.id, plan: { kind: 'skip', reason: OPTED_OUT_REASON } };
        const { tagging: _dropped, ...untagged } = plan;
        return { id: d.id, plan: untagged };
      }
      if (plan.kind === 'skip' && !placed && isBare(order))
        return { id: d.id, plan: { ...plan, reason: `its order never came within ${AWAIT_ORDER_MS / 3_600_000} hours: ${plan.reason}` } };
      // An order first seen at a later status spent its shipment for this placed message: not sent
      // (too old, say), the shipment goes to its recipient after all, as at intake (intake.ts).
      const spent = event === 'placed' ? d.order.shipment : undefined;
      if (spent && plan.kind === 'skip') return { id: d.id, plan, unspends: orderEventKey(d.dedupeKey, 'shipped', spent.id) };
      // Sent, it tags its user for the spent shipment too, as at intake (first-sight-tags.ts).
      const sent = spent && plan.kind === 'send' ? withTagsOf(plan, { ...order, event: 'shipped' }, mapping) : plan;
      return { id: d.id, plan: sent, ...(sent.kind === 'send' && { batchKey: batchKey(sent.recipient.platform, sent.content) }) };
    } catch (error) {
      if (!(error instanceof LookupFailed)) throw error;
      return this.failedLookup(d, error, now);
    }
  }

  private failedLookup(d: UnresolvedDelivery, error: LookupFailed, now: number): AttemptResult | { later: true; at: number } {
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
      const acceptedAt = this.deps.bot?.lastAccepted('any');
      step = afterCall(result, [d], policy, now, (this.deps.random ?? Math.random)(), acceptedAt === undefined ? {} : { acceptedAt });
      call = result;
    }
    if (step.step === 'pause') {
      this.deps.bot?.refused(step.refusal);
      step = afterBotRefused(step.refusal, [d], policy, now, this.deps.bot?.probeAt() ?? now + policy.baseDelayMs);
    }
    if (step.step === 'release') return { later: true, at: now + RECHECK_MIN_MS };
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
