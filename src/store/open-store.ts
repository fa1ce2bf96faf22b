// DATABASE_URL picks the engine: postgres:// or postgresql:// for PostgreSQL, anything else is a SQLite file path.
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export async function openStore(url: string): Promise<Store> {
  if (isPostgresUrl(url)) throw new Error('PostgreSQL storage is not available in this build');
  return openSqliteStore(url);
}
