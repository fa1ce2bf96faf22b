// The embedded default: one SQLite file for one replica, worked on by a thread of its own
// (sqlite-connection.ts). Orders that arrive while a commit is under way are committed together in
// the next transaction (group commit), so a burst of webhooks costs a few transactions, not one each.
import { OperatorStore } from '../operator-store.ts';
import { deliveryRow, type DeliveryRow } from '../rows.ts';
import type { AttemptResult, ClaimedDelivery, CredentialsLockWork, IncomingOrder, RecordedOrder, Store, StoredCredentials } from '../store.ts';
import { SqliteConnection } from './sqlite-connection.ts';
import { StoreInUseError } from './sqlite-database.ts';

export { StoreInUseError };

interface QueuedOrder {
  row: DeliveryRow;
  resolve: (recorded: RecordedOrder) => void;
  reject: (error: unknown) => void;
}

export class SqliteStore implements Store {
  readonly engine = 'sqlite';
  private readonly db: SqliteConnection;
  private orders: QueuedOrder[] = [];
  /** The commits under way, while there are any: orders queued meanwhile go in the next. */
  private committing: Promise<void> | undefined;
  private readonly listeners = new Set<() => void>();
  private credentialsLock: Promise<unknown> = Promise.resolve();
  private closed = false;

  readonly operator: OperatorStore;

  constructor(db: SqliteConnection) {
    this.db = db;
    this.operator = new OperatorStore(
      { all: (query) => db.call('all', query), run: (query) => db.call('run', query), runAll: (queries) => db.call('runAll', queries) },
      () => this.emitDue(),
    );
  }

  recordOrder(incoming: IncomingOrder): Promise<RecordedOrder> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    const row = deliveryRow(incoming);
    return new Promise((resolve, reject) => {
      this.orders.push({ row, resolve, reject });
      // The first order waits for the end of this turn of the event loop, so the webhooks read
      // together are committed together.
      this.committing ??= new Promise<void>((started) => setImmediate(started)).then(() => this.commitQueued());
    });
  }

  private async commitQueued(): Promise<void> {
    while (this.orders.length > 0) {
      const batch = this.orders;
      this.orders = [];
      try {
        const recorded = await this.db.call('recordOrders', batch.map((o) => o.row));
        batch.forEach((o, i) => o.resolve(recorded[i] as RecordedOrder));
        if (recorded.some((r) => r.outcome === 'accepted' && r.status === 'pending')) this.emitDue();
      } catch (error) {
        for (const o of batch) o.reject(error);
      }
    }
    this.committing = undefined;
  }

  claimBatch(owner: string, limit: number, leaseMs: number, now: number): Promise<ClaimedDelivery[]> {
    return this.db.call('claimBatch', owner, limit, leaseMs, now);
  }

  recordAttempts(owner: string, results: AttemptResult[]): Promise<void> {
    return this.db.call('recordAttempts', owner, results);
  }

  renewLease(owner: string, ids: number[], until: number): Promise<void> {
    return this.db.call('renewLease', owner, ids, until);
  }

  async release(owner: string, ids: number[], at: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.call('release', owner, ids, at);
    this.emitDue();
  }

  nextDueAt(): Promise<number | undefined> {
    return this.db.call('nextDueAt');
  }

  onDeliveryDue(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emitDue(): void {
    for (const listener of this.listeners) listener();
  }

  loadCredentials(botId: string): Promise<StoredCredentials | undefined> {
    return this.db.call('loadCredentials', botId);
  }

  /** One process owns the file, so an in-process queue is the whole lock. */
  withCredentialsLock<T>(botId: string, work: CredentialsLockWork<T>): Promise<T> {
    const run = this.credentialsLock.then(async () => {
      const { save, result } = await work(await this.db.call('loadCredentials', botId));
      if (save) await this.db.call('saveCredentials', save);
      return result;
    });
    this.credentialsLock = run.catch(() => undefined);
    return run;
  }

  ping(): Promise<void> {
    return this.db.call('ping');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committing; // orders already answered for are committed before the file closes
    this.listeners.clear();
    await this.db.close();
  }
}

export async function openSqliteStore(path: string): Promise<SqliteStore> {
  return new SqliteStore(await SqliteConnection.open(path));
}
