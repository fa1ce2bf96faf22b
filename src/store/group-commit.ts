// Orders that arrive together are committed together: the first waits for the end of the event
// loop's turn, so the webhooks read in one turn share one transaction, and those that arrive while
// commits are under way go in the next. One queue for both engines; `concurrency` commits at once
// (SQLite has one writer; PostgreSQL's pool can take several). At most `maxPending` items wait or
// commit at once: beyond that the store is busy, and a webhook is better answered 503 at once.
import { StoreUnavailableError } from './errors.ts';

export class GroupCommit<Item, Result> {
  private readonly commit: (items: Item[]) => Promise<Result[]>;
  private readonly concurrency: number;
  private queued: { item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void }[] = [];
  private running = 0;
  /** Items queued or in a commit under way. */
  private pending = 0;
  private readonly maxPending: number;
  private scheduled = false;
  private readonly idle = new Set<() => void>();

  constructor(commit: (items: Item[]) => Promise<Result[]>, options: { concurrency: number; maxPending: number }) {
    this.commit = commit;
    this.concurrency = options.concurrency;
    this.maxPending = options.maxPending;
  }

  submit(item: Item): Promise<Result> {
    if (this.pending >= this.maxPending) {
      return Promise.reject(
        new StoreUnavailableError('busy', `${this.pending} orders are already waiting to be committed (INTAKE_QUEUE_MAX)`),
      );
    }
    this.pending++; // until its batch has settled (run)
    return new Promise<Result>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.startCommits();
        });
      }
    });
  }

  /** Resolves once everything submitted so far is committed (or failed). */
  drain(): Promise<void> {
    if (this.queued.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private startCommits(): void {
    while (this.running < this.concurrency && this.queued.length > 0) {
      const batch = this.queued;
      this.queued = [];
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.startCommits();
        if (this.running === 0 && this.queued.length === 0) for (const done of this.idle) done();
        if (this.running === 0 && this.queued.length === 0) this.idle.clear();
      });
    }
  }

  private async run(batch: typeof this.queued): Promise<void> {
    try {
      const items: Item[] = []; // pushed: a packed array copies to the SQLite thread faster (delivery-row.ts)
      for (const q of batch) items.push(q.item);
      const results = await this.commit(items);
      for (const [i, q] of batch.entries()) q.resolve(results[i] as Result);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One bad row must not fail the orders it happened to share a transaction with: each alone.
      await Promise.all(batch.map((q) => this.commit([q.item]).then(([result]) => q.resolve(result as Result), q.reject)));
    } finally {
      // Once per batch rather than a finally() on every webhook's promise.
      this.pending -= batch.length;
    }
  }
}
