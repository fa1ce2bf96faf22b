// The bind state machine through its one function: what is not the bind's fault waits uncounted;
// its own failures are counted and end it after a few tries.
import { describe, expect, test } from 'vitest';
import { afterBindTry, BIND_RETRY_MS, MAX_BIND_ATTEMPTS } from '../../src/delivery/bind-outcome.ts';
import type { CallResult } from '../../src/mantago/client.ts';

const now = 1_000_000_000;
const refused = (status: number, code?: number, retryAfterMs?: number): CallResult => ({
  kind: 'refused',
  status,
  durationMs: 5,
  message: 'nope',
  ...(code !== undefined && { code }),
  retryAfterMs,
});

describe('afterBindTry', () => {
  test('bound once MantaGO accepts', () => {
    expect(afterBindTry({ kind: 'ok', status: 200, durationMs: 5, body: {} }, 0, now)).toEqual({
      outcome: { status: 'bound' },
      error: null,
    });
  });

  test('no call made: the claim ran out (due now), no call slot (later), no credentials (at the next refresh); none counted', () => {
    expect(afterBindTry({ kind: 'too_late' }, 2, now)).toEqual({
      outcome: { status: 'pending', retryAt: now, counted: false },
      error: null,
    });
    expect(afterBindTry({ kind: 'not_started', durationMs: 0, message: 'no slot' }, 2, now)).toEqual({
      outcome: { status: 'pending', retryAt: now + BIND_RETRY_MS, counted: false },
      error: 'no slot',
    });
    expect(afterBindTry({ kind: 'no_credentials', error: 'MantaGO credentials unavailable' }, 2, now, { refreshAt: now + 7_000 })).toEqual({
      outcome: { status: 'pending', retryAt: now + 7_000, counted: false },
      error: 'MantaGO credentials unavailable',
    });
  });

  test('a 429 waits its Retry-After (at least the retry delay), uncounted', () => {
    expect(afterBindTry(refused(429, undefined, 90_000), 2, now)).toEqual({
      outcome: { status: 'pending', retryAt: now + 90_000, counted: false },
      error: 'MantaGO answered HTTP 429: nope',
    });
  });

  test('the bot refused (1002, 5001): told to the bot, waiting uncounted for its probe', () => {
    expect(afterBindTry(refused(403, 1002), 2, now, { probeAt: now + 5_000 })).toMatchObject({
      outcome: { status: 'pending', retryAt: now + 5_000, counted: false },
      bot: { reason: 'permission_denied', code: 1002 },
    });
    expect(afterBindTry(refused(404, 5001), 0, now)).toMatchObject({ bot: { reason: 'no_such_bot' } });
  });

  test("the bind's own failures are counted, backing off, and end it after a few tries; 60001 is the customer's", () => {
    expect(afterBindTry(refused(500), 0, now)).toEqual({
      outcome: { status: 'pending', retryAt: now + BIND_RETRY_MS, counted: true },
      error: 'MantaGO answered HTTP 500: nope',
    });
    expect(afterBindTry(refused(500), 1, now).outcome).toEqual({ status: 'pending', retryAt: now + 2 * BIND_RETRY_MS, counted: true });
    expect(afterBindTry(refused(400, 60001), MAX_BIND_ATTEMPTS - 1, now)).toEqual({
      outcome: { status: 'failed' },
      error: 'MantaGO answered HTTP 400: nope',
      refusedForCustomer: true,
    });
    expect(afterBindTry({ kind: 'unreachable', durationMs: 5, message: 'ECONNRESET', timeout: false }, 0, now).error).toBe('ECONNRESET');
  });
});
