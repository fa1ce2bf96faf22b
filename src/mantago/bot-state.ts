// Whether MantaGO takes the bot's calls at all, as a state machine: one type naming the states,
// one pure transition. A refusal of the bot (its plan, its id, "not published") is nobody's
// delivery problem: while it lasts deliveries wait uncounted and one probe at a time, backing off
// to a cap, asks again; the first accepted call ends it for everything.
import { MANTAGO_CODES } from './error-codes.ts';

/** Why MantaGO refuses the bot: 1002, 5001, or broadcasts refused alike (36000) whoever they are for. */
export const BOT_REFUSAL_REASONS = ['permission_denied', 'no_such_bot', 'broadcasts_refused'] as const;
export type BotRefusalReason = (typeof BOT_REFUSAL_REASONS)[number];

export const BOT_STATES = ['usable', 'bot_refused'] as const;
export type BotStateName = (typeof BOT_STATES)[number];

/** What MantaGO said when it refused the bot. */
export interface BotRefusal {
  reason: BotRefusalReason;
  code: number | null;
  message: string;
  /** Broadcasts refused alike down to these two recipients of one batch (a bot not published, or two refused recipients). */
  recipients?: readonly string[];
  /** Refused on a tag call: the bot's plan may refuse tagging alone. */
  byTagCall?: true;
}

/** One recipient's broadcast refused with 36000: who, and when MantaGO said so. */
export interface RecipientRefusal {
  clientId: string;
  message: string;
  at: number;
}

/** A recipient shown to refuse: by a broadcast to others, started after their refusal, accepted at `since`. */
export interface ProvenRefusal {
  clientId: string;
  since: number;
}

export type BotState =
  /**
   * `lastRefused`: a single recipient's 36000 since the last accepted call, if any. `cleared`: the
   * two recipients whose refusals paused the bot, before a broadcast showed it broadcasts — refused
   * together again, the refusals are theirs (else they would pause everyone again at each probe);
   * forgotten once a broadcast to either goes out (a pause later for the bot is not theirs).
   * `proven`: the last recipient refused alone before a broadcast to others, started after it, went
   * out (answered `since`): the bot broadcasts, so that refusal was the recipient's. Forgotten once a broadcast to
   * them goes out, by a pause, or for the next recipient shown so.
   * `tagsRefused`: a tag call's 1002 paused the bot and MantaGO then accepted another call: the plan
   * refuses tagging alone, so a tag call's 1002 is that tag job's trouble, not a pause for everyone.
   */
  | { state: 'usable'; lastRefused?: RecipientRefusal; cleared?: readonly string[]; proven?: ProvenRefusal; tagsRefused?: true }
  | ({ state: 'bot_refused'; since: number; probeAt: number; probes: number } & BotRefusal);

export type BotEvent =
  /**
   * MantaGO accepted a call: a broadcast, or (`broadcast: false`) a lookup or bind, which proves the
   * bot exists but not that it may broadcast. `probe`: the probe's broadcast, started while refused.
   * A broadcast's `startedAt` and `clientIds`, where known; when it was answered (`answeredAt`).
   */
  | { event: 'call_accepted'; broadcast: boolean; probe?: boolean; startedAt?: number; clientIds?: readonly string[]; answeredAt?: number }
  /** MantaGO refused the bot (a probe's refusal is `probe_failed`). */
  | { event: 'bot_refused'; refusal: BotRefusal; at: number }
  /** A single recipient's broadcast was refused with 36000, not yet known whose: kept for the "in a row" rule. */
  | { event: 'recipient_refused'; refusal: RecipientRefusal }
  /** The probe did not get through; `refusal`: what MantaGO said, if it said something. */
  | { event: 'probe_failed'; refusal?: BotRefusal; at: number }
  /** The probe made no call (its delivery handed back: the credentials rejected, its lease gone): it proved nothing. */
  | { event: 'probe_unstarted'; at: number };

/** How far apart probes are: doubling from `baseMs`, capped at `maxMs` (BOT_PROBE_BASE_MS, BOT_PROBE_MAX_MS). */
export interface ProbeBackoff {
  baseMs: number;
  maxMs: number;
}

export const USABLE: BotState = { state: 'usable' };

/** The wait before the probe after `probes` failed ones. */
export function probeDelay(probes: number, backoff: ProbeBackoff): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(probes, 30));
}

