// A rule's maxAge, on both engines: an event older than that by the shop's own time when it reaches
// us is stored as skipped with the reason, whether it came by webhook (Shopify retries for hours) or
// by a poll of the shop; a fresh one is sent as usual.
import { afterEach, describe, expect, test } from 'vitest';
import { EXAMPLE_MAPPING, startServiceWithSimulator } from './helpers/service.ts';
import { auth, SHOP_ENGINES, shiftedClock, shopUser, shopifyAndSimulator, startConnected } from './helpers/shops.ts';
import { waitFor } from './helpers/wait.ts';
import {
  normalizedOrder,
  SHOPIFY_SECRET,
  shopifyOrder,
  shopifyRequest,
  standardRequest,
  wooOrder,
  wooRequest,
} from './helpers/webhooks.ts';

const HOUR = 3_600_000;
const MAPPING = EXAMPLE_MAPPING.replace('  - name: default\n', '  - name: default\n    maxAge: 6h\n');
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

describe.each(SHOP_ENGINES)('$engine', ({ engine, available }) => {
  test.skipIf(!available)(
    'an event older than maxAge is skipped with its reason, by webhook and by poll',
    async () => {
      expect(MAPPING).toContain('maxAge: 6h');
      const clock = shiftedClock();
      const { shop, sim, dir, store } = await shopifyAndSimulator(engine, cleanup, {
        now: () => clock.now(),
        webhookSecret: SHOPIFY_SECRET,
      });
      const service = await startConnected(sim, {
        env: { ...shop.serviceEnv(), DATABASE_URL: store.url, RECONCILE_INTERVAL_S: '300' },
        dir,
        clock,
        mapping: MAPPING,
      });
      cleanup.push(() => service.app.close());
      const inject = (url: string) => service.app.inject({ url, headers: auth });
      await waitFor(async () => (await inject('/admin/shops')).json().shops[0]?.lastPoll, { what: 'the first poll' });

      const stale = shopifyOrder({
        created_at: new Date(clock.now() - 7 * HOUR).toISOString(),
        note_attributes: [{ name: 'line_uid', value: shopUser(800) }],
      });
      const fresh = shopifyOrder({
        created_at: new Date(clock.now() - HOUR).toISOString(),
        note_attributes: [{ name: 'line_uid', value: shopUser(801) }],
      });
      const byWebhook = await service.app.inject(shopifyRequest(stale));
      expect(byWebhook.statusCode).toBe(202);
      expect(byWebhook.json()).toMatchObject({ status: 'accepted', delivery: 'skipped', reason: 'older than 6h' });
      expect((await service.app.inject(shopifyRequest(fresh))).json()).toMatchObject({ delivery: 'pending' });

      const polled = shop.createOrder({ customAttributes: { line_uid: shopUser(802) } });
      clock.offset += 7 * HOUR; // the shop's order is 7 hours old when the next poll reads it
      const skipped = await waitFor(
        async () => {
          const list = (await inject(`/admin/deliveries?order=${polled.legacyId}`)).json().deliveries;
          return list?.[0]?.status === 'skipped' ? list[0] : undefined;
        },
        { what: 'the polled order skipped' },
      );
      expect(skipped).toMatchObject({ source: 'shopify', event: 'placed', lastError: 'older than 6h', topic: 'reconcile' });
      await waitFor(() => sim.broadcasts.some((b) => b.clientIds.includes(shopUser(801))), { what: 'the fresh order sent' });
      expect(sim.broadcasts.filter((b) => b.clientIds.includes(shopUser(800)) || b.clientIds.includes(shopUser(802)))).toEqual([]);
    },
    60_000,
  );
});

test("the normalized order: occurredAt is the shop's time of the event for maxAge; one that is not a time is a 400", async () => {
  const { app } = await startServiceWithSimulator({ mapping: MAPPING });
  cleanup.push(() => app.close());
  const order = (occurredAt: string, i: number) =>
    normalizedOrder({ orderId: `age-${i}`, occurredAt, attributes: { line_uid: shopUser(810 + i) } });
  const stale = await app.inject(standardRequest(order(new Date(Date.now() - 7 * HOUR).toISOString(), 0)));
  expect(stale.json()).toMatchObject({ status: 'accepted', delivery: 'skipped', reason: 'older than 6h' });
  const fresh = await app.inject(standardRequest(order(new Date(Date.now() - HOUR).toISOString(), 1)));
  expect(fresh.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
  // Not a time, a number Date.parse would read as a year, a time without its offset, a day or an hour
  // that does not exist (Date.parse would roll 30 February over into March): each a 400.
  const wrongs = ['yesterday', '1', '2026-12-01T10:00:00', '2026-02-30T10:00:00Z', '2026-04-31T10:00:00+08:00', '2025-02-29T10:00Z'];
  for (const [i, wrong] of wrongs.entries()) {
    const answer = await app.inject(standardRequest(order(wrong, 2 + i)));
    expect(answer.statusCode, wrong).toBe(400);
    expect(answer.json().message).toBe('body/occurredAt must be a time such as 2026-12-01T10:00:00+08:00');
  }
  // 24:00 is ISO 8601's end of the day: a time.
  expect((await app.inject(standardRequest(order('2026-12-01T24:00:00+08:00', 20)))).statusCode).toBe(202);
});

test('a WooCommerce completion is dated by date_completed: an edit of an order completed days ago is older than maxAge, a completion of a minute ago is sent', async () => {
  const mapping = MAPPING.replace('  - name: shipped\n', '  - name: shipped\n    maxAge: 6h\n');
  expect(mapping).toContain('  - name: shipped\n    maxAge: 6h\n');
  const { app } = await startServiceWithSimulator({ mapping });
  cleanup.push(() => app.close());
  const gmt = (ago: number) => new Date(Date.now() - ago).toISOString().slice(0, 19); // WooCommerce's, no zone
  const completed = (completedAgo: number, i: number) =>
    wooRequest(
      wooOrder({
        status: 'completed',
        date_created_gmt: gmt(4 * 24 * HOUR),
        date_paid_gmt: gmt(4 * 24 * HOUR),
        date_completed_gmt: gmt(completedAgo),
        date_modified_gmt: gmt(0), // just edited (a note, a partial refund): WooCommerce sends order.updated
        meta_data: [{ id: 1, key: 'line_uid', value: shopUser(820 + i) }],
      }),
      { topic: 'order.updated' },
    );
  const edited = await app.inject(completed(3 * 24 * HOUR, 0));
  expect(edited.json()).toMatchObject({ status: 'accepted', delivery: 'skipped', reason: 'older than 6h' });
  const fresh = await app.inject(completed(60_000, 1));
  expect(fresh.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
});
