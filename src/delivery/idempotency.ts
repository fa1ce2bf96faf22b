// Idempotency-Key for operator requests that send (as Svix and Stripe take it): the first request
// with a key runs and its answer is kept for a day; a repeat gets that answer again and sends
// nothing more. The same key with another request is refused; one still running is a 409.
import { createHash } from 'node:crypto';
import type { IdempotencyStore } from '../store/store.ts';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface Answer<Body> {
  statusCode: number;
  body: Body;
}

export type Idempotent<Body> = (Answer<Body> & { replayed: boolean }) | { refused: 'in_progress' | 'mismatch' };

/** An object's fields in one order: the same request written with its fields in another order is the same request. */
const inKeyOrder = (_key: string, value: unknown) =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : value;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A stable hash of what was asked, so a key reused for another request is told apart. */
export function requestFingerprint(request: unknown): string {
  return sha256(JSON.stringify(request, inKeyOrder));
}

/** This request's hash first, then those a key stored by an earlier version may hold. */
export type Fingerprints = readonly [current: string, ...older: string[]];

/**
 * The hashes a stored key may hold for this request: this one's, then the one a key stored before
 * the fields were sorted holds (its fields as sent). Keys live a day: a retry across the upgrade
 * (a broadcast its restart cut off) is still answered from its first run, never sent again.
 */
export function requestFingerprints(request: unknown): Fingerprints {
  const current = requestFingerprint(request);
  const asSent = sha256(JSON.stringify(request));
  return asSent === current ? [current] : [current, asSent];
}

/**
 * Runs `work` once per key. A first run that never answered (its process died) is run again after
 * `abandonedAfterMs`: `work` must itself send nothing twice (a manual broadcast derives its
 * deliveries' dedupe keys from the key and when it was claimed, `claimedAt`, so the repeat finds
 * them stored, while the key used again after its lifetime is a new request with new deliveries).
 */
export async function idempotent<Body>(
  store: IdempotencyStore,
  key: string,
  [current, ...older]: Fingerprints,
  abandonedAfterMs: number,
  work: (claimedAt: number, rerun: boolean) => Promise<Answer<Body>>,
  now: number,
): Promise<Idempotent<Body>> {
  // A key is claimed with the first; the others only match a key stored already (a claim that finds it changes nothing).
  let claim = await store.claimIdempotencyKey(key, current, now, now - IDEMPOTENCY_WINDOW_MS);
  for (const fingerprint of older)
    if (claim.state === 'mismatch') claim = await store.claimIdempotencyKey(key, fingerprint, now, now - IDEMPOTENCY_WINDOW_MS);
  if (claim.state === 'mismatch') return { refused: 'mismatch' };
  if (claim.state === 'replay') return { statusCode: claim.statusCode, body: JSON.parse(claim.response) as Body, replayed: true };
  if (claim.state === 'in_progress' && now - claim.since < abandonedAfterMs) return { refused: 'in_progress' };
  const answer = claim.state === 'new' ? await work(claim.claimedAt, false) : await work(claim.since, true);
  await store.saveIdempotentResponse(key, answer.statusCode, JSON.stringify(answer.body));
  return { ...answer, replayed: false };
}
