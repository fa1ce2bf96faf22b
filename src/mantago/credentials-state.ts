// The credentials' state machine, in one place: what the bot's pair can be, the events that move
// it, and what each move asks of the credentials manager (credentials.ts), which keeps the timers,
// the store, the refresh calls and the listeners. Pure: times and jitter come in the events.
import type { StoredCredentials } from '../domain/credentials.ts';
import type { RefreshResult } from './client.ts';
import { type FailingRefresh, failedRefresh, nextRefreshAttempt, refreshFailure } from './refresh-policy.ts';
import { type CredentialsHealth, nextPair, type Renewal, refreshAt } from './renewal.ts';

/** What refreshes of the pair held left behind: a backoff while they come to nothing, and whether one's answer was lost. */
interface Refreshes {
  backoff?: FailingRefresh;
  /** A refresh got no answer of MantaGO's (a timeout, a broken connection, a gateway's 5xx): MantaGO may have rotated the pair anyway, so a refusal of it next means just that. */
  answerLost: boolean;
}

export type CredentialsState =
  /** Works as far as anyone knows; refreshed ahead of expiry (not before `backoff.nextAttemptAt` once such a refresh failed). */
  | ({ name: 'usable'; pair: StoredCredentials } & Refreshes)
  /** MantaGO called the pair invalid or expired: refresh at once. */
  | { name: 'expired'; pair: StoredCredentials; answerLost: boolean }
  /** MantaGO called the pair expired and refreshes come to nothing: callers are told so until the next attempt. */
  | ({ name: 'refresh_failing'; pair: StoredCredentials } & Refreshes & { backoff: FailingRefresh })
  /**
   * A rotated pair, in use (MantaGO killed the one before), that the store has not taken: stored
   * again at `retryAt`, later each time, and no refresh until it is. `expired`: MantaGO called it so meanwhile.
   */
  | {
      name: 'unsaved';
      pair: StoredCredentials;
      since: number;
      failures: number;
      reason: string;
      retryAt: number;
      expired: boolean;
      backoff?: FailingRefresh;
    }
  /** MantaGO refused a refresh: no call until a newer pair comes (the operator's, another replica's) or the operator forces one. */
  | ({ name: 'rejected'; pair: StoredCredentials } & Refreshes);

export type CredentialsEvent =
  /** A pair from the store, the environment, another replica or the operator; an older one than held is ignored. */
  | { type: 'pair_seen'; pair: StoredCredentials }
  /** MantaGO answered a call made with the pair of `generation`: invalid or expired. */
  | { type: 'expiry_reported'; generation: number; now: number; random: number }
  /** MantaGO answered the refresh of `base`, asked at `askedAt`: a new pair, a refusal worth retrying, or a refusal. */
  | { type: 'refresh_answered'; base: StoredCredentials; reply: RefreshResult; askedAt: number; now: number; random: number }
  /** A refresh came to nothing before reaching MantaGO (another replica's claim, an unsaved pair, our own error). */
  | { type: 'refresh_not_made'; reason: string; now: number; random: number }
  /** The store took the unsaved pair; `kept` is what it holds now (perhaps newer). */
  | { type: 'unsaved_stored'; kept: StoredCredentials }
  | { type: 'unsaved_refused'; error: string; now: number; random: number };

/** What the manager does after a move; `answer` is what a caller waiting on the event is told. */
export type Decision =
  | { do: 'nothing'; answer: Renewal }
  /** Refresh now (a report of expiry outside any backoff). */
  | { do: 'refresh'; answer: 'unavailable' }
  /** MantaGO rotated the pair: in use already, store it now. */
  | { do: 'store_pair'; answer: 'renewed' }
  /** The refresh is tried again later; `detail` says why this one came to nothing. */
  | { do: 'retry_later'; answer: 'unavailable'; detail: string }
  /** MantaGO refused: store the rejection so that every replica stops asking. */
  | { do: 'store_rejection'; answer: 'rejected'; rejection: StoredCredentials }
  /** The answer was for a pair older than the one held now: drop it, hand the claim back. */
  | { do: 'drop_answer'; answer: Renewal };

export interface Moved {
  state: CredentialsState;
  decision: Decision;
}

/** The state of a pair first seen (at start, or newer than the one held): nothing is known against it yet. */
export function stateOf(pair: StoredCredentials): CredentialsState {
  return pair.state === 'rejected' ? { name: 'rejected', pair, answerLost: false } : { name: 'usable', pair, answerLost: false };
}

/**
 * usable          → expired (reported), refresh_failing (reported during a backoff, or moments after the refresh that got it), unsaved, rejected
 * expired         → refresh_failing (the refresh came to nothing), unsaved, rejected
 * refresh_failing → unsaved, rejected; backs off further meanwhile
 * unsaved         → usable, expired or refresh_failing once stored, as MantaGO reported it meanwhile
 * rejected        → unsaved (a refresh the operator forced came through)
 * any             → usable or rejected when a newer pair is seen; an older pair, or an answer about one, changes nothing
 */
