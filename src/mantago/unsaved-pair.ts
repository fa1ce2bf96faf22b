// A rotated pair is in use the moment MantaGO answers (the old one is dead then), whether or not
// the store takes it: it is stored now, or again, later each time, until it is.
import type { Logger } from 'pino';
import type { StoredCredentials } from '../domain/credentials.ts';
import { nextRefreshAttempt } from './refresh-policy.ts';

export interface Unsaved {
  since: number;
  failures: number;
  reason: string;
  retryAt: number;
}

export class UnsavedPair {
  private readonly save: (credentials: StoredCredentials) => Promise<StoredCredentials>;
  private readonly log: Logger;
  private readonly random: (() => number) | undefined;
  private state: Unsaved | undefined;

  constructor(save: UnsavedPair['save'], log: Logger, random?: () => number) {
    this.save = save;
    this.log = log;
    this.random = random;
  }

  /** The pair in use waits to be stored: since when, why, and when it is tried again. */
  get waiting(): Unsaved | undefined {
    return this.state;
  }

  /** A new pair is in use and not stored yet. */
  mark(now: number): void {
    this.state = { since: now, failures: 0, reason: 'not stored yet', retryAt: now };
  }

  /** Stored by other means (the operator installed a pair). */
  clear(): void {
    this.state = undefined;
  }

  /** Stores `ours` if it waits to be; whether it is stored now, and a newer pair the store held instead. */
  async flush(ours: StoredCredentials, now: number): Promise<{ stored: boolean; newer?: StoredCredentials }> {
    const unsaved = this.state;
    if (!unsaved) return { stored: true };
    try {
      const stored = await this.save(ours);
      if (stored.generation < ours.generation) throw new Error('the store kept an older pair');
      this.state = undefined;
      return { stored: true, ...(stored.generation > ours.generation && { newer: stored }) };
    } catch (error) {
      const failures = unsaved.failures + 1;
      this.state = {
        ...unsaved,
        failures,
        reason: `the store refused it: ${(error as Error).message}`,
        retryAt: nextRefreshAttempt(failures, now, this.random?.()),
      };
      this.log.error(
        { err: error, generation: ours.generation },
        'could not store the new MantaGO credentials; using them, and storing them again shortly',
      );
      return { stored: false };
    }
  }
}
