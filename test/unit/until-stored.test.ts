// An outcome MantaGO acted on is written until the store takes it (a database restart must not
// send the message again once the lease runs out): seen through its seams, a clock and a write;
// once stopping, until the stop's deadline, a try under way included.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { StopDeadline, untilStored } from '../../src/delivery/until-stored.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const down = () => new StoreUnavailableError('unreachable', 'the database cannot be reached (ECONNREFUSED)');
const log = pino({ level: 'silent' });

/**
 * A write failing with `failures` in turn (then taken), or hanging (`hang`) from the try numbered
 * so, or failing while the store is down (`downUntil`); the stop at `stopAt`, its grace 2 s.
 */
function seams(failures: unknown[], { stopAt, hang, downUntil }: { stopAt?: number; hang?: number; downUntil?: number } = {}) {
  const clock = new FakeClock(0);
  const stop = new StopDeadline(clock, 2_000);
  if (stopAt !== undefined) clock.setTimer(() => stop.arm(), stopAt);
  const tries: { at: number; again: boolean }[] = [];
  const write = async (again: boolean) => {
    tries.push({ at: clock.now(), again });
    if (hang !== undefined && tries.length >= hang) return new Promise<void>(() => undefined);
    if (downUntil !== undefined && clock.now() < downUntil) throw down();
    const failure = failures.shift();
    if (failure) throw failure;
  };
  let outcome: unknown = 'pending';
  const run = untilStored(write, { clock, stop, log, what: 'the outcome of a call' }).then(
    () => {
      outcome = 'stored';
    },
    (error: unknown) => {
      outcome = error;
    },
  );
  return { clock, stop, run, tries, outcome: () => outcome };
}

describe('writing an outcome until the store takes it', () => {
  it('waits out the store being unavailable, doubling from 250 ms up to 5 s, and writes once it is back', async () => {
    const { clock, run, tries, outcome } = seams(Array.from({ length: 7 }, down));
    await clock.advance(20_000);
    await run;
    expect(tries.map((t) => t.at)).toEqual([0, 250, 750, 1_750, 3_750, 7_750, 12_750, 17_750]);
    // Each try after the first is told so: the store may have taken the one before without a word.
    expect(tries.map((t) => t.again)).toEqual([false, true, true, true, true, true, true, true]);
    expect(outcome()).toBe('stored');
    expect(clock.pending).toBe(0);
  });

  it('gives up at once on an error that is not the store being unavailable (a bug: the lease decides)', async () => {
    const bug = new TypeError('x is undefined');
    const { clock, run, tries, outcome } = seams([bug]);
    await clock.advance(1);
    await run;
    expect([tries.length, outcome()]).toEqual([1, bug]);
  });

  it('once the worker stops (SIGTERM), goes on until its deadline: a store back within the grace still takes the outcome', async () => {
    const { clock, run, tries, outcome } = seams(Array.from({ length: 3 }, down), { stopAt: 0 });
    await clock.advance(1_750);
    await run;
    expect([tries.map((t) => t.at), outcome()]).toEqual([[0, 250, 750, 1_750], 'stored']);
    expect(clock.pending).toBe(0); // no deadline timer left behind it
  });

  it('no try is begun at or past the deadline: failing until then, it gives up there (the lease brings the delivery back)', async () => {
    const { clock, run, tries, outcome } = seams(Array.from({ length: 9 }, down), { stopAt: 0 });
    await clock.advance(5_000);
    await run;
    expect(tries.map((t) => t.at)).toEqual([0, 250, 750, 1_750]);
    expect(outcome()).toBeInstanceOf(StoreUnavailableError);
    expect(clock.pending).toBe(0);
  });

  it('once stopping, the tries come a second apart at most (a store back late in the grace is written), none past the deadline', async () => {
    const { clock, tries, outcome } = seams(Array.from({ length: 9 }, down), { stopAt: 3_800 });
    await clock.advance(5_799);
    // The 4 s wait begun at 3,750 ends a second after the stop came, at 4,800; the next would be past 5,800.
    expect([tries.map((t) => t.at), outcome()]).toEqual([[0, 250, 750, 1_750, 3_750, 4_800], 'pending']);
    await clock.advance(1);
    expect(outcome()).toBeInstanceOf(StoreUnavailableError);
    expect(clock.pending).toBe(0);
  });

  it('a store back late in the grace, after the waits between tries had grown long, still takes the outcome', async () => {
    // Waits of 2 s and 4 s before the stop at 5,000 (its deadline 7,000); after it, a second at most.
    const { clock, tries, outcome } = seams([], { stopAt: 5_000, downUntil: 5_900 });
    await clock.advance(6_000);
    expect([tries.map((t) => t.at), outcome()]).toEqual([[0, 250, 750, 1_750, 3_750, 6_000], 'stored']);
    expect(clock.pending).toBe(0);
  });

  it('stored before any stop: a stop after that starts no timer (nothing left waiting on it)', async () => {
    const { clock, stop, run, outcome } = seams([down()]);
    await clock.advance(250);
    await run;
    expect(outcome()).toBe('stored');
    stop.arm();
    expect(clock.pending).toBe(0);
  });

  it('a try the store does not answer (a connection timing out) is not waited for past the deadline, one begun before the stop too', async () => {
    for (const [hang, stopAt] of [
      [2, 0], // begun after the stop
      [1, 100], // under way when it comes
    ] as const) {
      const { clock, outcome } = seams([down()], { hang, stopAt });
      await clock.advance(stopAt + 1_999);
      expect(outcome()).toBe('pending');
      await clock.advance(1);
      expect(outcome()).toBeInstanceOf(StoreUnavailableError);
      expect(clock.pending).toBe(0);
    }
  });
});
