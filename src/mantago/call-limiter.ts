// Keeps every call to MantaGO within MANTAGO_MAX_CONCURRENCY calls in flight and
// MANTAGO_MAX_RPS calls started in any one second, and holds all calls back after a 429.
// A call may say by when it must start (the lease it runs under): if it could not start by then,
// it does not start at all.
import { systemClock, type Clock } from '../clock.ts';

/**
 * A little over a second: calls that leave a second apart can arrive closer together (network
 * jitter, the far end's own timing), and MantaGO counts what arrives.
 */
export const WINDOW_MS = 1_100;

/** The call could not start by the time it was given: it never reached MantaGO. */
export class CallNotStarted extends Error {
  override readonly name = 'CallNotStarted';
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  cancelTimer: (() => void) | undefined;
}

export class CallLimiter {
  private readonly maxConcurrency: number;
  private inFlight = 0;
  private readonly waiting: Waiter[] = [];
  /** Start times of the last `maxPerSecond` calls, as a ring. */
  private readonly starts: number[];
  private next = 0;
  private startChain: Promise<void> = Promise.resolve();
  private pausedUntil = 0;
  private readonly clock: Clock;

  constructor(maxConcurrency: number, maxPerSecond: number, clock: Clock = systemClock) {
    this.maxConcurrency = maxConcurrency;
    this.clock = clock;
    this.starts = new Array<number>(maxPerSecond).fill(-Infinity);
  }

  /** Runs `call` within the limits; rejects with CallNotStarted if it could not start by `startBy`. */
  async run<T>(call: () => Promise<T>, options: { startBy?: number } = {}): Promise<T> {
    const startBy = options.startBy ?? Infinity;
    await this.acquire(startBy);
    try {
      await this.waitForStart(startBy);
      return await call();
    } finally {
      this.releaseSlot();
    }
  }

  /** Calls in flight right now, and calls waiting for a slot. */
  get load(): { inFlight: number; waiting: number } {
    return { inFlight: this.inFlight, waiting: this.waiting.length };
  }

  /** Until when calls are held back after a 429 (0 when they are not). */
  get pausedUntilMs(): number {
    return this.pausedUntil;
  }

  /** After a 429 with Retry-After: no call starts before `until`. */
  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  private acquire(startBy: number): Promise<void> {
    if (this.inFlight < this.maxConcurrency) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, cancelTimer: undefined };
      const wait = startBy - this.clock.now();
      if (wait <= 0) return reject(new CallNotStarted('no call slot came free in time'));
      if (Number.isFinite(wait)) {
        waiter.cancelTimer = this.clock.setTimer(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(new CallNotStarted('no call slot came free in time'));
        }, wait);
      }
      this.waiting.push(waiter);
    });
  }

  private releaseSlot(): void {
    const nextWaiter = this.waiting.shift();
    if (nextWaiter) {
      nextWaiter.cancelTimer?.();
      nextWaiter.resolve(); // the slot passes straight on
    } else this.inFlight--;
  }

  /** Starts are handed out one at a time, in order of arrival. */
  private waitForStart(startBy: number): Promise<void> {
    const turn = this.startChain.then(async () => {
      for (;;) {
        const now = this.clock.now();
        // Free slots or not: a start time already past (a lease, a shutdown's deadline) means not at all.
        if (now > startBy) throw new CallNotStarted('the time this call had to start by has passed');
        const oldest = this.starts[this.next] as number;
        const wait = Math.max(this.pausedUntil - now, oldest + WINDOW_MS - now);
        if (wait <= 0) {
          this.starts[this.next] = now;
          this.next = (this.next + 1) % this.starts.length;
          return;
        }
        if (now + wait > startBy) throw new CallNotStarted('the call could not start in time (rate limit or a 429 pause)');
        await this.clock.sleep(wait);
      }
    });
    this.startChain = turn.catch(() => undefined);
    return turn;
  }
}
