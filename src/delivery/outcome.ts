// The delivery state machine, in one place: what a MantaGO call's result (or the credentials'
// trouble) means for each delivery that was in it — the attempt's outcome and the transition it
// leads to (a retry's time from retry-policy.ts). The worker only carries out what this decides;
// the store only records it.
import type { AttemptOutcome, AttemptResult, ClaimedDelivery, Transition } from '../domain/delivery.ts';
import { type BotRefusal, botRefusalOf, type RecipientRefusal, refusedInARow } from '../mantago/bot-state.ts';
import { type CallResult, sentNothing } from '../mantago/classify.ts';
import { isCode, MANTAGO_CODES } from '../mantago/error-codes.ts';
import { failedTry, type Progress, type RetryPolicy, uncountedRetry, waitUncounted } from './retry-policy.ts';

/** What a call's decision depends on besides its result: the bot's state, and who the call was for. */
export interface CallContext {
  /** A single-recipient broadcast's recipient: the "in a row" rule compares it with the last refused. */
  single?: { clientId: string };
  /** The last single recipient's 36000 since an accepted broadcast (the bot state's memory). */
  lastRefused?: RecipientRefusal;
  /** The recipient whose lone refusal was shown theirs (the bot state's `proven`), for a call started since: refused again, theirs. */
  refuser?: string;
  /** The two whose refusals paused the bot before a broadcast showed it broadcasts (the bot state's): refused in a row again, theirs. */
  cleared?: readonly string[];
  /** The probe while the bot is refused: no refusal ends its delivery, it only says the bot is still refused. */
  probe?: boolean;
  /** Part of a split batch: whether its 36000 is the bot's is for afterHalves to judge, not the "in a row" rule. */
  inSplit?: boolean;
  /** When MantaGO last accepted a call like this one (a broadcast for a broadcast; -Infinity: none yet): how an outage is told. */
  acceptedAt?: number;
}

export type Step =
  /**
   * The attempt is over: each delivery (in the batch's order) moves on as its transition says.
   * `noted`: a single recipient's 36000 not yet known whose, for the bot state's memory.
   * `ours`: MantaGO says the request was malformed (110000): a bug of ours, logged at error level.
   */
  | { step: 'finish'; outcome: AttemptOutcome; transitions: Transition[]; noted?: RecipientRefusal; ours?: true }
  /** Token or secret expired (or, `superseded`, the pair was rotated elsewhere): renew or re-read it and call again; not counted. */
  | { step: 'renew'; outcome: 'credentials_expired'; superseded?: true }
  /** MantaGO refused a broadcast to several recipients as a whole: send halves to find the bad ones. */
  | { step: 'split'; outcome: 'batch_refused'; reason: string; broadcastFailed: boolean }
  /** MantaGO refuses the bot itself (1002, 5001, broadcasts refused alike): the deliveries wait for it, uncounted. */
  | { step: 'pause'; outcome: 'bot_refused'; refusal: BotRefusal }
  /** The call never started (no call slot within the lease): hand the claim back, no attempt made. */
  | { step: 'release' };

/** Statuses that will not change by sending the same thing again. */
export const PERMANENT = new Set([400, 403, 404, 405, 410, 413, 415, 422]);

/**
 * Whether a refusal will not change by sending the same thing again: a permanent status that MantaGO
 * itself answered. A proxy's or gateway's 403 or 404 page in front of it (a WAF, a CDN, a route
 * being moved) says nothing of the message: that is an outage, retried.
 */
export const refusedForGood = (result: { status: number; foreign?: true }) => PERMANENT.has(result.status) && !result.foreign;

/**
 * What one call's result means for the deliveries sent with it: by MantaGO's code first, its HTTP
 * status second. `random` jitters the retry of this call.
 */
