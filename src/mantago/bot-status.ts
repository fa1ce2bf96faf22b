// The bot's state in this process (bot-state.ts decides every move): one log line per change of
// state, not per call; one probe at a time; whoever waits for the bot (the worker) is told when
// it is usable again. Readiness, GET /admin/mantago and the metrics read it.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import {
  type BotEvent,
  type BotRefusal,
  type BotRefusalReason,
  type BotState,
  type ProbeBackoff,
  type ProvenRefusal,
  type RecipientRefusal,
  transition,
  USABLE,
} from './bot-state.ts';

/** What the operator sees of the bot's state. */
export interface BotView {
  state: BotState['state'];
  reason: BotRefusalReason | null;
  code: number | null;
  message: string | null;
  since: number | null;
  nextProbeAt: number | null;
  probes: number;
}

export class BotStatus {
  private state: BotState = USABLE;
  private probing = false;
  /** When MantaGO last accepted a call (a lookup, a bind, a broadcast), and a broadcast, in this process. */
  private acceptedAt = { any: Number.NEGATIVE_INFINITY, broadcast: Number.NEGATIVE_INFINITY };
  private readonly listeners = new Set<() => void>();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly backoff: ProbeBackoff;

  constructor(deps: { log: Logger; clock: Clock; backoff: ProbeBackoff }) {
    this.log = deps.log;
    this.clock = deps.clock;
    this.backoff = deps.backoff;
  }

  view(): BotView {
    const s = this.state;
    if (s.state === 'usable')
      return { state: 'usable', reason: null, code: null, message: null, since: null, nextProbeAt: null, probes: 0 };
    return { state: s.state, reason: s.reason, code: s.code, message: s.message, since: s.since, nextProbeAt: s.probeAt, probes: s.probes };
  }

  isRefused(): boolean {
    return this.state.state === 'bot_refused';
  }

  /** The last single recipient's 36000 since an accepted broadcast, for the "in a row" rule. */
  lastRefused(): RecipientRefusal | undefined {
    return this.state.state === 'usable' ? this.state.lastRefused : undefined;
  }

  /** The last recipient refused alone before the bot was shown to broadcast (bot-state.ts): that refusal was theirs. */
  proven(): ProvenRefusal | undefined {
    return this.state.state === 'usable' ? this.state.proven : undefined;
  }

  /** The two recipients whose refusals last paused the bot, once a broadcast showed it broadcasts (bot-state.ts). */
  cleared(): readonly string[] | undefined {
    return this.state.state === 'usable' ? this.state.cleared : undefined;
  }

  /** Whether the bot's plan refuses tagging alone (bot-state.ts): a tag call's 1002 is then the tag job's. */
  tagsRefused(): boolean {
    return this.state.state === 'usable' && this.state.tagsRefused === true;
  }

  /** Whether MantaGO refuses the bot's broadcasts alike (36000) and nothing else: its lookups still answer. */
  refusesBroadcastsOnly(): boolean {
    return this.state.state === 'bot_refused' && this.state.reason === 'broadcasts_refused';
  }

  /** When the next probe is due (none while usable). */
  probeAt(): number | undefined {
    return this.state.state === 'bot_refused' ? this.state.probeAt : undefined;
  }

  /** `probe`: the accepted call was the probe's broadcast; `call`: a broadcast's start and recipients. */
  accepted(broadcast = true, probe = false, call?: { startedAt: number; clientIds: readonly string[] }): void {
    const at = this.clock.now();
    this.acceptedAt = { any: at, broadcast: broadcast ? at : this.acceptedAt.broadcast };
    this.apply({ event: 'call_accepted', broadcast, ...(probe && { probe }), ...call, answeredAt: at });
  }

  refused(refusal: BotRefusal): void {
    this.apply({ event: 'bot_refused', refusal, at: this.clock.now() });
  }

  recipientRefused(refusal: RecipientRefusal): void {
    this.apply({ event: 'recipient_refused', refusal });
  }

  /** When MantaGO last accepted a call of this kind (-Infinity: none yet): long before a failure, an outage's (retry-policy.ts failedTry). */
  lastAccepted(kind: 'any' | 'broadcast'): number {
    return this.acceptedAt[kind];
  }

  /** Takes the one probe if it is due and none is under way; `probeDone` gives it back. */
  takeProbe(): boolean {
    const at = this.probeAt();
    if (at === undefined || this.probing || this.clock.now() < at) return false;
    this.probing = true;
    return true;
  }

  /**
   * The probe is over: `failed` with what MantaGO said (if it said something), else it got through
   * (or could not tell); `unstarted`: it made no call.
   */
  probeDone(outcome: { failed: boolean; refusal?: BotRefusal } | 'unstarted'): void {
    if (!this.probing) return; // told already
    this.probing = false;
    const at = this.clock.now();
    if (outcome === 'unstarted') this.apply({ event: 'probe_unstarted', at });
    else if (outcome.failed) this.apply({ event: 'probe_failed', at, ...(outcome.refusal && { refusal: outcome.refusal }) });
  }

  /** Called once the bot is usable again (so waiting work goes on at once). */
  onUsable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private apply(event: BotEvent): void {
    const before = this.state;
    const after = transition(before, event, this.backoff);
    if (after === before) return;
    this.state = after;
    if (before.state === after.state) {
      if (after.state === 'bot_refused' && event.event === 'probe_failed')
        this.log.debug({ probes: after.probes, nextProbeAt: new Date(after.probeAt).toISOString() }, 'MantaGO still refuses the bot');
      return;
    }
    if (after.state === 'bot_refused') {
      const { reason, code, message } = after;
      this.log.warn(
        { reason, code, mantagoMessage: message, nextProbeAt: new Date(after.probeAt).toISOString() },
        'MantaGO refuses the bot: deliveries wait (uncounted) and one probe at a time asks again',
      );
      return;
    }
    const since = before.state === 'bot_refused' ? before.since : this.clock.now();
    this.log.info({ refusedForMs: this.clock.now() - since }, 'MantaGO accepts the bot again: waiting deliveries go out');
    for (const listener of this.listeners) listener();
  }
}
