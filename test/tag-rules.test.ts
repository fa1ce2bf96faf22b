// Tagging without HTTP: the mapping's `tag` key (validated with its place, ids or `{ name }`, every
// matching rule's tags beside the first rule's message) and the tag job's transition on its own.
import { describe, expect, test } from 'vitest';
import type { Order } from '../src/domain/order.ts';
import type { RetryPolicy } from '../src/delivery/retry-policy.ts';
import { afterTagTry, DRY_RUN_TURN, TOO_LATE, tagTryRecord } from '../src/delivery/tag-outcome.ts';
import type { CallResult } from '../src/mantago/client.ts';
import { parseMapping } from '../src/mapping/mapping-file.ts';
import { planDelivery } from '../src/mapping/plan.ts';
import { problemsOf } from './helpers/mapping.ts';

const USER = 'U4af4980629ab33c3c2f0c1d9d2a1b2c3';
const RECIPIENTS = 'recipients:\n  - attribute: line_uid\n    platform: line\n';
const order = (overrides: Partial<Order> = {}): Order => ({
  source: 'shopify',
  event: 'placed',
  orderId: '1',
  orderNumber: '#1001',
  shop: 's',
  total: '100.00',
  currency: 'TWD',
  customer: { firstName: 'Mei' },
  attributes: { line_uid: USER },
  items: [],
  ...overrides,
});

describe('the mapping’s tag key', () => {
  const mapping = parseMapping(
    `${RECIPIENTS}rules:
  - name: buyer
    tag: { add: [{ name: buyer }] }
  - name: vip
    when: { minTotal: 5000 }
    tag: { add: [12345, "ab-9"] }
  - name: default
    send: { intentId: rb2kYmMdW }
  - name: refunded
    when: { event: refunded }
    tag: { remove: [{ name: buyer }], add: [{ name: refunded }] }
`,
    'm.yaml',
  );
  const at = { lookups: {}, receivedAt: 0, now: 0 };

  test('every matching rule’s tags go with the first rule’s message; a numeric id is read as text', async () => {
    expect(await planDelivery(order(), mapping, at)).toMatchObject({
      kind: 'send',
      rule: 'default',
      tagging: { recipient: { platform: 'line', userId: USER }, ops: [{ action: 'add', tag: { name: 'buyer' } }] },
    });
    const big = await planDelivery(order({ total: '6000.00' }), mapping, at);
    expect(big.kind === 'send' && big.tagging?.ops).toEqual([
      { action: 'add', tag: { name: 'buyer' } },
      { action: 'add', tag: { id: '12345' } },
      { action: 'add', tag: { id: 'ab-9' } },
    ]);
    expect(mapping.tagIds).toEqual([
      { id: '12345', place: 'm.yaml:9:18 rules[1].tag.add[0]' },
      { id: 'ab-9', place: 'm.yaml:9:25 rules[1].tag.add[1]' },
    ]);
  });

  test('rules that only tag: nothing is sent, the user is still tagged', async () => {
    const plan = await planDelivery(order({ event: 'refunded' }), mapping, at);
    expect(plan).toMatchObject({
      kind: 'skip',
      tagging: {
        ops: [
          { action: 'add', tag: { name: 'refunded' } },
          { action: 'remove', tag: { name: 'buyer' } },
        ],
      },
    });
    expect(plan.kind === 'skip' && plan.reason).toMatch(/^tags only: no rule matches/);
  });

  test('a rule needs send, tag or both; a tag entry is an id or { name }', () => {
    expect(problemsOf(`${RECIPIENTS}rules:\n  - name: nothing\n    when: { minTotal: 1 }\n`)).toEqual([
      'm.yaml:5:5 rules[0]: needs send (a message), tag (MantaGO tags), or both',
    ]);
    expect(problemsOf(`${RECIPIENTS}rules:\n  - name: bad\n    tag: { add: [{ id: 3 }], put: [x] }\n`).length).toBeGreaterThan(0);
    expect(problemsOf(`${RECIPIENTS}rules:\n  - name: empty\n    tag: {}\n`).length).toBeGreaterThan(0);
  });
});

