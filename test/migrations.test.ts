// Upgrading a store that holds orders: a migration that fills a new column from the stored orders
// (008, the order number) does so on both engines, including an order whose JSON holds a \u0000
// escape (PostgreSQL's json operators refuse one); one that moves a running lease to a column of
// its own (009, lease_until) keeps it running; one that rekeys stored orders (016, a WooCommerce site's
// http:// as https://) leaves an order stored under both to the https one.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { openPostgresStore } from '../src/store/postgres/engine.ts';
import { openSqliteStore } from '../src/store/sqlite/engine.ts';
import type { IncomingOrder } from '../src/domain/delivery.ts';
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

/** Takes migration 009 back out: the lease's end in next_attempt_at again, the claim indexes on it, its record gone. */
const BEFORE_009 = [
  'DROP INDEX deliveries_due',
  'DROP INDEX deliveries_batch',
  'DROP INDEX deliveries_unresolved',
  'UPDATE deliveries SET next_attempt_at = lease_until WHERE lease_until IS NOT NULL',
  'ALTER TABLE deliveries DROP COLUMN lease_until',
  "CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending'",
  "CREATE INDEX deliveries_batch ON deliveries (batch_key, next_attempt_at) WHERE status = 'pending'",
  "CREATE INDEX deliveries_unresolved ON deliveries (next_attempt_at) WHERE status = 'pending' AND resolve_from IS NOT NULL",
  'DELETE FROM schema_migrations WHERE version = 9',
];

const LEASE = 60_000;

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

async function engineNamed(name: string): Promise<Engine> {
  if (name === 'sqlite') return sqlite();
  const schema = await freshSchema(server as string);
  return postgres(schema.url, schema.drop);
}

describe.each([{ name: 'sqlite' }, { name: 'postgres' }])('$name', ({ name }) => {
  test.skipIf(name === 'postgres' && !server)('008 fills in the order number of the orders stored before it', async () => {
    const engine = await engineNamed(name);
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

  test.skipIf(name === 'postgres' && !server)(
    '009 keeps the leases running at the upgrade, and their deliveries claimable when they end',
    async () => {
      const engine = await engineNamed(name);
      try {
        let store = await engine.open();
        const inFlight = await store.recordOrder(incoming());
        const waiting = await store.recordOrder(incoming());
        const now = Date.now();
        expect((await store.claimBatch('w1', 1, LEASE, now)).map((d) => d.id)).toEqual([inFlight.deliveryId]);
        await store.close();
        await engine.sql(BEFORE_009);

        store = await engine.open();
        try {
          if (name === 'sqlite') {
            // SQLite's file has one process: opening it gives back the claims a dead one left, due at once.
            const reopenedAt = Date.now();
            expect((await store.claimBatch('w2', 10, LEASE, reopenedAt)).map((d) => d.id)).toEqual([
              inFlight.deliveryId,
              waiting.deliveryId,
            ]);
            return;
          }
          const [listed] = await store.operator.listDeliveries({ limit: 1, beforeId: waiting.deliveryId }, now);
          expect(listed).toMatchObject({ id: inFlight.deliveryId, inFlight: true, nextAttemptAt: now + LEASE });
          // Still w1's: another claim takes only the waiting one, and w1 can go on (renew, record).
          expect((await store.claimBatch('w2', 10, LEASE, now)).map((d) => d.id)).toEqual([waiting.deliveryId]);
          expect((await store.leased('w1', [inFlight.deliveryId])).map((d) => d.id)).toEqual([inFlight.deliveryId]);
          expect(await store.claimBatch('w3', 10, LEASE, now + LEASE - 1)).toEqual([]);
          // Once the lease ends (both have: w2's claim was as long), it is claimable as before the upgrade.
          expect((await store.claimBatch('w3', 10, LEASE, now + LEASE)).map((d) => d.id)).toEqual([
            inFlight.deliveryId,
            waiting.deliveryId,
          ]);
          expect(await store.nextDueAt()).toBe(now + 2 * LEASE);
        } finally {
          await store.close();
        }
      } finally {
        await engine.close();
      }
    },
  );

  test.skipIf(name === 'postgres' && !server)(
    '016 keys the WooCommerce orders stored under an http:// site as under https://, so their later events find them',
    async () => {
      const engine = await engineNamed(name);
      try {
        let store = await engine.open();
        const key = (scheme: string, ...parts: string[]) => ['woocommerce', `${scheme}://tea.example/`, ...parts].join('\u001f');
        const woo = (dedupeKey: string, skip = false): IncomingOrder => ({ ...incoming({ skip }), source: 'woocommerce', dedupeKey });
        // A confirmation waiting (its rule withdrawn by a cancellation), and an order stored under both schemes.
        const confirmation = woo(key('http', '41'));
        const waiting = await store.recordOrder(confirmation);
        const [asHttp, asHttps] = [woo(key('http', '42')), woo(key('https', '42'))];
        for (const order of [asHttp, asHttps]) await store.recordOrder(order);
        await store.close();
        await engine.sql(['DELETE FROM schema_migrations WHERE version = 16']);

        store = await engine.open();
        try {
          expect(await store.findDelivery(key('https', '41'))).toMatchObject({ status: 'pending' });
          expect(await store.findDelivery(key('http', '41'))).toBeUndefined();
          // Both stored: the https one keeps the key, the http one stays as it was.
          expect((await store.findDelivery(key('https', '42')))?.order?.orderId).toBe(asHttps.orderId);
          expect((await store.findDelivery(key('http', '42')))?.order?.orderId).toBe(asHttp.orderId);
          // The waiting confirmation's order is the rekeyed one: its cancellation, keyed so, withdraws it.
          await store.recordOrder({
            ...woo(key('https', '41', 'cancelled'), true),
            orderId: confirmation.orderId,
            event: 'cancelled',
            withdraws: { orderKey: key('https', '41'), event: 'cancelled' },
          });
          expect(await store.operator.getDelivery(waiting.deliveryId, Date.now())).toMatchObject({
            status: 'skipped',
            lastError: 'order cancelled before the message went out',
          });
        } finally {
          await store.close();
        }
      } finally {
        await engine.close();
      }
    },
  );
});
