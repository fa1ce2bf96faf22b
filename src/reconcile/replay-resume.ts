// Where an unfinished replay goes on from: its shop, its window and the page it had left, as one
// token the operator hands back. Its time alone (resumeSince) cannot get past a second that holds
// more orders than one replay reads: a replay from that second reads its first orders again. The
// token is signed (HMAC with a key of the service's), so what it hands the shop is what it was given.
import { createHmac, scrypt, timingSafeEqual } from 'node:crypto';
import type { Window } from './connection.ts';

export interface ReplayResume {
  source: string;
  window: Window;
  /** The shop's own cursor of the next page. */
  cursor: string;
}

const NOT_OURS = 'resume is not a token an unfinished replay answered';
/** The latest time a Date holds. */
const MAX_TIME = 8.64e15;

const mac = (payload: string, key: Buffer) => createHmac('sha256', key).update(payload).digest('base64url');

/**
 * The signing key, from a secret every replica has (ADMIN_TOKEN) through scrypt: a token seen in a
 * shell's history or a ticket is no cheap test of guesses at that secret.
 */
export function resumeKeyFrom(secret: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, 'mantago-order-notifier/replay-resume', 32, { N: 2 ** 14, r: 8, p: 1 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export function resumeToken(resume: ReplayResume, key: Buffer): string {
  const { source, window, cursor } = resume;
  const payload = Buffer.from(JSON.stringify({ source, since: window.since, until: window.until, cursor })).toString('base64url');
  return `${payload}.${mac(payload, key)}`;
}

/** The token read back, or why it cannot be. */
export function readResumeToken(token: string, key: Buffer): ReplayResume | { problem: string } {
  const [payload = '', signature = '', ...rest] = token.split('.');
  const expected = Buffer.from(mac(payload, key));
  const given = Buffer.from(signature);
  if (rest.length > 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) return { problem: NOT_OURS };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { problem: NOT_OURS };
  }
  const { source, since, until, cursor } = (value ?? {}) as Record<string, unknown>;
  const time = (at: unknown): at is number => Number.isSafeInteger(at) && (at as number) >= 0 && (at as number) <= MAX_TIME;
  if (typeof source !== 'string' || !time(since) || (until !== undefined && !time(until))) return { problem: NOT_OURS };
  if (typeof cursor !== 'string' || cursor.length === 0) return { problem: NOT_OURS };
  return { source, window: { since, ...(until !== undefined && { until }) }, cursor };
}

/**
 * The replay the operator asked for: a window (`since`, and `until` if given) or a `resume` token of
 * `source`'s; else why not, in their words.
 */
export async function replayAsked(
  source: string,
  asked: { since?: string; until?: string; resume?: string },
  key: () => Promise<Buffer>,
): Promise<{ window: Window; cursor?: string } | { problem: string }> {
  const { since, until, resume } = asked;
  if ((since === undefined) === (resume === undefined) || (resume !== undefined && until !== undefined))
    return { problem: 'give since (and until, if you like) for a window, or resume to go on with one; not both' };
  const resumed = resume === undefined ? undefined : readResumeToken(resume, await key());
  if (resumed && 'problem' in resumed) return resumed;
  if (resumed && resumed.source !== source) return { problem: `resume is a token of ${resumed.source}'s replay, not ${source}'s` };
  const window = resumed?.window ?? { since: Date.parse(since ?? ''), ...(until !== undefined && { until: Date.parse(until) }) };
  // The format lets a leap second (:60) through; no Date holds one.
  for (const [name, at] of Object.entries(window))
    if (Number.isNaN(at)) return { problem: `${name} is not a time this service can use (a leap second's :60?)` };
  if (window.until !== undefined && window.until < window.since) return { problem: 'until is before since' };
  return { window, ...(resumed && { cursor: resumed.cursor }) };
}
