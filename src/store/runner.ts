// The seam between the store's operations (written once, in operations/) and an engine: run a
// statement, run several in one transaction, and the few phrases the two dialects say differently.
// Statements are written with `?` placeholders; the PostgreSQL runner numbers them.

export type Param = string | number | bigint | null | readonly (string | number)[];
export type Row = Record<string, unknown>;

export interface Changed {
  /** How many rows the statement changed. */
  changes: number;
  /** SQLite only: the id of the row an INSERT added. */
  lastId?: number;
}

export interface Runner {
  readonly dialect: Dialect;
  all(sql: string, params?: readonly Param[]): Promise<Row[]>;
  run(sql: string, params?: readonly Param[]): Promise<Changed>;
  /** Runs `work` in one transaction (a nested call joins the one under way). */
  transaction<T>(work: (tx: Runner) => Promise<T>): Promise<T>;
}

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** `column IN (the values)` with the list as one parameter: json_each on SQLite, ANY(array) on PostgreSQL. */
  inList(column: string, values: readonly (number | string)[], type: 'bigint' | 'text'): { sql: string; param: Param };
  /**
   * A condition most rows examined meet: SQLite, without statistics, would otherwise search the
   * (status, id) index for `status = 'pending'` and sort every pending delivery, where a partial
   * index on the due time answers at once (11 ms against 0.01 ms with 100,000 waiting). PostgreSQL
   * has statistics and no such function.
   */
  likely(condition: string): string;
  /** Appended to a SELECT that claims rows: PostgreSQL skips rows another replica is claiming; SQLite's write transaction is the lock. */
  readonly skipLocked: string;
  /** Appended to a SELECT that must wait for the rows' other writers to finish first: SQLite's write transaction already has. */
  readonly forUpdate: string;
  /**
   * Inserts rows, leaving out those whose unique `conflictColumn` value is already stored; says for
   * each row whether it went in, with its new id. The one statement the engines write differently:
   * one prepared statement per row on SQLite (cheapest there), one unnest() for all on PostgreSQL.
   */
  insertNew(
    db: Runner,
    table: string,
    columns: readonly Column[],
    rows: readonly (readonly Param[])[],
    conflictColumn: string,
  ): Promise<(number | undefined)[]>;
  /** Inserts rows (no conflicts expected), as insertNew does. */
  insertAll(db: Runner, table: string, columns: readonly Column[], rows: readonly (readonly Param[])[]): Promise<void>;
}

/** A column and its SQL type, for the batch inserts. */
export interface Column {
  name: string;
  type: 'text' | 'bigint' | 'int';
}

/** `?` placeholders as PostgreSQL's `$1, $2, …`. */
export function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

/** `IN ('a', 'b')` from an enumeration of ours (a CHECK, or a condition on it): the values are written into the SQL. */
export const oneOf = (values: readonly string[]) => `IN (${values.map((v) => `'${v}'`).join(', ')})`;

const placeholders = (count: number) => Array.from({ length: count }, () => '?').join(', ');

const NUL = '\u0000';
const holdsNul = (value: unknown): boolean => typeof value === 'string' && value.includes(NUL);
const dropNul = <T>(value: T): T => (holdsNul(value) ? ((value as string).replaceAll(NUL, '') as T) : value);
const paramHoldsNul = (param: Param): boolean => (Array.isArray(param) ? param.some(holdsNul) : holdsNul(param));
const paramWithoutNul = (param: Param): Param => (Array.isArray(param) ? param.map(dropNul) : dropNul(param));

/**
 * Parameters as both runners send them: PostgreSQL's text cannot hold U+0000 (SQLite's can), so it
 * is dropped from every string on both engines, alike for a key stored and a key looked up — a NUL
 * in a shop's field (which means nothing) neither fails its order nor hides it from its next event.
 */
export const withoutNul = (params: readonly Param[]): readonly Param[] =>
  params.some(paramHoldsNul) ? params.map(paramWithoutNul) : params;

/** Text as both engines store it: half a UTF-16 surrogate pair becomes U+FFFD and a NUL goes, so a key is looked up as it was stored. */
export const asStored = (text: string): string => dropNul(text.toWellFormed());

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  inList: (column, values) => ({ sql: `${column} IN (SELECT value FROM json_each(?))`, param: JSON.stringify(values) }),
  skipLocked: '',
  forUpdate: '',
  likely: (condition) => `likely(${condition})`,
  async insertNew(db, table, columns, rows, conflictColumn) {
    const sql = `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) VALUES (${placeholders(columns.length)}) ON CONFLICT (${conflictColumn}) DO NOTHING`;
    const ids: (number | undefined)[] = [];
    // No RETURNING: in SQLite it costs about as much again as the insert. `changes` and the row id say it.
    for (const row of rows) {
      const { changes, lastId } = await db.run(sql, row);
      ids.push(changes === 1 ? lastId : undefined);
    }
    return ids;
  },
  async insertAll(db, table, columns, rows) {
    const sql = `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) VALUES (${placeholders(columns.length)})`;
    for (const row of rows) await db.run(sql, row);
  },
};

const unnest = (columns: readonly Column[]) => `SELECT * FROM unnest(${columns.map((c) => `?::${c.type}[]`).join(', ')})`;
const byColumn = (columns: readonly Column[], rows: readonly (readonly Param[])[]) =>
  columns.map((_, i) => rows.map((row) => row[i] ?? null) as (string | number)[]);

export const postgresDialect: Dialect = {
  name: 'postgres',
  inList: (column, values, type) => ({ sql: `${column} = ANY(?::${type}[])`, param: values }),
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  forUpdate: ' FOR UPDATE',
  likely: (condition) => condition,
  async insertNew(db, table, columns, rows, conflictColumn) {
    const inserted = await db.all(
      `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) ${unnest(columns)} ON CONFLICT (${conflictColumn}) DO NOTHING RETURNING id, ${conflictColumn}`,
      byColumn(columns, rows),
    );
    const key = columns.findIndex((c) => c.name === conflictColumn);
    const ids = new Map(inserted.map((r) => [String(r[conflictColumn]), Number(r.id)]));
    // The same key twice in one batch: only its first row went in. A key comes back as stored: half a
    // surrogate pair as U+FFFD.
    return rows.map((row) => {
      const stored = asStored(String(row[key]));
      const id = ids.get(stored);
      ids.delete(stored);
      return id;
    });
  },
  async insertAll(db, table, columns, rows) {
    if (rows.length > 0)
      await db.run(`INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) ${unnest(columns)}`, byColumn(columns, rows));
  },
};
