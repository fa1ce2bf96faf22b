// The worker's side of a refused bot (mantago/bot-state.ts has its states): what a call's decision
// needs to know of the bot, what the bot is told of each decision, how a batch waits for it, and
// the probe — one waiting delivery sent for real, a different one each time where it can, or the
// bot check when none waits. The worker calls these; outcome.ts decides.
import type { ClaimedDelivery } from '../domain/delivery.ts';
import type { BotCheck } from '../mantago/bot-check.ts';
import type { BotStatus } from '../mantago/bot-status.ts';
import type { CallResult } from '../mantago/client.ts';
import type { Claim } from './claim.ts';
import { afterBotRefused, type CallContext, type Step } from './outcome.ts';
import type { RetryPolicy } from './retry-policy.ts';

/**
 * While only broadcasts are refused (36000 alike), MantaGO still answers lookups: recipients are found
 * meanwhile, so the probe has their deliveries to try (with none, only the recipients that paused it,
 * or the bot check, which cannot tell broadcasts, would be left to end the pause). This many at a
 * time, one claim after another: few, so the probe's own call never waits long behind them.
 */
export const LOOKUPS_WHILE_REFUSED = 5;

/** The bot's state, as the worker uses it (BotStatus). */
export type BotGate = Pick<
  BotStatus,
  | 'isRefused'
  | 'refusesBroadcastsOnly'
  | 'lastRefused'
  | 'cleared'
  | 'proven'
  | 'lastAccepted'
  | 'probeAt'
  | 'takeProbe'
  | 'probeDone'
  | 'accepted'
  | 'refused'
  | 'recipientRefused'
  | 'onUsable'
>;

/** What deciding a call's result needs to know besides it: who a single-recipient broadcast was for, the bot's memory, a probe. */
export function callContext({ batch, probe, split }: Claim, bot: BotGate | undefined, startedAt: number): CallContext {
  const [only] = batch;
  const single = batch.length === 1 && only ? { clientId: only.clientId } : undefined;
  const lastRefused = bot?.lastRefused();
  // Shown to refuse by a broadcast accepted before this call started: one started earlier may have been answered for the bot as it was.
  const shown = bot?.proven();
  const refuser = shown && startedAt >= shown.since ? shown.clientId : undefined;
  const cleared = bot?.cleared();
  return {
    ...(single && { single }),
    ...(lastRefused && { lastRefused }),
    ...(refuser !== undefined && { refuser }),
    ...(cleared && { cleared }),
    ...(bot && { acceptedAt: bot.lastAccepted('broadcast') }),
    ...(probe && { probe }),
    ...(split && { inSplit: true }),
  };
}

/**
 * Tells the bot what a finished call (started at `startedAt`, to `batch`) came to: accepted (a
 * probe's success resumes everything), or one recipient's 36000.
 */
export function noteFinish(
  step: Extract<Step, { step: 'finish' }>,
  bot: BotGate | undefined,
  call: { probe: boolean; startedAt: number; batch: readonly ClaimedDelivery[] },
): void {
  if (step.outcome === 'sent') bot?.accepted(true, call.probe, { startedAt: call.startedAt, clientIds: call.batch.map((d) => d.clientId) });
  else if (step.noted) bot?.recipientRefused(step.noted);
}

/**
 * MantaGO refused the bot: it is told (a probe's refusal backs the next probe off), and the batch
 * waits for the next probe, uncounted. The probe's own delivery goes after the others, so the next
 * probe tries another one.
 */
export function pauseFor(
  step: Extract<Step, { step: 'pause' }>,
  { batch, probe }: { batch: readonly ClaimedDelivery[]; probe?: boolean },
  bot: BotGate | undefined,
  policy: RetryPolicy,
  now: number,
): Step {
  if (probe) bot?.probeDone({ failed: true, refusal: step.refusal });
  else bot?.refused(step.refusal);
  const probeAt = bot?.probeAt() ?? now + policy.baseDelayMs;
  return afterBotRefused(step.refusal, batch, policy, now, probe ? probeAt + 1 : now);
}

/**
 * The probe's send, telling the bot how it went (an acceptance or a refusal of the bot tells it
 * already): a call MantaGO answered while the bot is still refused failed; none made (handed back,
 * no call slot in time) or answered only of the credentials (1004, 120000, renewed or not) proved
 * nothing of the bot. A delivery the quiet hours hold (`send` says it sent nothing) is no message to
 * probe with at night: the bot check probes instead.
 */
export async function sendProbe(
  bot: BotGate,
  send: (observe: (result: CallResult) => void) => Promise<boolean>,
  check?: () => Promise<BotCheck>,
): Promise<void> {
  let last: CallResult | undefined;
  let held = false;
  try {
    held = !(await send((result) => {
      last = result;
    }));
  } finally {
    const said = last !== undefined && !NOTHING_OF_THE_BOT.has(last.kind);
    if (!held || !check) bot.probeDone(said ? { failed: bot.isRefused() } : 'unstarted');
  }
  if (held && check) await probeByCheck(bot, check);
}
const NOTHING_OF_THE_BOT: ReadonlySet<CallResult['kind']> = new Set(['not_started', 'expired', 'superseded']);

/** The bot check as the probe (no message): what it found tells the bot. */
async function probeByCheck(bot: BotGate, check: (() => Promise<BotCheck>) | undefined): Promise<void> {
  try {
    const found = check ? await check() : undefined;
    bot.probeDone({ failed: bot.isRefused(), ...(found?.found === 'bot_refused' && { refusal: found.refusal }) });
  } catch (error) {
    bot.probeDone({ failed: true });
    throw error;
  }
}

/**
 * While the bot is refused: the probe, if it is due and none is under way — one waiting delivery,
 * claimed and sent as any claim (`claimAndSend`, false when none waits; its send tells the bot how
 * it went), else the bot check. How long to sleep before looking again.
 */
export async function probeBot(
  bot: BotGate,
  claimAndSend: () => Promise<boolean>,
  check: (() => Promise<BotCheck>) | undefined,
  now: () => number,
  pollMs: number,
): Promise<number> {
  if (!bot.takeProbe()) {
    // Not due yet: sleep until it is. A probe under way wakes the worker when it ends.
    const until = (bot.probeAt() ?? 0) - now();
    return until > 0 ? Math.min(pollMs, until) : pollMs;
  }
  let claimed: boolean;
  try {
    claimed = await claimAndSend();
  } catch (error) {
    bot.probeDone({ failed: true });
    throw error;
  }
  if (!claimed) await probeByCheck(bot, check);
  return pollMs;
}
