// How often a refresh MantaGO could not answer is tried again: exponential backoff with jitter,
// capped at a few minutes, so a slow or failing token endpoint sees a few calls, not one per
// delivery. Which refusals are worth trying again, and what it means when a refresh's answer was lost.
import { type RefreshResult, UNUSABLE_PAIR_MESSAGE } from './client.ts';
import { meaningOf } from './error-codes.ts';

export const REFRESH_RETRY_BASE_MS = 2_000;
export const REFRESH_RETRY_MAX_MS = 5 * 60_000;

/** When to try again after `failures` refreshes in a row came to nothing. */
export function nextRefreshAttempt(failures: number, now: number, random = Math.random()): number {
  const ceiling = Math.min(REFRESH_RETRY_MAX_MS, REFRESH_RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
  return now + Math.round(ceiling / 2 + random * (ceiling / 2));
}

/** Refreshes that came to nothing, in a row: since when, the last reason, when to try next. */
export interface FailingRefresh {
  since: number;
  failures: number;
  reason: string;
  nextAttemptAt: number;
}

/** One more refresh came to nothing; one that never reached MantaGO does not lengthen the wait. */
export function failedRefresh(
  previous: FailingRefresh | undefined,
  reason: string,
  calledMantago: boolean,
  now: number,
  random?: number,
): FailingRefresh {
  const failures = (previous?.failures ?? 0) + (calledMantago ? 1 : 0);
  return { since: previous?.since ?? now, failures, reason, nextAttemptAt: nextRefreshAttempt(Math.max(1, failures), now, random) };
}

/**
 * A refresh whose answer never came may have rotated the pair all the same (MantaGO completes it
 * whether or not the caller waits): if the next refresh, with the pair we hold, is told the pair
 * is invalid, that is what happened. Only the dashboard can issue a pair then.
 */
export const LOST_ROTATION_REASON =
  'a token refresh got no answer from MantaGO (it timed out, its connection broke, or a gateway answered for it) and MantaGO has since rejected the pair we hold: it most likely rotated the pair without our seeing the answer. ' +
  'Install the bot\'s current pair from MantaGO\'s dashboard: PUT /admin/credentials {"apiToken", "apiSecret"}';

/** MantaGO answered 120000 and no newer pair is stored: another holder rotated it, and only the dashboard has the pair now. */
export const OLD_PAIR_REASON =
  'MantaGO says this pair is an old one: it was refreshed elsewhere (another deployment or a script holding the same pair). ' +
  'Install the bot\'s current pair from MantaGO\'s dashboard: PUT /admin/credentials {"apiToken", "apiSecret"}';

/** MantaGO said the refresh was done: the pair held is dead, and the new one came unusable. */
export const UNUSABLE_PAIR_REASON =
  'MantaGO answered a token refresh as done but without a usable pair (a token or secret missing, or with spaces or line breaks): it has rotated the pair we held. ' +
  'Install the bot\'s current pair from MantaGO\'s dashboard: PUT /admin/credentials {"apiToken", "apiSecret"}';

/** A refresh MantaGO did not renew: try again later (an outage, a 429), or the pair is dead (why, for the operator). */
export type RefreshFailure = { retry: true; detail: string; answerLost: boolean } | { retry: false; lastError: string };

export function refreshFailure(reply: Exclude<RefreshResult, { kind: 'ok' }>, lastAnswerLost: boolean): RefreshFailure {
  const unanswered = reply.kind === 'unreachable' || reply.kind === 'not_started';
  const detail = unanswered ? reply.message : `HTTP ${reply.status}: ${reply.message}`;
  // Answered as done, the pair held was rotated: asking again with it cannot work.
  if (reply.kind === 'refused' && reply.message === UNUSABLE_PAIR_MESSAGE) return { retry: false, lastError: UNUSABLE_PAIR_REASON };
  const meaning = reply.kind === 'refused' ? meaningOf(reply.code) : undefined;
  // Not a refusal either: a 2xx or 3xx without a documented code (a proxy's page, `success: false`
  // alone) says nothing against the pair; nor does a code that names another's trouble (the bot's
  // plan lapsed: 1002, the bot id: 5001, a request of ours: 110000), which passes without a new pair.
  const unclear = reply.kind === 'refused' && reply.status < 400 && meaning === undefined;
  const notThePair = meaning !== undefined && meaning.owner !== 'credentials';
  const serverTrouble = reply.kind === 'refused' && (reply.status === 429 || reply.status >= 500);
  // Not MantaGO's answer at all (a gateway's page, a WAF's 401 or 403): nothing said of the pair.
  const foreign = reply.kind === 'refused' && reply.foreign === true;
  if (unanswered || unclear || notThePair || serverTrouble || foreign) {
    // The call went out and no answer of MantaGO's came back (a timeout, a broken connection, a
    // gateway's 5xx without MantaGO's code): it may have rotated the pair all the same.
    const answerLost = reply.kind === 'unreachable' || (serverTrouble && reply.status >= 500 && meaning === undefined);
    return { retry: true, detail, answerLost };
  }
  const lost = (reply.kind === 'expired' || reply.kind === 'superseded') && lastAnswerLost;
  if (lost) return { retry: false, lastError: LOST_ROTATION_REASON };
  if (reply.kind === 'superseded') return { retry: false, lastError: OLD_PAIR_REASON };
  return { retry: false, lastError: `MantaGO refused to refresh the token (${detail})` };
}
