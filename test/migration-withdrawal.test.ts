// Upgrading a store to withdrawal by the rule (012): a placed message held at the upgrade is still
// withdrawn by its order's cancel, as before, on both engines.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { openPostgresStore } from '../src/store/postgres/engine.ts';
import { openSqliteStore } from '../src/store/sqlite/engine.ts';
import { freshSchema, postgresServer } from './helpers/postgres.ts';
import { tempDir } from './helpers/service.ts';
import { incoming } from './helpers/store-records.ts';

const server = await postgresServer();

/** Takes migration 012 back out, as a store from before it would be. */
const BEFORE_012 = [
  'DROP INDEX recipients_user_id',
  'DROP TABLE recipient_opt_outs',
  'ALTER TABLE deliveries DROP COLUMN withdrawn_by',
  'ALTER TABLE deliveries DROP COLUMN order_key',
  'ALTER TABLE deliveries DROP COLUMN held_until',
  'DELETE FROM schema_migrations WHERE version = 12',
];

async function engineNamed(name: 'sqlite' | 'postgres') {
  if (name === 'sqlite') {
    const file = join(tempDir(), 'upgrade.db');
    return {
      open: () => openSqliteStore(file),
      sql: async (statements: string[]) => {
        const db = new DatabaseSync(file);
        for (const statement of statements) db.exec(statement);
        db.close();
      },
      close: async () => undefined,
    };
  }
  const schema = await freshSchema(server as string);
  return {
    open: () => openPostgresStore({ url: schema.url, poolMax: 2 }),
    sql: async (statements: string[]) => {
      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      for (const statement of statements) await client.query(statement);
      await client.end();
    },
    close: schema.drop,
  };
}

describe.each([{ name: 'sqlite' as const }, { name: 'postgres' as const }])('$name', ({ name }) => {
  test.skipIf(name === 'postgres' && !server)("012: a placed message held at the upgrade is withdrawn by its order's cancel", async () => {
    const engine = await engineNamed(name);
    try {
      let store = await engine.open();
      const held = await store.recordOrder(incoming({ orderId: '6120001' }));
      const other = await store.recordOrder(incoming({ orderId: '6120002' }));
      await store.close();
      await engine.sql(BEFORE_012);

      store = await engine.open();
      try {
        const cancel = incoming({ orderId: '6120001', skip: true });
        await store.recordOrder({
          ...cancel,
          dedupeKey: `${cancel.dedupeKey}\u001fcancelled`,
          event: 'cancelled',
          withdraws: { orderKey: cancel.dedupeKey, event: 'cancelled' },
        });
        expect(await store.operator.getDelivery(held.deliveryId, Date.now())).toMatchObject({
          status: 'skipped',
          lastError: 'order cancelled before the message went out',
        });
        expect((await store.claimBatch('w1', 10, 60_000, Date.now())).map((d) => d.id)).toEqual([other.deliveryId]);
      } finally {
        await store.close();
      }
    } finally {
      await engine.close();
    }
  });
});
