// Retention as the service runs it: sent and skipped deliveries go after RETENTION_DAYS, dead ones
// after DEAD_RETENTION_DAYS, pending ones never.
import { join } from 'node:path';
import pino from 'pino';
import { expect, test } from 'vitest';
import { systemClock } from '../src/clock.ts';
import { Retention } from '../src/delivery/retention.ts';
import { openSqliteStore } from '../src/store/sqlite/engine.ts';
import type { IncomingOrder } from '../src/domain/delivery.ts';
import { incomingOrder } from './helpers/orders.ts';
import { tempDir } from './helpers/service.ts';

const DAY = 24 * 60 * 60 * 1000;
const order = (orderId: string, skip = false): IncomingOrder =>
  incomingOrder(
    { source: 'orders', shop: 's', orderId, total: '1', currency: 'TWD', customer: {}, attributes: {} },
    {
      topic: undefined,
      receivedAt: Date.now(),
      plan: skip
        ? { kind: 'skip', reason: 'nobody' }
        : {
            kind: 'send',
            recipient: { platform: 'line', userId: `U${'0'.repeat(31)}1`, via: 't' },
            rule: 'r',
            content: { intentId: 'm' },
            name: `r ${orderId}`,
          },
      batchKey: skip ? undefined : `k-${orderId}`,
    },
  );

test("sent and skipped go after RETENTION_DAYS (an order's placed ones after ORDER_RETENTION_DAYS), dead after DEAD_RETENTION_DAYS, pending never", async () => {
  const store = await openSqliteStore(join(tempDir(), 'retention.db'));
  try {
    await store.recordOrder(order('skipped', true));
    for (const [id, transition] of [
      ['sent', { to: 'sent' }],
      ['dead', { to: 'dead', reason: 'refused' }],
    ] as const) {
      await store.recordOrder(order(id));
      const [claimed] = await store.claimBatch('w', 10, 60_000, Date.now());
      await store.recordAttempts(
        'w',
        [
          {
            attempt: {
              deliveryId: claimed?.id as number,
              startedAt: Date.now(),
              durationMs: 1,
              outcome: 'sent',
              httpStatus: 200,
              error: null,
              batchSize: 1,
            },
            transition,
          },
        ],
        Date.now(),
      );
    }
    await store.recordOrder(order('pending'));
    const log = pino({ level: 'silent' });
    const retention = new Retention({ store, log, clock: systemClock, days: 30, deadDays: 90, orderDays: 30 });
    const remaining = async () => (await store.operator.listDeliveries({ limit: 10 }, Date.now())).map((d) => d.orderId).sort();
    // Kept as the orders' placed deliveries for 120 days: nothing goes at 31, nor at 91 (a dead one either).
    const forOrders = new Retention({ store, log, clock: systemClock, days: 30, deadDays: 90, orderDays: 120 });
    expect(await forOrders.prune(Date.now() + 31 * DAY)).toBe(0);
    expect(await forOrders.prune(Date.now() + 91 * DAY)).toBe(0);

    expect(await retention.prune(Date.now() + 29 * DAY)).toBe(0);
    expect(await retention.prune(Date.now() + 31 * DAY)).toBe(2);
    expect(await remaining()).toEqual(['dead', 'pending']);
    expect(await retention.prune(Date.now() + 91 * DAY)).toBe(1);
    expect(await remaining()).toEqual(['pending']);
  } finally {
    await store.close();
  }
});