describe('afterTagTry', () => {
  const policy: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 3, maxAgeMs: 3_600_000 };
  const now = 1_000_000_000;
  const fresh = { attempts: 0, waitingSince: now };
  const denied: CallResult = {
    kind: 'refused',
    status: 403,
    durationMs: 1,
    message: 'Permission denied',
    code: 1002,
    retryAfterMs: undefined,
  };
  const refused = (status: number, retryAfterMs?: number): CallResult => ({
    kind: 'refused',
    status,
    durationMs: 5,
    message: 'nope',
    retryAfterMs,
  });

  test('ok is tagged (dry_run under DRY_RUN); an untried call goes back uncounted', () => {
    expect(afterTagTry({ kind: 'ok', status: 200, durationMs: 1, body: {} }, fresh, policy, now)).toEqual({
      to: 'tagged',
      outcome: 'tagged',
    });
    expect(afterTagTry({ kind: 'ok', status: 200, durationMs: 0, body: {}, dryRun: true }, fresh, policy, now)).toMatchObject({
      outcome: 'dry_run',
    });
    expect(afterTagTry({ kind: 'not_started', durationMs: 0, message: 'no slot' }, fresh, policy, now)).toEqual({ to: 'release' });
  });

  test('1002 on a tag call: the bot, waiting uncounted for its probe — unless the plan refuses tagging alone, then the job backs off, counted', () => {
    expect(afterTagTry(denied, fresh, policy, now, 0, now + 5_000)).toEqual({
      to: 'retry',
      at: now + 5_000,
      counted: false,
      outcome: 'failed',
      error: 'MantaGO answered HTTP 403: Permission denied',
      bot: { reason: 'permission_denied', code: 1002, message: 'Permission denied', byTagCall: true },
    });
    expect(afterTagTry(denied, fresh, policy, now, 0, undefined, true)).toEqual({
      to: 'retry',
      at: now + 500,
      counted: true,
      outcome: 'failed',
      error: 'MantaGO answered HTTP 403: Permission denied',
    });
    expect(afterTagTry(denied, { attempts: 2, waitingSince: now }, policy, now, 0, undefined, true)).toMatchObject({ to: 'dead' });
    // 5001 is the bot whatever tagging does.
    const noBot = { ...denied, message: 'Bot not found', code: 5001 };
    expect(afterTagTry(noBot, fresh, policy, now, 0, undefined, true)).toMatchObject({ counted: false, bot: { reason: 'no_such_bot' } });
  });

  test('an unknown tag or user (4xx) is dead at once with MantaGO’s reason', () => {
    expect(afterTagTry(refused(404), fresh, policy, now)).toEqual({
      to: 'dead',
      outcome: 'refused',
      reason: 'MantaGO answered HTTP 404: nope',
    });
  });

  test('5xx and no answer back off as deliveries do, dead at the attempt bound; 429 waits its Retry-After, uncounted', () => {
    expect(afterTagTry(refused(503), fresh, policy, now, 0)).toEqual({
      to: 'retry',
      at: now + 500,
      counted: true,
      outcome: 'failed',
      error: 'MantaGO answered HTTP 503: nope',
    });
    expect(afterTagTry(refused(429, 7_000), fresh, policy, now)).toMatchObject({ to: 'retry', at: now + 7_000, counted: false });
    // MantaGO has accepted no call for longer than the longest retry wait: an outage's, not the job's — uncounted.
    expect(afterTagTry(refused(503), fresh, policy, now, 0, undefined, false, now - policy.maxDelayMs - 1)).toMatchObject({
      counted: false,
    });
    expect(afterTagTry(refused(503), fresh, policy, now, 0, undefined, false, now - policy.maxDelayMs)).toMatchObject({ counted: true });
    // A Retry-After of 0 at the last attempt: not dead (a 429 is MantaGO's pace, not the job's fault), and not back at once.
    expect(afterTagTry(refused(429), { attempts: 0, waitingSince: now - 3_600_000 + 1 }, policy, now, 1)).toMatchObject({
      at: now + 60_000,
    }); // an hour of 429s: a tenth, capped
    expect(afterTagTry(refused(429, 0), { attempts: 2, waitingSince: now }, policy, now, 0)).toMatchObject({
      to: 'retry',
      at: now + 500,
      counted: false,
    });
    expect(
      afterTagTry(
        { kind: 'unreachable', durationMs: 1, message: 'ECONNRESET', timeout: false },
        { attempts: 2, waitingSince: now },
        policy,
        now,
      ),
    ).toEqual({
      to: 'dead',
      outcome: 'failed',
      reason: 'gave up after 3 attempts; last error: ECONNRESET',
    });
  });

  test('another replica creating the tag: the job waits uncounted for it, within the age bound', () => {
    const busy = { kind: 'busy' as const, message: 'another replica is creating tag buyer', retryAt: now + 1_000 };
    expect(afterTagTry(busy, fresh, policy, now)).toMatchObject({ to: 'retry', at: now + 1_000, counted: false });
    expect(afterTagTry(busy, { attempts: 0, waitingSince: now - policy.maxAgeMs }, policy, now)).toMatchObject({ to: 'dead' });
  });

  test('a tag call refused for the bot (1002) waits uncounted for its probe, and names the bot', () => {
    expect(afterTagTry(denied, fresh, policy, now, 0, now + 5_000)).toMatchObject({
      to: 'retry',
      at: now + 5_000,
      counted: false,
      bot: { reason: 'permission_denied', code: 1002 },
    });
    // Refused so for as long as a message may wait: dead, to be seen and tried again, not waiting for good.
    expect(afterTagTry(denied, { attempts: 0, waitingSince: now - policy.maxAgeMs }, policy, now, 0, now + 5_000)).toMatchObject({
      to: 'dead',
      outcome: 'failed',
      reason: 'gave up after 3600 s; last error: MantaGO refuses the bot (permission_denied, code 1002): Permission denied',
      bot: { reason: 'permission_denied', code: 1002 }, // still told to the bot's state: the bot is paused as for any 1002
    });
  });

  test('what the store records of each turn: the try itself unless nothing was tried, and where the job goes', () => {
    const record = (result: Parameters<typeof afterTagTry>[0], job = fresh) =>
      tagTryRecord(afterTagTry(result, job, policy, now), result, now - 10, now, 'tag-7');
    // The claim ran out before the job's turn: back, due now, nothing tried nor counted.
    expect(record(TOO_LATE)).toEqual({ status: 'pending', counted: false, nextAttemptAt: now, error: null });
    // DRY_RUN: done and counted, its try saying MantaGO was not called.
    expect(record(DRY_RUN_TURN)).toEqual({
      status: 'tagged',
      counted: true,
      nextAttemptAt: null,
      error: null,
      tagId: 'tag-7',
      attempt: {
        startedAt: now - 10,
        durationMs: 0,
        outcome: 'dry_run',
        httpStatus: null,
        error: 'DRY_RUN is on: recorded, MantaGO not called',
      },
    });
    // Another replica creating the tag: nothing tried, so no try is recorded; within the age bound it waits uncounted.
    const busy = { kind: 'busy' as const, message: 'another replica is creating tag buyer', retryAt: now + 1_000 };
    expect(record(busy)).toEqual({ status: 'pending', counted: false, nextAttemptAt: now + 1_000, error: busy.message });
    expect(record(busy, { attempts: 0, waitingSince: now - policy.maxAgeMs })).toMatchObject({
      status: 'dead',
      attempt: { outcome: 'failed', error: busy.message },
    });
    // A tag to take off that the bot does not have: done, its try saying so.
    expect(record({ kind: 'absent', message: 'the bot has no tag named vip' })).toMatchObject({
      status: 'tagged',
      attempt: { outcome: 'tagged', error: 'the bot has no tag named vip' },
    });
    expect(record(refused(404))).toMatchObject({ status: 'dead', counted: true, attempt: { httpStatus: 404, durationMs: 5 } });
    expect(record(refused(503))).toMatchObject({ status: 'pending', counted: true, attempt: { outcome: 'failed', httpStatus: 503 } });
  });

  test('credentials trouble waits uncounted for the next refresh, within the age bound', () => {
    const waiting = { kind: 'credentials' as const, renewal: 'unavailable' as const, retryAt: now + 30_000 };
    expect(afterTagTry(waiting, fresh, policy, now)).toEqual({
      to: 'retry',
      at: now + 30_000,
      counted: false,
      outcome: 'credentials_unavailable',
      error: 'MantaGO credentials unavailable',
    });
    expect(afterTagTry(waiting, { attempts: 0, waitingSince: now - policy.maxAgeMs }, policy, now)).toMatchObject({ to: 'dead' });
  });
});
