// The tag job state machine, in one place: what one turn means for a tag job — the try's outcome
// and where the job goes (tagged, tried again when, dead, or handed back untried), and what the
// store records of it. A turn is MantaGO's answer, or no call at all: the claim ran out before it
// (not started), or DRY_RUN. The backoff and its bounds are the deliveries' own (retry-policy.ts);
// the tagger only carries this out.
import type { TagAttempt, TagAttemptOutcome, TagJobStatus, TagTryRecord } from '../domain/tagging.ts';
import { type BotRefusal, botRefusalOf } from '../mantago/bot-state.ts';
import { sentNothing } from '../mantago/classify.ts';
import type { TagTry } from '../mantago/tags.ts';
import { botRefusalReason, refusedForGood } from './outcome.ts';
import { failedTry, gaveUpAfter, type RetryPolicy, retryLater, uncountedRetry } from './retry-policy.ts';

export type { TagTry } from '../mantago/tags.ts';

/** A job's turn: MantaGO's answer, or DRY_RUN's (the job done, MantaGO not called). */
export type TagTurn = TagTry | { kind: 'dry_run' };

/** The turn of a job whose claim ran out before it: never started, as a call that found no slot. */
export const TOO_LATE: TagTurn = { kind: 'not_started', durationMs: 0, message: "the claim's lease ran out before this job's turn" };
export const DRY_RUN_TURN: TagTurn = { kind: 'dry_run' };
const DRY_RUN_NOTE = 'DRY_RUN is on: recorded, MantaGO not called';

/** Where a tag job goes after a try. */
export type TagStep =
  | { to: Extract<TagJobStatus, 'tagged'>; outcome: 'tagged' | 'dry_run' }
  /** `bot`: MantaGO refused the bot itself (1002, 5001): the job waits, uncounted, for the bot's next probe. */
  | {
      to: 'retry';
      at: number;
      counted: boolean;
      outcome: TagAttemptOutcome;
      error: string;
      bot?: BotRefusal;
      /** Nothing was tried (another replica is creating the tag): no try recorded. */
      untried?: true;
    }
  | { to: Extract<TagJobStatus, 'dead'>; outcome: TagAttemptOutcome; reason: string; bot?: BotRefusal }
  /** The call never started (no call slot within the lease): back, due now, nothing counted. */
  | { to: 'release' };

/** Where a tag job stands before this try. */
export interface TagProgress {
  attempts: number;
  /** When it was stored, or last tried again by the operator: the age bound counts from here. */
  waitingSince: number;
}

/**
 * `botProbeAt`: when a refused bot is next probed (a job refused for the bot waits until then).
 * `tagsRefused`: the plan refuses tagging alone (bot-state.ts), so a 1002 is retried and counted as the job's.
 * `acceptedAt`: when MantaGO last accepted a call — long before a failure, an outage's, not counted.
 */
