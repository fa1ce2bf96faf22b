// Keeps every call to MantaGO within MANTAGO_MAX_CONCURRENCY calls in flight and
// MANTAGO_MAX_RPS calls started in any one second, and holds all calls back after a 429.
import { systemClock, type Clock } from '../clock.ts';

/**
 * A little over a second: calls that leave a second apart can arrive closer together (network
 * jitter, the far end's own timing), and MantaGO counts what arrives.
 */
const WINDOW_MS = 1_100;

export class CallLimiter {
  private readonly maxConcurrency: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
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

  async run<T>(call: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      await this.waitForStart();
      return await call();
    } finally {
      this.releaseSlot();
    }
  }

  /** Until when calls are held back after a 429 (0 when they are not). */
  get pausedUntilMs(): number {
    return this.pausedUntil;
  }

  /** After a 429 with Retry-After: no call starts before `until`. */
  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  private acquire(): Promise<void> {
    if (this.inFlight < this.maxConcurrency) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseSlot(): void {
    const nextWaiter = this.waiting.shift();
    if (nextWaiter)
      nextWaiter(); // the slot passes straight on
    else this.inFlight--;
  }

  /** Starts are handed out one at a time, in order of arrival. */
  private waitForStart(): Promise<void> {
    const turn = this.startChain.then(async () => {
      for (;;) {
        const now = this.clock.now();
        const oldest = this.starts[this.next] as number;
        const wait = Math.max(this.pausedUntil - now, oldest + WINDOW_MS - now);
        if (wait <= 0) {
          this.starts[this.next] = now;
          this.next = (this.next + 1) % this.starts.length;
          return;
        }
        await this.clock.sleep(wait);
      }
    });
    this.startChain = turn;
    return turn;
  }
}
