// What only the SQLite engine promises: one process per file, and a close that loses nothing
// queued on its way to the database thread.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { StoreInUseError, openSqliteStore } from '../src/store/sqlite/engine.ts';
import type { IncomingOrder } from '../src/domain/delivery.ts';
import { incomingOrder } from './helpers/orders.ts';
import { tempDir } from './helpers/service.ts';
import type { Clock } from '../src/clock.ts';

const order = (orderId: string): IncomingOrder =>
  incomingOrder(
    { source: 'orders', shop: 's', orderId, total: '1', currency: 'TWD', customer: {}, attributes: {} },
    {
      topic: undefined,
      receivedAt: Date.now(),
      plan: {
        kind: 'send',
        recipient: { platform: 'line', userId: `U${'0'.repeat(31)}1`, via: 't' },
        rule: 'r',
        content: { intentId: 'm' },
        name: `r ${orderId}`,
      },
      batchKey: 'k',
    },
  );

test('a second store on the same file is refused with the reason, and the first goes on working', async () => {
  const file = join(tempDir(), 'one-owner.db');
  const first = await openSqliteStore(file);
  try {
    const second = openSqliteStore(file, { busyTimeoutMs: 50 }); // the refusal is the same after 5 s (the default)
    await expect(second).rejects.toBeInstanceOf(StoreInUseError);
    await expect(second).rejects.toThrow(/in use by another process.*use PostgreSQL/);
    expect(await first.recordOrder(order('after-refusal'))).toMatchObject({ outcome: 'accepted', status: 'pending' });
  } finally {
    await first.close();
  }
}, 20_000);

test('orders handed to the store just before it closes are all committed', async () => {
  const file = join(tempDir(), 'close.db');
  const store = await openSqliteStore(file);
  const recorded = Array.from({ length: 200 }, (_, i) => store.recordOrder(order(`o${i}`)));
  await store.close();
  expect((await Promise.all(recorded)).every((r) => r.outcome === 'accepted')).toBe(true);
  await expect(store.recordOrder(order('late'))).rejects.toThrow(/closed/);

  const reopened = await openSqliteStore(file);
  try {
    expect((await reopened.operator.queueStats(Date.now())).pending).toBe(200);
  } finally {
    await reopened.close();
  }
});

test('a claim a dead process left behind is free again at the next start, due when it fell due (not when the process came back)', async () => {
  const file = join(tempDir(), 'left.db');
  const store = await openSqliteStore(file);
  const placed = order('left-1');
  await store.recordOrder(placed);
  const claimedAt = placed.receivedAt + 60_000;
  expect(await store.claimBatch('dead/1', 10, 3_600_000, claimedAt)).toHaveLength(1);
  await store.close(); // as a crash would leave it: still leased for an hour

  const reopened = await openSqliteStore(file, { clock: { now: () => claimedAt + 30 * 60_000 } as Clock });
  try {
    const [again] = await reopened.claimBatch('next/1', 10, 60_000, claimedAt + 30 * 60_000);
    expect(again?.dueAt).toBe(placed.receivedAt);
  } finally {
    await reopened.close();
  }
});
