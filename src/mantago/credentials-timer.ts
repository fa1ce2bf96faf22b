// The credentials' one timer, for what credentials-state.ts says is next (nextWake): storing an
// unsaved pair again, retrying a failing refresh, refreshing ahead of expiry. Stopped once shutdown
// begins, so no refresh starts that the process could be cut off in the middle of.
import type { Clock } from '../clock.ts';
import type { Wake } from './credentials-state.ts';

// The longest one timer is set for (setTimeout's own ceiling is ~24.8 days): a wait of days is
// measured against the clock again every 6 hours, so a suspended host or a corrected clock cannot
// leave the refresh on a stale countdown.
const MAX_TIMER_MS = 6 * 60 * 60 * 1000;

export class WakeTimer {
  private readonly clock: Clock;
  private cancel: (() => void) | undefined;
  private stopped = false;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Runs `run` at `wake` (none: nothing is due), in place of whatever was set before. */
  set(wake: Wake | undefined, run: (wake: Wake) => void): void {
    this.cancel?.();
    this.cancel = undefined;
    if (!wake || this.stopped) return;
    const wait = Math.max(0, wake.at - this.clock.now());
    this.cancel = this.clock.setTimer(() => (wait > MAX_TIMER_MS ? this.set(wake, run) : run(wake)), Math.min(wait, MAX_TIMER_MS));
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
  }
}
