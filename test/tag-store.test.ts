// The tag jobs in the store, one suite for every engine: queued with their order event once (a
// duplicate queues nothing), claimed under a lease, recorded only by the claim holding them, the
// names' ids remembered with one claim on a creation, and pruned with their delivery.
import { beforeEach, expect, test } from 'vitest';
import type { IncomingOrder } from '../src/domain/delivery.ts';
import type { Tagging } from '../src/domain/tagging.ts';
import type { Store } from '../src/store/store.ts';
import { incoming } from './helpers/store-records.ts';
import { describeEachStore } from './helpers/stores.ts';

const USER = 'U0123456789abcdef0123456789abcdef';
const TAGGING: Tagging = {
  recipient: { platform: 'line', userId: USER, via: 'test' },
  ops: [
    { action: 'add', tag: { name: 'buyer' } },
    { action: 'remove', tag: { id: 'ct9' } },
  ],
};

/** An order whose plan tags its user, as the intake hands it to the store. */
function tagged(orderId: string, skip = false): IncomingOrder {
  const order = incoming({ orderId, userId: USER, skip });
  return { ...order, plan: { ...order.plan, tagging: TAGGING } as IncomingOrder['plan'] };
}

describeEachStore((current) => {
  let store: Store;
  beforeEach(() => {
    store = current();
  });
  /** A little ahead of the orders recorded now, so their jobs are due. */
  const now = Date.now() + 60_000;

  test('tags are queued once with their order event, and claimed under a lease only its holder records', async () => {
    const first = await store.recordOrder(tagged('tag-1'));
    expect((await store.recordOrder(tagged('tag-1'))).outcome).toBe('duplicate');
    const only = await store.recordOrder(tagged('tag-2', true)); // a skipped delivery still tags
    expect((await store.tagJobsOf(first.deliveryId)).map((j) => [j.action, j.tag, j.tagId, j.status])).toEqual([
      ['add', 'name:buyer', null, 'pending'],
      ['remove', 'id:ct9', 'ct9', 'pending'],
    ]);
    expect(await store.tagJobsOf(only.deliveryId)).toHaveLength(2);

    const claimed = await store.claimTags('w1', 10, 60_000, now);
    expect(claimed).toHaveLength(4);
    expect(await store.claimTags('w2', 10, 60_000, now)).toEqual([]); // leased
    const job = claimed.find((j) => j.deliveryId === first.deliveryId && j.action === 'add');
    if (!job) throw new Error('the add job was claimed');
    const attempt = { startedAt: now, durationMs: 4, outcome: 'tagged' as const, httpStatus: 200, error: null };
    await store.recordTagTry({ ...job, owner: 'w2' }, { status: 'tagged', counted: true, nextAttemptAt: null, error: null, attempt }, now);
    expect((await store.tagJobsOf(first.deliveryId))[0]).toMatchObject({ status: 'pending', attemptLog: [] }); // not w2's to record
    await store.recordTagTry(job, { status: 'tagged', counted: true, nextAttemptAt: null, error: null, tagId: 'ct1', attempt }, now);
    expect((await store.tagJobsOf(first.deliveryId))[0]).toMatchObject({
      status: 'tagged',
      tagId: 'ct1',
      attempts: 1,
      attemptLog: [{ outcome: 'tagged', httpStatus: 200 }],
    });
    // The others' lease runs out: claimable again.
    expect(await store.claimTags('w3', 10, 60_000, now + 60_001)).toHaveLength(3);
  });

  test("a tag's creation is claimed once until its id is known; the id is remembered", async () => {
    expect(await store.getTagId('vip')).toBeUndefined();
    expect(await store.claimTagName('vip', 'a', now + 10_000, now)).toBe(true);
    expect(await store.claimTagName('vip', 'b', now + 10_000, now + 1)).toBe(false);
    expect(await store.getTagId('vip')).toBeUndefined();
    expect(await store.claimTagName('vip', 'b', now + 30_000, now + 10_001)).toBe(true); // a's claim ran out
    await store.putTagId('vip', 'ct7', now);
    expect(await store.getTagId('vip')).toBe('ct7');
    expect(await store.claimTagName('vip', 'c', now + 50_000, now + 40_000)).toBe(false); // known: nothing to create
  });

  test('tag jobs go with their delivery when retention prunes it', async () => {
    const done = await store.recordOrder(tagged('tag-3', true));
    expect(await store.tagJobsOf(done.deliveryId)).toHaveLength(2);
    expect(await store.operator.prune({ finishedBefore: Date.now() + 1_000, deadBefore: 0 })).toBeGreaterThanOrEqual(1);
    expect(await store.tagJobsOf(done.deliveryId)).toEqual([]);
    expect(await store.claimTags('w1', 10, 60_000, now)).toEqual([]);
  });
});
