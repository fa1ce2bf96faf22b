// PostgreSQL for several replicas: the same guarantees across processes. Deduplication by the
// unique key, claims with FOR UPDATE SKIP LOCKED and a lease, one credential refresh by a claim
// row, wake-ups by LISTEN/NOTIFY. Every transaction runs on one client checked out of the pool.
import pg from 'pg';
import { systemClock } from '../../clock.ts';
import { type Engine, engineStore, type StoreOptions } from '../engine-store.ts';
import { migrate } from '../migrate.ts';
import { type AnyOperation, OPERATIONS, type OperationName } from '../operations/index.ts';
import { numbered, postgresDialect, type Changed, type Param, type Row, type Runner, withoutNul } from '../runner.ts';
import { StoreUnavailableError } from '../errors.ts';
import type { Store } from '../store.ts';
import { DueNotifications } from './due-notifications.ts';

export interface PostgresOptions extends StoreOptions {
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

const texts = new Map<string, string>();
const text = (sql: string) => {
  let numberedText = texts.get(sql);
  if (numberedText === undefined) {
    numberedText = numbered(sql);
    texts.set(sql, numberedText);
  }
  return numberedText;
};

/**
 * The database out of reach or dropping the connection (a restart, a failover, an ended session):
 * the connection's SQLSTATEs (class 08 but 08P01, a protocol violation: a bug of ours), 57P01-57P03
 * (shut down, crashed, starting up), too many clients (replicas reconnecting at once), a read-only
 * transaction (a standby after a failover), and the socket's errors. The store is unavailable then,
 * not broken: a webhook gets 503 with Retry-After, as when it is slow. The original is its cause.
 */
const UNREACHABLE_CODES = new Set([
  ...['08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300', '25006'],
  ...[
    'ECONNREFUSED',
    'ECONNRESET',
    'ECONNABORTED',
    'ETIMEDOUT',
    'EPIPE',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'EHOSTDOWN',
    'ENETUNREACH',
  ],
]);
function unreachable(error: unknown): StoreUnavailableError | undefined {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const known = typeof code === 'string' && UNREACHABLE_CODES.has(code);
  const said =
    typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|connection error/i.test(message);
  if (!known && !said) return undefined;
  const lost = new StoreUnavailableError(
    'unreachable',
    `the database cannot be reached (${typeof code === 'string' ? code : 'connection lost'})`,
  );
  return Object.assign(lost, { cause: error });
}

/** `error` as the caller should see it: a lost database as the store's unavailability. */
/**
 * SQLSTATEs of a database that cannot take the statement now, though reached: a serialization failure
 * or a deadlock (busy), a lock not available or a statement timeout (a long migration's lock; timeout),
 * class 53, no disk, memory or connections left (unreachable). Tried again, as when it is slow: an
 * outcome of a call made is written again (never the call made twice), a webhook gets 503.
 */
const NOT_NOW = new Map<string, StoreUnavailableError['reason']>([
  ['40001', 'busy'],
  ['40P01', 'busy'],
  ['55P03', 'timeout'],
  ['57014', 'timeout'],
  ['53100', 'unreachable'],
  ['53200', 'unreachable'],
  ['53400', 'unreachable'],
]);
function notNow(error: unknown): StoreUnavailableError | undefined {
  const { code } = error as { code?: unknown };
  const reason = typeof code === 'string' ? NOT_NOW.get(code) : undefined;
  if (!reason) return undefined;
  return Object.assign(new StoreUnavailableError(reason, `the database cannot take it now (${code as string})`), { cause: error });
}

const asStoreError = (error: unknown): unknown => unreachable(error) ?? notNow(error) ?? error;

/** Statements on the pool (each its own transaction), or on one client inside a transaction. */
export class PostgresRunner implements Runner {
  readonly dialect = postgresDialect;
  private readonly pool: pg.Pool;
  private readonly client: pg.PoolClient | undefined;

  constructor(pool: pg.Pool, client?: pg.PoolClient) {
    this.pool = pool;
    this.client = client;
  }

  async all(sql: string, params: readonly Param[] = []): Promise<Row[]> {
    return (await this.query(sql, params)).rows as Row[];
  }

  async run(sql: string, params: readonly Param[] = []): Promise<Changed> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  private async query(sql: string, params: readonly Param[]) {
    try {
      return await (this.client ?? this.pool).query(text(sql), withoutNul(params) as unknown[]);
    } catch (error) {
      throw asStoreError(error);
    }
  }

  async transaction<T>(work: (tx: Runner) => Promise<T>): Promise<T> {
    if (this.client) return work(this);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw asStoreError(error);
    }
    // A checked-out client has no listener of the pool's: the server ending its session (a restart)
    // would be an uncaught error that stops the process. Heard here, and the client discarded.
    let lost: Error | undefined;
    const onLost = (error: Error) => {
      lost = error;
    };
    client.on('error', onLost);
    try {
      await client.query('BEGIN');
      const result = await work(new PostgresRunner(this.pool, client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      lost ??= error instanceof StoreUnavailableError ? error : unreachable(error);
      throw asStoreError(error);
    } finally {
      client.off('error', onLost);
      if (lost) client.on('error', () => undefined); // discarded: whatever it says next is of no use
      client.release(lost);
    }
  }
}

const operations = OPERATIONS as unknown as Record<OperationName, AnyOperation>;

export async function openPostgresStore(options: PostgresOptions): Promise<Store> {
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
  const runner = new PostgresRunner(pool);
  try {
    // Replicas starting together apply each migration once: a transaction-scoped advisory lock.
    await runner.transaction(async (tx) => {
      await tx.all(`SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':migrations', 0))`);
      await migrate(tx, (options.clock ?? systemClock).now());
    });
    const [{ schema }] = (await runner.all('SELECT current_schema() AS schema')) as [{ schema: string }];
    const notifications = new DueNotifications(config, `deliveries_due:${schema}`, pool, options.onListenerChange);
    await notifications.start();
    const engine: Engine = {
      name: 'postgres',
      commitConcurrency: Math.max(1, Math.floor(options.poolMax / 2)),
      run: (op, ...args) => operations[op].run(runner, ...args) as never,
      notifyDue: () => notifications.notify(),
      onDue: (listener) => notifications.subscribe(listener),
      async close() {
        await notifications.close();
        await pool.end();
      },
    };
    return engineStore(engine, options);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
