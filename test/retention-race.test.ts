// Retention against an operator's redrive on PostgreSQL, where the two run side by side: a dead
// delivery turned back to pending while retention's DELETE waits for its row is kept, not deleted.
import pg from 'pg';
import { expect, test } from 'vitest';
import { openPostgresStore } from '../src/store/postgres/engine.ts';
import { freshSchema, postgresServer } from './helpers/postgres.ts';
import { attempt, incoming } from './helpers/store-records.ts';
import { waitFor } from './helpers/wait.ts';

const server = await postgresServer();
const DAY = 86_400_000;

/** Whether a statement like `query` waits for a lock, read afresh: inside a transaction PostgreSQL keeps its first look at the activity. */
async function waitingOnLock(client: pg.Client, query: string): Promise<boolean> {
  await client.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await client.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`, [
    query,
  ]);
  return Number(rows[0].n) > 0;
}

test.skipIf(!server)('a dead delivery redriven while retention waits for its row stays pending, with its attempts', async () => {
  const schema = await freshSchema(server as string);
  const store = await openPostgresStore({ url: schema.url, poolMax: 5 });
  const raw = new pg.Client({ connectionString: schema.url });
  try {
    const now = Date.now();
    const old = now - 200 * DAY;
    const { deliveryId } = await store.recordOrder({ ...incoming(), receivedAt: old });
    const [claimed] = await store.claimBatch('w', 10, 60_000, old);
    await store.recordAttempts('w', [attempt(claimed!, { to: 'dead', reason: 'refused' })], old);
    // The operator's redrive holds the row, not committed yet, when retention's DELETE comes for it.
    await raw.connect();
    await raw.query('BEGIN');
    await raw.query(
      `UPDATE deliveries SET status = 'pending', attempts = 0, redriven_at = $1, next_attempt_at = $1, finished_at = NULL WHERE id = $2`,
      [now, deliveryId],
    );
    const pruning = store.operator.prune({ finishedBefore: now - 30 * DAY, deadBefore: now - 90 * DAY, ordersBefore: now - 120 * DAY });
    const waiting = () => waitingOnLock(raw, '%FROM deliveries%');
    await waitFor(waiting, { what: "retention's DELETE waiting for the redriven row" });
    await raw.query('COMMIT');
    expect(await pruning).toBe(0);
    expect(await store.operator.getDelivery(deliveryId, now)).toMatchObject({ status: 'pending', attemptLog: [expect.anything()] });
  } finally {
    await raw.end().catch(() => undefined);
    await store.close();
    await schema.drop();
  }
});

test.skipIf(!server)(
  'an expired idempotency key that retention deletes while it is claimed again is stored anew: a repeat finds it',
  async () => {
    const schema = await freshSchema(server as string);
    const store = await openPostgresStore({ url: schema.url, poolMax: 5 });
    const raw = new pg.Client({ connectionString: schema.url });
    try {
      const now = Date.now();
      expect(await store.claimIdempotencyKey('k-old', 'req', now - 2 * DAY, now - 3 * DAY)).toMatchObject({ state: 'new' });
      // Retention holds the expired row, about to delete it, as the key is claimed again a day later.
      await raw.connect();
      await raw.query('BEGIN');
      await raw.query(`SELECT key FROM idempotency_keys WHERE key = 'k-old' FOR UPDATE`);
      const claiming = store.claimIdempotencyKey('k-old', 'req', now, now - DAY);
      const waiting = () => waitingOnLock(raw, '%idempotency_keys%');
      await waitFor(waiting, { what: 'the claim waiting for the row retention holds' });
      await raw.query(`DELETE FROM idempotency_keys WHERE key = 'k-old'`);
      await raw.query('COMMIT');
      expect(await claiming).toEqual({ state: 'new', claimedAt: now });
      // Stored: the same request again (its answer lost) is told it is under way, not sent a second time.
      expect(await store.claimIdempotencyKey('k-old', 'req', now + 1, now - DAY)).toEqual({ state: 'in_progress', since: now });
    } finally {
      await raw.end().catch(() => undefined);
      await store.close();
      await schema.drop();
    }
  },
);
