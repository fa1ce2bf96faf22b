// An outcome MantaGO acted on is written until the store takes it (a database restart must not
// send the message again once the lease runs out): seen through its seams, a clock and a write.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.ts';
import { untilStored } from '../../src/delivery/until-stored.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

function seams(failures: unknown[], giveUpAt: () => number | undefined = () => undefined) {
  const waits: number[] = [];
  let writes = 0;
  let time = 0;
  const again: boolean[] = [];
  const clock: Clock = {
    now: () => time,
    setTimer: () => () => {},
    sleep: async (ms) => {
      waits.push(ms);
      time += ms;
    },
  };
  const write = async (retried: boolean) => {
    writes++;
    again.push(retried);
    const failure = failures.shift();
    if (failure) throw failure;
  };
  const run = untilStored(write, { clock, giveUpAt, log: pino({ level: 'silent' }), what: 'the outcome of a call' });
  return { run, waits, writes: () => writes, again };
}

const down = () => new StoreUnavailableError('unreachable', 'the database cannot be reached (ECONNREFUSED)');

describe('writing an outcome until the store takes it', () => {
  it('waits out the store being unavailable, doubling from 250 ms up to 5 s, and writes once it is back', async () => {
    const { run, waits, writes, again } = seams(Array.from({ length: 7 }, down));
    await run;
    expect(waits).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(writes()).toBe(8);
    // Each try after the first is told so: the store may have taken the one before without a word.
    expect(again).toEqual([false, true, true, true, true, true, true, true]);
  });

  it('gives up at once on an error that is not the store being unavailable (a bug: the lease decides)', async () => {
    const bug = new TypeError('x is undefined');
    const { run, writes } = seams([bug]);
    await expect(run).rejects.toBe(bug);
    expect(writes()).toBe(1);
  });

  it('once the worker stops (SIGTERM), goes on until its deadline: a store back within the grace still takes the outcome', async () => {
    const { run, waits, writes } = seams(Array.from({ length: 3 }, down), () => 2_000);
    await run;
    expect(waits).toEqual([250, 500, 1_000]);
    expect(writes()).toBe(4);
  });

  it('the last try is at the deadline; failing then, it gives up (the lease brings the delivery back)', async () => {
    const { run, waits, writes } = seams(Array.from({ length: 9 }, down), () => 2_000);
    await expect(run).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(waits).toEqual([250, 500, 1_000, 250]);
    expect(writes()).toBe(5);
  });

  it('once the worker stops, a try the store does not answer (a connection timing out) is not waited for past the deadline', async () => {
    const clock = new FakeClock(0);
    const hung = new Promise<void>(() => undefined);
    let writes = 0;
    const write = async () => {
      writes++;
      if (writes === 1) throw down();
      return hung;
    };
    let failed: unknown;
    const run = untilStored(write, { clock, giveUpAt: () => 2_000, log: pino({ level: 'silent' }), what: 'the outcome of a call' }).catch(
      (error: unknown) => {
        failed = error;
      },
    );
    await clock.advance(1_999);
    expect([writes, failed]).toEqual([2, undefined]);
    await clock.advance(1);
    await run;
    expect(failed).toBeInstanceOf(StoreUnavailableError);
    expect(clock.now()).toBe(2_000);
  });
});
