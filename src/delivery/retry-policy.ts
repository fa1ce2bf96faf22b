// When a delivery (or a tag job) that failed is tried again, and when it is not: the attempt and
// age bounds, exponential backoff with jitter, a 429's or an outage's uncounted wait, the quiet hours
// through the policy's `retryTime`. outcome.ts and tag-outcome.ts decide which a result leads to.
import type { Transition } from '../domain/delivery.ts';

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  maxAgeMs: number;
  /** When a retry of a message of `rule`, due `at`, may go (the quiet hours move it to their end); as due, unless given. */
  retryTime?: (rule: string, at: number) => number;
}

/** Where one delivery stands before this attempt. */
export interface Progress {
  /** Counted attempts before this one. */
  attempts: number;
  /** When it started waiting (arrived, or was redriven): the age bound counts from here. */
  waitingSince: number;
  /** The mapping rule its message is for: the policy's retry time may depend on it. */
  rule?: string;
}

/** The error of a delivery or a tag job the age bound ended. */
export const gaveUpAfter = (ageMs: number, reason: string): string => `gave up after ${Math.round(ageMs / 1000)} s; last error: ${reason}`;

/** Exponential backoff with jitter, within the attempt and age bounds; past them the delivery is dead. */
export function retryLater(reason: string, progress: Progress, policy: RetryPolicy, now: number, random: number): Transition {
  const attempt = progress.attempts + 1;
  const age = now - progress.waitingSince;
  if (attempt >= policy.maxAttempts) return { to: 'dead', reason: `gave up after ${attempt} attempts; last error: ${reason}` };
  if (age >= policy.maxAgeMs) return { to: 'dead', reason: gaveUpAfter(age, reason) };
  return { to: 'retry', at: retryTime(policy, progress, now + backoff(policy, attempt, random)), counted: true };
}

/** What tells a failed call as an outage's: when MantaGO last accepted a like call (unknown: never an outage), whether it sent nothing. */
export interface OutageSigns {
  acceptedAt: number | undefined;
  /** The try did nothing at MantaGO, as far as can be told (classify.ts sentNothing): no duplicate comes of trying again. */
  unsent: boolean;
}

/**
 * A call failed as MantaGO fails everyone in an outage (no connection, a 5xx, 37011). Waited out
 * uncounted, as a 429 is, until the age bound, when it sent nothing and MantaGO has accepted no like
 * call within the longest retry wait (RETRY_MAX_DELAY_MS): an outage of hours must not spend every
 * delivery's attempts. Else counted: the failure may be this delivery's own, or the try may have sent
 * it (a reset, a timeout, a gateway's 504), so it is made at most RETRY_MAX_ATTEMPTS times.
 */
export function failedTry(reason: string, d: Progress, policy: RetryPolicy, now: number, random: number, signs: OutageSigns): Transition {
  const lasted = signs.acceptedAt === undefined ? 0 : now - signs.acceptedAt;
  if (!signs.unsent || lasted <= policy.maxDelayMs) return retryLater(reason, d, policy, now, random);
  return uncountedRetry(reason, d, policy, now, random, Number.isFinite(lasted) ? { lasted } : {});
}

/**
 * A failure that is not the delivery's is not an attempt: a 429 (a `Retry-After: 0` answered fifty
 * times in a second would otherwise kill it), MantaGO failing everyone (an outage), a bot whose
 * broadcasts may be refused. Only the age bound applies. Back after its Retry-After, if any, never
 * sooner than a tenth of the time it has waited or the trouble has lasted (`lasted`: an outage older
 * than the delivery), from the base delay to the cap, jittered: with no attempts counted, the backoff
 * alone would ask again every second for a whole day.
 */
export function uncountedRetry(
  reason: string,
  progress: Progress,
  policy: RetryPolicy,
  now: number,
  random: number,
  { retryAfterMs = 0, lasted = 0 }: { retryAfterMs?: number | undefined; lasted?: number } = {},
): Transition {
  const waited = Math.max(now - progress.waitingSince, lasted);
  const delay = Math.max(retryAfterMs, jittered(Math.min(policy.maxDelayMs, Math.max(policy.baseDelayMs, waited / 10)), random));
  return waitUncounted(reason, progress, policy, now, now + delay);
}

/** A wait that is not an attempt, until `at` (or the quiet hours' end): only the age bound ends it, with `reason`. */
export function waitUncounted(reason: string, progress: Progress, policy: RetryPolicy, now: number, at: number): Transition {
  const age = now - progress.waitingSince;
  if (age >= policy.maxAgeMs) return { to: 'dead', reason: gaveUpAfter(age, reason) };
  return { to: 'retry', at: retryTime(policy, progress, at), counted: false };
}

/** The wait before `attempt`: doubling from the base to the cap, jittered. */
function backoff(policy: RetryPolicy, attempt: number, random: number): number {
  return jittered(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)), random);
}

/** "Equal jitter" below `ceiling`: at least half of it, so retries spread out but never come back at once. */
function jittered(ceiling: number, random: number): number {
  return Math.round(ceiling / 2 + random * (ceiling / 2));
}

/** A retry due `at` waits for the end of the quiet hours if the policy says so (a retry at night waits for the morning, as the message would). */
export function retryTime(policy: RetryPolicy, progress: Progress, at: number): number {
  return policy.retryTime ? policy.retryTime(progress.rule ?? '', at) : at;
}
