// Sends stored deliveries in the background. What happens to a claimed delivery, step by step:
//   loop     pause while a claim could not be sent (no usable credentials, every call slot busy,
//            a 429's pause) → claim → sleep until the next delivery falls due or a wake-up
//   claim    recipients to find first (resolver.ts), then a batch to send, tags (tagging.ts), binds last (binds.ts)
//   deliver  one message per customer in a batch: a second order's is handed back for the next claim,
//            as is one that fell due before the quiet hours and is claimed inside them (quiet-claim.ts)
//   send     keep the lease alive → await usable credentials → call MantaGO → apply the outcome
//            that outcome.ts decides: finish (record the attempts, until the store takes them),
//            hand back (the call never started), renew the credentials and send again, split the
//            batch in halves (split.ts), or pause for a refused bot (only its probe calls then: bot-pause.ts)
// A claimed batch leaves a send unsent only through handBack: due as it was (now, or since), no attempt counted.
import { systemClock, type Clock } from '../clock.ts';
import type { AttemptOutcome, ClaimedDelivery } from '../domain/delivery.ts';
import type { UnresolvedDelivery } from '../store/store.ts';
import type { CallResult } from '../mantago/client.ts';
import type { UsableCredentials } from '../mantago/renewal.ts';
import { broadcastRequest, oneRecipientEach } from './batching.ts';
import { Lease } from './lease.ts';
import { type BotGate, callContext, LOOKUPS_WHILE_REFUSED, noteFinish, pauseFor, probeBot, sendProbe } from './bot-pause.ts';
import { pauseBeforeClaim } from './claim-pause.ts';
import { HeldDeliveries } from './held.ts';
import { outsideQuietHours } from './quiet-claim.ts';
import { type Call, type Claim, type StepOf, stillClaimed, workerOwner } from './claim.ts';
import { StopDeadline, untilStored } from './until-stored.ts';
import { afterCall, afterRenewalFailed, attemptsOf, type Step } from './outcome.ts';
import { reportOutcome } from './report.ts';
import { type SideStage, SideStages } from './side-stages.ts';
import { judgedAlone, type SplitSteps, splitInHalves } from './split.ts';
import { WakeUp } from './wake-up.ts';
import type { Stage, WorkerDeps } from './worker-deps.ts';

/** How often one claim may renew the credentials before it gives up for now. */
const MAX_RENEWALS_PER_SEND = 2;

export class DeliveryWorker {
  readonly owner: string;
  private readonly deps: WorkerDeps;
  private readonly clock: Clock;
  private readonly wakeUp: WakeUp;
  private readonly sends: Stage<ClaimedDelivery>;
  private readonly side: SideStages;
  private readonly inFlight = new Set<Promise<void>>();
  /** What this process's sends hold: its claims leave them out while a call for them may be under way. */
  private readonly held = new HeldDeliveries();
  private claims = 0;
  private running: Promise<void> | undefined;
  /** Armed when stopping (no more claims): until when an outcome is still written while the store is down. */
  private readonly stopDeadline: StopDeadline;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly splitSteps: SplitSteps;
  /** Recipients being looked up while the bot is refused: one claim of a few at a time. */
  private lookingUp = false;

  constructor(deps: WorkerDeps) {
    this.deps = deps;
    this.owner = deps.owner ?? workerOwner();
    this.clock = deps.clock ?? systemClock;
    this.wakeUp = new WakeUp(this.clock);
    this.stopDeadline = new StopDeadline(this.clock, deps.options.recordAfterStopMs);
    this.sends = { claim: (owner, limit, leaseMs, now) => deps.store.claimBatch(owner, limit, leaseMs, now, this.held.runOutBy(now)) };
    const start = <W>(name: string, stage: Stage<W>, run: (work: W[], lease: Lease) => Promise<void>) =>
      this.startClaimed(name, stage, run);
    this.side = new SideStages(deps, { start, wake: () => this.wake() }, deps.options.pollMs, this.clock);
    this.splitSteps = {
      send: (claim) => this.send(claim),
      attempt: (claim) => this.attempt(claim),
      apply: (step, claim, call) => this.apply(step, claim, call),
      recordStillClaimed: (outcome, claim, call) => this.recordStillClaimed(outcome, claim, call),
      cleared: () => deps.bot?.cleared(),
      log: deps.log,
    };
  }

