// A shop call that is throttled or fails for want of an answer is tried again after a wait: the
// wait the shop asked for (Retry-After, Shopify's bucket refill), else doubling from a second up to
// a minute; a refused credential, or an answer that lasts (a shop too old for the call), is never
// tried again, nor is a shop that asks for a longer wait than that (the poll ends, and the next one
// waits as asked: poller.ts). Waits go by the service's clock.
import type { Clock } from '../clock.ts';
import { ShopCallError } from './shop-call.ts';

export const BACKOFF = { firstMs: 1_000, maxMs: 60_000, tries: 6 } as const;

/** `work`, tried again on throttling or no answer; after the last try its error is thrown. `stopped` ends the waiting. */
export async function withBackoff<T>(
  clock: Clock,
  work: () => Promise<T>,
  {
    stopped = () => false,
    onWait,
    sleep = (ms) => clock.sleep(ms),
  }: { stopped?: () => boolean; onWait?: (error: ShopCallError, ms: number) => void; sleep?: (ms: number) => Promise<void> } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof ShopCallError) || error.outcome === 'unauthorized' || error.lasting || attempt >= BACKOFF.tries || stopped())
        throw error;
      if ((error.retryAfterMs ?? 0) > BACKOFF.maxMs) throw error;
      // Retry-After: 0 asks for nothing: six tries at once would only hammer a shop already failing.
      const asked = error.retryAfterMs !== undefined && error.retryAfterMs > 0 ? error.retryAfterMs : undefined;
      const ms = Math.min(BACKOFF.maxMs, asked ?? BACKOFF.firstMs * 2 ** (attempt - 1));
      onWait?.(error, ms);
      await sleep(ms);
      if (stopped()) throw error;
    }
  }
}
