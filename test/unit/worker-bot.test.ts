// The worker and a refused bot, through its seams (test/helpers/fake-worker.ts): a batch refused for
// the bot waits uncounted, nothing else calls while it is refused, 36000 down to one recipient each names the
// bot, and the probe (a claim of one) resumes everything.
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { BotStatus } from '../../src/mantago/bot-status.ts';
import type { AttemptResult } from '../../src/domain/delivery.ts';
import type { CallResult } from '../../src/mantago/client.ts';
import { FakeClock, settle } from '../helpers/fake-clock.ts';
import { delivery, expired, OPTIONS, ok, setupWorker as setup } from '../helpers/fake-worker.ts';

const BACKOFF = { baseMs: 5_000, maxMs: 60_000 };
let status: BotStatus | undefined;
const bot = (clock: FakeClock) => {
  status = new BotStatus({ log: pino({ level: 'silent' }), clock, backoff: BACKOFF });
  return status;
};
const refused = (code: number, message = 'nope'): CallResult => ({
  kind: 'refused',
  status: 403,
  durationMs: 5,
  message,
  code,
  retryAfterMs: undefined,
});
const outcomes = (recorded: { attempt: { outcome: string }; transition: { to: string } }[][]) =>
  recorded.map((r) => r.map((a) => `${a.attempt.outcome}:${a.transition.to}`));
const limited: CallResult = { kind: 'refused', status: 429, durationMs: 5, message: 'slow down', retryAfterMs: 1_000 };
/** Deliveries 1..n sent as one claim. */
const sendBatch = ({ worker, clock }: ReturnType<typeof setup>, n: number, leaseUntil = clock.now() + OPTIONS.leaseMs) =>
  worker.sendNow(
    Array.from({ length: n }, (_, i) => delivery(i + 1, clock)),
    leaseUntil,
  );
/** Where each delivery's attempts ended, in the order recorded ("id outcome:to"), the steps that stay in flight left out. */
const unsorted = (recorded: AttemptResult[][]) =>
  recorded
    .flat()
    .filter((r) => r.transition.to !== 'in_flight')
    .map((r) => `${r.attempt.deliveryId} ${r.attempt.outcome}:${r.transition.to}`);
const finals = (recorded: AttemptResult[][]) => unsorted(recorded).sort();
/** MantaGO refusing with 36000 any broadcast to one of these deliveries' recipients, accepting the rest. */
const refusing = (...bad: number[]) => {
  const ids = bad.map((i) => delivery(i, new FakeClock()).clientId);
  return (request: { clientIds: string[] }) => (request.clientIds.some((id) => ids.includes(id)) ? refused(36000) : ok);
};

