// The store-growth benchmark's own databases: a fresh SQLite file or a fresh PostgreSQL database
// each, reached directly (not through the service) to seed and size them while the service is
// stopped, and removed afterwards.
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type EngineName = 'sqlite' | 'postgres';
export type Row = Record<string, unknown>;

/** Statements with `?` placeholders, on either engine. */
export interface Sql {
  all(text: string, params?: readonly (string | number)[]): Promise<Row[]>;
  run(text: string, params?: readonly (string | number)[]): Promise<number>;
}

export interface BenchDb {
  readonly engine: EngineName;
  /** DATABASE_URL for the service. */
  readonly url: string;
  /** Runs `work` on a connection of the bench's own; only while the service is stopped (SQLite's file belongs to one process). */
  session<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  /** Bytes on disk: the file and its WAL after a checkpoint, or every table of the database with its indexes and TOAST. */
  size(): Promise<number>;
  /** A copy as it stands, so that every measured run starts from the same rows. */
  clone(): Promise<BenchDb>;
  drop(): Promise<void>;
}

/** Where the bench may create and drop databases. */
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
let created = 0;

export async function createDb(engine: EngineName): Promise<BenchDb> {
  return engine === 'sqlite' ? sqliteDb() : postgresDb();
}

function sqliteDb(from?: string): BenchDb {
  const dir = mkdtempSync(join(tmpdir(), 'notifier-growth-'));
  const path = join(dir, 'notifier.db');
  if (from) copyFileSync(from, path);
  const session = async <T>(work: (sql: Sql) => Promise<T>): Promise<T> => {
    const db = new DatabaseSync(path, { timeout: 5_000 });
    try {
      return await work({
        all: async (text, params = []) => db.prepare(text).all(...(params as SQLInputValue[])) as Row[],
        run: async (text, params = []) => Number(db.prepare(text).run(...(params as SQLInputValue[])).changes),
      });
    } finally {
      db.close();
    }
  };
  const checkpoint = () => session((sql) => sql.all('PRAGMA wal_checkpoint(TRUNCATE)'));
  return {
    engine: 'sqlite',
    url: path,
    session,
    async size() {
      await checkpoint();
      const bytes = (file: string) => statSync(file, { throwIfNoEntry: false })?.size ?? 0;
      return bytes(path) + bytes(`${path}-wal`);
    },
    async clone() {
      await checkpoint(); // everything in the main file: the copy needs no WAL
      return sqliteDb(path);
    },
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresDb(template?: string): Promise<BenchDb> {
  const name = `notifier_growth_${process.pid}_${++created}`;
  const admin = async (text: string) => {
    const client = new pg.Client(POSTGRES_ADMIN_URL);
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  // A template copies the files, planner statistics included (nobody may be connected to it meanwhile);
  // FILE_COPY (PostgreSQL 15+) rather than writing the whole copy to the WAL.
  await admin(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template} STRATEGY FILE_COPY` : ''}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const session = async <T>(work: (sql: Sql) => Promise<T>): Promise<T> => {
    const client = new pg.Client(url.href);
    await client.connect();
    const numbered = (text: string) => {
      let n = 0;
      return text.replace(/\?/g, () => `$${++n}`);
    };
    try {
      return await work({
        all: async (text, params = []) => (await client.query(numbered(text), [...params])).rows as Row[],
        run: async (text, params = []) => (await client.query(numbered(text), [...params])).rowCount ?? 0,
      });
    } finally {
      await client.end();
    }
  };
  return {
    engine: 'postgres',
    url: url.href,
    session,
    async size() {
      const [row] = await session((sql) =>
        sql.all(
          `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind = 'r' AND n.nspname = current_schema()`,
        ),
      );
      return Number(row?.bytes ?? 0);
    },
    clone: () => postgresDb(name),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
