// The quiet hours hold a message whose rule keeps them however late its claim comes: one that fell
// due before they began and is claimed inside them (a backlog after an outage or a restart, a bot
// refusal or credentials that cleared at night) waits for their end. Planned and retried times keep
// them already (plan.ts). One the operator asked for inside them (a retry, a redrive) goes.
import type { ClaimedDelivery } from '../domain/delivery.ts';

/**
 * Of a claimed batch, what may go now; the rest is handed back (`release`), uncounted, to the end of
 * the quiet hours (`retryTime`: when a message of that rule may go, at or after a time).
 */
export async function outsideQuietHours(
  batch: ClaimedDelivery[],
  retryTime: ((rule: string, at: number) => number) | undefined,
  now: number,
  release: (ids: number[], at: number) => Promise<void>,
): Promise<ClaimedDelivery[]> {
  if (!retryTime) return batch;
  const due: ClaimedDelivery[] = [];
  const later = new Map<number, number[]>();
  for (const d of batch) {
    const end = retryTime(d.rule, now);
    // Due inside the same quiet hours (their end is its end too): someone asked for it then.
    if (end <= now || retryTime(d.rule, d.dueAt) === end) due.push(d);
    else later.set(end, [...(later.get(end) ?? []), d.id]);
  }
  for (const [at, ids] of later) await release(ids, at);
  return due;
}
