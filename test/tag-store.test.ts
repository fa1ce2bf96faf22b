// The tag jobs in the store, one suite for every engine: queued with their order event once (a
// duplicate queues nothing), claimed under a lease, recorded only by the claim holding them, the
// names' ids remembered with one claim on a creation, and pruned with their delivery.
import { beforeEach, expect, test } from 'vitest';
import type { IncomingOrder } from '../src/domain/delivery.ts';
import type { Tagging } from '../src/domain/tagging.ts';
import type { Store } from '../src/store/store.ts';
import { taggedIncoming } from './helpers/store-records.ts';
import { describeEachStore } from './helpers/stores.ts';

const USER = 'U0123456789abcdef0123456789abcdef';
const TAGGING: Tagging = {
  recipient: { platform: 'line', userId: USER, via: 'test' },
  ops: [
    { action: 'add', tag: { name: 'buyer' } },
    { action: 'remove', tag: { id: 'ct9' } },
  ],
};

const OTHER_USER = 'U00000000000000000000000000000042';

/** An order whose plan tags its user, as the intake hands it to the store. */
const tagged = (orderId: string, skip = false, userId = USER, ops = TAGGING.ops): IncomingOrder =>
  taggedIncoming(orderId, userId, ops, skip);

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
    const only = await store.recordOrder(tagged('tag-2', true, OTHER_USER)); // a skipped delivery still tags
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

  test("one user's jobs of one tag go one at a time, as queued; a later one supersedes an earlier one waiting for a try", async () => {
    const BUYER = [{ action: 'add' as const, tag: { name: 'buyer' } }];
    const UNBUYER = [{ action: 'remove' as const, tag: { name: 'buyer' } }];
    const failed = { startedAt: now, durationMs: 4, outcome: 'failed' as const, httpStatus: 503, error: 'down' };
    const retry = { status: 'pending' as const, counted: true, nextAttemptAt: now + 5_000, error: 'down', attempt: failed };
    const jobOf = async (deliveryId: number) => (await store.tagJobsOf(deliveryId))[0];

    // Under way when the refund's remove is queued: the remove waits for it.
    const placed = await store.recordOrder(tagged('order-a', false, USER, BUYER));
    const [add] = await store.claimTags('w1', 10, 60_000, now);
    const refund = await store.recordOrder(tagged('order-a-refund', false, USER, UNBUYER));
    expect(await store.claimTags('w1', 10, 60_000, now)).toEqual([]);
    // Its try fails: rather than retried after the remove, it ends, and the remove goes.
    if (!add) throw new Error('the add was claimed');
    await store.recordTagTry(add, retry, now);
    expect(await jobOf(placed.deliveryId)).toMatchObject({
      status: 'tagged',
      lastError: `superseded: delivery ${refund.deliveryId}'s job, queued after it, takes this tag off the user`,
      attemptLog: [{ outcome: 'failed' }],
    });
    expect((await store.claimTags('w1', 10, 60_000, now)).map((j) => [j.deliveryId, j.action])).toEqual([[refund.deliveryId, 'remove']]);

    // Waiting for a retry when a later order's add comes: superseded at once, the later one goes.
    const other = await store.recordOrder(tagged('order-b', false, OTHER_USER, BUYER));
    const [first] = await store.claimTags('w2', 10, 60_000, now);
    if (!first) throw new Error('the first add was claimed');
    await store.recordTagTry(first, retry, now);
    const next = await store.recordOrder(tagged('order-c', false, OTHER_USER, BUYER));
    expect(await jobOf(other.deliveryId)).toMatchObject({ status: 'tagged', lastError: expect.stringContaining('puts this tag on') });
    expect((await store.claimTags('w2', 10, 60_000, now + 5_000)).map((j) => j.deliveryId)).toEqual([next.deliveryId]);
  });

  test("one event's own jobs of a tag (one rule puts it on, another takes it off) both go, in the mapping's order", async () => {
    const ops = [
      { action: 'add' as const, tag: { name: 'vip' } },
      { action: 'remove' as const, tag: { name: 'vip' } },
    ];
    const both = await store.recordOrder(tagged('order-own', false, USER, ops));
    expect((await store.tagJobsOf(both.deliveryId)).map((j) => [j.action, j.status])).toEqual([
      ['add', 'pending'],
      ['remove', 'pending'],
    ]);
    const [add, ...rest] = await store.claimTags('w1', 10, 60_000, now);
    expect([add?.action, rest]).toEqual(['add', []]);
    if (!add) throw new Error('the add was claimed');
    // Its try fails: retried (its own event's remove does not end it), the remove still waiting behind it.
    const failed = { startedAt: now, durationMs: 4, outcome: 'failed' as const, httpStatus: 503, error: 'down' };
    await store.recordTagTry(add, { status: 'pending', counted: true, nextAttemptAt: now + 1_000, error: 'down', attempt: failed }, now);
    expect((await store.tagJobsOf(both.deliveryId)).map((j) => j.status)).toEqual(['pending', 'pending']);
    expect(await store.claimTags('w1', 10, 60_000, now)).toEqual([]);
    const [again] = await store.claimTags('w1', 10, 60_000, now + 1_000);
    if (again?.action !== 'add') throw new Error('the add was claimed again');
    const attempt = { startedAt: now, durationMs: 4, outcome: 'tagged' as const, httpStatus: 200, error: null };
    await store.recordTagTry(again, { status: 'tagged', counted: true, nextAttemptAt: null, error: null, attempt }, now + 1_000);
    expect((await store.claimTags('w1', 10, 60_000, now + 1_000)).map((j) => j.action)).toEqual(['remove']);
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