  start(): void {
    if (this.running) return;
    this.unsubscribe.push(this.deps.store.onDeliveryDue(() => this.wake()));
    this.unsubscribe.push(this.deps.credentials.onUsable(() => this.wake()));
    if (this.deps.bot) this.unsubscribe.push(this.deps.bot.onUsable(() => this.wake()));
    this.running = this.loop();
  }

  wake(): void {
    this.wakeUp.wake();
  }

  /** This process stored work for `stage` (an order to find the recipient of, tags): claim it now. */
  readonly expect = (stage: SideStage): void => this.side.expect(stage);

  /** Stops claiming at once (at SIGTERM: a send begun now would only be cut off by the grace period). */
  quiesce(): void {
    this.stopDeadline.arm();
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    this.wakeUp.stop();
  }

  /** Stops claiming and waits for the sends already under way. */
  async stop(): Promise<void> {
    this.quiesce();
    await this.running;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Sends deliveries it holds (a manual broadcast's, stored leased to it) as any claim; MantaGO's last answer. Stop waits for it. */
  async sendNow(claimed: ClaimedDelivery[], leaseUntil: number): Promise<CallResult | undefined> {
    const answers: CallResult[] = [];
    const lease = new Lease(leaseUntil, this.deps.options, this.owner, () => this.stopDeadline.at);
    await this.track(this.send({ batch: claimed, lease, renewals: 0, observe: (answer) => answers.push(answer) }));
    return answers.at(-1);
  }

  private async loop(): Promise<void> {
    while (this.stopDeadline.at === undefined) {
      try {
        const pause = await pauseBeforeClaim(this.deps, this.inFlight.size, () => this.clock.now());
        const claimedAt = this.clock.now();
        if (pause !== undefined) await this.wakeUp.sleep(pause);
        else if (this.deps.bot?.isRefused()) await this.wakeUp.sleep(await this.whileRefused(this.deps.bot));
        else if (!(await this.claimNext())) await this.wakeUp.sleep(await this.untilNextDue(claimedAt));
      } catch (error) {
        this.deps.log.error({ err: error }, 'delivery worker could not reach the store; retrying');
        await this.wakeUp.sleep(this.deps.options.pollMs);
      }
    }
  }

  /** Claims the next work and starts it; whether there was any. */
  private async claimNext(): Promise<boolean> {
    // Recipients still to be found first, then a batch to send, then tags and binds (side-stages.ts).
    if (await this.side.first()) return true;
    if (await this.startClaimed('send', this.sends, (claimed, lease) => this.deliver(claimed, lease))) return true;
    return this.side.last();
  }

  /** While MantaGO refuses the bot: a few recipients looked up if only broadcasts are refused (bot-pause.ts), and the probe when due. */
  private async whileRefused(bot: BotGate): Promise<number> {
    const { resolver, options, checkBot } = this.deps;
    if (resolver && bot.refusesBroadcastsOnly() && !this.lookingUp) {
      this.lookingUp = true;
      const few: Stage<UnresolvedDelivery> = { claim: (o, _limit, ms, now) => resolver.claim(o, LOOKUPS_WHILE_REFUSED, ms, now) };
      const run = (work: UnresolvedDelivery[], lease: Lease) =>
        resolver.resolve(lease.owner, work, lease).finally(() => (this.lookingUp = false));
      if (!(await this.startClaimed('resolve', few, run))) this.lookingUp = false;
    }
    const one: Stage<ClaimedDelivery> = { claim: (owner, _limit, leaseMs, now) => this.sends.claim(owner, 1, leaseMs, now) };
    // A probe in the quiet hours would be a message at night: it waits, and the bot check (no message) probes instead.
    const send = (claimed: ClaimedDelivery[], lease: Lease) =>
      sendProbe(
        bot,
        async (observe) => {
          const batch = await outsideQuietHours(claimed, lease.owner, this.deps, this.clock.now());
          if (batch.length > 0) await this.send({ batch, lease, renewals: 0, probe: true, observe });
          return batch.length > 0;
        },
        checkBot,
      );
    return probeBot(
      bot,
      () => this.startClaimed('probe', one, send),
      checkBot,
      () => this.clock.now(),
      options.pollMs,
    );
  }

  /** Until the next delivery falls due, or a poll interval; one due at `claimedAt` yet not claimed (its lookup waits, this process holds it) is no cause to spin. */
  private async untilNextDue(claimedAt: number): Promise<number> {
    const { pollMs } = this.deps.options;
    const due = await this.deps.store.nextDueAt();
    return due === undefined || due <= claimedAt ? pollMs : Math.min(pollMs, due - this.clock.now());
  }

  /** Claims a stage's work under a lease of its own and starts it, tracked; whether there was any. */
  private async startClaimed<W>(name: string, stage: Stage<W>, run: (work: W[], lease: Lease) => Promise<void>): Promise<boolean> {
    const { options, log } = this.deps;
    const owner = `${this.owner}/${++this.claims}`; // a claim of this process never passes for another
    const claimedAt = this.clock.now();
    const work = await stage.claim(owner, options.batchMaxRecipients, options.leaseMs, claimedAt);
    if (work.length === 0) return false;
    // The lease runs from the claim, as the store recorded it, not from now.
    const lease = new Lease(claimedAt + options.leaseMs, options, owner, () => this.stopDeadline.at);
    void this.track(
      run(work, lease).catch((error: unknown) =>
        log.error({ err: error, stage: name, items: work.length }, `${name} failed unexpectedly; the lease will bring its work back`),
      ),
    ).finally(() => this.side.finished(name));
    return true;
  }

  /** A send counts against the concurrency limit, and stop() waits for it, until it settles. */
  private track(send: Promise<void>): Promise<void> {
    const tracked = send.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return tracked;
  }

  // The steps of a claimed batch.
  /** A customer with two orders gets two messages: the second is handed back for the next claim. */
  private async deliver(claimed: ClaimedDelivery[], lease: Lease): Promise<void> {
    const { batch, later } = oneRecipientEach(await outsideQuietHours(claimed, lease.owner, this.deps, this.clock.now()));
    if (later.length > 0) await this.handBack(lease, later);
    if (batch.length > 0) await this.send({ batch, lease, renewals: 0 });
  }

  /** Keep the lease alive, await usable credentials, call MantaGO, apply the outcome; held meanwhile (held.ts). */
  private send(claim: Claim): Promise<void> {
    return this.held.during(claim.batch, claim.lease, async () => {
      const attempted = await this.attempt(claim);
      if (!attempted) return;
      await this.apply(claim.split ? judgedAlone(attempted.step, claim.split) : attempted.step, claim, attempted.call);
    });
  }

  /** The send up to outcome.ts's decision; none when the claim was handed back instead of calling. */
  private async attempt(claim: Claim): Promise<{ step: Step; call: Call } | undefined> {
    const { lease, batch } = claim;
    const ids = batch.map((d) => d.id);
    // Before the call, a lease that could run out during it is renewed for the whole batch.
    if (!(await lease.keep(this.clock.now(), ids, (until) => this.deps.store.renewLease(lease.owner, ids, until)))) {
      // Another claim may hold them now: this one neither calls nor records.
      this.deps.log.warn({ deliveries: claim.batch.length }, 'a claim ran out before its next call; handing its deliveries back');
      return void (await this.handBack(claim.lease, claim.batch));
    }
    // While MantaGO refuses the bot, only its probe calls: the rest waits, uncounted.
    if (this.deps.bot?.isRefused() && !claim.probe) return void (await this.handBack(claim.lease, claim.batch));
    const pair = await this.deps.credentials.get({ waitUntil: claim.lease.latestStart() });
    // Rejected credentials: the work waits for the operator, uncounted.
    if (!pair) return void (await this.handBack(claim.lease, claim.batch));
    const call = await this.call(claim, pair);
    const random = (this.deps.random ?? Math.random)();
    const context = callContext(claim, this.deps.bot, call.startedAt);
    return { call, step: afterCall(call.result, claim.batch, this.deps.options.policy, this.clock.now(), random, context) };
  }

  private async call(claim: Claim, pair: UsableCredentials): Promise<Call> {
    const startedAt = this.clock.now();
    const request = broadcastRequest(claim.batch, pair.apiSecret);
    const result = await this.deps.client.broadcast(pair.apiToken, request, { startBy: claim.lease.latestStart() });
    claim.observe?.(result);
    return { startedAt, result, generation: pair.generation };
  }

  /** Carries out what outcome.ts decided. */
  private apply(step: Step, claim: Claim, call: Call): Promise<void> {
    switch (step.step) {
      case 'finish':
        return this.finish(step, claim, call);
      case 'release':
        // No call slot within the lease: nothing was sent, nothing is counted.
        return this.handBack(claim.lease, claim.batch);
      case 'renew':
        return this.renewCredentials(step, claim, call);
      case 'split':
        return splitInHalves(step, claim, call, this.splitSteps);
      case 'pause': // MantaGO refuses the bot: it is told, and the batch waits for the next probe, uncounted
        return this.apply(pauseFor(step, claim, this.deps.bot, this.deps.options.policy, this.clock.now()), claim, call);
    }
  }

  private async finish(step: StepOf<'finish'>, claim: Claim, call: Call): Promise<void> {
    const results = attemptsOf(claim.batch, call.startedAt, call.result, step.outcome, step.transitions);
    const record = (again: boolean) => this.deps.store.recordAttempts(claim.lease.owner, results, this.clock.now(), again);
    await untilStored(record, { clock: this.clock, stop: this.stopDeadline, log: this.deps.log, what: 'the outcome of a call' });
    reportOutcome(this.deps.log, results, claim.batch, this.deps.onFinished);
    if (step.ours)
      this.deps.log.error({ deliveries: claim.batch.length }, 'MantaGO could not read a request of ours (110000): a bug to report');
    noteFinish(step, this.deps.bot, { probe: claim.probe === true, startedAt: call.startedAt, batch: claim.batch });
  }

  /** After a 1004 (or a 120000): renewed, the same claim sends again; otherwise outcome.ts decides how the batch waits. */
  private async renewCredentials(step: StepOf<'renew'>, claim: Claim, call: Call): Promise<void> {
    const { credentials, options } = this.deps;
    // The lease bounds the wait for a refresh as it bounds a call: past it, the work waits, uncounted.
    const waitUntil = claim.lease.latestStart();
    // An old pair (120000) is re-read from the store, never refreshed: another holder rotated it.
    const renew = () =>
      step.superseded ? credentials.superseded(call.generation, { waitUntil }) : credentials.expired(call.generation, { waitUntil });
    const renewal = claim.renewals < MAX_RENEWALS_PER_SEND ? await renew() : 'unavailable';
    if (renewal === 'renewed') {
      await this.recordStillClaimed(step.outcome, claim, call);
      return this.send({ ...claim, renewals: claim.renewals + 1 });
    }
    const now = this.clock.now();
    const retryAt = credentials.nextRefreshAt() ?? now + options.policy.baseDelayMs;
    return this.apply(afterRenewalFailed(renewal, claim.batch, options.policy, now, retryAt), claim, call);
  }

  /** An attempt after which the same claim calls again (renewed credentials, a split batch): it stays in flight. */
  private recordStillClaimed(outcome: AttemptOutcome, claim: Claim, call: Call): Promise<void> {
    return this.deps.store.recordAttempts(claim.lease.owner, stillClaimed(outcome, claim, call), this.clock.now());
  }

  /** Gives deliveries back unsent and uncounted, for a later claim: due as they were (the quiet hours judge by when they fell due). */
  private handBack(lease: Lease, deliveries: ClaimedDelivery[]): Promise<void> {
    const ids = deliveries.map((d) => d.id);
    return this.deps.store.release(lease.owner, ids, undefined); // due as they were: now, or since
  }
}
