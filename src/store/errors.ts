// The store's own failures that callers answer differently from a bug: it is busy or slow, and a
// client should come back shortly (a webhook gets 503 with Retry-After, and the shop retries).

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  /**
   * `busy`: too many orders already wait to be committed; `timeout`: the store did not answer in
   * time; `unreachable`: the database cannot be reached or dropped the connection (a restart).
   */
  readonly reason: 'busy' | 'timeout' | 'unreachable';
  constructor(reason: 'busy' | 'timeout' | 'unreachable', message: string) {
    super(message);
    this.reason = reason;
  }
}

/** `promise`, or a StoreUnavailableError after `ms`: the work may still complete, the caller stops waiting. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  // One promise and one timer per call (no race, no finally): every webhook's store calls pass here.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreUnavailableError('timeout', `the store did not ${what} within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
