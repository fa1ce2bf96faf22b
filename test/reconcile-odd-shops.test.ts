// Shops answering oddly, over HTTP with the Shopify stand-in as the shop and the simulator as
// MantaGO: an order stamped in the future (a shop's clock, a bad date) must not move the watermark
// past orders that come after it.
import { afterEach, expect, test } from 'vitest';
import { type ShopifyShop, startShopifyShop } from '../simulator/shops/shopify.ts';
import { startSimulator } from '../simulator/simulator.ts';
import { auth, type ConnectedService, shiftedClock, shopUser, startConnected, tempDir } from './helpers/shops.ts';
import { waitFor } from './helpers/wait.ts';

const INTERVAL_S = 300;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

const shopsOf = async (service: ConnectedService) =>
  (await service.app.inject({ method: 'GET', url: '/admin/shops', headers: auth })).json().shops as {
    watermark: string;
    lastPoll: { at: string; outcome: string; orders: number } | null;
  }[];

/** Webhooks to a subscription whose deliveries are all lost: only polls find the orders. */
function loseEveryWebhook(shop: ShopifyShop) {
  shop.set({ loseWebhooks: true });
}

test('an order stamped a year ahead by the shop: the watermark stays at the poll, and later orders are still found and sent once', async () => {
  const clock = shiftedClock();
  let shopAheadMs = 0;
  const shop = await startShopifyShop({ now: () => clock.now() + shopAheadMs });
  const sim = await startSimulator();
  cleanup.push(
    async () => shop.close(),
    async () => sim.close(),
  );
  const env = { ...shop.serviceEnv(), RECONCILE_INTERVAL_S: String(INTERVAL_S) };
  const service = await startConnected(sim, { env, dir: tempDir(), clock });
  cleanup.push(() => service.app.close());
  await waitFor(async () => (await shopsOf(service))[0]?.lastPoll, { what: 'the first poll' });
  loseEveryWebhook(shop);

  shopAheadMs = 365 * 86_400_000;
  shop.createOrder({ customAttributes: { line_uid: shopUser(1) } });
  shopAheadMs = 0;
  clock.offset += INTERVAL_S * 1000;
  await waitFor(() => sim.timesDelivered(shopUser(1)) === 1, { what: 'the order stamped ahead, sent' });
  const [polled] = await waitFor(
    async () => {
      const shops = await shopsOf(service);
      return shops[0]?.lastPoll?.orders === 1 ? shops : undefined;
    },
    { what: 'the poll recorded' },
  );
  expect(Date.parse(polled?.watermark ?? '')).toBeLessThanOrEqual(clock.now());

  clock.offset += 60_000;
  shop.createOrder({ customAttributes: { line_uid: shopUser(2) } });
  clock.offset += INTERVAL_S * 1000;
  await waitFor(() => sim.timesDelivered(shopUser(2)) === 1, { what: 'the order after it, found by the next poll' });
  expect([sim.timesDelivered(shopUser(1)), sim.timesDelivered(shopUser(2))]).toEqual([1, 1]);
});
