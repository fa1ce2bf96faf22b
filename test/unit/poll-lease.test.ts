// A poll's lease is renewed while its pass runs, not only after each page: a webhooks' check or a
// shop call under backoff that outlasts the lease would let another replica poll the same shop.
// Seen through the poller's seams: a fake clock, a store that records the claims, a slow shop.
import pino from 'pino';
import { Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { ShopMetrics } from '../../src/metrics/shop-metrics.ts';
import type { ShopConnection, WebhookCheck } from '../../src/reconcile/connection.ts';
import { pollLeaseMs, ShopPoller } from '../../src/reconcile/poller.ts';
import type { ShopConnectionStore } from '../../src/store/store.ts';
import { newConnectionRow } from '../helpers/shop-row.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const INTERVAL_MS = 600_000; // the next poll well after each test
const LEASE_MS = pollLeaseMs(INTERVAL_MS);

/**
 * A poller of one WooCommerce connection whose webhooks' listing answers only when the test says;
 * `renew` is the store's answer to a renewal of the lease (a first claim is always granted).
 */
function seams(renew: (now: number, until: number) => Promise<boolean>) {
  const clock = new FakeClock();
  const said: string[] = [];
  const row = newConnectionRow(clock.now(), clock.now());
  const store: ShopConnectionStore = {
    openShopConnection: async () => row,
    listShopConnections: async () => [row],
    claimShopPoll: async (_source, _owner, until, now, due) => due || renew(now, until),
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
    intervalMs: INTERVAL_MS,
    publicUrl: 'https://notifier.example',
    events: ['placed'],
  });
  return { clock, poller, said, webhooksChecked: () => answer({ webhooks: [], repairs: [] }) };
}

test('the lease is renewed a third of its length apart while the webhooks are checked, and no more once the pass ends', async () => {
  const renewals: number[] = [];
  let leaseUntil = 0;
  const { clock, poller, webhooksChecked } = seams(async (now, until) => {
    renewals.push(now);
    leaseUntil = until;
    return true;
  });
  poller.start();
  const started = clock.now();
  await clock.advance(3 * LEASE_MS); // the webhooks' listing takes three leases' time to answer
  // Held all along: never further than a lease behind.
  expect(renewals.length).toBeGreaterThanOrEqual(8);
  expect(leaseUntil).toBeGreaterThan(clock.now());
  for (const [i, at] of renewals.entries()) expect(at - (renewals[i - 1] ?? started)).toBeLessThan(LEASE_MS);
  webhooksChecked();
  await clock.advance(1);
  const done = renewals.length;
  await clock.advance(LEASE_MS / 2);
  expect(renewals.length).toBe(done);
  await poller.stop();
});

test('a renewal under way when the pass ends is waited for before the poll gives the lease up (else it would take it back)', async () => {
  let release = () => {};
  const { clock, poller, said, webhooksChecked } = seams(async () => {
    said.push('renewing');
    await new Promise<void>((resolve) => (release = resolve));
    said.push('renewed');
    return true;
  });
  poller.start();
  await clock.advance(LEASE_MS / 3);
  expect(said).toEqual(['renewing']);
  webhooksChecked();
  await clock.advance(1);
  expect(said).toEqual(['renewing']); // the poll waits for the renewal under way
  release();
  await clock.advance(1);
  expect(said).toEqual(['renewing', 'renewed', 'finished']);
  await poller.stop();
});
