// The delivery worker's loop through its seams (test/helpers/fake-worker.ts): when it claims, when
// it sleeps, and what ends a sleep; a stop while the store is down; with a clock the test moves.
import { describe, expect, test } from 'vitest';
import { FakeClock, settle } from '../helpers/fake-clock.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { delivery, expired, OPTIONS, ok, setupWorker as setup } from '../helpers/fake-worker.ts';

describe('DeliveryWorker loop', () => {
  test("claims, hands a customer's second order back for the next claim, sends the first; then sleeps until the next delivery falls due", async () => {
    const at = new FakeClock(); // the deliveries' times: setup's clock starts at the same instant
    const twice = { ...delivery(2, at), clientId: delivery(1, at).clientId };
    const { worker, calls, released, recorded, claimedAt, clock } = setup(
      [() => ok],
      {},
      { claims: [[delivery(1, at), twice]], nextDueAt: at.now() + 400 },
    );
    worker.start();
    await settle();
    expect(calls.map((c) => c.request.clientIds)).toEqual([[delivery(1, clock).clientId]]);
    expect(released).toEqual([[2]]);
    expect(recorded.flat().map((r) => [r.attempt.deliveryId, r.transition.to])).toEqual([[1, 'sent']]);
    const claims = claimedAt.length;
    await clock.advance(399);
    expect(claimedAt).toHaveLength(claims);
    await clock.advance(1);
    expect(claimedAt).toHaveLength(claims + 1);
    await worker.stop();
  });

  test('a delivery due that no send claim takes (its recipient still to be looked up) waits a poll interval, not a spin of claims', async () => {
    const at = new FakeClock();
    const { worker, claimedAt, clock } = setup([() => ok], {}, { unclaimedDueAt: at.now() - 1 });
    worker.start();
    await settle();
    expect(claimedAt).toHaveLength(1);
    await clock.advance(OPTIONS.pollMs - 1);
    expect(claimedAt).toHaveLength(1);
    await clock.advance(1);
    expect(claimedAt).toHaveLength(2);
    await worker.stop();
  });

  test('a wake-up (a delivery stored) ends the sleep at once; stop() ends it for good', async () => {
    const { worker, claimedAt, due } = setup([() => ok]);
    worker.start();
    await settle();
    const claims = claimedAt.length;
    due.listener?.();
    await settle();
    expect(claimedAt).toHaveLength(claims + 1);
    await worker.stop();
    due.listener?.();
    await settle();
    expect(claimedAt).toHaveLength(claims + 1);
  });

  test('quiesced (at SIGTERM) it claims nothing more, whatever wakes it; the send under way goes on and stop() waits for it', async () => {
    let answer: (result: typeof ok) => void = () => {};
    const { worker, claimedAt, due, calls, recorded, clock } = setup(
      [() => new Promise((resolve) => (answer = resolve))],
      {},
      { claims: [[delivery(1, new FakeClock())]] },
    );
    worker.start();
    await settle();
    expect(calls).toHaveLength(1); // in flight
    const claims = claimedAt.length;
    worker.quiesce();
    due.listener?.();
    await clock.advance(OPTIONS.pollMs * 3);
    expect(claimedAt).toHaveLength(claims);
    const stopped = worker.stop();
    answer(ok);
    await stopped;
    expect(recorded.flat().map((r) => [r.attempt.deliveryId, r.transition.to])).toEqual([[1, 'sent']]);
    expect(calls).toHaveLength(1);
  });

  test('stopping (SIGTERM): a call the exit could cut off is not begun (its message would go again): a renewed claim calls again only if it can end before the deadline', async () => {
    let answer: (result: typeof expired) => void = () => {};
    const { worker, calls, clock } = setup(
      [() => new Promise((resolve) => (answer = resolve)), () => ok],
      {},
      { claims: [[delivery(1, new FakeClock())]] },
    );
    worker.start();
    await settle();
    expect(calls[0]?.startBy).toBe(clock.now() + OPTIONS.leaseMs - OPTIONS.callTimeoutMs - 1_000); // the lease alone
    const stoppingAt = clock.now();
    const stopped = worker.stop();
    await clock.advance(500);
    answer(expired); // 1004: renewed, the same claim calls again
    await stopped;
    // Outcomes are written until recordAfterStopMs past the signal: a call must end (its timeout, a margin) before that.
    expect(calls[1]?.startBy).toBe(stoppingAt + OPTIONS.recordAfterStopMs - OPTIONS.callTimeoutMs - 1_000);
  });

  test('stopped (SIGTERM) while the store is down after a call: its outcome is still written once the store is back within the grace', async () => {
    let downUntil = Number.POSITIVE_INFINITY;
    const down = new StoreUnavailableError('unreachable', 'the database cannot be reached (ECONNREFUSED)');
    const { worker, recorded, calls, clock } = setup(
      [() => ok],
      {},
      { claims: [[delivery(1, new FakeClock())]], recordFails: (now) => (now < downUntil ? down : undefined) },
    );
    worker.start();
    await settle();
    expect(calls).toHaveLength(1);
    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    await clock.advance(OPTIONS.recordAfterStopMs / 2);
    expect([stopped, recorded]).toEqual([false, []]);
    downUntil = clock.now();
    await clock.advance(5_000);
    await stopping;
    // Recorded sent: the lease will not bring it back to be sent a second time.
    expect(recorded.flat().map((r) => [r.attempt.deliveryId, r.transition.to])).toEqual([[1, 'sent']]);
  });

  test('a store still down when the grace is over: stop() ends at its deadline, nothing recorded (the lease decides)', async () => {
    const down = new StoreUnavailableError('unreachable', 'the database cannot be reached (ECONNREFUSED)');
    const { worker, recorded, clock } = setup([() => ok], {}, { claims: [[delivery(1, new FakeClock())]], recordFails: () => down });
    worker.start();
    await settle();
    const stopAt = clock.now();
    let stoppedAt: number | undefined;
    const stopping = worker.stop().then(() => {
      stoppedAt = clock.now();
    });
    await clock.advance(OPTIONS.recordAfterStopMs + 5_000);
    await stopping;
    expect(stoppedAt).toBe(stopAt + OPTIONS.recordAfterStopMs);
    expect(recorded).toEqual([]);
  });

  test('while a 429 holds calls back nothing is claimed: claimed work would only sit out its lease', async () => {
    const start = new FakeClock().now();
    const { worker, claimedAt, clock } = setup([() => ok], {}, { pausedUntil: start + 300 });
    worker.start();
    await clock.advance(299);
    expect(claimedAt).toEqual([]);
    await clock.advance(1);
    expect(claimedAt).toEqual([start + 300]);
    await worker.stop();
  });

  test('without usable credentials the loop reloads them (the operator may have stored a pair) and claims nothing meanwhile', async () => {
    let reloads = 0;
    const { worker, claimedAt, clock } = setup([() => ok], {
      isUsable: () => reloads >= 2,
      reload: async () => void reloads++,
    });
    worker.start();
    await settle();
    expect([reloads, claimedAt.length]).toEqual([1, 0]);
    await clock.advance(OPTIONS.pollMs);
    expect(reloads).toBe(2);
    expect(claimedAt).toEqual([clock.now()]);
    await worker.stop();
  });
});
