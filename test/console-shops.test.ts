// The console's overview shows the shop connections in a real headless Chromium: the connected
// Shopify shop's last poll with its outcome, and its webhooks with their last repair — no secret.
import { afterAll, describe, expect, test } from 'vitest';
import { startShopifyShop } from '../simulator/shops/shopify.ts';
import { BROWSER_TEST, sharedChromium } from './helpers/browser.ts';
import { consoleService, expectTokenKeptSafe } from './helpers/console.ts';
import { waitFor } from './helpers/wait.ts';

const chromium = sharedChromium();
afterAll(chromium.close);

describe('the console in a browser', () => {
  test('the overview shows the shop connections: last poll, watermark, our webhooks and their repairs', BROWSER_TEST, async () => {
    const shop = await startShopifyShop();
    try {
      const c = await consoleService(await chromium.browser(), {
        env: { ...shop.serviceEnv(), PUBLIC_URL: 'https://notify.example.com' },
      });
      await waitFor(async () => (await c.admin('GET', '/shops')).body.shops[0]?.lastPoll, { what: 'the first poll' });
      await c.signIn();
      const section = c.page.locator('[data-shop="shopify"]');
      await section.waitFor();
      await waitFor(async () => (await section.textContent())?.includes('ORDERS_CREATE'), { what: 'the webhooks shown' });
      const text = (await section.textContent()) ?? '';
      expect(text).toContain('ok');
      expect(text).toContain('0 orders read, 0 events recovered');
      expect(text).toContain('REFUNDS_CREATE (created');
      expect(await section.locator('li').count()).toBe(6);
      expect(text).not.toContain(shop.accessToken);
      await expectTokenKeptSafe(c);
    } finally {
      await shop.close();
    }
  });
});
