// The SQLite database itself: synchronous node:sqlite calls in short transactions
// (WAL, synchronous=FULL, a busy timeout, the file locked to one process). It runs on the
// SQLite thread (sqlite-thread.ts), never on the thread that answers requests.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { CLAIMED_COLUMNS, DELIVERY_COLUMNS, credentialsRow, toClaimed, toCredentials, upsertCredentialsSql, type DeliveryRow, type Row } from '../rows.ts';
import { readMigrations } from '../migrations.ts';
import type { Query } from '../operator-queries.ts';
import type { AttemptResult, ClaimedDelivery, RecordedOrder, StoredCredentials } from '../store.ts';

export class StoreInUseError extends Error {
  override readonly name = 'StoreInUseError';
}

// No RETURNING: in SQLite it costs about as much again as the insert itself. A new row is known
// by `changes`, its id by `lastInsertRowid`, and its status is the one inserted.
const INSERT_DELIVERY = `INSERT INTO deliveries (${DELIVERY_COLUMNS.join(', ')}) VALUES (${DELIVERY_COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (source, shop, order_id) DO NOTHING`;
const STATUS = DELIVERY_COLUMNS.indexOf('status');

export class SqliteDatabase {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  /**
   * Opens (creating if needed) and migrates the file, locked for this process alone: a second
   * replica on the same file would send orders twice, so it fails to start instead.
   */
  constructor(path: string, migrationsDir: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path, { timeout: 5_000 });
    try {
      // FULL: every commit reaches the disk before the shops are answered, so an accepted order
      // survives a power cut, not only a crash. The fsync is the SQLite thread's wait, shared by the
      // orders of one group commit; measured here it also evens out checkpoints (commit p99 7 ms, not 19).
      this.db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;');
      this.migrate(migrationsDir);
      // This process is the file's only user (the lock above), so any claim left behind is a dead process's.
      this.sql(`UPDATE deliveries SET next_attempt_at = ?, lease_owner = NULL WHERE status = 'pending' AND lease_owner IS NOT NULL`).run(Date.now());
    } catch (error) {
      this.db.close();
      if ((error as { errcode?: number }).errcode === 5) {
        throw new StoreInUseError(`database ${path} is in use by another process: SQLite serves one replica; use PostgreSQL (DATABASE_URL=postgres://...) for several`);
      }
      throw error;
    }
  }

  private sql(text: string): StatementSync {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Inserts new orders in one transaction; an order already stored comes back as a duplicate. */
  recordOrders(rows: DeliveryRow[]): RecordedOrder[] {
    return this.transaction(() =>
      rows.map((row) => {
        const inserted = this.sql(INSERT_DELIVERY).run(...row);
        if (inserted.changes === 1) return { outcome: 'accepted', deliveryId: Number(inserted.lastInsertRowid), status: row[STATUS] as RecordedOrder['status'] };
        const [source, shop, orderId] = row;
        const existing = this.sql(`SELECT id, status FROM deliveries WHERE source = ? AND shop = ? AND order_id = ?`).get(source ?? null, shop ?? null, orderId ?? null) as Row;
        return { outcome: 'duplicate', deliveryId: Number(existing.id), status: existing.status as RecordedOrder['status'] };
      }),
    );
  }

  claimBatch(owner: string, limit: number, leaseMs: number, now: number): ClaimedDelivery[] {
    return this.transaction(() => {
      const head = this.sql(`SELECT batch_key FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 1`).get(now) as Row | undefined;
      if (!head) return [];
      const rows = this.sql(
        `SELECT ${CLAIMED_COLUMNS} FROM deliveries WHERE status = 'pending' AND batch_key = ? AND next_attempt_at <= ?
         ORDER BY next_attempt_at, id LIMIT ?`,
      ).all(head.batch_key as string, now, limit) as Row[];
      this.sql(`UPDATE deliveries SET lease_owner = ?, next_attempt_at = ? WHERE id IN (SELECT value FROM json_each(?))`).run(owner, now + leaseMs, JSON.stringify(rows.map((r) => r.id)));
      return rows.map(toClaimed);
    });
  }

  recordAttempts(owner: string, results: AttemptResult[]): void {
    const now = Date.now();
    this.transaction(() => {
      for (const { attempt, then } of results) {
        this.sql(
          `INSERT INTO attempts (delivery_id, started_at, duration_ms, outcome, http_status, error, next_attempt_at, batch_size)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(attempt.deliveryId, attempt.startedAt, attempt.durationMs, attempt.outcome, attempt.httpStatus, attempt.error,
          then.to === 'retry' ? then.at : null, attempt.batchSize);
        if (then.to === 'sent') {
          this.sql(`UPDATE deliveries SET status = 'sent', attempts = attempts + 1, finished_at = ?, next_attempt_at = NULL,
                    lease_owner = NULL, last_error = NULL WHERE id = ? AND status = 'pending'`).run(now, attempt.deliveryId);
        } else if (then.to === 'dead') {
          this.sql(`UPDATE deliveries SET status = 'dead', attempts = attempts + 1, finished_at = ?, next_attempt_at = NULL,
                    lease_owner = NULL, last_error = ? WHERE id = ? AND status = 'pending'`).run(now, then.reason, attempt.deliveryId);
        } else if (then.to === 'retry') {
          this.sql(`UPDATE deliveries SET attempts = attempts + ?, next_attempt_at = ?, lease_owner = NULL, last_error = ?
                    WHERE id = ? AND status = 'pending' AND lease_owner = ?`).run(then.counted ? 1 : 0, then.at, attempt.error, attempt.deliveryId, owner);
        }
      }
    });
  }

  renewLease(owner: string, ids: number[], until: number): void {
    this.sql(`UPDATE deliveries SET next_attempt_at = ?
              WHERE id IN (SELECT value FROM json_each(?)) AND status = 'pending' AND lease_owner = ?`).run(until, JSON.stringify(ids), owner);
  }

  release(owner: string, ids: number[], at: number): void {
    this.sql(`UPDATE deliveries SET next_attempt_at = ?, lease_owner = NULL
              WHERE id IN (SELECT value FROM json_each(?)) AND status = 'pending' AND lease_owner = ?`).run(at, JSON.stringify(ids), owner);
  }

  nextDueAt(): number | undefined {
    const row = this.sql(`SELECT min(next_attempt_at) AS due FROM deliveries WHERE status = 'pending'`).get() as Row;
    return row.due === null ? undefined : Number(row.due);
  }

  loadCredentials(botId: string): StoredCredentials | undefined {
    const row = this.sql(`SELECT * FROM credentials WHERE bot_id = ?`).get(botId) as Row | undefined;
    return row ? toCredentials(row) : undefined;
  }

  saveCredentials(c: StoredCredentials): void {
    this.sql(upsertCredentialsSql(() => '?')).run(...credentialsRow(c));
  }

  all(query: Query): Row[] {
    return this.sql(query.text).all(...query.params) as Row[];
  }

  run(query: Query): number {
    return Number(this.sql(query.text).run(...query.params).changes);
  }

  runAll(queries: Query[]): void {
    this.transaction(() => {
      for (const query of queries) this.sql(query.text).run(...query.params);
    });
  }

  ping(): void {
    this.sql('SELECT 1').get();
  }

  close(): void {
    this.db.close();
  }

  private migrate(migrationsDir: string): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const applied = new Set((this.db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => Number(r.version)));
    for (const migration of readMigrations(migrationsDir)) {
      if (applied.has(migration.version)) continue;
      this.transaction(() => {
        this.db.exec(migration.sql);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
      });
    }
  }
}
