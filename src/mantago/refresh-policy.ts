// How often a refresh MantaGO could not answer is tried again: exponential backoff with jitter,
// capped at a few minutes, so a slow or failing token endpoint sees a few calls, not one per
// delivery. And what it means when a refresh's answer was lost.

export const REFRESH_RETRY_BASE_MS = 2_000;
export const REFRESH_RETRY_MAX_MS = 5 * 60_000;

/** When to try again after `failures` refreshes in a row came to nothing. */
export function nextRefreshAttempt(failures: number, now: number, random = Math.random()): number {
  const ceiling = Math.min(REFRESH_RETRY_MAX_MS, REFRESH_RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
  return now + Math.round(ceiling / 2 + random * (ceiling / 2));
}

/**
 * A refresh whose answer never came may have rotated the pair all the same (MantaGO completes it
 * whether or not the caller waits): if the next refresh, with the pair we hold, is told the pair
 * is invalid, that is what happened. Only the dashboard can issue a pair then.
 */
export const LOST_ROTATION_REASON =
  'a token refresh timed out and MantaGO has since rejected the pair we hold: it most likely rotated the pair without our seeing the answer. ' +
  'Install the bot\'s current pair from MantaGO\'s dashboard: PUT /admin/credentials {"apiToken", "apiSecret"}';
