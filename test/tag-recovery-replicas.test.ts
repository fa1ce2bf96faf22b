// The operator trying a dead tag job again on one replica while another queues a later job of the
// same user and tag (a refund's remove after the placed order's add) and claims it, on PostgreSQL:
// the two see each other (the queueing waits for the retry's lock), so the later job supersedes the
// retried one and never both are tried. The retry is held open after it looked for a later job, at
// its query to the database, which is where the two met.
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import type { TagOp } from '../src/domain/tagging.ts';
import { openPostgresStore } from '../src/store/postgres/engine.ts';
import { freshSchema, postgresServer } from './helpers/postgres.ts';
import { taggedIncoming } from './helpers/store-records.ts';
import { waitFor } from './helpers/wait.ts';

const server = await postgresServer();
const USER = `U${'7'.repeat(32)}`;
const ADD: TagOp[] = [{ action: 'add', tag: { name: 'buyer' } }];
const REMOVE: TagOp[] = [{ action: 'remove', tag: { name: 'buyer' } }];
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/** Holds the first query whose text has `marker` once it has answered, until released. */
function holdAfter(marker: string) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (reached = resolve));
  const query = pg.Client.prototype.query;
  let armed = true;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const answer = (query as (...a: unknown[]) => unknown).apply(this, args);
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (!armed || !text?.includes(marker) || !(answer instanceof Promise)) return answer;
    armed = false;
    return answer.then(async (value: unknown) => {
      reached();
      await released;
      return value;
    });
  } as typeof query;
  cleanup.push(async () => {
    pg.Client.prototype.query = query;
  });
  return { held, release };
}

describe.skipIf(!server)('retrying a dead tag job on one replica as another queues a later one', () => {
  for (const lever of ['retry', 'redrive'] as const)
    test(`${lever}: the later job supersedes it, and only the later one is tried`, async () => {
      const schema = await freshSchema(server as string);
      const [a, b] = await Promise.all([1, 2].map(() => openPostgresStore({ url: schema.url, poolMax: 3 })));
      cleanup.push(
        schema.drop,
        () => (a as { close(): Promise<void> }).close(),
        () => (b as { close(): Promise<void> }).close(),
      );
      if (!a || !b) throw new Error('two stores');
      const now = Date.now() + 60_000;
      await a.recordOrder(taggedIncoming('placed', USER, ADD));
      const [add] = await a.claimTags('A', 10, 60_000, now);
      if (!add) throw new Error('the add was claimed');
      await a.recordTagTry(add, { status: 'dead', counted: true, nextAttemptAt: null, error: 'refused' }, now);

      const hold = holdAfter('min(newer.id)'); // the retry has looked for a later job: none yet
      const retrying = lever === 'retry' ? a.operator.retryTagJob(add.id, now) : a.operator.redriveDeadTags(now);
      await hold.held;
      let queued = false;
      const queueing = b.recordOrder(taggedIncoming('refund', USER, REMOVE)).then(() => {
        queued = true;
      });
      // The refund's queueing waits for the retry's lock (or, unmended, is done at once).
      const admin = new pg.Client({ connectionString: schema.url });
      await admin.connect();
      cleanup.push(() => admin.end());
      await waitFor(
        async () => queued || (await admin.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'")).rowCount === 1,
        { what: "the refund's queueing to wait for the retry, or be done" },
      );
      const claimedMeanwhile = await b.claimTags('B', 10, 60_000, now);
      hold.release();
      await Promise.all([retrying, queueing]);
      const claimed = [...claimedMeanwhile, ...(await b.claimTags('B', 10, 60_000, now)), ...(await a.claimTags('A', 10, 60_000, now))];
      expect(claimed.map((j) => j.action)).toEqual(['remove']);
      const [retried] = await a.tagJobsOf(add.deliveryId);
      expect(retried).toMatchObject({ status: 'tagged', lastError: expect.stringMatching(/^superseded: delivery \d+'s job/) });
    });
});
