// The embedded default: one SQLite file for one replica. Orders that arrive in the same turn of the
// event loop are committed in one transaction (group commit), so the synchronous node:sqlite calls
// stay short and few.
import { OperatorStore } from '../operator-store.ts';
import { deliveryRow, type DeliveryRow } from '../rows.ts';
import type { AttemptResult, ClaimedDelivery, CredentialsLockWork, IncomingOrder, RecordedOrder, Store, StoredCredentials } from '../store.ts';
import { SqliteDatabase, StoreInUseError } from './sqlite-database.ts';

export { StoreInUseError };

interface QueuedOrder {
  row: DeliveryRow;
  resolve: (recorded: RecordedOrder) => void;
  reject: (error: unknown) => void;
}

export class SqliteStore implements Store {
  readonly engine = 'sqlite';
  private readonly db: SqliteDatabase;
  private orders: QueuedOrder[] = [];
  private readonly listeners = new Set<() => void>();
  private credentialsLock: Promise<unknown> = Promise.resolve();
  private closed = false;

  readonly operator: OperatorStore;

  constructor(db: SqliteDatabase) {
    this.db = db;
    this.operator = new OperatorStore(
      { all: async (query) => db.all(query), run: async (query) => db.run(query), runAll: async (queries) => db.runAll(queries) },
      () => this.emitDue(),
    );
  }

  recordOrder(incoming: IncomingOrder): Promise<RecordedOrder> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    const row = deliveryRow(incoming);
    return new Promise((resolve, reject) => {
      this.orders.push({ row, resolve, reject });
      if (this.orders.length === 1) setImmediate(() => this.commitOrders());
    });
  }

  private commitOrders(): void {
    const batch = this.orders;
    this.orders = [];
    if (batch.length === 0) return;
    let recorded: RecordedOrder[];
    try {
      recorded = this.db.recordOrders(batch.map((o) => o.row));
    } catch (error) {
      for (const o of batch) o.reject(error);
      return;
    }
    batch.forEach((o, i) => o.resolve(recorded[i] as RecordedOrder));
    if (recorded.some((r) => r.outcome === 'accepted' && r.status === 'pending')) this.emitDue();
  }

  async claimBatch(owner: string, limit: number, leaseMs: number, now: number): Promise<ClaimedDelivery[]> {
    return this.db.claimBatch(owner, limit, leaseMs, now);
  }

  async recordAttempts(owner: string, results: AttemptResult[]): Promise<void> {
    this.db.recordAttempts(owner, results);
  }

  async renewLease(owner: string, ids: number[], until: number): Promise<void> {
    this.db.renewLease(owner, ids, until);
  }

  async release(owner: string, ids: number[], at: number): Promise<void> {
    if (ids.length === 0) return;
    this.db.release(owner, ids, at);
    this.emitDue();
  }

  async nextDueAt(): Promise<number | undefined> {
    return this.db.nextDueAt();
  }

  onDeliveryDue(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emitDue(): void {
    for (const listener of this.listeners) listener();
  }

  async loadCredentials(botId: string): Promise<StoredCredentials | undefined> {
    return this.db.loadCredentials(botId);
  }

  /** One process owns the file, so an in-process queue is the whole lock. */
  withCredentialsLock<T>(botId: string, work: CredentialsLockWork<T>): Promise<T> {
    const run = this.credentialsLock.then(async () => {
      const { save, result } = await work(this.db.loadCredentials(botId));
      if (save) this.db.saveCredentials(save);
      return result;
    });
    this.credentialsLock = run.catch(() => undefined);
    return run;
  }

  async ping(): Promise<void> {
    this.db.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commitOrders(); // orders already answered for must not wait for a turn that never comes
    this.closed = true;
    this.listeners.clear();
    this.db.close();
  }
}

export async function openSqliteStore(path: string): Promise<SqliteStore> {
  return new SqliteStore(new SqliteDatabase(path));
}
