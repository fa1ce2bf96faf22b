// A batch MantaGO refused as a whole is sent in halves, each under a lease of its own, until the
// refused recipients are found. For a 36000 both halves are called before either is decided
// (outcome.ts's afterHalves): refused alike down to one recipient each, it is the bot's broadcasts;
// a half held goes after the other, which has told by then.
import type { Logger } from 'pino';
import type { AttemptOutcome } from '../domain/delivery.ts';
import type { Call, Claim, StepOf } from './claim.ts';
import { accepted, afterHalves, refused36000, type Step } from './outcome.ts';

/** The worker's send steps that a split goes through again for each half. */
export interface SplitSteps {
  send(claim: Claim): Promise<void>;
  /** The send up to outcome.ts's decision; none when the claim was handed back instead of calling. */
  attempt(claim: Claim): Promise<{ step: Step; call: Call } | undefined>;
  apply(step: Step, claim: Claim, call: Call): Promise<void>;
  /** Records an attempt after which the same claim calls again. */
  recordStillClaimed(outcome: AttemptOutcome, claim: Claim, call: Call): Promise<void>;
  /** The two recipients whose refusals last paused the bot, once it was shown to broadcast (bot-state.ts). */
  cleared(): readonly string[] | undefined;
  log: Logger;
}

export async function splitInHalves(step: StepOf<'split'>, claim: Claim, call: Call, steps: SplitSteps): Promise<void> {
  await steps.recordStillClaimed(step.outcome, claim, call);
  const refused = { deliveries: claim.batch.length, reason: step.reason };
  steps.log.warn(refused, 'MantaGO refused a batched broadcast; sending halves to find the refused recipients');
  const cut = Math.floor(claim.batch.length / 2); // the first half the smaller: the one split further on a 36000
  // Each half under a lease of its own: renewing one renews only its deliveries in the store.
  const split = claim.split ?? { botAccepted: false };
  const [first, second] = [claim.batch.slice(0, cut), claim.batch.slice(cut)].map(
    (batch): Claim => ({ ...claim, batch, renewals: 0, lease: claim.lease.forPart(), split }),
  );
  if (!first || !second || !step.broadcastFailed) {
    for (const half of [first, second]) if (half) await steps.send(half);
    return;
  }
  // A half whose answer its sibling's cannot change (anything but a 36000) is carried out at once,
  // an accepted one recorded within its lease, before the sibling's call.
  const a = await steps.attempt(first);
  const aDone = a !== undefined && !refused36000(a.step);
  if (aDone) await steps.apply(judgedAlone(a.step, split), first, a.call);
  const b = await steps.attempt(second);
  if (accepted(b?.step)) split.botAccepted = true;
  const [stepA, stepB] = afterHalves(a?.step, b?.step, split.botAccepted, steps.cleared());
  // What is decided goes first, then the half split further, then the one held: by then the other
  // has told whether it is the bot.
  const halves = [...(aDone ? [] : [{ part: first, done: a, next: stepA }]), { part: second, done: b, next: stepB }].sort(
    (x, y) => ORDER.indexOf(x.next?.step) - ORDER.indexOf(y.next?.step),
  );
  for (const { part, done, next } of halves) if (done && next) await steps.apply(next, part, done.call);
}

/**
 * A part of a split batch decided without its sibling (sent again after a hold or a renewal, or
 * called first): accepted, it tells the whole batch the bot broadcasts; a lone recipient's 36000
 * waits for the bot unless that is known (outcome.ts).
 */
export function judgedAlone(step: Step, split: { botAccepted: boolean }): Step {
  if (accepted(step)) split.botAccepted = true;
  return afterHalves(step, undefined, split.botAccepted)[0] ?? step;
}

const ORDER: (Step['step'] | undefined)[] = ['finish', 'pause', 'renew', 'release', undefined, 'split', 'hold'];