export function transition(state: CredentialsState, event: CredentialsEvent): Moved {
  switch (event.type) {
    case 'pair_seen':
      return settled(seen(state, event.pair));
    case 'expiry_reported':
      return expiryReported(state, event.generation, event.now, event.random);
    case 'refresh_answered':
      return refreshAnswered(state, event);
    case 'refresh_not_made':
      return {
        state: backedOff(state, event.reason, false, false, event.now, event.random),
        decision: { do: 'retry_later', answer: 'unavailable', detail: event.reason },
      };
    case 'unsaved_stored':
      if (event.kept.generation > state.pair.generation) return settled(stateOf(event.kept));
      return settled(state.name === 'unsaved' ? stored(state) : state);
    case 'unsaved_refused': {
      if (state.name !== 'unsaved') return settled(state);
      const failures = state.failures + 1;
      const retryAt = nextRefreshAttempt(failures, event.now, event.random);
      return settled({ ...state, failures, reason: `the store refused it: ${event.error}`, retryAt });
    }
  }
}

/** A newer pair starts afresh; the same generation may say more (rejected elsewhere, or by us as stored); an older one is ignored. */
function seen(state: CredentialsState, pair: StoredCredentials): CredentialsState {
  if (pair.generation > state.pair.generation) return stateOf(pair);
  if (pair.generation < state.pair.generation) return state;
  const { backoff, answerLost } = refreshesOf(state);
  if (pair.state === 'rejected') return { name: 'rejected', pair, backoff, answerLost };
  return state.name === 'rejected' ? { name: 'usable', pair, backoff, answerLost } : { ...state, pair };
}

/** A pair a refresh got this recently (and not yet expired) that MantaGO already calls invalid: that refresh came to nothing. */
export const JUST_ISSUED_MS = 10_000;
export const JUST_ISSUED_REASON = 'MantaGO called a pair it had just issued invalid';

function expiryReported(state: CredentialsState, generation: number, now: number, random: number): Moved {
  if (generation < state.pair.generation || state.name === 'rejected') return settled(state); // a newer pair already, or none to get
  const reported = markExpired(state);
  const { backoff } = refreshesOf(reported);
  if (backoff && now < backoff.nextAttemptAt) return { state: reported, decision: { do: 'nothing', answer: 'unavailable' } };
  // Refreshed again at once, it would be refused again at once: a refresh (and a rotation) per call.
  const { origin, obtainedAt, expiresAt } = state.pair;
  if (origin === 'refresh' && now - obtainedAt < JUST_ISSUED_MS && now < expiresAt)
    return {
      state: backedOff(reported, JUST_ISSUED_REASON, true, false, now, random),
      decision: { do: 'retry_later', answer: 'unavailable', detail: JUST_ISSUED_REASON },
    };
  return { state: reported, decision: { do: 'refresh', answer: 'unavailable' } };
}

function markExpired(state: CredentialsState): CredentialsState {
  switch (state.name) {
    case 'usable':
      return state.backoff
        ? { name: 'refresh_failing', pair: state.pair, backoff: state.backoff, answerLost: state.answerLost }
        : { name: 'expired', pair: state.pair, answerLost: state.answerLost };
    case 'unsaved':
      return state.expired ? state : { ...state, expired: true };
    default:
      return state;
  }
}

function refreshAnswered(state: CredentialsState, event: Extract<CredentialsEvent, { type: 'refresh_answered' }>): Moved {
  const { base, reply, askedAt, now, random } = event;
  // A newer pair was seen while MantaGO answered (the operator's, another replica's): it is the one to
  // keep. Unless it is the very pair this refresh rotated (the operator put it back meanwhile): MantaGO
  // killed that one, and the rotated pair follows it.
  const putBack = state.pair.apiToken === base.apiToken && state.pair.apiSecret === base.apiSecret;
  if (base.generation < state.pair.generation && !(reply.kind === 'ok' && putBack))
    return { state, decision: { do: 'drop_answer', answer: answerOf(state) } };
  if (reply.kind === 'ok') {
    const from = base.generation < state.pair.generation ? state.pair : base;
    const pair = { ...nextPair(base.botId, now, from, reply, 'refresh', from.envFingerprint), lastRefreshAt: askedAt };
    // This refresh retried a pair refused as soon as issued: the streak goes on, so the next such refusal waits longer.
    const { backoff } = refreshesOf(state);
    const streak = backoff?.reason === JUST_ISSUED_REASON && askedAt - backoff.nextAttemptAt < JUST_ISSUED_MS ? backoff : undefined;
    const unsaved: CredentialsState = {
      name: 'unsaved',
      pair,
      since: askedAt,
      failures: 0,
      reason: 'not stored yet',
      retryAt: askedAt,
      expired: false,
      ...(streak && { backoff: streak }),
    };
    return { state: unsaved, decision: { do: 'store_pair', answer: 'renewed' } };
  }
  const failure = refreshFailure(reply, refreshesOf(state).answerLost);
  if (failure.retry)
    return {
      state: backedOff(state, failure.detail, true, failure.answerLost, now, random),
      decision: { do: 'retry_later', answer: 'unavailable', detail: failure.detail },
    };
  const rejection: StoredCredentials = { ...base, state: 'rejected', lastRefreshAt: askedAt, lastError: failure.lastError };
  const { backoff, answerLost } = refreshesOf(state);
  return {
    state: { name: 'rejected', pair: rejection, backoff, answerLost },
    decision: { do: 'store_rejection', answer: 'rejected', rejection },
  };
}

