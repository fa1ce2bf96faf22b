// The delivery decisions by MantaGO's documented codes: the code first, the HTTP status second.
import { describe, expect, test } from 'vitest';
import { afterBotRefused, afterCall, afterHalves, type CallContext, type Step } from '../../src/delivery/outcome.ts';
import type { RetryPolicy } from '../../src/delivery/retry-policy.ts';
import type { CallResult } from '../../src/mantago/client.ts';
import { classify } from '../../src/mantago/classify.ts';

const policy: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 10, maxAgeMs: 3_600_000 };
const now = 1_000_000_000;
const fresh = { attempts: 0, waitingSince: now };
const refused = (code: number | undefined, status = 403, message = 'nope'): CallResult => ({
  kind: 'refused',
  status,
  durationMs: 5,
  message,
  ...(code !== undefined && { code }),
  retryAfterMs: undefined,
});
const answer = (status: number, body: unknown) => classify(status, JSON.stringify(body), undefined, 5, 60_000, now);
const coded = (code: number, message = 'm') => ({ success: false, errResponse: { code, message } });

describe('classify: the code first, the status second', () => {
  test.each([200, 401, 403, 500])('1004 under HTTP %i is an expiry; 120000 an old pair', (status) => {
    expect(answer(status, coded(1004))).toMatchObject({ kind: 'expired', status });
    expect(answer(status, coded(120000))).toMatchObject({ kind: 'superseded', status, code: 120000 });
  });

  test('a code sent as digits in a string is that code; a success sent as the string "true" is a success (retried, it would be sent twice)', () => {
    expect(answer(400, { success: false, errResponse: { code: '1004', message: 'Token is invalid or expired' } })).toMatchObject({
      kind: 'expired',
    });
    expect(answer(403, { success: false, errResponse: { code: ' 1002 ', message: 'no Open API' } })).toMatchObject({
      kind: 'refused',
      code: 1002,
    });
    expect(answer(200, { success: false, errResponse: { code: '120000', message: 'old' } })).toMatchObject({ kind: 'superseded' });
    expect(answer(400, { success: false, errResponse: { code: '12x', message: 'odd' } })).toMatchObject({ kind: 'refused', status: 400 });
    expect(answer(400, { success: false, errResponse: { code: '12x' } })).not.toHaveProperty('code');
    expect(answer(200, { success: 'true' })).toMatchObject({ kind: 'ok' });
  });

  test('a far end echoing the request: the token and the secret are cut out of its message, before it is shortened', () => {
    const token = `eyJ${'t'.repeat(400)}`;
    const echoed = { success: false, errResponse: { message: `bad request: Bearer ${token} secret=s3cr3t-value` } };
    const result = classify(400, JSON.stringify(echoed), undefined, 5, 60_000, now, [token, 's3cr3t-value']);
    expect(result).toMatchObject({ kind: 'refused', message: 'bad request: Bearer [redacted] secret=[redacted]' });
  });

  test('a 401 naming another documented code is that code, not an expiry; a bare 401 is still the credentials', () => {
    expect(answer(401, coded(1002))).toMatchObject({ kind: 'refused', code: 1002 });
    expect(answer(401, { success: false })).toMatchObject({ kind: 'expired' });
    expect(answer(200, { success: true, message: 'ok' })).toMatchObject({ kind: 'ok' });
  });
});

describe("a permanent status only from MantaGO itself: a proxy's page in front of it is an outage", () => {
  const page = (status: number) => classify(status, '<html><body>403 Forbidden</body></html>', undefined, 5, 60_000, now);

  test("an HTML page, or JSON that is not MantaGO's, is foreign; MantaGO's own answer, with or without a code, is not", () => {
    expect(page(403)).toMatchObject({ kind: 'refused', status: 403, foreign: true });
    expect(answer(404, { error: 'no route' })).toMatchObject({ kind: 'refused', foreign: true });
    expect(answer(403, { success: false, errResponse: { message: 'Forbidden' } })).not.toHaveProperty('foreign');
    expect(answer(400, { success: false })).not.toHaveProperty('foreign');
    // Nor is a gateway's 401 page the credentials: the pair is not renewed for it.
    expect(page(401)).toMatchObject({ kind: 'refused', status: 401, foreign: true });
    // MantaGO's auth layer answering 401 with an empty body, or a message only: still the credentials.
    expect(classify(401, '', undefined, 5, 60_000, now)).toMatchObject({ kind: 'expired' });
    expect(answer(401, { message: 'Unauthorized' })).toMatchObject({ kind: 'expired' });
  });

  test("a foreign 403 or 404 is retried, never split or dead; MantaGO's own 403 ends a single delivery and splits a batch", () => {
    for (const status of [403, 404])
      for (const batch of [[fresh], [fresh, fresh]])
        expect(afterCall(page(status), batch, policy, now, 0.5)).toMatchObject({
          step: 'finish',
          outcome: 'failed',
          transitions: batch.map(() => ({ to: 'retry', counted: true })),
        });
    const own = answer(403, { success: false, errResponse: { message: 'Forbidden' } });
    expect(afterCall(own, [fresh], policy, now, 0.5)).toMatchObject({ step: 'finish', transitions: [{ to: 'dead' }] });
    expect(afterCall(own, [fresh, fresh], policy, now, 0.5)).toMatchObject({ step: 'split', broadcastFailed: false });
  });
});