describe('DeliveryWorker with a refused bot', () => {
  test('1002 (the plan): the batch waits uncounted for the first probe; the next batch is handed back without a call', async () => {
    const { worker, recorded, released, calls, clock } = setup([() => refused(1002, 'Permission denied'), () => ok], {}, { bot });
    await worker.sendNow([delivery(1, clock), delivery(2, clock)], clock.now() + OPTIONS.leaseMs);
    expect(outcomes(recorded)).toEqual([['bot_refused:retry', 'bot_refused:retry']]);
    expect(recorded[0]?.[0]?.transition).toEqual({ to: 'retry', at: clock.now(), counted: false });
    expect(status?.view()).toMatchObject({
      state: 'bot_refused',
      reason: 'permission_denied',
      code: 1002,
      nextProbeAt: clock.now() + 5_000,
    });

    await worker.sendNow([delivery(3, clock)], clock.now() + OPTIONS.leaseMs);
    expect(calls).toHaveLength(1);
    expect(released).toEqual([[3]]);
  });

  test('36000 for a batch and both its halves, then for one recipient of each sent alone: the bot, not the recipients; nobody dead, nothing counted', async () => {
    const run = setup([() => refused(36000)], {}, { bot });
    await sendBatch(run, 4);
    const ids = (...of: number[]) => of.map((i) => delivery(i, run.clock).clientId);
    // The rest of each half goes back to wait for the bot with the others, without another call.
    expect(run.calls.map((c) => c.request.clientIds)).toEqual([ids(1, 2, 3, 4), ids(1, 2), ids(3, 4), ids(1), ids(3)]);
    expect(finals(run.recorded)).toEqual(['1 bot_refused:retry', '3 bot_refused:retry']);
    expect(run.released).toEqual([[2], [4]]);
    expect(run.recorded.flat().every((r) => r.transition.to !== 'dead' && !('counted' in r.transition && r.transition.counted))).toBe(true);
    expect(status?.view()).toMatchObject({ state: 'bot_refused', reason: 'broadcasts_refused', code: 36000 });
  });

  test('36000 for one half only: that half is split down to the refused recipient, who alone is dead', async () => {
    const run = setup(Array(5).fill(refusing(2)), {}, { bot });
    await sendBatch(run, 4);
    expect(finals(run.recorded)).toEqual(['1 sent:sent', '2 failed:dead', '3 sent:sent', '4 sent:sent']);
    // The accepted half is recorded before its sibling is split further: its lease cannot run out meanwhile.
    expect(unsorted(run.recorded).map((f) => f.split(' ')[0])).toEqual(['3', '4', '1', '2']);
    expect(status?.view()).toMatchObject({ state: 'usable' });
  });

  test('three refused recipients of four: one of each half alone, one accepted, so the bot broadcasts and the rest are theirs: three dead, the bot never refused', async () => {
    const run = setup(Array(7).fill(refusing(2, 3, 4)), {}, { bot });
    // A refusal just before, of another recipient, that the "in a row" rule would take for the bot's.
    status?.recipientRefused({ clientId: 'Uother', message: 'nope', at: 0 });
    await sendBatch(run, 4);
    const ids = (...of: number[]) => of.map((i) => delivery(i, run.clock).clientId);
    const called = run.calls.map((c) => c.request.clientIds);
    // [1] accepted: the second half is split as any refused batch, without its own alone call.
    expect(called).toEqual([ids(1, 2, 3, 4), ids(1, 2), ids(3, 4), ids(1), ids(3), ids(4), ids(2)]);
    expect(finals(run.recorded)).toEqual(['1 sent:sent', '2 failed:dead', '3 failed:dead', '4 failed:dead']);
    expect(status?.view()).toMatchObject({ state: 'usable' });
  });

  test("not published, and the call beside a lone recipient's 36000 answered 429: that recipient waits for the bot, nobody dead", async () => {
    const run = setup([() => refused(36000), () => refused(36000), () => limited, () => refused(36000), () => limited], {}, { bot });
    await sendBatch(run, 4);
    expect(finals(run.recorded)).toEqual(['1 bot_refused:retry', '2 failed:retry', '3 failed:retry', '4 failed:retry']);
    expect(status?.view()).toMatchObject({ state: 'bot_refused', reason: 'broadcasts_refused' });
  });

  test('36000 for the two recipients of one half, the other half accepted: the bot broadcasts, so those two are dead, not the bot refused', async () => {
    const run = setup(Array(5).fill(refusing(1, 2)), {}, { bot });
    await sendBatch(run, 4);
    expect(run.calls.map((c) => c.request.clientIds.length)).toEqual([4, 2, 2, 1, 1]);
    expect(finals(run.recorded)).toEqual(['1 failed:dead', '2 failed:dead', '3 sent:sent', '4 sent:sent']);
    expect(status?.view()).toMatchObject({ state: 'usable' });
  });

  test('not published: a part renewed (1004) and sent again alone, or tried alone beside a 429, waits for the bot, never dead', async () => {
    const renewed = setup([() => refused(36000), () => expired, () => refused(36000)], {}, { bot });
    await sendBatch(renewed, 2);
    expect(finals(renewed.recorded)).toEqual(['1 bot_refused:retry']);
    expect(renewed.released).toEqual([[2]]);

    const beside429 = setup([...Array(3).fill(() => refused(36000)), () => limited, () => refused(36000)], {}, { bot });
    await sendBatch(beside429, 4);
    expect(finals(beside429.recorded)).toEqual(['1 failed:retry', '3 bot_refused:retry']);
    expect(beside429.released).toEqual([[2], [4]]);
  });

  /**
   * Deliveries 1..n sent as one claim whose lease ends 12 s on; the refusals before (`refusals`) are
   * answered at once, then delivery 1's call is accepted after 5 s and the next refused after 9 s:
   * how long after the start delivery 1's `sent` was recorded.
   */
  async function sentRecordedAfter(n: number, refusals: number): Promise<number | undefined> {
    const recordedAt: number[] = [];
    let clock: FakeClock | undefined;
    const answerAfter = (result: CallResult, ms: number) => async () => {
      await clock?.advance(ms);
      return result;
    };
    const answers = [...Array(refusals).fill(() => refused(36000)), answerAfter(ok, 5_000), answerAfter(refused(36000), 9_000)];
    const run = setup(answers, {}, { bot, recordFails: (now) => void recordedAt.push(now) }); // only to see when each record is written
    clock = run.clock;
    const start = clock.now();
    await sendBatch(run, n, start + 12_000);
    const sent = run.recorded.findIndex((r) => r.some((a) => a.attempt.deliveryId === 1 && a.transition.to === 'sent'));
    return (recordedAt[sent] ?? Number.NaN) - start;
  }

  test('a half accepted is recorded before its sibling is called, within its lease, however long that call takes', async () => {
    expect(await sentRecordedAfter(3, 1)).toBe(5_000);
  });

  test('one of each half sent alone: the first accepted is recorded before the other is called, within its lease', async () => {
    expect(await sentRecordedAfter(4, 3)).toBe(5_000);
  });

  test('a recipient proven refused within a split (another part accepted) is not taken with the next one for the bot', async () => {
    const run = setup([() => refused(36000), () => ok, () => refused(36000), () => refused(36000)], {}, { bot });
    await sendBatch(run, 2);
    await run.worker.sendNow([{ ...delivery(5, run.clock), intentId: 'another' }], run.clock.now() + OPTIONS.leaseMs);
    // 5 alone: not known yet whose (the bot broadcast before it, not since), tried again — not a pause.
    expect(finals(run.recorded)).toEqual(['1 sent:sent', '2 failed:dead', '5 failed:retry']);
    expect(status?.view()).toMatchObject({ state: 'usable' });
  });

  test('the probe in the quiet hours: deliveries due before them wait for their end, the bot check probes instead (no message at night), and a store that fails to take one back does not stop the probing', async () => {
    const clock0 = new FakeClock();
    const [quietFrom, quietTo] = [clock0.now(), clock0.now() + 8 * 3_600_000];
    const retryTime = (_rule: string, at: number) => (at >= quietFrom && at < quietTo ? quietTo : at);
    const dueBefore = (id: number) => ({ ...delivery(id, clock0), dueAt: quietFrom - 60_000 });
    let checks = 0;
    let releaseFailures = 1;
    const { worker, calls, released, claimedAt, clock } = setup(
      [() => ok],
      {},
      {
        bot,
        policy: { ...OPTIONS.policy, retryTime },
        claims: [[dueBefore(1)], [dueBefore(2)], [dueBefore(3)], [dueBefore(4)]],
        releaseFails: () => (releaseFailures-- > 0 ? new Error('the store is down') : undefined),
        checkBot: async () => {
          checks++;
          status?.accepted(false); // MantaGO took the check: the bot is usable (as bot-check.ts tells it)
          return { found: 'usable' };
        },
      },
    );
    status?.refused({ reason: 'permission_denied', code: 1002, message: 'Permission denied' });
    worker.start();
    await clock.advance(BACKOFF.baseMs); // the first probe: its delivery's release fails
    expect([claimedAt.length, checks, released]).toEqual([1, 0, []]);
    await clock.advance(2 * BACKOFF.baseMs); // the next probe comes all the same: held, so the check probes
    expect(checks).toBe(1);
    expect(status?.view()).toMatchObject({ state: 'usable' });
    await clock.advance(OPTIONS.pollMs * 3); // the rest, claimed as usual once the bot is back: held too
    await worker.stop();
    expect(released).toEqual([[2], [3], [4]]);
    expect(calls).toEqual([]);
  });

  test('the probe: one delivery claimed when due, and its acceptance resumes the bot', async () => {
    const { worker, claimedAt, calls, recorded, clock } = setup(
      [() => refused(5001, 'Bot not found'), () => ok],
      {},
      {
        bot,
        claims: [[delivery(7, new FakeClock())]],
      },
    );
    await worker.sendNow([delivery(1, clock)], clock.now() + OPTIONS.leaseMs);
    expect(status?.isRefused()).toBe(true);
    worker.start();
    await settle();
    expect(claimedAt).toEqual([]); // not before the probe is due
    await clock.advance(BACKOFF.baseMs);
    await settle();
    expect(claimedAt[0]).toBe(clock.now()); // the probe; claims go on as usual once it resumed the bot
    expect(calls.map((c) => c.request.clientIds)).toEqual([[delivery(1, clock).clientId], [delivery(7, clock).clientId]]);
    expect(outcomes(recorded).at(-1)).toEqual(['sent:sent']);
    expect(status?.view()).toMatchObject({ state: 'usable' });
    await worker.stop();
  });

  test('a probe handed back without a call (the credentials rejected) is not counted: the next one comes after the same wait, and sends once they are back', async () => {
    let rejected = true;
    const { worker, calls, released, clock } = setup(
      [() => refused(5001, 'Bot not found'), () => ok],
      { get: async () => (rejected ? undefined : { apiToken: 't', apiSecret: 's', generation: 2 }) },
      { bot, claims: [[delivery(7, new FakeClock())], [delivery(7, new FakeClock())]] },
    );
    rejected = false;
    await worker.sendNow([delivery(1, clock)], clock.now() + OPTIONS.leaseMs);
    rejected = true;
    worker.start();
    await clock.advance(BACKOFF.baseMs);
    await settle();
    expect(released).toEqual([[7]]); // the probe's delivery, handed back uncalled
    expect(status?.view()).toMatchObject({ state: 'bot_refused', probes: 0, nextProbeAt: clock.now() + BACKOFF.baseMs });
    rejected = false;
    await clock.advance(BACKOFF.baseMs);
    await settle();
    expect(calls.map((c) => c.request.clientIds)).toEqual([[delivery(1, clock).clientId], [delivery(7, clock).clientId]]);
    expect(status?.view()).toMatchObject({ state: 'usable' });
    await worker.stop();
  });

  const notStarted: CallResult = { kind: 'not_started', durationMs: 0, message: 'no call slot before its lease' };
  const unavailable: CallResult = { kind: 'refused', status: 503, durationMs: 5, message: 'busy', retryAfterMs: undefined };
  test.each([
    ['with no call slot in time', notStarted, 0],
    ['answered 1004, the credentials then rejected', expired, 0],
    ['answered 503 (MantaGO failing: counted, so probes back off)', unavailable, 1],
  ])('a probe %s: counted as failed only when MantaGO answered of more than the credentials', async (_, answer, probes) => {
    const { worker, clock } = setup(
      [() => refused(5001, 'Bot not found'), () => answer],
      { expired: async () => 'rejected' },
      {
        bot,
        claims: [[delivery(7, new FakeClock())]],
      },
    );
    await worker.sendNow([delivery(1, clock)], clock.now() + OPTIONS.leaseMs);
    worker.start();
    await clock.advance(BACKOFF.baseMs);
    await settle();
    expect(status?.view()).toMatchObject({ state: 'bot_refused', probes, nextProbeAt: clock.now() + BACKOFF.baseMs * 2 ** probes });
    await worker.stop();
  });
});
