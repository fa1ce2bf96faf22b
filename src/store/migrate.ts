// Applies the migrations not yet recorded in schema_migrations, in order. The engines differ in
// how they keep others out meanwhile (an advisory lock on PostgreSQL; SQLite's file belongs to one
// process) and in what a migration may need around it (foreign keys off on SQLite, for a rebuild).
import { MIGRATIONS } from './migrations/index.ts';
import type { Runner } from './runner.ts';

/** `now`: the injected clock's time, recorded with each migration applied. */
export async function migrate(db: Runner, now: number): Promise<void> {
  const engine = db.dialect.name;
  await db.run(
    `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ${engine === 'sqlite' ? 'INTEGER' : 'BIGINT'} NOT NULL)`,
  );
  const applied = new Set((await db.all('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    await db.transaction(async (tx) => {
      for (const statement of splitStatements(migration.sql(engine))) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, now]);
    });
  }
}

/** A migration's statements one by one: the runners take one statement per call. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}
