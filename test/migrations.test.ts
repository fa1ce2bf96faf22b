// Upgrading a store that holds orders: a migration that fills a new column from the stored orders
// (008, the order number) does so on both engines, including an order whose JSON holds a \u0000
// escape (PostgreSQL's json operators refuse one).
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { openPostgresStore } from '../src/store/postgres/engine.ts';
import { openSqliteStore } from '../src/store/sqlite/engine.ts';
import type { Store } from '../src/store/store.ts';
import { freshSchema, postgresServer } from './helpers/postgres.ts';
import { tempDir } from './helpers/service.ts';
import { incoming } from './helpers/store-records.ts';

const server = await postgresServer();

/** Takes migration 008 back out, as a store from before it would be (its column, index and record). */
const BEFORE_008 = [
  'DROP INDEX deliveries_order_number',
  'ALTER TABLE deliveries DROP COLUMN order_number',
  'DELETE FROM schema_migrations WHERE version = 8',
];

interface Engine {
  open(): Promise<Store>;
  sql(statements: string[]): Promise<void>;
  close(): Promise<void>;
}

async function sqlite(): Promise<Engine> {
  const file = join(tempDir(), 'upgrade.db');
  return {
    open: () => openSqliteStore(file),
    async sql(statements) {
      const db = new DatabaseSync(file);
      for (const statement of statements) db.exec(statement);
      db.close();
    },
    close: async () => undefined,
  };
}

async function postgres(url: string, drop: () => Promise<void>): Promise<Engine> {
  return {
    open: () => openPostgresStore({ url, poolMax: 2 }),
    async sql(statements) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      for (const statement of statements) await client.query(statement);
      await client.end();
    },
    close: drop,
  };
}

describe.each([{ name: 'sqlite' }, { name: 'postgres' }])('$name', ({ name }) => {
  test.skipIf(name === 'postgres' && !server)('008 fills in the order number of the orders stored before it', async () => {
    const engine =
      name === 'sqlite'
        ? await sqlite()
        : await (async () => {
            const schema = await freshSchema(server as string);
            return postgres(schema.url, schema.drop);
          })();
    try {
      let store = await engine.open();
      const plain = await store.recordOrder(incoming({ orderId: '5820001', orderNumber: '#1001' }));
      const oddOrder = incoming({ orderId: '5820002', orderNumber: '#1002' });
      // A NUL in the order: JSON.stringify writes it as a \u0000 escape in the stored order.
      const odd = await store.recordOrder({ ...oddOrder, order: { ...oddOrder.order!, customer: { firstName: 'a\u0000b' } } });
      const none = await store.recordOrder(incoming({ orderId: '5820003' }));
      await store.close();
      await engine.sql(BEFORE_008);

      store = await engine.open();
      const listed = await store.operator.listDeliveries({ limit: 10 }, Date.now());
      expect(listed.map((d) => [d.id, d.orderNumber])).toEqual([
        [none.deliveryId, null],
        [odd.deliveryId, '#1002'],
        [plain.deliveryId, '#1001'],
      ]);
      expect((await store.operator.listDeliveries({ limit: 10, orderId: '1001' }, Date.now())).map((d) => d.id)).toEqual([
        plain.deliveryId,
      ]);
      await store.close();
    } finally {
      await engine.close();
    }
  });
});
