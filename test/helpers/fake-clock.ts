// A clock the test moves: timers fire and sleeps end only when the test advances time, so a unit
// test covers seconds of limits, leases and backoff without waiting for them.
import type { Clock } from '../../src/clock.ts';

export class FakeClock implements Clock {
  private time: number;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 0;

  constructor(start = 1_000_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.time + Math.max(0, ms), callback, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(resolve, ms));
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time on by `ms`, firing each timer due on the way, in order, and letting the work it starts run. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.callback();
    }
    this.time = end;
    await settle();
  }
}

/** Lets every promise callback that is ready run (a few turns: chains of awaits). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
}
