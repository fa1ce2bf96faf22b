// A poll's lease is renewed while its pass runs, not only after each page: a webhooks' check or a
// shop call under backoff that outlasts the lease would let another replica poll the same shop.
// Seen through the poller's seams: a fake clock, a store that records the claims, a slow shop.
import pino from 'pino';
import { Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { ShopMetrics } from '../../src/metrics/shop-metrics.ts';
import type { ShopConnection, WebhookCheck } from '../../src/reconcile/connection.ts';
import { pollLeaseMs, ShopPoller } from '../../src/reconcile/poller.ts';
import type { ShopConnectionRow, ShopConnectionStore } from '../../src/store/store.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

test('the lease is renewed a third of its length apart while the webhooks are checked, and no more once the pass ends', async () => {
  const clock = new FakeClock();
  const intervalMs = 600_000; // the next poll well after the test
  const leaseMs = pollLeaseMs(intervalMs);
  const renewals: number[] = [];
  let leaseUntil = 0;
  const row: ShopConnectionRow = {
    source: 'woocommerce',
    connectedAt: clock.now(),
    watermark: clock.now(),
    nextPollAt: clock.now(),
    leaseOwner: null,
    leaseUntil: null,
    lastPollAt: null,
    lastOutcome: null,
    lastError: null,
    lastOrders: 0,
    lastRecovered: 0,
    webhooksJson: null,
  };
  const store: ShopConnectionStore = {
    openShopConnection: async () => row,
    listShopConnections: async () => [row],
    claimShopPoll: async (_source, _owner, until, now, due) => {
      if (!due) renewals.push(now);
      leaseUntil = until;
      return true;
    },
    advanceWatermark: async () => true,
    finishShopPoll: async () => {},
    saveShopWebhooks: async () => {},
  };
  let answer: (check: WebhookCheck) => void = () => {};
  const shop: ShopConnection = {
    source: 'woocommerce',
    settings: {},
    // The webhooks' listing takes three leases' time to answer.
    keepWebhooks: () => new Promise((resolve) => (answer = resolve)),
    page: async () => ({ orders: 0, events: [], through: undefined, next: undefined }),
    close: async () => {},
  };
  const poller = new ShopPoller({
    store,
    intake: async () => ({ outcome: 'ignored', reason: 'none' }),
    connections: [shop],
    clock,
    log: pino({ level: 'silent' }),
    metrics: new ShopMetrics(new Registry()),
    owner: 'replica-1',
    intervalMs,
    publicUrl: 'https://notifier.example',
    events: ['placed'],
  });
  poller.start();
  const started = clock.now();
  await clock.advance(3 * leaseMs);
  // Held all along: never further than a lease behind.
  expect(renewals.length).toBeGreaterThanOrEqual(8);
  expect(leaseUntil).toBeGreaterThan(clock.now());
  for (const [i, at] of renewals.entries()) expect(at - (renewals[i - 1] ?? started)).toBeLessThan(leaseMs);
  answer({ webhooks: [], repairs: [] });
  await clock.advance(1);
  const done = renewals.length;
  await clock.advance(leaseMs / 2);
  expect(renewals.length).toBe(done);
  await poller.stop();
});

test('a renewal under way when the pass ends is waited for before the poll gives the lease up (else it would take it back)', async () => {
  const clock = new FakeClock();
  const intervalMs = 600_000;
  const leaseMs = pollLeaseMs(intervalMs);
  const said: string[] = [];
  let release = () => {};
  const row = {
    source: 'woocommerce',
    connectedAt: clock.now(),
    watermark: clock.now(),
    nextPollAt: clock.now(),
    leaseOwner: null,
    leaseUntil: null,
    lastPollAt: null,
    lastOutcome: null,
    lastError: null,
    lastOrders: 0,
    lastRecovered: 0,
    webhooksJson: null,
  } satisfies ShopConnectionRow;
  const store: ShopConnectionStore = {
    openShopConnection: async () => row,
    listShopConnections: async () => [row],
    claimShopPoll: async (_source, _owner, _until, _now, due) => {
      if (due) return true;
      said.push('renewing');
      await new Promise<void>((resolve) => (release = resolve));
      said.push('renewed');
      return true;
    },
    advanceWatermark: async () => true,
    finishShopPoll: async () => void said.push('finished'),
    saveShopWebhooks: async () => {},
  };
  let answer: (check: WebhookCheck) => void = () => {};
  const shop: ShopConnection = {
    source: 'woocommerce',
    settings: {},
    keepWebhooks: () => new Promise((resolve) => (answer = resolve)),
    page: async () => ({ orders: 0, events: [], through: undefined, next: undefined }),
    close: async () => {},
  };
  const poller = new ShopPoller({
    store,
    intake: async () => ({ outcome: 'ignored', reason: 'none' }),
    connections: [shop],
    clock,
    log: pino({ level: 'silent' }),
    metrics: new ShopMetrics(new Registry()),
    owner: 'replica-1',
    intervalMs,
    publicUrl: 'https://notifier.example',
    events: ['placed'],
  });
  poller.start();
  await clock.advance(leaseMs / 3);
  expect(said).toEqual(['renewing']);
  answer({ webhooks: [], repairs: [] });
  await clock.advance(1);
  expect(said).toEqual(['renewing']); // the poll waits for the renewal under way
  release();
  await clock.advance(1);
  expect(said).toEqual(['renewing', 'renewed', 'finished']);
  await poller.stop();
});
