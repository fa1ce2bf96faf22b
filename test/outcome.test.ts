// The delivery state machine: what each MantaGO call result means for each delivery in the call,
// within the attempt and age bounds.
import { describe, expect, test } from 'vitest';
import { afterCall, afterRenewalFailed } from '../src/delivery/outcome.ts';
import type { RetryPolicy } from '../src/delivery/retry-policy.ts';
import type { CallResult } from '../src/mantago/client.ts';
import { parseRetryAfter } from '../src/mantago/client.ts';
import { parseMapping } from '../src/mapping/mapping-file.ts';
import { retryTime } from '../src/mapping/plan.ts';

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
      broadcastFailed: false,
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

  test('429 waits for its Retry-After, never less than a wait growing with the time waited, and is not an attempt: only the age bound ends it', () => {
    expect(afterCall(refused(429, 30_000), [fresh], policy, now)).toMatchObject({
      transitions: [{ to: 'retry', at: now + 30_000, counted: false }],
    });
    expect(afterCall(refused(429), [fresh], policy, now, 0)).toMatchObject({
      transitions: [{ to: 'retry', at: now + 500, counted: false }],
    });
    // `Retry-After: 0` (or a date gone by) at the ninth attempt: still not dead, and not back at once.
    const ninth = { attempts: 9, waitingSince: now };
    expect(afterCall(refused(429, 0), [ninth], policy, now, 0)).toMatchObject({
      transitions: [{ to: 'retry', at: now + 500, counted: false }],
    });
    // Ten minutes of 429s: a tenth of that (a minute's cap here), not the base delay again and again.
    const waited = { attempts: 0, waitingSince: now - 600_000 };
    expect(afterCall(refused(429), [waited], policy, now, 0)).toMatchObject({
      transitions: [{ to: 'retry', at: now + 30_000, counted: false }],
    });
    expect(afterCall(refused(429), [waited], policy, now, 1)).toMatchObject({ transitions: [{ to: 'retry', at: now + 60_000 }] });
    const old = { attempts: 0, waitingSince: now - policy.maxAgeMs };
    expect(afterCall(refused(429, 0), [old], policy, now, 0)).toMatchObject({ transitions: [{ to: 'dead' }] });
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

describe('a retry inside the quiet hours', () => {
  // 22:00–08:00 in Taipei (UTC+8, no DST); `confirmation` keeps the quiet hours, `cancelled` opts out.
  const mapping = parseMapping(
    `quietHours: { from: "22:00", to: "08:00", timeZone: "Asia/Taipei" }
recipients:
  - attribute: line_uid
    platform: line
rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
  - name: cancelled
    when: { event: cancelled }
    quietHours: false
    send: { message: "cancelled" }
`,
    'mapping.yaml',
  );
  const quiet: RetryPolicy = { ...policy, maxDelayMs: 120_000, baseDelayMs: 120_000, retryTime: retryTime(mapping) };
  const at2159 = Date.parse('2026-12-01T21:59:00+08:00');
  const morning = Date.parse('2026-12-02T08:00:00+08:00');
  const confirmation = { attempts: 0, waitingSince: at2159, rule: 'confirmation' };

  test('MantaGO down at 21:59: the retry, due inside the window, waits for its end as the message itself would', () => {
    // Backoff alone would make it 22:00–22:01.
    expect(afterCall(refused(503), [confirmation], quiet, at2159, 0.5)).toEqual({
      step: 'finish',
      outcome: 'failed',
      transitions: [{ to: 'retry', at: morning, counted: true }],
    });
    expect(afterCall(unreachable, [confirmation], quiet, at2159, 0.5)).toMatchObject({ transitions: [{ to: 'retry', at: morning }] });
    expect(afterCall(refused(429, 90_000), [confirmation], quiet, at2159)).toMatchObject({ transitions: [{ to: 'retry', at: morning }] });
  });

  test('a rule that opts out, a retry due outside the window, or a policy without retryTime: due as the backoff says', () => {
    const cancelled = { ...confirmation, rule: 'cancelled' };
    expect(afterCall(refused(503), [cancelled, confirmation], quiet, at2159, 0.5)).toMatchObject({
      transitions: [
        { to: 'retry', at: at2159 + 90_000 },
        { to: 'retry', at: morning },
      ],
    });
    const at2100 = Date.parse('2026-12-01T21:00:00+08:00');
    expect(afterCall(refused(503), [confirmation], quiet, at2100, 0.5)).toMatchObject({
      transitions: [{ to: 'retry', at: at2100 + 90_000 }],
    });
    const { retryTime: _, ...plain } = quiet;
    expect(afterCall(refused(503), [confirmation], plain, at2159, 0.5)).toMatchObject({
      transitions: [{ to: 'retry', at: at2159 + 90_000 }],
    });
  });

  test('a credentials wait that ends inside the window waits for its end too; a dead delivery stays dead', () => {
    const at2330 = Date.parse('2026-12-01T23:30:00+08:00');
    expect(afterRenewalFailed('rejected', [{ ...confirmation, waitingSince: at2330 }], quiet, at2330, at2330 + 5_000)).toMatchObject({
      transitions: [{ to: 'retry', at: morning, counted: false }],
    });
    expect(afterRenewalFailed('unavailable', [confirmation], quiet, at2159, at2159 + 90_000)).toMatchObject({
      transitions: [{ to: 'retry', at: morning, counted: false }],
    });
    expect(afterCall(refused(503), [{ ...confirmation, attempts: 9 }], quiet, at2159)).toMatchObject({ transitions: [{ to: 'dead' }] });
    expect(afterCall(refused(403), [confirmation], quiet, at2159)).toMatchObject({ transitions: [{ to: 'dead' }] });
  });
});

test('Retry-After is read as seconds or as an HTTP date', () => {
  expect(parseRetryAfter('120', now)).toBe(120_000);
  expect(parseRetryAfter(new Date(now + 5_000).toUTCString(), now)).toBe(5_000);
  expect(parseRetryAfter('soon', now)).toBeUndefined();
  expect(parseRetryAfter(undefined, now)).toBeUndefined();
});
