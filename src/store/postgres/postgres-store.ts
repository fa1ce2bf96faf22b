// PostgreSQL for several replicas: the same guarantees across processes. Deduplication by the
// unique key, claims with FOR UPDATE SKIP LOCKED and a lease, credential refreshes under a
// transaction-scoped advisory lock, wake-ups by LISTEN/NOTIFY. Every transaction runs on one
// client checked out of the pool.
import pg from 'pg';
import { serviceFile } from '../../service-files.ts';
import { readMigrations } from '../migrations.ts';
import { numbered } from '../operator-queries.ts';
import { OperatorStore } from '../operator-store.ts';
import {
  CLAIMED_COLUMNS,
  DELIVERY_COLUMNS,
  credentialsRow,
  deliveryRow,
  toClaimed,
  toCredentials,
  upsertCredentialsSql,
  type DeliveryRow,
  type Row,
} from '../rows.ts';
import type { AttemptResult, ClaimedDelivery, CredentialsLockWork, IncomingOrder, RecordedOrder, Store, StoredCredentials } from '../store.ts';
import { DueNotifications } from './due-notifications.ts';

export interface PostgresOptions {
  url: string;
  poolMax: number;
  /** Told when the LISTEN connection is lost or back, for the log. */
  onListenerChange?: (connected: boolean, error?: Error) => void;
}

/** int8 columns (ids, times in ms) as numbers: both fit in 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** The SQL type of each delivery column, for the batch insert's unnest(). */
const COLUMN_TYPES: Record<(typeof DELIVERY_COLUMNS)[number], string> = {
  source: 'text',
  shop: 'text',
  order_id: 'text',
  topic: 'text',
  received_at: 'bigint',
  order_json: 'text',
  status: 'text',
  platform: 'text',
  client_id: 'text',
  recipient_via: 'text',
  rule: 'text',
  intent_id: 'text',
  message: 'text',
  fb_tag: 'text',
  broadcast_name: 'text',
  batch_key: 'text',
  next_attempt_at: 'bigint',
  lease_owner: 'text',
  finished_at: 'bigint',
  last_error: 'text',
};
const INSERT_DELIVERIES = `INSERT INTO deliveries (${DELIVERY_COLUMNS.join(', ')})
  SELECT * FROM unnest(${DELIVERY_COLUMNS.map((c, i) => `$${i + 1}::${COLUMN_TYPES[c]}[]`).join(', ')})
  ON CONFLICT (source, shop, order_id) DO NOTHING
  RETURNING id, source, shop, order_id, status`;

interface QueuedOrder {
  row: DeliveryRow;
  resolve: (recorded: RecordedOrder) => void;
  reject: (error: unknown) => void;
}

const keyOf = (source: unknown, shop: unknown, orderId: unknown) => `${String(source)}\u0000${String(shop)}\u0000${String(orderId)}`;

export class PostgresStore implements Store {
  readonly engine = 'postgres';
  private readonly pool: pg.Pool;
  private readonly notifications: DueNotifications;
  private orders: QueuedOrder[] = [];
  private closed = false;

  readonly operator: OperatorStore;

  constructor(pool: pg.Pool, notifications: DueNotifications) {
    this.pool = pool;
    this.notifications = notifications;
    this.operator = new OperatorStore(
      {
        all: async (query) => (await pool.query(numbered(query.text), query.params)).rows as Row[],
        run: async (query) => (await pool.query(numbered(query.text), query.params)).rowCount ?? 0,
        runAll: (queries) =>
          this.transaction(async (client) => {
            for (const query of queries) await client.query(numbered(query.text), query.params);
          }),
      },
      () => notifications.notify(),
    );
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  recordOrder(incoming: IncomingOrder): Promise<RecordedOrder> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    const row = deliveryRow(incoming);
    return new Promise((resolve, reject) => {
      this.orders.push({ row, resolve, reject });
      // The orders of one turn of the event loop go in one statement.
      if (this.orders.length === 1) setImmediate(() => void this.insertOrders());
    });
  }

  private async insertOrders(): Promise<void> {
    const batch = this.orders;
    this.orders = [];
    if (batch.length === 0) return;
    try {
      const recorded = await this.insertRows(batch.map((o) => o.row));
      batch.forEach((o, i) => o.resolve(recorded[i] as RecordedOrder));
      if (recorded.some((r) => r.outcome === 'accepted' && r.status === 'pending')) await this.notifications.notify();
    } catch (error) {
      for (const o of batch) o.reject(error);
    }
  }