export function afterCall(
  result: CallResult,
  batch: readonly Progress[],
  policy: RetryPolicy,
  now: number,
  random = Math.random(),
  context: CallContext = {},
): Step {
  switch (result.kind) {
    case 'ok':
      return { step: 'finish', outcome: result.dryRun ? 'dry_run' : 'sent', transitions: batch.map(() => ({ to: 'sent' })) };
    case 'expired':
      return { step: 'renew', outcome: 'credentials_expired' };
    case 'superseded':
      return { step: 'renew', outcome: 'credentials_expired', superseded: true };
    case 'not_started':
      return { step: 'release' };
    case 'unreachable': {
      const signs = { acceptedAt: context.acceptedAt, unsent: sentNothing(result) };
      return { step: 'finish', outcome: 'failed', transitions: batch.map((d) => failedTry(result.message, d, policy, now, random, signs)) };
    }
    case 'refused': {
      const { code, message } = result;
      const reason = `MantaGO answered HTTP ${result.status}${code === undefined ? '' : ` (code ${code})`}: ${message}`;
      const bot = botRefusalOf(code, message);
      const signs = { acceptedAt: context.acceptedAt, unsent: sentNothing(result) };
      if (bot) return { step: 'pause', outcome: 'bot_refused', refusal: bot };
      if (isCode(code, 'FIELDS_MISSING')) {
        const dead = `a request of ours MantaGO could not read (a bug to report, never retried): ${reason}`;
        return { step: 'finish', outcome: 'failed', transitions: batch.map(() => ({ to: 'dead', reason: dead })), ours: true };
      }
      if (isCode(code, 'BROADCAST_FAILED'))
        return afterBroadcastFailed(batch, reason, { message, at: now }, context, (d) => uncountedRetry(reason, d, policy, now, random));
      // A member lookup MantaGO could not answer (37011), whatever its HTTP status: tried again like any failed call.
      if (isCode(code, 'NO_CLIENT'))
        return {
          step: 'finish',
          outcome: 'failed',
          transitions: batch.map((d) => failedTry(reason, d, policy, now, random, signs)),
        };
      if (refusedForGood(result)) {
        if (batch.length > 1) return { step: 'split', outcome: 'batch_refused', reason, broadcastFailed: false };
        return { step: 'finish', outcome: 'failed', transitions: batch.map(() => ({ to: 'dead', reason })) };
      }
      // 429: MantaGO's pace, not the delivery's fault. 5xx, 408, 425 and a 2xx without success are worth another try.
      if (result.status === 429)
        return {
          step: 'finish',
          outcome: 'failed',
          transitions: batch.map((d) => uncountedRetry(reason, d, policy, now, random, { retryAfterMs: result.retryAfterMs })),
        };
      return {
        step: 'finish',
        outcome: 'failed',
        transitions: batch.map((d) => failedTry(reason, d, policy, now, random, signs)),
      };
    }
  }
}

/**
 * 36000, "the broadcast failed": the bot (not published) or a recipient. A batch is split to tell
 * (within it, afterHalves judges a lone one with its sibling). The probe's says the bot is still
 * refused. A single recipient's is theirs, ending the delivery, once the bot was shown to broadcast
 * since their first one; right after another recipient's it is the bot's (unless the same two paused
 * it before and were cleared: theirs); else nobody knows yet whose: tried again, uncounted (nothing
 * was sent), and kept for the "in a row" rule — never ended on a bot's first refusal.
 */
function afterBroadcastFailed(
  batch: readonly Progress[],
  reason: string,
  said: { message: string; at: number },
  context: CallContext,
  retry: (d: Progress) => Transition,
): Step {
  if (batch.length > 1) return { step: 'split', outcome: 'batch_refused', reason, broadcastFailed: true };
  const refusal = context.single && { ...context.single, ...said };
  if (context.probe) return pauseFor(said.message, refusal && [refusal.clientId]);
  const ended: Step = { step: 'finish', outcome: 'failed', transitions: batch.map(() => ({ to: 'dead', reason })) };
  if (!refusal) return ended;
  if (context.inSplit) return { ...ended, noted: refusal };
  if (context.refuser === refusal.clientId) return ended;
  if (context.lastRefused && refusedInARow(context.lastRefused, refusal)) {
    const pair = [context.lastRefused.clientId, refusal.clientId];
    return pair.every((id) => context.cleared?.includes(id)) ? ended : pauseFor(said.message, pair);
  }
  return { step: 'finish', outcome: 'failed', transitions: batch.map(retry), noted: refusal };
}

/** The bot paused on 36000s: it is not published (`recipients`: those whose refusals showed it). */
const pauseFor = (message: string, recipients?: string[]): Step => ({
  step: 'pause',
  outcome: 'bot_refused',
  refusal: { reason: 'broadcasts_refused', code: MANTAGO_CODES.BROADCAST_FAILED, message, ...(recipients && { recipients }) },
});

/** Whether MantaGO accepted the call a step decides (a broadcast that went out). */
export const accepted = (step: Step | undefined) => step?.step === 'finish' && step.outcome === 'sent';
/** Whether a step is a 36000 refusal (a batch to split, or one recipient's within it): what a sibling's answer may change. */
export const refused36000 = (step: Step | undefined) => split36000(step) || single36000(step);
const split36000 = (step: Step | undefined) => step?.step === 'split' && step.broadcastFailed;
/** One recipient's 36000 within a split batch, for afterHalves to judge with its sibling. */
const single36000 = (step: Step | undefined): step is Extract<Step, { step: 'finish' }> & { noted: RecipientRefusal } =>
  step?.step === 'finish' && step.noted !== undefined;