describe('afterCall by code', () => {
  test.each([
    [1002, 'permission_denied'],
    [5001, 'no_such_bot'],
  ])('%i pauses for the bot whatever the batch: nobody dies, nothing is split', (code, reason) => {
    for (const batch of [[fresh], [fresh, fresh, fresh]])
      expect(afterCall(refused(code), batch, policy, now)).toEqual({
        step: 'pause',
        outcome: 'bot_refused',
        refusal: { reason, code, message: 'nope' },
      });
  });

  test('120000 re-reads the credentials (a renew step that says so), uncounted', () => {
    const superseded: CallResult = { kind: 'superseded', status: 401, durationMs: 5, message: 'old pair', code: 120000 };
    expect(afterCall(superseded, [fresh], policy, now)).toEqual({ step: 'renew', outcome: 'credentials_expired', superseded: true });
  });

  test('110000 is ours: dead at once with the reason, never retried, never split, flagged for the error log', () => {
    const step = afterCall(refused(110000, 400, 'Required fields missing: name'), [fresh, fresh], policy, now);
    expect(step).toMatchObject({ step: 'finish', outcome: 'failed', ours: true });
    const transitions = (step as Extract<Step, { step: 'finish' }>).transitions;
    expect(transitions.map((t) => t.to)).toEqual(['dead', 'dead']);
    expect(transitions[0]).toMatchObject({ reason: expect.stringContaining('Required fields missing: name') });
  });

  test('36000 for a batch splits it; for one recipient not known to refuse, tried again (uncounted: it may be the bot), noted for the "in a row" rule', () => {
    expect(afterCall(refused(36000), [fresh, fresh], policy, now)).toMatchObject({ step: 'split', broadcastFailed: true });
    const single = { clientId: 'U1' };
    expect(afterCall(refused(36000), [fresh], policy, now, 0.5, { single })).toEqual({
      step: 'finish',
      outcome: 'failed',
      transitions: [{ to: 'retry', at: now + 750, counted: false }],
      noted: { ...single, message: 'nope', at: now },
    });
    // Nothing was sent, so nothing can be sent twice: only the age bound ends it, with MantaGO's reason.
    expect(afterCall(refused(36000), [{ attempts: 9, waitingSince: now }], policy, now, 0.5, { single })).toMatchObject({
      transitions: [{ to: 'retry', counted: false }],
    });
    expect(afterCall(refused(36000), [{ attempts: 0, waitingSince: now - policy.maxAgeMs }], policy, now, 0.5, { single })).toMatchObject({
      transitions: [{ to: 'dead', reason: 'gave up after 3600 s; last error: MantaGO answered HTTP 403 (code 36000): nope' }],
    });
  });

  test('36000 for one recipient shown to refuse (the bot broadcast to others since), or in a row for the pair cleared before: theirs, dead', () => {
    const dead = {
      step: 'finish',
      outcome: 'failed',
      transitions: [{ to: 'dead', reason: 'MantaGO answered HTTP 403 (code 36000): nope' }],
    };
    const lastRefused = { clientId: 'U2', message: 'nope', at: now - 1 };
    const alone = (context: CallContext) =>
      afterCall(refused(36000), [fresh], policy, now, 0.5, { single: { clientId: 'U1' }, ...context });
    expect(alone({ refuser: 'U1', lastRefused })).toEqual(dead);
    expect(alone({ refuser: 'U9' })).toMatchObject({ transitions: [{ to: 'retry', counted: false }] });
    // In a row, the same two the bot was paused for and then shown to broadcast: theirs; one of them only: the bot.
    expect(alone({ lastRefused, cleared: ['U1', 'U2'] })).toEqual(dead);
    expect(alone({ lastRefused, cleared: ['U1', 'U7'] })).toMatchObject({ step: 'pause' });
  });

  test('36000 right after another recipient’s pauses for the bot, naming both, whatever they were sent; the same recipient again does not', () => {
    const lastRefused = { clientId: 'U1', message: 'nope', at: now - 1 };
    const pause = { step: 'pause', outcome: 'bot_refused', refusal: { reason: 'broadcasts_refused', code: 36000, message: 'nope' } };
    const named = { ...pause, refusal: { ...pause.refusal, recipients: ['U1', 'U2'] } };
    expect(afterCall(refused(36000), [fresh], policy, now, 0.5, { single: { clientId: 'U2' }, lastRefused })).toEqual(named);
    expect(afterCall(refused(36000), [fresh], policy, now, 0.5, { single: { clientId: 'U1' }, lastRefused })).toMatchObject({
      step: 'finish',
      transitions: [{ to: 'retry', counted: false }],
    });
    // The probe while the bot is refused: a refusal only says it still is.
    expect(afterCall(refused(36000), [fresh], policy, now, 0.5, { probe: true })).toEqual(pause);
  });

  test('a 5xx or no connection is counted while MantaGO accepts other calls (one within RETRY_MAX_DELAY_MS); past that, an outage: waited out uncounted', () => {
    const unreachable: CallResult = {
      kind: 'unreachable',
      durationMs: 1,
      message: 'MantaGO unreachable: ECONNREFUSED',
      timeout: false,
      unsent: true,
    };
    const waited = { attempts: 9, waitingSince: now - 100_000 };
    for (const result of [unreachable, refused(undefined, 503)]) {
      const decided = (context: CallContext) => afterCall(result, [waited], policy, now, 0.5, context);
      // Accepted a minute ago (the cap is a minute): the failure may be the delivery's — its tenth attempt, dead.
      expect(decided({ acceptedAt: now - 60_000 })).toMatchObject({ transitions: [{ to: 'dead' }] });
      expect(decided({})).toMatchObject({ transitions: [{ to: 'dead' }] }); // nothing known of MantaGO: as before
      // Nothing accepted for longer, or ever: an outage, not an attempt; back after a tenth of its wait (10 s, jittered).
      for (const acceptedAt of [now - 60_001, Number.NEGATIVE_INFINITY])
        expect(decided({ acceptedAt })).toEqual({
          step: 'finish',
          outcome: 'failed',
          transitions: [{ to: 'retry', at: now + 7_500, counted: false }],
        });
    }
    // An outage older than the delivery: the wait grows with the outage (50 min: the cap, a minute, jittered), not from a second.
    expect(afterCall(unreachable, [fresh], policy, now, 0.5, { acceptedAt: now - 3_000_000 })).toMatchObject({
      transitions: [{ to: 'retry', at: now + 45_000, counted: false }],
    });
    // A try that may have been carried out (a timeout, a reset, a gateway's 504): always counted, so at most RETRY_MAX_ATTEMPTS sends.
    const late: CallResult = { kind: 'unreachable', durationMs: 1, message: 'MantaGO did not answer in time', timeout: true };
    const reset: CallResult = { kind: 'unreachable', durationMs: 1, message: 'MantaGO unreachable: ECONNRESET', timeout: false };
    const gateway: CallResult = { ...(refused(undefined, 504) as Extract<CallResult, { kind: 'refused' }>), foreign: true };
    for (const maybeSent of [late, reset, gateway])
      expect(afterCall(maybeSent, [waited], policy, now, 0.5, { acceptedAt: Number.NEGATIVE_INFINITY })).toMatchObject({
        transitions: [{ to: 'dead' }],
      });
    // The age bound still ends it.
    const old = { attempts: 0, waitingSince: now - policy.maxAgeMs };
    expect(afterCall(unreachable, [old], policy, now, 0.5, { acceptedAt: Number.NEGATIVE_INFINITY })).toMatchObject({
      transitions: [{ to: 'dead', reason: expect.stringContaining('gave up after 3600 s') }],
    });
  });

  test('codes that are not about broadcasts fall back to the status: 60001 under 403 is permanent, under 500 retried', () => {
    expect(afterCall(refused(60001), [fresh], policy, now)).toMatchObject({ step: 'finish', transitions: [{ to: 'dead' }] });
    expect(afterCall(refused(60001, 500), [fresh], policy, now, 0.5)).toMatchObject({ transitions: [{ to: 'retry', counted: true }] });
  });
});

