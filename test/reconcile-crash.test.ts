// A replica killed (SIGKILL) in the middle of a poll, on both engines: the watermark moved only past
// pages whose events were stored, so the restarted service resumes there — every order the shop
// has gets its message once, none twice. Real processes, the real clock; the Shopify stand-in's
// cost bucket makes the poll wait between pages, which is where the kill lands.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { startShopifyShop } from '../simulator/shops/shopify.ts';
import { type MantagoSimulator, startSimulator } from '../simulator/simulator.ts';
import { spawnService, type ServiceProcess } from './helpers/process.ts';
import { EXAMPLE_MAPPING, serviceEnv } from './helpers/service.ts';
import { auth, SHOP_ENGINES, shopUser, storeUrl, tempDir } from './helpers/shops.ts';
import { waitFor } from './helpers/wait.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

interface AdminViews {
  shops: { lastPoll: { outcome: string } | null }[];
  deliveries: { sentLastHour: number };
}
const admin = async (service: ServiceProcess, path: string) =>
  (await (await fetch(`${service.url}${path}`, { headers: auth })).json()) as AdminViews;
const messagesTo = (sim: MantagoSimulator, user: string) => sim.broadcasts.filter((b) => b.clientIds.includes(user)).length;

describe.each(SHOP_ENGINES)('$engine', ({ engine, available }) => {
  test.skipIf(!available)(
    'SIGKILL mid-poll, then a restart: every order sent once, none twice',
    async () => {
      // One page's query at a time: each next page waits about four seconds for the bucket, so the
      // kill that follows the first page's messages lands well before a second page's sends (an
      // answer that came in just before the kill would be a duplicate no store can prevent).
      const shop = await startShopifyShop({ bucket: { maximumAvailable: 600, restoreRate: 100 } });
      const sim = await startSimulator();
      const dir = tempDir();
      writeFileSync(join(dir, 'mapping.yaml'), EXAMPLE_MAPPING);
      const store = await storeUrl(engine, dir);
      cleanup.push(
        () => shop.close(),
        () => sim.close(),
        store.drop,
      );
      const env = serviceEnv(sim, dir, { ...shop.serviceEnv(), DATABASE_URL: store.url, RECONCILE_INTERVAL_S: '1', LOG_LEVEL: 'info' });
      const first = await spawnService(env);
      cleanup.push(() => first.stop('SIGKILL'));
      await waitFor(async () => (await admin(first, '/admin/shops')).shops[0]?.lastPoll, { what: 'the first poll' });

      const users = Array.from({ length: 200 }, (_, i) => shopUser(500 + i));
      for (const user of users) shop.createOrder({ customAttributes: { line_uid: user } });
      // The first page is stored and its messages sent (and recorded): the poll now waits for the bucket.
      await waitFor(async () => (await admin(first, '/admin/overview')).deliveries.sentLastHour >= 50, {
        what: 'the first page sent',
        timeoutMs: 20_000,
      });
      const queries = shop.calls.filter((c) => c.query?.includes('orders(')).length;
      await first.stop('SIGKILL');
      expect(users.filter((u) => messagesTo(sim, u) === 1).length).toBeLessThan(200); // killed mid-poll
      // The throttling has done its part (the kill landed between pages): the rest need not wait for it.
      shop.bucket.setRestoreRate(100_000);

      const second = await spawnService(env);
      cleanup.push(() => second.stop('SIGKILL'));
      await waitFor(() => users.every((u) => messagesTo(sim, u) >= 1), { what: 'every order sent', timeoutMs: 60_000 });
      // One more whole poll after that: still nothing twice.
      const polls = shop.calls.filter((c) => c.query?.includes('orders(')).length;
      await waitFor(
        async () => {
          const last = (await admin(second, '/admin/shops')).shops[0]?.lastPoll;
          return shop.calls.filter((c) => c.query?.includes('orders(') && c.outcome === 'ok').length > polls && last?.outcome === 'ok';
        },
        { what: 'a poll after', timeoutMs: 45_000 },
      );
      expect(queries).toBeGreaterThan(1);
      expect(users.filter((u) => messagesTo(sim, u) !== 1)).toEqual([]);
    },
    150_000,
  );
});