/**
 * The two halves of a batch refused with 36000, as each was decided alone (none: handed back
 * unsent). MantaGO accepted a part of this batch (`botAccepted`): the bot broadcasts, so each half
 * goes on as decided. Otherwise nothing proves a recipient refused rather than the bot: a half of
 * several refused beside another refusal asks for `one_of_each` — one recipient of each half sent
 * alone, whose answers are decided here in turn (a bot not published costs two calls more, not a
 * descent to one recipient) — and a lone recipient's 36000 beside anything but a half of several
 * waits for the bot, uncounted, never ended (beside another such: every recipient alike) —
 * unless the same two paused the bot before and a broadcast has shown since that it broadcasts
 * (`cleared`, the bot state's memory): then they are ended as the recipients' refusals.
 */
export function afterHalves(
  first: Step | undefined,
  second: Step | undefined,
  botAccepted: boolean,
  cleared: readonly string[] = [],
): [Step | undefined, Step | undefined] | 'one_of_each' {
  if (botAccepted || accepted(first) || accepted(second)) return [recipients(first), recipients(second)];
  if ((split36000(first) && refused36000(second)) || (split36000(second) && refused36000(first))) return 'one_of_each';
  const refusedAlone = [first, second].filter(single36000);
  const [lone] = refusedAlone;
  if (!lone) return [first, second];
  const pair = refusedAlone.length === 2 ? refusedAlone.map((step) => step.noted.clientId) : undefined;
  // The same two whose refusals paused the bot before a broadcast showed it broadcasts: theirs.
  if (pair?.every((id) => cleared.includes(id))) return [recipients(first), recipients(second)];
  const pause = pauseFor(lone.noted.message, pair);
  return [single36000(first) ? pause : first, single36000(second) ? pause : second];
}

/** A recipient's 36000 proven theirs (the bot broadcasts): not kept for the "in a row" rule, which would take the next for the bot's. */
function recipients(step: Step | undefined): Step | undefined {
  if (!single36000(step)) return step;
  const { noted: _proven, ...ended } = step;
  return ended;
}

/** What a refusal of the bot says, for a delivery's or a tag job's error. */
export const botRefusalReason = (refusal: BotRefusal): string =>
  `MantaGO refuses the bot (${refusal.reason}${refusal.code === null ? '' : `, code ${refusal.code}`}): ${refusal.message}`;

/**
 * MantaGO refuses the bot: the deliveries wait for it — for the next probe (`retryAt`) — and the
 * wait is not an attempt; only the age bound still applies.
 */
export function afterBotRefused(refusal: BotRefusal, batch: readonly Progress[], policy: RetryPolicy, now: number, retryAt: number): Step {
  const reason = botRefusalReason(refusal);
  const transitions = batch.map((d) => waitUncounted(reason, d, policy, now, Math.max(now, retryAt)));
  return { step: 'finish', outcome: 'bot_refused', transitions };
}

/**
 * MantaGO said the pair expired and it could not be renewed. The delivery waits for the
 * credentials — for the next refresh attempt (`retryAt`), or, rejected, for the operator's new
 * pair — and the wait is not an attempt: credential trouble never kills a delivery. Only the age
 * bound still applies.
 */
export function afterRenewalFailed(
  renewal: 'unavailable' | 'rejected',
  batch: readonly Progress[],
  policy: RetryPolicy,
  now: number,
  retryAt: number,
): Step {
  const reason = renewal === 'rejected' ? 'MantaGO rejected the credentials' : 'MantaGO credentials could not be renewed';
  const at = renewal === 'rejected' ? now : Math.max(now, retryAt);
  const transitions = batch.map((d) => waitUncounted(reason, d, policy, now, at));
  return { step: 'finish', outcome: 'credentials_unavailable', transitions };
}

/** The write-once attempt of each delivery in one call, with the transition the state machine chose for it. */
export function attemptsOf(
  batch: readonly ClaimedDelivery[],
  startedAt: number,
  call: CallResult,
  outcome: AttemptOutcome,
  transitions: readonly Transition[],
): AttemptResult[] {
  return batch.map((d, i) => ({
    attempt: {
      deliveryId: d.id,
      startedAt,
      durationMs: call.durationMs,
      outcome,
      httpStatus: 'status' in call ? call.status : null,
      error: call.kind === 'ok' ? null : call.message,
      batchSize: batch.length,
    },
    transition: transitions[i] as Transition,
  }));
}