  private async insertRows(rows: DeliveryRow[]): Promise<RecordedOrder[]> {
    const columns = DELIVERY_COLUMNS.map((_, c) => rows.map((row) => row[c] ?? null));
    const inserted = (await this.pool.query(INSERT_DELIVERIES, columns)).rows as Row[];
    const fresh = new Map(inserted.map((r) => [keyOf(r.source, r.shop, r.order_id), r]));
    // Anything not inserted was already there (another request, another replica): a duplicate.
    const missing = rows.filter(([source, shop, orderId]) => !fresh.has(keyOf(source, shop, orderId)));
    const existing = new Map<string, Row>();
    if (missing.length > 0) {
      const found = await this.pool.query(
        `SELECT d.id, d.source, d.shop, d.order_id, d.status FROM deliveries d
         JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(source, shop, order_id)
           ON d.source = k.source AND d.shop = k.shop AND d.order_id = k.order_id`,
        [missing.map((r) => r[0]), missing.map((r) => r[1]), missing.map((r) => r[2])],
      );
      for (const r of found.rows as Row[]) existing.set(keyOf(r.source, r.shop, r.order_id), r);
    }
    const claimedFresh = new Set<string>();
    return rows.map(([source, shop, orderId]) => {
      const key = keyOf(source, shop, orderId);
      const row = fresh.get(key);
      // The same order twice in one batch: the first is accepted, the second a duplicate of it.
      if (row && !claimedFresh.has(key)) {
        claimedFresh.add(key);
        return { outcome: 'accepted', deliveryId: Number(row.id), status: row.status as RecordedOrder['status'] };
      }
      const found = row ?? existing.get(key);
      if (!found) throw new Error(`order ${String(orderId)} was neither inserted nor found`);
      return { outcome: 'duplicate', deliveryId: Number(found.id), status: found.status as RecordedOrder['status'] };
    });
  }

  async claimBatch(owner: string, limit: number, leaseMs: number, now: number): Promise<ClaimedDelivery[]> {
    // The oldest due delivery picks the batch key; rows another replica is claiming right now are skipped.
    const { rows } = await this.pool.query(
      `WITH head AS (
         SELECT batch_key FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
       ), picked AS (
         SELECT d.id FROM deliveries d JOIN head ON d.batch_key = head.batch_key
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1
         ORDER BY d.next_attempt_at, d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED
       )
       UPDATE deliveries SET lease_owner = $3, next_attempt_at = $4 FROM picked WHERE deliveries.id = picked.id
       RETURNING ${CLAIMED_COLUMNS.split(', ').map((c) => `deliveries.${c}`).join(', ')}`,
      [now, limit, owner, now + leaseMs],
    );
    return (rows as Row[]).map(toClaimed).sort((a, b) => a.id - b.id);
  }

  async recordAttempts(owner: string, results: AttemptResult[]): Promise<void> {
    if (results.length === 0) return;
    const now = Date.now();
    const column = <T>(pick: (r: AttemptResult) => T) => results.map(pick);
    const of = (to: AttemptResult['then']['to']) => results.filter((r) => r.then.to === to);
    await this.transaction(async (client) => {
      await client.query(
        `INSERT INTO attempts (delivery_id, started_at, duration_ms, outcome, http_status, error, next_attempt_at, batch_size)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::text[], $5::int[], $6::text[], $7::bigint[], $8::int[])`,
        [
          column((r) => r.attempt.deliveryId),
          column((r) => r.attempt.startedAt),
          column((r) => r.attempt.durationMs),
          column((r) => r.attempt.outcome),
          column((r) => r.attempt.httpStatus),
          column((r) => r.attempt.error),
          column((r) => (r.then.to === 'retry' ? r.then.at : null)),
          column((r) => r.attempt.batchSize),
        ],
      );
      const sent = of('sent');
      if (sent.length > 0) {
        await client.query(
          `UPDATE deliveries SET status = 'sent', attempts = attempts + 1, finished_at = $1, next_attempt_at = NULL, lease_owner = NULL, last_error = NULL
           WHERE id = ANY($2::bigint[]) AND status = 'pending'`,
          [now, sent.map((r) => r.attempt.deliveryId)],
        );
      }
      const dead = of('dead');
      if (dead.length > 0) {
        await client.query(
          `UPDATE deliveries d SET status = 'dead', attempts = d.attempts + 1, finished_at = $1, next_attempt_at = NULL, lease_owner = NULL, last_error = u.reason
           FROM unnest($2::bigint[], $3::text[]) AS u(id, reason) WHERE d.id = u.id AND d.status = 'pending'`,
          [now, dead.map((r) => r.attempt.deliveryId), dead.map((r) => (r.then as { reason: string }).reason)],
        );
      }
      const retry = of('retry');
      if (retry.length > 0) {
        await client.query(
          `UPDATE deliveries d SET attempts = d.attempts + u.counted, next_attempt_at = u.at, lease_owner = NULL, last_error = u.error
           FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::text[]) AS u(id, at, counted, error)
           WHERE d.id = u.id AND d.status = 'pending' AND d.lease_owner = $5`,
          [
            retry.map((r) => r.attempt.deliveryId),
            retry.map((r) => (r.then as { at: number }).at),
            retry.map((r) => ((r.then as { counted: boolean }).counted ? 1 : 0)),
            retry.map((r) => r.attempt.error),
            owner,
          ],
        );
      }
    });
  }

