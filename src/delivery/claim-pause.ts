// Whether the worker should claim at all: work claimed while it could not be sent (no usable
// credentials, every call slot busy, a 429's pause) would only sit out its lease.
import type { WorkerDeps } from './worker-deps.ts';

/** How long to wait before claiming, when claimed work could not be sent now; none: claim. */
export async function pauseBeforeClaim(
  { credentials, client, options }: Pick<WorkerDeps, 'credentials' | 'client' | 'options'>,
  inFlight: number,
  now: () => number,
): Promise<number | undefined> {
  if (!credentials.isUsable()) {
    await credentials.reload(); // the operator, or another replica, may have stored a good pair
    if (!credentials.isUsable()) return options.pollMs;
  }
  if (inFlight >= options.maxConcurrency) return options.pollMs;
  // While a 429 holds calls back, claimed work would only sit out its lease.
  const paused = client.pausedUntil() - now();
  return paused > 0 ? Math.min(paused, options.pollMs) : undefined;
}
