// The operator's tag job levers in the store, one suite for every engine: a dead job starts over
// (its tries from 0, due now) unless a later job of its user and tag decides the tag, the same
// event's own later job included; a waiting job is made due now, one under way is left alone; the
// list pages newest first; the overview counts the dead.
import { beforeEach, expect, test } from 'vitest';
import type { TagJob, TagOp } from '../src/domain/tagging.ts';
import type { Store } from '../src/store/store.ts';
import { taggedIncoming } from './helpers/store-records.ts';
import { describeEachStore } from './helpers/stores.ts';

const _recipient = (userId: string) => ({ platform: 'line' as const, userId, via: 'test' });
const user = (i: number) => `U${String(i).padStart(32, '0')}`;
const ADD: TagOp = { action: 'add', tag: { name: 'buyer' } };
const REMOVE: TagOp = { action: 'remove', tag: { name: 'buyer' } };

const tagged = (orderId: string, userId: string, ops: TagOp[]) => taggedIncoming(orderId, userId, ops);

describeEachStore((current) => {
  let store: Store;
  beforeEach(() => {
    store = current();
  });
  const now = Date.now() + 60_000;
  const refused = { startedAt: now, durationMs: 4, outcome: 'refused' as const, httpStatus: 404, error: 'Client not found' };
  const die = (job: TagJob) =>
    store.recordTagTry(
      job,
      { status: 'dead', counted: true, nextAttemptAt: null, error: 'MantaGO answered HTTP 404', attempt: refused },
      now,
    );
  const claimAll = () => store.claimTags('w1', 50, 60_000, now);

  test('a dead job starts over; one a later job of its user and tag decides ends superseded, the same event’s own included', async () => {
    const alone = await store.recordOrder(tagged('alone', user(1), [ADD]));
    const both = await store.recordOrder(tagged('both', user(2), [ADD, REMOVE]));
    const placed = await store.recordOrder(tagged('placed', user(3), [ADD]));
    // One user's jobs of a tag are claimed one at a time: each dies in turn.
    for (let claimed = await claimAll(); claimed.length > 0; claimed = await claimAll()) for (const job of claimed) await die(job);
    const refund = await store.recordOrder(tagged('refund', user(3), [REMOVE]));
    expect((await store.operator.queueStats(now)).deadTagJobs).toBe(4);
    const dead = await store.operator.listTagJobs({ status: 'dead', limit: 10 });
    expect(dead.map((j) => [j.deliveryId, j.action])).toEqual([
      [placed.deliveryId, 'add'],
      [both.deliveryId, 'remove'],
      [both.deliveryId, 'add'],
      [alone.deliveryId, 'add'],
    ]);
    // Paged newest first.
    const [newest, next] = await store.operator.listTagJobs({ limit: 2 });
    expect(newest?.deliveryId).toBe(refund.deliveryId);
    expect((await store.operator.listTagJobs({ limit: 1, beforeId: next?.id })).map((j) => j.id)).toEqual([dead[1]?.id]);

    const retried = await store.operator.retryTagJob(dead[3]?.id as number, now);
    expect(retried).toMatchObject({
      outcome: 'requeued',
      job: { status: 'pending', attempts: 0, nextAttemptAt: now, lastError: 'MantaGO answered HTTP 404' },
    });
    // A thousand a call, the oldest first; here two (the event's own add and remove), then the rest.
    expect(await store.operator.redriveDeadTags(now, 2)).toEqual({ redriven: 1, superseded: 1, remaining: 1 });
    expect(await store.operator.redriveDeadTags(now)).toEqual({ redriven: 0, superseded: 1, remaining: 0 });
    const jobs = async (deliveryId: number) => (await store.tagJobsOf(deliveryId)).map((j) => [j.action, j.status, j.lastError]);
    expect(await jobs(both.deliveryId)).toEqual([
      ['add', 'tagged', `superseded: delivery ${both.deliveryId}'s job, queued after it, takes this tag off the user`],
      ['remove', 'pending', 'MantaGO answered HTTP 404'],
    ]);
    expect(await jobs(placed.deliveryId)).toEqual([
      ['add', 'tagged', `superseded: delivery ${refund.deliveryId}'s job, queued after it, takes this tag off the user`],
    ]);
    expect((await store.operator.queueStats(now)).deadTagJobs).toBe(0);
    // What is claimable now: the first job, the event's remove, the refund's remove.
    expect((await claimAll()).map((j) => [j.clientId, j.action]).sort()).toEqual([
      [user(1), 'add'],
      [user(2), 'remove'],
      [user(3), 'remove'],
    ]);
  });

  test('retrying a job: a waiting one is due now, one under way or done is left as it is, an unknown one is not there', async () => {
    const order = await store.recordOrder(tagged('waiting', user(4), [ADD]));
    const [job] = await store.tagJobsOf(order.deliveryId);
    const id = job?.id as number;
    const [claimed] = await claimAll();
    expect(await store.operator.retryTagJob(id, now)).toMatchObject({ outcome: 'in_flight', job: { status: 'pending' } });
    const failed = { ...refused, outcome: 'failed' as const, httpStatus: 503 };
    await store.recordTagTry(
      claimed as TagJob,
      { status: 'pending', counted: true, nextAttemptAt: now + 30_000, error: 'down', attempt: failed },
      now,
    );
    expect(await store.operator.retryTagJob(id, now + 1)).toMatchObject({
      outcome: 'requeued',
      job: { nextAttemptAt: now + 1, attempts: 1 },
    });
    const [again] = await store.claimTags('w2', 50, 60_000, now + 1);
    const ok = { ...refused, outcome: 'tagged' as const, httpStatus: 200, error: null };
    await store.recordTagTry(again as TagJob, { status: 'tagged', counted: true, nextAttemptAt: null, error: null, attempt: ok }, now + 1);
    expect(await store.operator.retryTagJob(id, now + 2)).toMatchObject({ outcome: 'tagged', job: { status: 'tagged' } });
    expect(await store.operator.retryTagJob(999_999, now)).toBeUndefined();
  });
});
