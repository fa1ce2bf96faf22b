// The one place that decides what a MantaGO call's outcome means for the deliveries in it.
import type { CallResult } from '../mantago/client.ts';

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  maxAgeMs: number;
}

export type Decision =
  | { action: 'sent' }
  /** Token or secret expired: renew the credentials and send again; this attempt does not count. */
  | { action: 'renew' }
  | { action: 'retry'; at: number; reason: string }
  | { action: 'dead'; reason: string }
  /** MantaGO refused a broadcast to several recipients as a whole: send halves to find the bad ones. */
  | { action: 'split'; reason: string };

export interface DeliveryProgress {
  /** Counted attempts before this one. */
  attempts: number;
  /** When the order arrived: the age bound counts from here. */
  receivedAt: number;
  batchSize: number;
}

/** Statuses that will not change by sending the same thing again. */
const PERMANENT = new Set([400, 403, 404, 405, 410, 413, 415, 422]);

export function shouldRetry(result: CallResult, progress: DeliveryProgress, policy: RetryPolicy, now = Date.now(), random = Math.random): Decision {
  switch (result.kind) {
    case 'ok':
      return { action: 'sent' };
    case 'expired':
      return { action: 'renew' };
    case 'unreachable':
      return retryLater(result.message, progress, policy, now, random);
    case 'refused': {
      const reason = `MantaGO answered HTTP ${result.status}: ${result.message}`;
      if (PERMANENT.has(result.status)) return progress.batchSize > 1 ? { action: 'split', reason } : { action: 'dead', reason };
      // 429 says when to come back; 5xx, 408, 425 and a 2xx without success are worth another try.
      return retryLater(reason, progress, policy, now, random, result.status === 429 ? result.retryAfterMs : undefined);
    }
  }
}

/** Exponential backoff with jitter, within the attempt and age bounds; past them the delivery is dead. */
export function retryLater(
  reason: string,
  progress: DeliveryProgress,
  policy: RetryPolicy,
  now = Date.now(),
  random = Math.random,
  retryAfterMs?: number,
): Decision {
  const attempt = progress.attempts + 1;
  const age = now - progress.receivedAt;
  if (attempt >= policy.maxAttempts || age >= policy.maxAgeMs) {
    const why = attempt >= policy.maxAttempts ? `${attempt} attempts` : `${Math.round(age / 1000)} s`;
    return { action: 'dead', reason: `gave up after ${why}; last error: ${reason}` };
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // "Equal jitter": at least half the delay, so retries spread out but never come back at once.
  const delay = retryAfterMs ?? ceiling / 2 + random() * (ceiling / 2);
  return { action: 'retry', at: now + Math.round(delay), reason };
}
