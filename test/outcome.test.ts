// The delivery state machine: what each MantaGO call result means for each delivery in the call,
// within the attempt and age bounds.
import { describe, expect, test } from 'vitest';
import { afterCall, afterRenewalFailed, type RetryPolicy } from '../src/delivery/outcome.ts';
import type { CallResult } from '../src/mantago/client.ts';
import { parseRetryAfter } from '../src/mantago/client.ts';

const policy: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 10, maxAgeMs: 3_600_000 };
const now = 1_000_000_000;
const fresh = { attempts: 0, waitingSince: now };
const refused = (status: number, retryAfterMs?: number): CallResult => ({
  kind: 'refused',
  status,
  durationMs: 5,
  message: 'nope',
  retryAfterMs,
});
const ok: CallResult = { kind: 'ok', status: 200, durationMs: 1, body: {} };
const expired: CallResult = { kind: 'expired', status: 200, durationMs: 1, message: 'Token is invalid or expired' };
const unreachable: CallResult = { kind: 'unreachable', durationMs: 1, message: 'ECONNRESET', timeout: false };

describe('afterCall', () => {
  test('success: every delivery in the call is sent (dry_run under DRY_RUN); 1004 renews the credentials', () => {
    expect(afterCall(ok, [fresh, fresh], policy, now)).toEqual({
      step: 'finish',
      outcome: 'sent',
      transitions: [{ to: 'sent' }, { to: 'sent' }],
    });
    expect(afterCall({ ...ok, dryRun: true }, [fresh], policy, now)).toMatchObject({ outcome: 'dry_run', transitions: [{ to: 'sent' }] });
    expect(afterCall(expired, [fresh], policy, now)).toEqual({ step: 'renew', outcome: 'credentials_expired' });
  });

  test.each([400, 403, 404, 422])('%i is permanent: dead at once, or split when several recipients shared the call', (status) => {
    expect(afterCall(refused(status), [fresh], policy, now)).toEqual({
      step: 'finish',
      outcome: 'failed',
      transitions: [{ to: 'dead', reason: `MantaGO answered HTTP ${status}: nope` }],
    });
    expect(afterCall(refused(status), [fresh, fresh, fresh, fresh], policy, now)).toEqual({
      step: 'split',
      outcome: 'batch_refused',
      reason: `MantaGO answered HTTP ${status}: nope`,
    });
  });

  test.each([500, 502, 503, 504, 408, 200])('%i is retried with backoff', (status) => {
    expect(afterCall(refused(status), [fresh], policy, now, 0.5)).toEqual({
      step: 'finish',
      outcome: 'failed',
      transitions: [{ to: 'retry', at: now + 750, counted: true }],
    });
  });

  test('a call that never started (no slot within its lease) hands the claim back, with no attempt', () => {
    expect(afterCall({ kind: 'not_started', durationMs: 0, message: 'no call slot came free in time' }, [fresh], policy, now)).toEqual({
      step: 'release',
    });
  });

  test('timeouts and connection errors are retried', () => {
    expect(afterCall(unreachable, [fresh], policy, now, 0.5)).toMatchObject({
      outcome: 'failed',
      transitions: [{ to: 'retry', counted: true }],
    });
  });

  test('429 waits for Retry-After, not the backoff', () => {
    expect(afterCall(refused(429, 30_000), [fresh], policy, now)).toMatchObject({ transitions: [{ to: 'retry', at: now + 30_000 }] });
    expect(afterCall(refused(429), [fresh], policy, now, 0)).toMatchObject({ transitions: [{ to: 'retry', at: now + 500 }] });
  });

  test('the backoff doubles, is jittered within [half, full], and is capped', () => {
    const delay = (attempts: number, random: number) => {
      const step = afterCall(refused(503), [{ ...fresh, attempts }], policy, now, random);
      const [then] = step.step === 'finish' ? step.transitions : [];
      return then?.to === 'retry' ? then.at - now : undefined;
    };
    expect([0, 1, 2, 3].map((a) => delay(a, 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect([0, 1, 2, 3].map((a) => delay(a, 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect(delay(8, 1)).toBe(60_000);
  });

  test('past the attempt or age bound the delivery is dead, saying why; each delivery of a call within its own bounds', () => {
    expect(afterCall(refused(503), [{ ...fresh, attempts: 9 }], policy, now)).toMatchObject({
      transitions: [{ to: 'dead', reason: 'gave up after 10 attempts; last error: MantaGO answered HTTP 503: nope' }],
    });
    expect(afterCall(unreachable, [{ ...fresh, waitingSince: now - 3_600_000 }], policy, now)).toMatchObject({
      transitions: [{ to: 'dead', reason: expect.stringMatching(/^gave up after 3600 s; last error: ECONNRESET/) }],
    });
    const mixed = afterCall(refused(502), [fresh, { ...fresh, attempts: 9 }], policy, now, 0);
    expect(mixed).toMatchObject({ transitions: [{ to: 'retry', at: now + 500 }, { to: 'dead' }] });
  });
});

describe('afterRenewalFailed', () => {
  test('credential trouble is a wait, never an attempt: rejected waits for the operator, unavailable for the next refresh; only the age bound applies', () => {
    expect(afterRenewalFailed('rejected', [fresh, { ...fresh, attempts: 9 }], policy, now, now + 5_000)).toEqual({
      step: 'finish',
      outcome: 'credentials_unavailable',
      transitions: [
        { to: 'retry', at: now, counted: false },
        { to: 'retry', at: now, counted: false },
      ],
    });
    // Past the attempt bound it still waits (not counted), at the next refresh attempt.
    expect(afterRenewalFailed('unavailable', [{ ...fresh, attempts: 49 }], policy, now, now + 5_000)).toEqual({
      step: 'finish',
      outcome: 'credentials_unavailable',
      transitions: [{ to: 'retry', at: now + 5_000, counted: false }],
    });
    expect(afterRenewalFailed('unavailable', [{ ...fresh, waitingSince: now - 3_600_000 }], policy, now, now + 5_000)).toMatchObject({
      transitions: [{ to: 'dead', reason: 'gave up after 3600 s; last error: MantaGO credentials could not be renewed' }],
    });
  });
});

test('Retry-After is read as seconds or as an HTTP date', () => {
  expect(parseRetryAfter('120', now)).toBe(120_000);
  expect(parseRetryAfter(new Date(now + 5_000).toUTCString(), now)).toBe(5_000);
  expect(parseRetryAfter('soon', now)).toBeUndefined();
  expect(parseRetryAfter(undefined, now)).toBeUndefined();
});
