// The bind state machine, in one place: what one turn means for a MantaGO bind (`bind: true`) —
// bound, tried again when (counted against its few tries or not), or given up — with the error the
// store records. A turn is MantaGO's answer, or no call: the claim ran out before it, or no usable
// credentials. A bind never affects its delivery, which was sent already.
import type { BindOutcome } from '../domain/recipient.ts';
import { type BotRefusal, botRefusalOf } from '../mantago/bot-state.ts';
import type { CallResult } from '../mantago/client.ts';
import { isCode } from '../mantago/error-codes.ts';

/** Attempts before a bind is given up (and recorded as failed). */
export const MAX_BIND_ATTEMPTS = 3;
export const BIND_RETRY_MS = 30_000;

export type BindTurn =
  | CallResult
  /** The claim ran out before this bind's turn: back as it was, for the next claim. */
  | { kind: 'too_late' }
  /** No usable pair: the bind waits for the next refresh (`renewal`: what the credentials said). */
  | { kind: 'no_credentials'; error: string };

export interface BindStep {
  outcome: BindOutcome;
  error: string | null;
  /** MantaGO refused the bot itself (1002, 5001): told to the bot's state. */
  bot?: BotRefusal;
  /** 60001: MantaGO would not bind this customer (counted, like any refusal). */
  refusedForCustomer?: boolean;
}

/**
 * `refreshAt`: when the credentials are next refreshed; `probeAt`: when a refused bot is next probed.
 * What is not the bind's fault (the claim, the credentials, a 429, the bot) waits uncounted.
 */
export function afterBindTry(
  turn: BindTurn,
  attempts: number,
  now: number,
  waits: { refreshAt?: number; probeAt?: number } = {},
): BindStep {
  const uncounted = (retryAt: number, error: string | null): BindStep => ({
    outcome: { status: 'pending', retryAt, counted: false },
    error,
  });
  switch (turn.kind) {
    case 'too_late':
      return uncounted(now, null);
    case 'no_credentials':
      return uncounted(waits.refreshAt ?? now + BIND_RETRY_MS, turn.error);
    case 'ok':
      return { outcome: { status: 'bound' }, error: null };
    case 'not_started':
      return uncounted(now + BIND_RETRY_MS, turn.message);
  }
  const error = 'status' in turn ? `MantaGO answered HTTP ${turn.status}: ${turn.message}` : turn.message;
  if (turn.kind === 'refused' && turn.status === 429) return uncounted(now + Math.max(turn.retryAfterMs ?? 0, BIND_RETRY_MS), error);
  const bot = turn.kind === 'refused' ? botRefusalOf(turn.code, turn.message) : undefined;
  if (bot) return { ...uncounted(waits.probeAt ?? now + BIND_RETRY_MS, error), bot };
  const tried = attempts + 1;
  return {
    outcome:
      tried >= MAX_BIND_ATTEMPTS
        ? { status: 'failed' }
        : { status: 'pending', retryAt: now + BIND_RETRY_MS * 2 ** (tried - 1), counted: true },
    error,
    ...(turn.kind === 'refused' && isCode(turn.code, 'BIND_FAILED') && { refusedForCustomer: true }),
  };
}
