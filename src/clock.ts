// Time as the service's moving parts see it: the real clock in production, a controlled one in
// unit tests (so a limiter's second or a lease's minute passes without waiting for it).

export interface Clock {
  now(): number;
  /** Calls `callback` after `ms`; the function returned cancels it. */
  setTimer(callback: () => void, ms: number): () => void;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, ms) {
    const timer = setTimeout(callback, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * `promise`'s outcome (or failure) if it settles by `deadline` (ms since the epoch, on `clock`), else
 * `fallback`; none: wait for it. A failure after the deadline is dropped, never left unhandled.
 */
export function settleBy<T>(clock: Clock, promise: Promise<T>, deadline: number | undefined, fallback: T): Promise<T> {
  if (deadline === undefined) return promise;
  return new Promise((resolve, reject) => {
    const cancel = clock.setTimer(() => resolve(fallback), deadline - clock.now());
    promise.then(
      (outcome) => {
        cancel();
        resolve(outcome);
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}
