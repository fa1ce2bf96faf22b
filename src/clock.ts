// Time as the service's moving parts see it: the real clock in production, a controlled one in
// unit tests (so a limiter's second or a lease's minute passes without waiting for it).
import { setTimeout as sleep } from 'node:timers/promises';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => sleep(Math.max(0, ms)),
};
