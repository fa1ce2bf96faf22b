// The delivery worker's send steps through its seams (test/helpers/fake-worker.ts): what it
// records and hands back for each kind of answer.
import { describe, expect, test } from 'vitest';
import type { RetryPolicy } from '../../src/delivery/retry-policy.ts';
import type { BroadcastRequest } from '../../src/mantago/api.ts';
import type { CallResult } from '../../src/mantago/client.ts';
import type { FakeClock } from '../helpers/fake-clock.ts';
import { delivery, expired, OPTIONS, ok, setupWorker as setup } from '../helpers/fake-worker.ts';

describe('DeliveryWorker', () => {
  test('an expired token is renewed and the same claim sends again; a call that could outlast the lease renews it first', async () => {
    let clock: FakeClock | undefined;
    const {
      worker,
      recorded,
      renewed,
      calls,
      clock: c,
    } = setup([
      async () => {
        await clock?.advance(55_000); // MantaGO took its time: the lease has 5 s left, less than a call may take
        return expired;
      },
      () => ok,
    ]);
    clock = c;
    const batch = [delivery(1, c), delivery(2, c)];
    const leaseUntil = c.now() + OPTIONS.leaseMs;
    await worker.sendNow(batch, leaseUntil);
    expect(recorded.map((r) => r.map((a) => [a.attempt.outcome, a.transition.to]))).toEqual([
      [
        ['credentials_expired', 'in_flight'],
        ['credentials_expired', 'in_flight'],
      ],
      [
        ['sent', 'sent'],
        ['sent', 'sent'],
      ],
    ]);
    expect(renewed).toEqual([{ ids: [1, 2], until: c.now() + OPTIONS.leaseMs }]);
    // Each call had to start while its lease still covered it.
    expect(calls[0]?.startBy).toBe(leaseUntil - OPTIONS.callTimeoutMs - 1_000);
    expect(calls[1]?.startBy).toBe(c.now() + OPTIONS.leaseMs - OPTIONS.callTimeoutMs - 1_000);
  });

  test('a claim whose lease another claim took over meanwhile makes no further call and records nothing more', async () => {
    let clock: FakeClock | undefined;
    const {
      worker,
      recorded,
      released,
      calls,
      lease,
      clock: c,
    } = setup([
      async () => {
        await clock?.advance(55_000); // the next call would need the lease renewed…
        lease.lost = true; // …and by then the store has given the deliveries to another claim
        return expired;
      },
      () => ok,
    ]);
    clock = c;
    await worker.sendNow([delivery(1, c), delivery(2, c)], c.now() + OPTIONS.leaseMs);
    expect(calls).toHaveLength(1);
    expect(recorded.map((r) => r.map((a) => a.transition.to))).toEqual([['in_flight', 'in_flight']]);
    expect(released).toEqual([[1, 2]]);
  });

  test('rejected credentials: the claim is handed back, nothing sent, no attempt counted', async () => {
    const { worker, recorded, released, calls, clock } = setup([() => ok], { get: async () => undefined });
    await worker.sendNow([delivery(1, clock)], clock.now() + OPTIONS.leaseMs);
    expect(calls).toHaveLength(0);
    expect(recorded).toHaveLength(0);
    expect(released).toEqual([[1]]);
  });

  test('credentials that cannot be renewed: the wait is recorded as credentials_unavailable, uncounted, due at the next refresh attempt', async () => {
    let asked: { waitUntil?: number } | undefined;
    const { worker, recorded, clock } = setup([() => expired], {
      expired: async (_generation, options) => {
        asked = options;
        return 'unavailable';
      },
      nextRefreshAt: () => clock.now() + 8_000,
    });
    const until = clock.now() + OPTIONS.leaseMs;
    await worker.sendNow([delivery(1, clock)], until);
    expect(asked).toEqual({ waitUntil: until - OPTIONS.callTimeoutMs - 1_000 }); // the wait is bounded by the lease
    expect(recorded).toEqual([
      [
        expect.objectContaining({
          attempt: expect.objectContaining({ outcome: 'credentials_unavailable' }),
          transition: { to: 'retry', at: clock.now() + 8_000, counted: false },
        }),
      ],
    ]);
  });

  test('MantaGO rejecting the credentials after a 1004: handed back at once, uncounted, to wait for the operator', async () => {
    const { worker, recorded, clock } = setup([() => expired], { expired: async () => 'rejected' });
    await worker.sendNow([delivery(1, clock)], clock.now() + OPTIONS.leaseMs);
    expect(recorded[0]?.[0]?.transition).toEqual({ to: 'retry', at: clock.now(), counted: false });
  });

  test('a batch refused as a whole is split until the refused recipient is found: it dies, the rest are sent', async () => {
    const bad = `U${String(3).padStart(32, '0')}`;
    const refusing = (request: BroadcastRequest): CallResult =>
      request.clientIds.includes(bad)
        ? { kind: 'refused', status: 403, durationMs: 5, message: 'Create broadcast failed', retryAfterMs: undefined }
        : ok;
    const { worker, recorded, calls, clock } = setup([refusing]);
    await worker.sendNow(
      [1, 2, 3, 4].map((id) => delivery(id, clock)),
      clock.now() + OPTIONS.leaseMs,
    );
    expect(calls.map((c) => c.request.clientIds.length)).toEqual([4, 2, 2, 1, 1]);
    const final = new Map(
      recorded
        .flat()
        .filter((r) => r.transition.to !== 'in_flight')
        .map((r) => [r.attempt.deliveryId, r.transition.to]),
    );
    expect(Object.fromEntries(final)).toEqual({ 1: 'sent', 2: 'sent', 3: 'dead', 4: 'sent' });
    expect(recorded[0]?.every((r) => r.attempt.outcome === 'batch_refused' && r.transition.to === 'in_flight')).toBe(true);
  });

  test('the halves of a split batch each renew their own deliveries: one renewed does not pass for both', async () => {
    const moved: { clock?: FakeClock } = {};
    // The whole batch is refused late in its lease: each half's call then needs the lease renewed first.
    const refusedLate = async (request: BroadcastRequest): Promise<CallResult> => {
      if (request.clientIds.length < 4) return ok;
      await moved.clock?.advance(OPTIONS.leaseMs - OPTIONS.callTimeoutMs);
      return { kind: 'refused', status: 403, durationMs: 5, message: 'Create broadcast failed', retryAfterMs: undefined };
    };
    const started = setup([refusedLate]);
    moved.clock = started.clock;
    await started.worker.sendNow(
      [1, 2, 3, 4].map((id) => delivery(id, started.clock)),
      started.clock.now() + OPTIONS.leaseMs,
    );
    expect(started.renewed.map((r) => r.ids)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(started.calls.map((c) => c.request.clientIds.length)).toEqual([4, 2, 2]);
  });

  test('a call that never started (no slot within the lease) hands the claim back with no attempt', async () => {
    const { worker, recorded, released, clock } = setup([
      () => ({ kind: 'not_started', durationMs: 0, message: 'no call slot came free in time' }),
    ]);
    await worker.sendNow([delivery(7, clock)], clock.now() + OPTIONS.leaseMs);
    expect(recorded).toHaveLength(0);
    expect(released).toEqual([[7]]);
  });

  test('a claim that renewed the credentials twice and meets another 1004 stops calling: it waits, uncounted, for the next refresh', async () => {
    const { worker, recorded, calls, clock } = setup([() => expired]);
    await worker.sendNow([delivery(1, clock)], clock.now() + OPTIONS.leaseMs);
    expect(calls).toHaveLength(3);
    expect(recorded.map((r) => r.map((a) => [a.attempt.outcome, a.transition]))).toEqual([
      [['credentials_expired', { to: 'in_flight' }]],
      [['credentials_expired', { to: 'in_flight' }]],
      [['credentials_unavailable', { to: 'retry', at: clock.now() + OPTIONS.policy.baseDelayMs, counted: false }]],
    ]);
  });

  test('a claim whose lease ran out before its call hands its batch back, with no renewal and no call', async () => {
    const { worker, recorded, released, renewed, calls, clock } = setup([() => ok]);
    await worker.sendNow([delivery(1, clock), delivery(2, clock)], clock.now());
    expect([calls, recorded, renewed]).toEqual([[], [], []]);
    expect(released).toEqual([[1, 2]]);
  });

  test("a retry is recorded at the time outcome.ts decides, the retry policy's quiet hours included", async () => {
    const morning = 1_000_050_000_000;
    const policy: RetryPolicy = { ...OPTIONS.policy, retryTime: (rule, at) => (rule === 'r' ? Math.max(at, morning) : at) };
    const unavailable: CallResult = { kind: 'refused', status: 503, durationMs: 5, message: 'down', retryAfterMs: undefined };
    const { worker, recorded, clock } = setup([() => unavailable], {}, { policy });
    await worker.sendNow([delivery(1, clock), { ...delivery(2, clock), rule: 'other' }], clock.now() + OPTIONS.leaseMs);
    expect(recorded[0]?.map((r) => r.transition)).toEqual([
      { to: 'retry', at: morning, counted: true },
      { to: 'retry', at: clock.now() + 750, counted: true },
    ]);
  });
});
