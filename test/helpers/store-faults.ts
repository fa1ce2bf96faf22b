// A store that fails on demand, on either engine, from outside the service: triggers in the
// service's own database. Faults are rows of a `test_faults` table: (kind, order id or null).
//   poison       an insert of that order fails (the one bad row of a group commit)
//   slow         an insert of that order holds the store for `stallMs` (a wedged store)
//   credentials  storing a new MantaGO pair fails (a refresh claim still works)
//   attempts     recording an attempt fails
//   refresh      a held message's text rewritten fails (PostgreSQL only)
// SQLite's file belongs to the running service alone, so its faults are set before it starts;
// PostgreSQL's can be switched on and off at any time.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/engine.ts';
import { openSqliteStore } from '../../src/store/sqlite/engine.ts';
import { freshSchema } from './postgres.ts';

export type Fault = { kind: 'poison' | 'slow'; orderId: string } | { kind: 'credentials' | 'attempts' | 'refresh' };

export interface FaultyStore {
  engine: 'sqlite' | 'postgres';
  /** DATABASE_URL for the service. */
  url: string;
  /** PostgreSQL only: switch faults while the service runs. */
  set(faults: Fault[]): Promise<void>;
  /** PostgreSQL only: a query on the service's database. */
  query(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  close(): Promise<void>;
}

/** The work of a slow insert on SQLite (no sleep there): a join of test_rows with itself, growing as their number squared. */
const SQLITE_STALL = 'SELECT count(*) FROM test_rows a, test_rows b, (SELECT x FROM test_rows LIMIT 100) c WHERE a.x + b.x + c.x < 0';

const fillRows = (db: DatabaseSync, count: number) =>
  db.exec(`DELETE FROM test_rows;
    WITH RECURSIVE c(x) AS (VALUES (1) UNION ALL SELECT x + 1 FROM c WHERE x < ${count}) INSERT INTO test_rows SELECT x FROM c;`);

/**
 * As many test_rows as keep this machine's SQLite busy about `ms`, timed on a few first. The fastest
 * of three probes counts: a stall that comes out longer than asked only makes the test slower.
 */
function sizeSqliteStall(db: DatabaseSync, ms: number): void {
  const probe = 150;
  fillRows(db, probe);
  let probeMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    db.prepare(SQLITE_STALL).get();
    probeMs = Math.min(probeMs, Math.max(1, performance.now() - started));
  }
  fillRows(db, Math.round(probe * Math.sqrt(ms / probeMs)));
}

export async function faultyStore(
  engine: 'sqlite' | 'postgres',
  dir: string,
  server: string | undefined,
  initial: Fault[] = [],
  { stallMs = 2_500 }: { stallMs?: number } = {},
): Promise<FaultyStore> {
  if (engine === 'sqlite') {
    const file = join(dir, 'faulty.db');
    await (await openSqliteStore(file)).close(); // migrated, as the service will find it
    const db = new DatabaseSync(file);
    db.exec(`
      CREATE TABLE test_faults (kind TEXT NOT NULL, order_id TEXT);
      CREATE TABLE test_rows (x INTEGER);
      CREATE TRIGGER test_poison BEFORE INSERT ON deliveries
        WHEN EXISTS (SELECT 1 FROM test_faults WHERE kind = 'poison' AND order_id = NEW.order_id)
        BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;
      -- about stallMs of work on the SQLite thread: the store is wedged meanwhile
      CREATE TRIGGER test_slow BEFORE INSERT ON deliveries
        WHEN EXISTS (SELECT 1 FROM test_faults WHERE kind = 'slow' AND order_id = NEW.order_id)
        BEGIN ${SQLITE_STALL}; END;
      CREATE TRIGGER test_credentials BEFORE UPDATE ON credentials
        WHEN EXISTS (SELECT 1 FROM test_faults WHERE kind = 'credentials') AND OLD.api_token IS NOT NEW.api_token
        BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;
      CREATE TRIGGER test_attempts BEFORE INSERT ON attempts
        WHEN EXISTS (SELECT 1 FROM test_faults WHERE kind = 'attempts')
        BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;`);
    sizeSqliteStall(db, stallMs);
    for (const fault of initial)
      db.prepare('INSERT INTO test_faults (kind, order_id) VALUES (?, ?)').run(fault.kind, 'orderId' in fault ? fault.orderId : null);
    db.close();
    const unsupported = async () => {
      throw new Error('SQLite faults are set before the service starts');
    };
    return { engine, url: file, set: unsupported, query: unsupported, close: async () => undefined };
  }
  if (!server) throw new Error('no PostgreSQL server');
  const schema = await freshSchema(server);
  await (await openPostgresStore({ url: schema.url, poolMax: 2 })).close();
  const client = new pg.Client({ connectionString: schema.url });
  await client.connect();
  await client.query(`
    CREATE TABLE test_faults (kind TEXT NOT NULL, order_id TEXT);
    CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_TABLE_NAME = 'deliveries' AND TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM test_faults WHERE kind = 'refresh') AND OLD.message IS DISTINCT FROM NEW.message THEN
          RAISE EXCEPTION 'disk I/O error';
        END IF;
      ELSIF TG_TABLE_NAME = 'deliveries' THEN
        IF EXISTS (SELECT 1 FROM test_faults WHERE kind = 'poison' AND order_id = NEW.order_id) THEN
          RAISE EXCEPTION 'poisoned row';
        END IF;
        IF EXISTS (SELECT 1 FROM test_faults WHERE kind = 'slow' AND order_id = NEW.order_id) THEN
          PERFORM pg_sleep(${stallMs / 1000});
        END IF;
      ELSIF TG_TABLE_NAME = 'credentials' THEN
        IF EXISTS (SELECT 1 FROM test_faults WHERE kind = 'credentials') AND OLD.api_token IS DISTINCT FROM NEW.api_token THEN
          RAISE EXCEPTION 'disk I/O error';
        END IF;
      ELSIF EXISTS (SELECT 1 FROM test_faults WHERE kind = 'attempts') THEN
        RAISE EXCEPTION 'disk I/O error';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER test_fault BEFORE INSERT OR UPDATE ON deliveries FOR EACH ROW EXECUTE FUNCTION test_fault();
    CREATE TRIGGER test_fault BEFORE UPDATE ON credentials FOR EACH ROW EXECUTE FUNCTION test_fault();
    CREATE TRIGGER test_fault BEFORE INSERT ON attempts FOR EACH ROW EXECUTE FUNCTION test_fault();`);
  const set = async (faults: Fault[]) => {
    await client.query('DELETE FROM test_faults');
    for (const fault of faults)
      await client.query('INSERT INTO test_faults (kind, order_id) VALUES ($1, $2)', [
        fault.kind,
        'orderId' in fault ? fault.orderId : null,
      ]);
  };
  await set(initial);
  return {
    engine,
    url: schema.url,
    set,
    query: (sql, params) => client.query(sql, params),
    async close() {
      await client.end();
      await schema.drop();
    },
  };
}