export function afterTagTry(
  result: TagTurn,
  job: TagProgress,
  policy: RetryPolicy,
  now: number,
  random = Math.random(),
  botProbeAt?: number,
  tagsRefused = false,
  acceptedAt?: number,
): TagStep {
  const progress = { attempts: job.attempts, waitingSince: job.waitingSince };
  switch (result.kind) {
    case 'dry_run':
      return { to: 'tagged', outcome: 'dry_run' };
    case 'ok':
      return { to: 'tagged', outcome: result.dryRun ? 'dry_run' : 'tagged' };
    case 'absent': // a tag to take off that the bot does not have: done
      return { to: 'tagged', outcome: 'tagged' };
    case 'not_started':
      return { to: 'release' };
    case 'busy':
      // Another replica is creating the tag: not the job's fault, so not one of its tries (within the age bound).
      if (now - job.waitingSince >= policy.maxAgeMs) return { to: 'dead', outcome: 'failed', reason: result.message };
      return { to: 'retry', at: result.retryAt, counted: false, outcome: 'failed', error: result.message, untried: true };
    case 'credentials':
    case 'expired':
    case 'superseded': {
      // Credential trouble is never the job's fault: it waits, uncounted, within the age bound.
      const error = result.kind === 'credentials' ? `MantaGO credentials ${result.renewal}` : `MantaGO credentials: ${result.message}`;
      if (now - job.waitingSince >= policy.maxAgeMs) return { to: 'dead', outcome: 'credentials_unavailable', reason: error };
      const at = result.kind === 'credentials' ? Math.max(now, result.retryAt) : now + policy.baseDelayMs;
      return { to: 'retry', at, counted: false, outcome: 'credentials_unavailable', error };
    }
    case 'unreachable':
      return retried(failedTry(result.message, progress, policy, now, random, { acceptedAt, unsent: sentNothing(result) }), result.message);
    case 'refused': {
      const reason = `MantaGO answered HTTP ${result.status}: ${result.message}`;
      const refusal = botRefusalOf(result.code, result.message);
      // The plan refuses tagging alone: a 1002 is this job's, retried and counted like any failure.
      if (refusal?.reason === 'permission_denied' && tagsRefused) return retried(retryLater(reason, progress, policy, now, random), reason);
      if (refusal) {
        // Uncounted, as every wait not the job's own, but within the age bound: one refused for good dies and is shown.
        // The refusal is told to the bot's state either way (bot?: the tagger pauses the bot on it).
        const bot = { ...refusal, byTagCall: true as const };
        const age = now - job.waitingSince;
        if (age >= policy.maxAgeMs) return { to: 'dead', outcome: 'failed', reason: gaveUpAfter(age, botRefusalReason(refusal)), bot };
        return { to: 'retry', at: botProbeAt ?? now + policy.baseDelayMs, counted: false, outcome: 'failed', error: reason, bot };
      }
      // An unknown tag or user: asking again changes nothing.
      if (refusedForGood(result)) return { to: 'dead', outcome: 'refused', reason };
      if (result.status === 429)
        return retried(uncountedRetry(reason, progress, policy, now, random, { retryAfterMs: result.retryAfterMs }), reason);
      return retried(failedTry(reason, progress, policy, now, random, { acceptedAt, unsent: sentNothing(result) }), reason);
    }
  }
}

/**
 * What the store records of a turn that led to `step` (at `now`): where the job goes, and the try
 * itself, unless nothing was tried (handed back, or another replica creating the tag).
 */
export function tagTryRecord(step: TagStep, result: TagTurn, startedAt: number, now: number, tagId?: string): TagTryRecord {
  if (step.to === 'release') return { status: 'pending', counted: false, nextAttemptAt: now, error: null };
  if (step.to === 'retry' && step.untried) return { status: 'pending', counted: false, nextAttemptAt: step.at, error: step.error };
  const attempt: TagAttempt = {
    startedAt,
    durationMs: 'durationMs' in result ? result.durationMs : 0,
    outcome: step.outcome,
    httpStatus: 'status' in result ? result.status : null,
    error: attemptError(step, result),
  };
  const known = tagId === undefined ? {} : { tagId };
  switch (step.to) {
    case 'tagged':
      return { status: 'tagged', counted: true, nextAttemptAt: null, error: null, attempt, ...known };
    case 'retry':
      return { status: 'pending', counted: step.counted, nextAttemptAt: step.at, error: step.error, attempt, ...known };
    case 'dead':
      return { status: 'dead', counted: true, nextAttemptAt: null, error: step.reason, attempt, ...known };
  }
}

/** What a try's row says went wrong, or what it did instead of tagging (none for a plain success). */
function attemptError(step: Exclude<TagStep, { to: 'release' }>, result: TagTurn): string | null {
  if (step.to === 'retry') return step.error;
  if (step.to === 'dead') return step.reason;
  if (result.kind === 'absent') return result.message;
  return result.kind === 'dry_run' ? DRY_RUN_NOTE : null;
}

function retried(transition: ReturnType<typeof retryLater>, error: string): TagStep {
  if (transition.to === 'dead') return { to: 'dead', outcome: 'failed', reason: transition.reason };
  if (transition.to === 'retry') return { to: 'retry', at: transition.at, counted: transition.counted, outcome: 'failed', error };
  throw new Error(`a retry cannot lead to ${transition.to}`);
}
