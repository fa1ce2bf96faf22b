// The service over HTTP on each store engine: SQLite in its own directory (the default), or a fresh
// PostgreSQL schema; an engine that cannot run here is skipped with a banner (helpers/postgres.ts).
import { afterAll } from 'vitest';
import { freshSchema, postgresServer } from './postgres.ts';

const server = await postgresServer();
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops.splice(0)) await drop();
});

export const SERVICE_ENGINES = [
  { engine: 'sqlite' as const, available: true },
  { engine: 'postgres' as const, available: server !== undefined },
];

/** The settings that put a service on `engine`: nothing for SQLite, a fresh schema's URL for PostgreSQL (dropped after the file). */
export async function engineEnv(engine: 'sqlite' | 'postgres'): Promise<Record<string, string>> {
  if (engine === 'sqlite') return {};
  const schema = await freshSchema(server as string);
  drops.push(schema.drop);
  return { DATABASE_URL: schema.url };
}
