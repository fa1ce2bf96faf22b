// The quiet hours hold a message whose rule keeps them however late its claim comes: one that fell
// due before they began and is claimed inside them (a backlog after an outage or a restart, a bot
// refusal or credentials that cleared at night) waits for their end. Planned and retried times keep
// them already (plan.ts). One the operator asked for inside them (a retry, a redrive) goes.
import type { ClaimedDelivery } from '../domain/delivery.ts';
import type { WorkerDeps } from './worker-deps.ts';

/**
 * Of a batch `owner` claimed, what may go now; the rest is handed back, uncounted, to the end of the
 * quiet hours (the policy's `retryTime`: when a message of that rule may go, at or after a time).
 */
export async function outsideQuietHours(
  batch: ClaimedDelivery[],
  owner: string,
  { store, options }: Pick<WorkerDeps, 'store' | 'options'>,
  now: number,
): Promise<ClaimedDelivery[]> {
  const { retryTime } = options.policy;
  if (!retryTime) return batch;
  const due: ClaimedDelivery[] = [];
  const later = new Map<number, number[]>();
  for (const d of batch) {
    const end = retryTime(d.rule, now);
    // Due inside the same quiet hours (their end is its end too): someone asked for it then.
    if (end <= now || retryTime(d.rule, d.dueAt) === end) due.push(d);
    else later.set(end, [...(later.get(end) ?? []), d.id]);
  }
  for (const [at, ids] of later) await store.release(owner, ids, at);
  return due;
}