  async renewLease(owner: string, ids: number[], until: number): Promise<void> {
    await this.pool.query(`UPDATE deliveries SET next_attempt_at = $1 WHERE id = ANY($2::bigint[]) AND status = 'pending' AND lease_owner = $3`, [until, ids, owner]);
  }

  async release(owner: string, ids: number[], at: number): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE deliveries SET next_attempt_at = $1, lease_owner = NULL WHERE id = ANY($2::bigint[]) AND status = 'pending' AND lease_owner = $3`,
      [at, ids, owner],
    );
    await this.notifications.notify();
  }

  async nextDueAt(): Promise<number | undefined> {
    const { rows } = await this.pool.query(`SELECT min(next_attempt_at) AS due FROM deliveries WHERE status = 'pending'`);
    const due = (rows[0] as Row).due;
    return due === null ? undefined : Number(due);
  }

  onDeliveryDue(listener: () => void): () => void {
    return this.notifications.subscribe(listener);
  }

  async loadCredentials(botId: string): Promise<StoredCredentials | undefined> {
    const { rows } = await this.pool.query(`SELECT * FROM credentials WHERE bot_id = $1`, [botId]);
    return rows[0] ? toCredentials(rows[0] as Row) : undefined;
  }

  /**
   * One refresh at a time for the whole deployment: a transaction-scoped advisory lock (safe behind
   * PgBouncer), the stored pair re-read under it, and whatever `work` returns stored before commit.
   */
  withCredentialsLock<T>(botId: string, work: CredentialsLockWork<T>): Promise<T> {
    return this.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':credentials:' || $1, 0))`, [botId]);
      const { rows } = await client.query(`SELECT * FROM credentials WHERE bot_id = $1`, [botId]);
      const { save, result } = await work(rows[0] ? toCredentials(rows[0] as Row) : undefined);
      if (save) await client.query(upsertCredentialsSql((i) => `$${i}`), credentialsRow(save));
      return result;
    });
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.insertOrders(); // orders already answered for are committed before the pool closes
    this.closed = true;
    await this.notifications.close();
    await this.pool.end();
  }
}

/** Migrations run under a transaction-scoped advisory lock: replicas starting together apply them once. */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':migrations', 0))`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const applied = new Set((await client.query('SELECT version FROM schema_migrations')).rows.map((r: Row) => Number(r.version)));
    for (const migration of readMigrations(serviceFile('store/postgres/migrations'))) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function openPostgresStore(options: PostgresOptions): Promise<PostgresStore> {
  const config = {
    connectionString: options.url,
    application_name: 'mantago-order-notifier',
    connectionTimeoutMillis: 5_000,
    statement_timeout: 30_000,
    types,
  };
  const pool = new pg.Pool({ ...config, max: options.poolMax, idleTimeoutMillis: 30_000 });
  // An idle client's error (the server restarted, say) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    await migrate(pool);
    const schema = (await pool.query('SELECT current_schema() AS schema')).rows[0] as { schema: string };
    const notifications = new DueNotifications(config, `deliveries_due:${schema.schema}`, pool, options.onListenerChange);
    await notifications.start();
    return new PostgresStore(pool, notifications);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