describe('afterHalves and afterBotRefused', () => {
  const split36000 = afterCall(refused(36000), [fresh, fresh], policy, now);
  const single36000 = afterCall(refused(36000), [fresh], policy, now, 0.5, { single: { clientId: 'U1' }, inSplit: true });
  const sent = afterCall({ kind: 'ok', status: 200, durationMs: 1, body: {} }, [fresh], policy, now);

  const other = afterCall(refused(36000), [fresh], policy, now, 0.5, { single: { clientId: 'U2' }, inSplit: true });
  const split403 = afterCall(refused(60001), [fresh, fresh], policy, now);
  const rateLimited = afterCall(refused(undefined, 429), [fresh], policy, now, 0.5);
  const pause = { step: 'pause', outcome: 'bot_refused', refusal: { reason: 'broadcasts_refused', code: 36000, message: 'nope' } };

  test('one recipient each, both refused with 36000, nothing of the batch accepted: both wait for the bot', () => {
    const named = { ...pause, refusal: { ...pause.refusal, recipients: ['U1', 'U2'] } };
    expect(afterHalves(single36000, other, false)).toEqual([named, named]);
  });

  test('one recipient each, both refused, the same two whose refusals paused the bot before it was shown to broadcast: theirs, both ended', () => {
    const { noted: _one, ...ended } = single36000 as Extract<Step, { step: 'finish' }>;
    const { noted: _two, ...otherEnded } = other as Extract<Step, { step: 'finish' }>;
    expect(afterHalves(single36000, other, false, ['U2', 'U1'])).toEqual([ended, otherEnded]);
    // Only one of them, or none remembered: the bot, and the pause names the two.
    const named = { ...pause, refusal: { ...pause.refusal, recipients: ['U1', 'U2'] } };
    expect(afterHalves(single36000, other, false, ['U1', 'U9'])).toEqual([named, named]);
    expect(afterHalves(single36000, other, false)).toEqual([named, named]);
  });

  test('a part of the batch accepted (this level or above): the bot broadcasts, so each goes on as decided, a 36000 ending its delivery', () => {
    // Proven the recipients', their refusals are not kept for the "in a row" rule.
    const { noted: _one, ...ended } = single36000 as Extract<Step, { step: 'finish' }>;
    const { noted: _two, ...otherEnded } = other as Extract<Step, { step: 'finish' }>;
    expect(ended.transitions).toEqual([{ to: 'dead', reason: expect.stringContaining('code 36000') }]);
    expect(afterHalves(single36000, other, true)).toEqual([ended, otherEnded]);
    expect(afterHalves(single36000, sent, false)).toEqual([ended, sent]);
    expect(afterHalves(split36000, split36000, true)).toEqual([split36000, split36000]);
  });

  test("a lone recipient's 36000 beside a half that proves nothing (429, handed back unsent, another refusal) waits for the bot, never ended", () => {
    expect(afterHalves(single36000, rateLimited, false)).toEqual([pause, rateLimited]);
    expect(afterHalves(undefined, single36000, false)).toEqual([undefined, pause]);
    const dead403 = afterCall(refused(undefined), [fresh], policy, now);
    expect(afterHalves(dead403, single36000, false)).toEqual([dead403, pause]);
  });

  test('a half of several refused with 36000 beside another 36000, nothing accepted: one recipient of each is sent alone to tell', () => {
    expect(afterHalves(split36000, split36000, false)).toBe('one_of_each');
    expect(afterHalves(split36000, single36000, false)).toBe('one_of_each');
    expect(afterHalves(single36000, split36000, false)).toBe('one_of_each');
    // Beside anything else, each half goes on as decided.
    expect(afterHalves(split36000, rateLimited, false)).toEqual([split36000, rateLimited]);
    expect(afterHalves(split403, split36000, false)).toEqual([split403, split36000]);
  });

  test('waiting for the bot is not an attempt: retried uncounted at the probe, dead only past the age bound', () => {
    const refusal = { reason: 'no_such_bot' as const, code: 5001, message: 'Bot not found' };
    const old = { attempts: 3, waitingSince: now - policy.maxAgeMs };
    const step = afterBotRefused(refusal, [fresh, old], policy, now, now + 5_000);
    expect(step).toMatchObject({ step: 'finish', outcome: 'bot_refused' });
    const [waiting, dead] = (step as Extract<Step, { step: 'finish' }>).transitions;
    expect(waiting).toEqual({ to: 'retry', at: now + 5_000, counted: false });
    expect(dead).toMatchObject({ to: 'dead', reason: expect.stringContaining('no_such_bot, code 5001') });
  });
});
