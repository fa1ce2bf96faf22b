// The store engines the shared suite runs against.
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres/engine.ts';
import { openSqliteStore } from '../../src/store/sqlite/engine.ts';
import type { Store } from '../../src/store/store.ts';
import { freshSchema, postgresServer } from './postgres.ts';
import { tempDir } from './service.ts';

export interface StoreEngine {
  name: string;
  /** False when the engine cannot run here (no PostgreSQL): its tests show as skipped. */
  available: boolean;
  open(): Promise<{ store: Store; close: () => Promise<void> }>;
}

export const STORE_ENGINES: StoreEngine[] = [
  {
    name: 'sqlite',
    available: true,
    async open() {
      const store = await openSqliteStore(join(tempDir(), 'store.db'));
      return { store, close: () => store.close() };
    },
  },
];

const server = await postgresServer();
STORE_ENGINES.push({
  name: 'postgres',
  available: server !== undefined,
  async open() {
    if (!server) throw new Error('no PostgreSQL server');
    const schema = await freshSchema(server);
    const store = await openPostgresStore({ url: schema.url, poolMax: 5 });
    return {
      store,
      async close() {
        await store.close();
        await schema.drop();
      },
    };
  },
});
