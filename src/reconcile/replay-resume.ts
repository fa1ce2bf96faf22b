// Where an unfinished replay goes on from: its shop, its window and the page it had left, as one
// token the operator hands back. Its time alone (resumeSince) cannot get past a second that holds
// more orders than one replay reads: a replay from that second reads its first orders again.
import type { Window } from './connection.ts';

export interface ReplayResume {
  source: string;
  window: Window;
  /** The shop's own cursor of the next page. */
  cursor: string;
}

const NOT_OURS = 'resume is not a token an unfinished replay answered';

export function resumeToken(resume: ReplayResume): string {
  const { source, window, cursor } = resume;
  return Buffer.from(JSON.stringify({ source, since: window.since, until: window.until, cursor })).toString('base64url');
}

/** The token read back, or why it cannot be (the cursor goes to the shop: printable, bounded). */
export function readResumeToken(token: string): ReplayResume | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return { problem: NOT_OURS };
  }
  const { source, since, until, cursor } = (value ?? {}) as Record<string, unknown>;
  const time = (at: unknown): at is number => Number.isSafeInteger(at) && (at as number) >= 0;
  if (typeof source !== 'string' || !time(since) || (until !== undefined && !time(until))) return { problem: NOT_OURS };
  if (typeof cursor !== 'string' || !/^[\x21-\x7e]{1,1000}$/.test(cursor)) return { problem: NOT_OURS };
  return { source, window: { since, ...(until !== undefined && { until }) }, cursor };
}
