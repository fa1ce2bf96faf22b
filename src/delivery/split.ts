// A batch MantaGO refused as a whole is sent in halves, each under a lease of its own, until the
// refused recipients are found. For a 36000 both halves are called before either is decided
// (outcome.ts's afterHalves): refused alike with nothing of the batch accepted, one recipient of
// each is sent alone to tell the bot's refusal from two recipients'.
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

type Attempted = { step: Step; call: Call };

export async function splitInHalves(step: StepOf<'split'>, claim: Claim, call: Call, steps: SplitSteps): Promise<void> {
  await steps.recordStillClaimed(step.outcome, claim, call);
  const refused = { deliveries: claim.batch.length, reason: step.reason };
  steps.log.warn(refused, 'MantaGO refused a batched broadcast; sending halves to find the refused recipients');
  const split = claim.split ?? { botAccepted: false };
  const [first, second] = partsOf({ ...claim, split }, Math.ceil(claim.batch.length / 2));
  if (!first || !second || !step.broadcastFailed) {
    for (const half of [first, second]) if (half) await steps.send(half);
    return;
  }
  const a = await tryPart(first, split, steps);
  const b = await tryPart(second, split, steps);
  const decided = afterHalves(a?.step, b?.step, split.botAccepted, steps.cleared());
  if (decided === 'one_of_each' && a && b) return oneOfEach([first, a], [second, b], split, steps);
  await applyDecided(
    [
      { part: first, done: a },
      { part: second, done: b },
    ],
    decided,
    steps,
  );
}

/**
 * Both halves refused alike, nothing of the batch accepted: one recipient of each, sent alone, tells
 * the bot (both refused: pause) from the recipients (one accepted: the bot broadcasts, and the rest
 * are split as any refused batch). A bot not published costs two calls more, not a descent to one
 * recipient. Once one is accepted, the other half goes on as decided, without its alone call.
 */
async function oneOfEach(a: [Claim, Attempted], b: [Claim, Attempted], split: { botAccepted: boolean }, steps: SplitSteps): Promise<void> {
  const alone: Part[] = [];
  const rest: Claim[] = [];
  for (const [half, done] of [a, b]) {
    if (split.botAccepted) await steps.apply(judgedAlone(done.step, split), half, done.call);
    else if (half.batch.length === 1) alone.push({ part: half, done });
    else {
      await steps.recordStillClaimed('batch_refused', half, done.call);
      const [one, others] = partsOf(half, 1);
      if (others) rest.push(others);
      if (one) alone.push({ part: one, done: await tryPart(one, split, steps) });
    }
  }
  // The 36000s left are decided together: both refused, the bot; one alone, it waits for the bot.
  const [x, y] = alone;
  await applyDecided(alone, afterHalves(x?.done?.step, y?.done?.step, split.botAccepted, steps.cleared()), steps);
  // Sent again: handed back at once if the bot is refused by then, else split as any refused batch.
  for (const others of rest) await steps.send(others);
}

/** A part of a split batch and its call's answer still to decide (none: handed back, or carried out already). */
type Part = { part: Claim; done: Attempted | undefined };

/**
 * Calls for a part. An answer its sibling's cannot change (anything but a 36000) is carried out at
 * once, an accepted one recorded within its lease before the sibling's call, and nothing is left to
 * decide; a 36000 is returned, to be decided with its sibling's.
 */
async function tryPart(part: Claim, split: { botAccepted: boolean }, steps: SplitSteps): Promise<Attempted | undefined> {
  const done = await steps.attempt(part);
  if (!done || refused36000(done.step)) return done;
  await steps.apply(judgedAlone(done.step, split), part, done.call);
  return undefined;
}

/** Carries out what afterHalves decided for two parts ('one_of_each' past its own step: each as it was decided alone). */
async function applyDecided(parts: Part[], decided: ReturnType<typeof afterHalves>, steps: SplitSteps): Promise<void> {
  const next = decided === 'one_of_each' ? parts.map(({ done }) => done?.step) : decided;
  for (const [i, { part, done }] of parts.entries()) {
    const step = next[i];
    if (done && step) await steps.apply(step, part, done.call);
  }
}

/** A claim's deliveries in two parts, `cut` in the first, each under a lease of its own (renewing one renews only its deliveries). */
function partsOf(claim: Claim, cut: number): Claim[] {
  return [claim.batch.slice(0, cut), claim.batch.slice(cut)]
    .filter((batch) => batch.length > 0)
    .map((batch): Claim => ({ ...claim, batch, renewals: 0, lease: claim.lease.forPart() }));
}

/**
 * A part of a split batch decided without its sibling (sent again on its own, or after a renewal,
 * or called first): accepted, it tells the whole batch the bot broadcasts; a lone recipient's 36000
 * waits for the bot unless that is known (outcome.ts).
 */
export function judgedAlone(step: Step, split: { botAccepted: boolean }): Step {
  if (accepted(step)) split.botAccepted = true;
  const decided = afterHalves(step, undefined, split.botAccepted);
  return (decided === 'one_of_each' ? step : decided[0]) ?? step;
}
