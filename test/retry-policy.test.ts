// The one retry decision: what each MantaGO outcome means for a delivery.
import { describe, expect, test } from 'vitest';
import type { CallResult } from '../src/mantago/client.ts';
import { parseRetryAfter } from '../src/mantago/client.ts';
import { shouldRetry, type RetryPolicy } from '../src/delivery/retry-policy.ts';

const policy: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 10, maxAgeMs: 3_600_000 };
const now = 1_000_000_000;
const fresh = { attempts: 0, receivedAt: now, batchSize: 1 };
const refused = (status: number, retryAfterMs?: number): CallResult => ({ kind: 'refused', status, durationMs: 5, message: 'nope', retryAfterMs });

describe('shouldRetry', () => {
  test('success is sent; 1004 renews credentials', () => {
    expect(shouldRetry({ kind: 'ok', status: 200, durationMs: 1, body: {} }, fresh, policy, now)).toEqual({ action: 'sent' });
    expect(shouldRetry({ kind: 'expired', status: 200, durationMs: 1, message: 'Token is invalid or expired' }, fresh, policy, now)).toEqual({ action: 'renew' });
  });

  test.each([400, 403, 404, 422])('%i is permanent: dead at once, or split when several recipients shared the call', (status) => {
    expect(shouldRetry(refused(status), fresh, policy, now)).toEqual({ action: 'dead', reason: `MantaGO answered HTTP ${status}: nope` });
    expect(shouldRetry(refused(status), { ...fresh, batchSize: 4 }, policy, now).action).toBe('split');
  });

  test.each([500, 502, 503, 504, 408, 200])('%i is retried with backoff', (status) => {
    expect(shouldRetry(refused(status), fresh, policy, now, () => 0.5)).toMatchObject({ action: 'retry', at: now + 750 });
  });

  test('timeouts and connection errors are retried', () => {
    expect(shouldRetry({ kind: 'unreachable', durationMs: 1, message: 'ECONNRESET', timeout: false }, fresh, policy, now).action).toBe('retry');
  });

  test('429 waits for Retry-After, not the backoff', () => {
    expect(shouldRetry(refused(429, 30_000), fresh, policy, now)).toMatchObject({ action: 'retry', at: now + 30_000 });
    expect(shouldRetry(refused(429), fresh, policy, now, () => 0)).toMatchObject({ action: 'retry', at: now + 500 });
  });

  test('the backoff doubles, is jittered within [half, full], and is capped', () => {
    const delay = (attempts: number, random: number) => {
      const decision = shouldRetry(refused(503), { ...fresh, attempts }, policy, now, () => random);
      return decision.action === 'retry' ? decision.at - now : undefined;
    };
    expect([0, 1, 2, 3].map((a) => delay(a, 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect([0, 1, 2, 3].map((a) => delay(a, 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect(delay(8, 1)).toBe(60_000);
  });

  test('past the attempt or age bound the delivery is dead, saying why', () => {
    expect(shouldRetry(refused(503), { ...fresh, attempts: 9 }, policy, now)).toEqual({
      action: 'dead',
      reason: 'gave up after 10 attempts; last error: MantaGO answered HTTP 503: nope',
    });
    expect(shouldRetry(refused(503), { ...fresh, receivedAt: now - 3_600_000 }, policy, now)).toMatchObject({ action: 'dead', reason: expect.stringMatching(/^gave up after 3600 s/) });
  });
});

test('Retry-After is read as seconds or as an HTTP date', () => {
  expect(parseRetryAfter('120', now)).toBe(120_000);
  expect(parseRetryAfter(new Date(now + 5_000).toUTCString(), now)).toBe(5_000);
  expect(parseRetryAfter('soon', now)).toBeUndefined();
  expect(parseRetryAfter(undefined, now)).toBeUndefined();
});
