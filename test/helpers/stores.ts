// The store engines the shared suite runs against.
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres/engine.ts';
import { openSqliteStore } from '../../src/store/sqlite/engine.ts';
import type { Store } from '../../src/store/store.ts';
import { afterEach, beforeEach, describe, test } from 'vitest';
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

/**
 * The same tests over every engine, each test on a fresh store (`suite` gets a getter for it); an
 * engine that cannot run here shows as one skipped test that says why.
 */
export function describeEachStore(suite: (store: () => Store, engine: StoreEngine) => void): void {
  describe.each(STORE_ENGINES)('$name store', (engine) => {
    if (!engine.available) {
      test.skip(`every ${engine.name} store test (no ${engine.name} here)`);
      return;
    }
    let store: Store | undefined;
    let close: (() => Promise<void>) | undefined;
    beforeEach(async () => {
      ({ store, close } = await engine.open());
    });
    afterEach(async () => close?.());
    suite(() => {
      if (!store) throw new Error('the store is opened before each test');
      return store;
    }, engine);
  });
}
