// The SQLite database itself: synchronous node:sqlite calls behind the async Runner the store's
// operations are written against. WAL, synchronous=FULL, a busy timeout, the file locked to one
// process. It runs on the SQLite thread (thread.ts), never on the thread that answers requests.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';
import { migrate } from '../migrate.ts';
import { NO_LEASE } from '../operations/delivery-ends.ts';
import { sqliteDialect, type Changed, type Param, type Row, type Runner, withoutNul } from '../runner.ts';

export class StoreInUseError extends Error {
  override readonly name = 'StoreInUseError';
}

export class SqliteRunner implements Runner {
  readonly dialect = sqliteDialect;
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async all(sql: string, params: readonly Param[] = []): Promise<Row[]> {
    return this.statement(sql).all(...(withoutNul(params) as SQLInputValue[])) as Row[];
  }

  async run(sql: string, params: readonly Param[] = []): Promise<Changed> {
    const result = this.statement(sql).run(...(withoutNul(params) as SQLInputValue[]));
    return { changes: Number(result.changes), lastId: Number(result.lastInsertRowid) };
  }

  /** The thread runs one operation at a time, so a transaction spanning awaits has the file to itself. */
  async transaction<T>(work: (tx: Runner) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this);
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = await work(this);
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  close(): void {
    this.db.close();
  }
}

export interface DatabaseOptions {
  /** How long a statement waits for another process's lock before it fails (a second replica's start). */
  busyTimeoutMs: number;
  /** The injected clock's time at opening: the migrations' record, and when a dead process's claims fall due. */
  now: number;
}

/**
 * Opens (creating if needed) and migrates the file, locked for this process alone: a second
 * replica on the same file would send orders twice, so it fails to start instead.
 */
export async function openDatabase(path: string, { busyTimeoutMs, now }: DatabaseOptions): Promise<SqliteRunner> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const runner = new SqliteRunner(new DatabaseSync(path, { timeout: busyTimeoutMs }));
  try {
    // FULL: every commit reaches the disk before the shops are answered, so an accepted order
    // survives a power cut, not only a crash. The fsync is the SQLite thread's wait, shared by the
    // orders of one group commit; measured here it also evens out checkpoints (commit p99 7 ms, not 19).
    runner.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
    // Foreign keys stay off while migrating: a migration may rebuild a table that others refer to.
    runner.exec('PRAGMA foreign_keys = OFF');
    await migrate(runner, now);
    runner.exec('PRAGMA foreign_keys = ON');
    // A statement that changes many rows inside a transaction (a batch's claim or its outcome) keeps the
    // pages it may have to undo in a statement journal, spilled to a temporary file past 64 KB: in
    // memory, that is two write calls a page less. Set after migrating, so rebuilding a big
    // table's index still sorts on disk; inside transactions, every later statement changes a bounded
    // number of rows (a batch, one customer's pending orders, a retention chunk).
    runner.exec('PRAGMA temp_store = MEMORY');
    // This process is the file's only user (the lock above), so any claim left behind is a dead process's.
    // Due when they were (by now at the latest): the quiet hours judge a message by when it fell due.
    await runner.run(
      `UPDATE deliveries SET next_attempt_at = min(coalesce(next_attempt_at, ?), ?), ${NO_LEASE} WHERE status = 'pending' AND lease_owner IS NOT NULL`,
      [now, now],
    );
    await runner.run(`UPDATE credentials SET refresh_owner = NULL, refresh_until = NULL`);
  } catch (error) {
    runner.close();
    if ((error as { errcode?: number }).errcode === 5) {
      throw new StoreInUseError(
        `database ${path} is in use by another process: SQLite serves one replica; use PostgreSQL (DATABASE_URL=postgres://...) for several`,
      );
    }
    throw error;
  }
  return runner;
}
