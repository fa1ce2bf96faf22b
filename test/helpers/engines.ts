// The two storage engines for a test over HTTP: SQLite (the default) and PostgreSQL (a fresh schema
// on the test server, dropped after the file), each as the environment that selects it.
import { afterAll } from 'vitest';
import { freshSchema, postgresServer } from './postgres.ts';

const server = await postgresServer();
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

export const ENGINES = [
  { engine: 'sqlite' as const, available: true, env: async (): Promise<Record<string, string>> => ({}) },
  {
    engine: 'postgres' as const,
    available: server !== undefined,
    env: async (): Promise<Record<string, string>> => {
      const schema = await freshSchema(server as string);
      drops.push(schema.drop);
      return { DATABASE_URL: schema.url };
    },
  },
];
