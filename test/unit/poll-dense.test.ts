// A stretch of orders denser than one pass can read (more pages changed within the poll's overlap
// than its page bound): the poll goes on from where its pass stopped, without the overlap, until it
// has read them all; it does not read the same first pages again at every poll. Through the
// poller's seams: a fake clock, a shop that pages one order at a time, an intake that records.
import pino from 'pino';
import { Registry } from 'prom-client';
import { expect, test } from 'vitest';
import type { ReceivedOrder } from '../../src/domain/order.ts';
import { ShopMetrics } from '../../src/metrics/shop-metrics.ts';
import type { ShopConnection } from '../../src/reconcile/connection.ts';
import { MAX_PAGES_PER_PASS } from '../../src/reconcile/pass.ts';
import { ShopPoller } from '../../src/reconcile/poller.ts';
import type { ShopConnectionStore } from '../../src/store/store.ts';
import { newConnectionRow } from '../helpers/shop-row.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { waitFor } from '../helpers/wait.ts';

test('a poll whose pass stops at the page bound inside a dense stretch goes on from there and reads every order once', async () => {
  const clock = new FakeClock();
  const start = clock.now() - 120_000;
  // Half again the page bound, all changed within two minutes (an app writing to every order).
  const updatedAt = Array.from({ length: MAX_PAGES_PER_PASS * 1.5 }, (_, i) => start + i * 50);
  const row = newConnectionRow(start - 1, clock.now());
  const finished: { orders: number }[] = [];
  const store: ShopConnectionStore = {
    openShopConnection: async () => row,
    listShopConnections: async () => [row],
    claimShopPoll: async () => true,
    advanceWatermark: async (_source, _owner, through) => {
      row.watermark = Math.max(row.watermark, through);
      return true;
    },
    finishShopPoll: async (_source, _owner, poll) => void finished.push(poll),
    saveShopWebhooks: async () => {},
  };
  const shop: ShopConnection = {
    source: 'woocommerce',
    settings: {},
    keepWebhooks: async () => ({ webhooks: [], repairs: [] }),
    // Oldest change first, one order a page, from the window's start.
    page: async (window, cursor) => {
      const at = cursor === undefined ? updatedAt.findIndex((t) => t >= window.since) : Number(cursor);
      if (at < 0) return { orders: 0, events: [], through: undefined, next: undefined };
      const event = { order: { orderId: String(at) }, scope: 'site' } as unknown as ReceivedOrder;
      return { orders: 1, events: [event], through: updatedAt[at], next: at + 1 < updatedAt.length ? String(at + 1) : undefined };
    },
    close: async () => {},
  };
  const taken = new Set<string>();
  const poller = new ShopPoller({
    store,
    intake: async (event) => {
      taken.add(event.order.orderId);
      return { outcome: 'ignored', reason: 'counted' };
    },
    connections: [shop],
    clock,
    log: pino({ level: 'silent' }),
    metrics: new ShopMetrics(new Registry()),
    owner: 'replica-1',
    intervalMs: 300_000,
    publicUrl: undefined,
    events: ['placed'],
  });
  poller.start();
  await waitFor(
    async () => {
      await clock.advance(1); // the poll's timers (its first turn, its lease's renewal) on the fake clock
      return finished.length === 1;
    },
    { what: 'the first poll' },
  );
  await poller.stop();
  expect(taken.size).toBe(updatedAt.length);
  expect(row.watermark).toBe(updatedAt.at(-1));
});
