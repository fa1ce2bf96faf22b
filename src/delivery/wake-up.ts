// The worker's sleep between claims. It ends at a wake-up (a new delivery, usable credentials, a
// send that settled) or after its time, whichever comes first. A wake-up that comes while the
// worker is busy is kept, so the next sleep ends at once: nothing due is slept through.
import type { Clock } from '../clock.ts';

export class WakeUp {
  private readonly clock: Clock;
  private woken = false;
  private stopped = false;
  private ring: (() => void) | undefined;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  wake(): void {
    this.woken = true;
    this.ring?.();
  }

  /** Ends the sleep under way, and every later one at once: the worker is stopping. */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  /** Waits for a wake-up or `ms`, whichever comes first. */
  async sleep(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const cancel = this.clock.setTimer(resolve, ms);
      this.ring = () => {
        cancel();
        resolve();
      };
    });
    this.ring = undefined;
    this.woken = false;
  }
}
