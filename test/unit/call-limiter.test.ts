// The call limiter through its seam (a clock the test moves): concurrency, calls per second, the
// pause after a 429, and a call that cannot start by its lease's deadline never starts.
import { describe, expect, test } from 'vitest';
import { CallLimiter, CallNotStarted, WINDOW_MS } from '../../src/mantago/call-limiter.ts';
import { FakeClock, settle } from '../helpers/fake-clock.ts';

/** A call that stays open until the test ends it. */
function pendingCall() {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { call: () => done, finish };
}

describe('CallLimiter', () => {
  test('never more calls in flight than its concurrency; a finished call hands its slot to the next', async () => {
    const clock = new FakeClock();
    const limiter = new CallLimiter(2, 100, clock);
    const calls = [pendingCall(), pendingCall(), pendingCall()];
    const started: number[] = [];
    const runs = calls.map((c, i) =>
      limiter.run(() => {
        started.push(i);
        return c.call();
      }),
    );
    await settle();
    expect(started).toEqual([0, 1]);
    expect(limiter.load).toEqual({ inFlight: 2, waiting: 1 });
    calls[0]?.finish();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    for (const c of calls) c.finish();
    await Promise.all(runs);
    expect(limiter.load).toEqual({ inFlight: 0, waiting: 0 });
  });

  test('never more calls started in one window than its rate: the next waits for the window to pass', async () => {
    const clock = new FakeClock();
    const limiter = new CallLimiter(10, 3, clock);
    const startedAt: number[] = [];
    const runs = Array.from({ length: 5 }, () => limiter.run(async () => void startedAt.push(clock.now())));
    await settle();
    expect(startedAt).toHaveLength(3);
    await clock.advance(WINDOW_MS - 1);
    expect(startedAt).toHaveLength(3);
    await clock.advance(1);
    await Promise.all(runs);
    expect(startedAt).toHaveLength(5);
    const t0 = startedAt[0] as number;
    expect(startedAt.map((t) => t - t0)).toEqual([0, 0, 0, WINDOW_MS, WINDOW_MS]);
  });

  test('after a 429 no call starts before the pause ends', async () => {
    const clock = new FakeClock();
    const limiter = new CallLimiter(10, 100, clock);
    limiter.pauseUntil(clock.now() + 5_000);
    let started = false;
    const run = limiter.run(async () => {
      started = true;
    });
    await clock.advance(4_999);
    expect(started).toBe(false);
    await clock.advance(1);
    await run;
    expect(started).toBe(true);
  });

  test('a call that could not start by its deadline never starts: not while slots are taken, nor while paused or rate-limited', async () => {
    const clock = new FakeClock();
    const limiter = new CallLimiter(1, 100, clock);
    const blocker = pendingCall();
    const first = limiter.run(blocker.call);
    let ran = false;
    const late = limiter
      .run(
        async () => {
          ran = true;
        },
        { startBy: clock.now() + 1_000 },
      )
      .catch((error: unknown) => error);
    await clock.advance(1_000);
    expect(await late).toBeInstanceOf(CallNotStarted);
    expect(limiter.load).toEqual({ inFlight: 1, waiting: 0 }); // its place in the queue is given up
    blocker.finish();
    await first;

    limiter.pauseUntil(clock.now() + 10_000);
    const mark = async () => {
      ran = true;
    };
    await expect(limiter.run(mark, { startBy: clock.now() + 9_000 })).rejects.toBeInstanceOf(CallNotStarted);
    expect(ran).toBe(false);
    expect(limiter.load).toEqual({ inFlight: 0, waiting: 0 }); // the slot went back
    // Within its deadline it waits and runs.
    const inTime = limiter.run(mark, { startBy: clock.now() + 11_000 });
    await clock.advance(10_000);
    await inTime;
    expect(ran).toBe(true);
  });

  test('a call whose start time has passed never starts, even with every slot free (a stopping worker bounds it so)', async () => {
    const clock = new FakeClock();
    const limiter = new CallLimiter(4, 100, clock);
    let ran = false;
    const past = limiter.run(
      async () => {
        ran = true;
      },
      { startBy: clock.now() - 1 },
    );
    await expect(past).rejects.toBeInstanceOf(CallNotStarted);
    expect(ran).toBe(false);
    expect(limiter.load).toEqual({ inFlight: 0, waiting: 0 });
    await expect(limiter.run(async () => 'now', { startBy: clock.now() })).resolves.toBe('now'); // its last moment still counts
  });
});
