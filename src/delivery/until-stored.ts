// An outcome MantaGO has already acted on (a message sent) is written until the store takes it.
// Given up, the claim's lease would run out and bring the delivery back to be sent again: a database
// restart under load sent every message in flight twice. Only the store's unavailability (down,
// restarting, too slow) is waited out. A stop (SIGTERM) does not end the wait at once: a rolling
// deploy during a database restart would send those messages twice too. It ends it at the stop's
// deadline, inside the shutdown's grace, a try under way included; then the lease decides.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { StoreUnavailableError } from '../store/errors.ts';

const FIRST_WAIT_MS = 250;
const MAX_WAIT_MS = 5_000;
/** The longest wait between tries once stopping: a store back a second before the deadline is written. */
const STOPPING_WAIT_MS = 1_000;

/** A stopping caller's deadline: none until it stops (`arm`), then `graceMs` on. */
export class StopDeadline {
  private deadline: number | undefined;
  private readonly clock: Clock;
  private readonly graceMs: number;
  /** What waits on the stop (a try, a pause), told when it comes. */
  private readonly onArm = new Set<() => void>();

  constructor(clock: Clock, graceMs: number) {
    this.clock = clock;
    this.graceMs = graceMs;
  }

  /** When the waiting ends, once stopping. */
  get at(): number | undefined {
    return this.deadline;
  }

  arm(): void {
    if (this.deadline !== undefined) return;
    this.deadline = this.clock.now() + this.graceMs;
    for (const armed of this.onArm) armed();
  }

  /** `work`, or the store's unavailability once the deadline passes (armed now or while it runs); the work may still land. */
  bound<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const late = new StoreUnavailableError('timeout', "the store did not answer before the shutdown's grace ran out");
      const stop = this.whenPassed(() => reject(late));
      work.then(
        (value) => {
          stop();
          resolve(value);
        },
        (error: unknown) => {
          stop();
          reject(error);
        },
      );
    });
  }

  /** Waits `ms`; once stopping (or when the stop comes meanwhile), `stoppingMs` at most, and never past the deadline. */
  pause(ms: number, stoppingMs = ms): Promise<void> {
    return new Promise<void>((resolve) => {
      const end = this.clock.now() + ms;
      let cancel = () => {};
      const wake = () => {
        this.onArm.delete(retarget);
        cancel();
        resolve();
      };
      const until = (at: number) => {
        cancel();
        cancel = this.clock.setTimer(wake, at - this.clock.now());
      };
      const retarget = () => until(Math.min(end, this.clock.now() + stoppingMs, this.deadline as number));
      if (this.deadline === undefined) {
        this.onArm.add(retarget);
        until(end);
      } else retarget();
    });
  }

  /** Calls `passed` at the deadline (once there is one); the function returned stops waiting for it. */
  private whenPassed(passed: () => void): () => void {
    let cancel = () => {};
    const start = () => {
      cancel = this.clock.setTimer(passed, (this.deadline as number) - this.clock.now());
    };
    if (this.deadline === undefined) this.onArm.add(start);
    else start();
    return () => {
      this.onArm.delete(start);
      cancel();
    };
  }
}

/** `write` is told whether it is a try after one that failed (which the store may have taken even so: its answer was lost). */
export async function untilStored(
  write: (again: boolean) => Promise<void>,
  { clock, stop, log, what }: { clock: Clock; stop: StopDeadline; log: Logger; what: string },
): Promise<void> {
  for (let wait = FIRST_WAIT_MS, tries = 1; ; wait = Math.min(wait * 2, MAX_WAIT_MS), tries++) {
    try {
      return await stop.bound(write(tries > 1));
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      if (tries === 1) log.warn({ reason: error.message }, `the store cannot take ${what} now; trying again until it does`);
      await stop.pause(wait, STOPPING_WAIT_MS);
      // Past the stop's deadline no try is begun: its answer would not be waited for.
      if (stop.at !== undefined && clock.now() >= stop.at) throw error;
    }
  }
}