export function transition(state: BotState, event: BotEvent, backoff: ProbeBackoff): BotState {
  switch (event.event) {
    case 'call_accepted': {
      if (state.state === 'bot_refused') {
        // A broadcast started before the refusal was answered for the bot as it was then: it says nothing of it since.
        if (event.broadcast && event.startedAt !== undefined && event.startedAt < state.since) return state;
        if (state.byTagCall && state.reason === 'permission_denied') return { state: 'usable', tagsRefused: true };
        // A lookup or a bind proves the bot exists and may use the API, not that its broadcasts go out.
        if (!event.broadcast) return state.reason !== 'broadcasts_refused' ? USABLE : state;
        // Only the probe shows the bot broadcasts after the pair was refused (a call started before may have been accepted before).
        return state.recipients && event.probe ? { state: 'usable', cleared: state.recipients } : USABLE;
      }
      // Nor does a lookup come between two refused broadcasts.
      if (!event.broadcast) return state;
      // A broadcast to one of the pair went out: their refusals together were not theirs, and are forgotten.
      const { cleared, lastRefused, proven } = state;
      const sentTo = (id: string) => event.clientIds?.includes(id) === true;
      const reached = cleared?.some(sentTo) === true;
      // Started after a lone refusal and to others: that refusal was the recipient's.
      const { startedAt } = event;
      const shows = lastRefused && !sentTo(lastRefused.clientId) && startedAt !== undefined && startedAt >= lastRefused.at;
      const shown = shows ? { clientId: lastRefused.clientId, since: event.answeredAt ?? startedAt } : undefined;
      const provenNow = shown ?? (proven && !sentTo(proven.clientId) ? proven : undefined);
      if (!lastRefused && !reached && provenNow === proven) return state;
      return {
        state: 'usable',
        ...(cleared && !reached && { cleared }),
        ...(provenNow !== undefined && { proven: provenNow }),
        ...(state.tagsRefused && { tagsRefused: true }),
      };
    }
    case 'bot_refused':
      if (state.state === 'bot_refused') return state; // calls under way when it began: the probe decides
      return { state: 'bot_refused', ...event.refusal, since: event.at, probeAt: event.at + probeDelay(0, backoff), probes: 0 };
    case 'recipient_refused':
      if (state.state !== 'usable') return state;
      // The same recipient again: from their first refusal on, a broadcast to others shows it theirs.
      // One shown to refuse already (a call started before that showed it): theirs, never one of two "in a row".
      if (state.lastRefused?.clientId === event.refusal.clientId || state.proven?.clientId === event.refusal.clientId) return state;
      return { ...state, lastRefused: event.refusal };
    case 'probe_failed': {
      if (state.state !== 'bot_refused') return state;
      const probes = state.probes + 1;
      const { recipients: pair, byTagCall, ...before } = state;
      const { recipients: probed, ...said } = event.refusal ?? {};
      // Refused for another reason, or for another recipient alike: the bot's, not the pair's that paused it.
      const stillThePair = pair && (!event.refusal || probed?.every((id) => pair.includes(id)) === true);
      // What the probe said replaces what the call that paused it said, a tag call's included.
      const unsaid = { ...(stillThePair && { recipients: pair }), ...(byTagCall && !event.refusal && { byTagCall }) };
      return { ...before, ...said, ...unsaid, probes, probeAt: event.at + probeDelay(probes, backoff) };
    }
    case 'probe_unstarted':
      // The next probe after the same wait as this one's: not a longer one, as for a failure, nor at once, in a loop.
      return state.state === 'bot_refused' ? { ...state, probeAt: event.at + probeDelay(state.probes, backoff) } : state;
  }
}

/** The refusal a documented code names, if it is one of the bot (1002, 5001). */
export function botRefusalOf(code: number | undefined, message: string): BotRefusal | undefined {
  if (code === MANTAGO_CODES.PERMISSION_DENIED) return { reason: 'permission_denied', code, message };
  if (code === MANTAGO_CODES.NO_SUCH_BOT) return { reason: 'no_such_bot', code, message };
  return undefined;
}

/**
 * A single recipient's 36000 right after another recipient's (no accepted broadcast between): not
 * about either, but the bot's broadcasts — as two recipients of one batch refused alike are (the
 * same content included: most shops send everyone the same module).
 */
export function refusedInARow(previous: RecipientRefusal | undefined, next: RecipientRefusal): boolean {
  return previous !== undefined && previous.clientId !== next.clientId;
}