/** One more refresh came to nothing: try later (see refresh-policy.ts); once MantaGO called the pair expired, callers are told so. */
function backedOff(
  state: CredentialsState,
  reason: string,
  calledMantago: boolean,
  lostNow: boolean,
  now: number,
  random: number,
): CredentialsState {
  const backoff = failedRefresh(refreshesOf(state).backoff, reason, calledMantago, now, random);
  const answerLost = refreshesOf(state).answerLost || lostNow;
  switch (state.name) {
    case 'unsaved':
      return { ...state, backoff };
    case 'expired':
    case 'refresh_failing':
      return { name: 'refresh_failing', pair: state.pair, backoff, answerLost };
    default:
      return { ...state, backoff, answerLost };
  }
}

/** The unsaved pair is stored: it is the pair held, with what happened to it meanwhile. */
function stored(state: Extract<CredentialsState, { name: 'unsaved' }>): CredentialsState {
  const { pair, backoff } = state;
  if (!state.expired) return { name: 'usable', pair, backoff, answerLost: false };
  return backoff ? { name: 'refresh_failing', pair, backoff, answerLost: false } : { name: 'expired', pair, answerLost: false };
}

function refreshesOf(state: CredentialsState): Refreshes {
  return state.name === 'unsaved' ? { backoff: state.backoff, answerLost: false } : state;
}

function settled(state: CredentialsState): Moved {
  return { state, decision: { do: 'nothing', answer: answerOf(state) } };
}

/** What a caller asking for a newer pair is told, given the one held now. */
function answerOf(state: CredentialsState): Renewal {
  return state.name === 'rejected' ? 'rejected' : 'renewed';
}

/** Where the credentials stand, for readiness and the operator. */
export function healthOf(state: CredentialsState): CredentialsHealth {
  switch (state.name) {
    case 'rejected':
      return { state: 'rejected', reason: state.pair.lastError ?? 'MantaGO rejected the credentials' };
    case 'unsaved':
      return { state: 'unsaved', since: state.since, reason: state.reason };
    case 'refresh_failing':
      return { state: 'refresh_failing', ...state.backoff };
    default:
      return { state: 'ok' };
  }
}

/** Whether a call now has a pair worth trying: not rejected, and not one MantaGO called expired while no refresh comes through. */
export function isUsable(state: CredentialsState): boolean {
  return state.name !== 'rejected' && state.name !== 'refresh_failing';
}

/** When the next refresh will be tried, while refreshes come to nothing. */
export function nextAttemptAt(state: CredentialsState): number | undefined {
  return state.name === 'expired' ? undefined : state.backoff?.nextAttemptAt;
}

/** Whether a caller about to use the pair should refresh it first: due ahead of expiry, and no backoff holds it. */
export function refreshDue(state: CredentialsState, now: number): boolean {
  if (state.name === 'rejected') return false;
  return now >= refreshAt(state.pair) && now >= (nextAttemptAt(state) ?? 0);
}

/** What the one timer does next, and when (`at` 0: at once); none while rejected. */
export type Wake = { at: number; task: 'store' } | { at: number; task: 'refresh'; reason: string };

export function nextWake(state: CredentialsState): Wake | undefined {
  switch (state.name) {
    case 'rejected':
      return undefined;
    case 'unsaved':
      return { at: state.retryAt, task: 'store' };
    case 'expired':
      return { at: 0, task: 'refresh', reason: 'retrying a refresh that failed' };
    case 'refresh_failing':
      return { at: state.backoff.nextAttemptAt, task: 'refresh', reason: 'retrying a refresh that failed' };
    case 'usable':
      return { at: Math.max(refreshAt(state.pair), state.backoff?.nextAttemptAt ?? 0), task: 'refresh', reason: 'the token expires soon' };
  }
}
