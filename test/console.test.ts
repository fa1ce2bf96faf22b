// The operator's console in a real headless Chromium, against the service on a real socket with the
// simulator as MantaGO: what an operator sees and can do, and that the admin token stays in the tab.
// CONSOLE_SCREENSHOTS=1 also writes the README's screenshots to docs/.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, test } from 'vitest';
import { BROWSER_TEST, sharedChromium } from './helpers/browser.ts';
import { consoleService, expectTokenKeptSafe, nav, seed, type ConsoleService } from './helpers/console.ts';
import { deadByRefusal } from './helpers/refused.ts';
import { ADMIN_TOKEN } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { LINE_USER_2, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));
const chromium = sharedChromium();
const browser = chromium.browser;
afterAll(chromium.close);

async function screenshot(page: Page, name: string) {
  if (process.env.CONSOLE_SCREENSHOTS !== '1') return;
  mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: `${DOCS}${name}`, fullPage: true });
}

const rows = (c: ConsoleService) => c.page.locator('tr[data-delivery]');
/** Waits until the list shows exactly `count` deliveries (it redraws after each filter). */
const listed = (c: ConsoleService, count: number) =>
  waitFor(async () => (await c.page.locator('.results[aria-busy="false"] tr[data-delivery]').count()) === count, {
    what: `${count} deliveries listed`,
  });
// In-page checks are expressions: the tests are typed for Node, not the DOM.
const fitsWidth = (page: Page) => page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');

describe('the console in a browser', () => {
  test(
    'sign-in: a wrong token is refused with a message; the right one is kept in this tab only, until sign-out',
    BROWSER_TEST,
    async () => {
      const c = await consoleService(await browser());
      const wrong = 'wrong-token-7f3a9c';
      await c.signIn(wrong);
      await c.page.getByRole('alert').filter({ hasText: 'The admin token is wrong' }).waitFor();
      expect(await c.page.evaluate(() => sessionStorage.length)).toBe(0);
      // Pasted with a zero-width space: the browser would not send it, so it is not "the service did not answer".
      await c.signIn(`${ADMIN_TOKEN}\u200b`);
      await c.page.getByRole('alert').filter({ hasText: 'it holds a character no token has' }).waitFor();
      expect(await c.page.evaluate(() => sessionStorage.length)).toBe(0);

      // By keyboard: the token field has the focus, Enter signs in.
      await c.page.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await c.page.keyboard.press('Enter');
      await c.page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      expect(await c.page.evaluate(() => Object.values(sessionStorage))).toEqual([ADMIN_TOKEN]);
      await c.page.reload();
      await c.page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      const otherTab = await c.context.newPage();
      await otherTab.goto(`${c.base}/console/`);
      await otherTab.getByLabel('Admin token').waitFor();
      await otherTab.close();

      await c.page.getByRole('button', { name: 'Sign out' }).click();
      await c.page.getByLabel('Admin token').waitFor();
      expect(await c.page.evaluate(() => sessionStorage.length)).toBe(0);
      await expectTokenKeptSafe(c, [wrong]);
    },
  );

  test('the overview shows what GET /admin/overview reports: the queue, the credentials, the sources', BROWSER_TEST, async () => {
    const c = await consoleService(await browser(), { env: { WOOCOMMERCE_WEBHOOK_SECRET: undefined } });
    c.sim.set({ refusedClientIds: [LINE_USER_2] });
    // The order sent shows the bot broadcasts between the refused one's refusals: that one is dead.
    const refused = shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: LINE_USER_2 }] }));
    await deadByRefusal(c.app, c.sim, refused, shopifyRequest(shopifyOrder()));
    await waitFor(async () => (await c.admin('GET', '/overview')).body.deliveries.pending === 0, { what: 'the order sent recorded' });
    c.sim.set({ fail: { status: 503, count: 1_000_000 } }); // the next order keeps waiting
    await c.order(shopifyRequest(shopifyOrder()));

    await c.signIn();
    const { body: api } = await c.admin('GET', '/overview');
    expect(api.deliveries).toMatchObject({ pending: 1, dead: 1, sentLastHour: 1 });
    const field = (name: string) => c.page.locator(`[data-field="${name}"]`).first();
    expect(await field('pending').textContent()).toBe(String(api.deliveries.pending));
    expect(await field('dead').textContent()).toBe(String(api.deliveries.dead));
    expect(await field('sentLastHour').textContent()).toBe(String(api.deliveries.sentLastHour));
    expect(await field('oldestPendingSince').locator('time').getAttribute('datetime')).toBe(api.deliveries.oldestPendingSince);
    expect(await field('oldestWait').textContent()).toMatch(/^\d+ (ms|s|min)$/);
    const credentials = field('credentials');
    expect(await credentials.locator('[data-fact="State"]').textContent()).toBe(`State${api.credentials.state}`);
    expect(await credentials.locator('[data-fact="Expires"] time').getAttribute('datetime')).toBe(api.credentials.expiresAt);
    expect(await credentials.locator('[data-fact="Last error"] dd').textContent()).toBe('none');
    const sources = await field('sources').locator('li').allTextContents();
    expect(sources).toEqual(
      api.sources.map((s: { name: string; path: string; enabled: boolean }) => `${s.enabled ? 'enabled' : 'disabled'} ${s.name} ${s.path}`),
    );
    expect(sources).toContain('disabled woocommerce /webhooks/woocommerce');
    expect(await c.page.locator('.footer').textContent()).toBe(`Service version ${api.version}`);
    expect(await c.page.locator('.dry-run').isHidden()).toBe(true);
    await expectTokenKeptSafe(c);
  });

  test("the shop connections failing to load (a proxy's 502) leaves the rest of the overview shown", BROWSER_TEST, async () => {
    const c = await consoleService(await browser());
    c.sim.set({ refusedClientIds: [LINE_USER_2] });
    await deadByRefusal(c.app, c.sim, shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: LINE_USER_2 }] })));
    await c.page.route('**/admin/shops', (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>Bad Gateway</h1>' }));
    await c.signIn();
    const field = (name: string) => c.page.locator(`[data-field="${name}"]`).first();
    await c.page.getByRole('alert').filter({ hasText: 'Could not load the shop connections: HTTP 502' }).waitFor();
    expect(await field('dead').textContent()).toBe('1');
    expect(await c.page.getByText('Could not load the overview').count()).toBe(0);
  });

  test('Apply filters with the filters unchanged reads the list again (the operator refreshing it)', BROWSER_TEST, async () => {
    const c = await consoleService(await browser());
    c.sim.set({ refusedClientIds: [LINE_USER_2] });
    const dead = () =>
      deadByRefusal(c.app, c.sim, shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: LINE_USER_2 }] })));
    await dead();
    await c.signIn();
    await nav(c, 'Deliveries');
    await c.page.getByLabel('Status').selectOption('dead');
    await c.page.getByRole('button', { name: 'Apply filters' }).click();
    await listed(c, 1);
    await dead();
    await c.page.getByRole('button', { name: 'Apply filters' }).click();
    await listed(c, 2);
  });

  test('DRY_RUN is shown loudly on every page', BROWSER_TEST, async () => {
    const c = await consoleService(await browser(), { env: { DRY_RUN: 'true' } });
    await c.signIn();
    await c.page.getByRole('status').filter({ hasText: 'DRY RUN' }).waitFor();
    await nav(c, 'Deliveries');
    await c.page.getByRole('heading', { level: 1, name: 'Deliveries' }).waitFor();
    expect(await c.page.locator('.dry-run').isVisible()).toBe(true);
    await expectTokenKeptSafe(c);
  });

  test('a skipped order is found by its order number with the list filter, and its page says why', BROWSER_TEST, async () => {
    const c = await consoleService(await browser());
    const { skippedOrder, skipped } = await seed(c);
    await c.signIn();
    await nav(c, 'Deliveries');
    await listed(c, (await c.admin('GET', '/deliveries')).body.deliveries.length);
    await screenshot(c.page, 'console-deliveries.png');

    await c.page.getByLabel('Order').fill(skippedOrder.name); // the number the customer quotes, not the id
    await c.page.getByRole('button', { name: 'Apply filters' }).click();
    await listed(c, 1);
    const { body: delivery } = await c.admin('GET', `/deliveries/${skipped}`);
    expect(delivery.lastError).toContain('no chat user for this customer');
    const row = rows(c).first();
    expect(await row.getAttribute('data-delivery')).toBe(String(skipped));
    expect(await row.locator('[data-status]').textContent()).toBe('skipped');
    expect(await row.locator('td[data-label="Why"]').textContent()).toBe(delivery.lastError);

    await row.getByRole('link', { name: `Delivery ${skipped}` }).click();
    await c.page.getByRole('heading', { level: 1, name: `Delivery #${skipped}` }).waitFor();
    const why = c.page.locator('[data-field="why"]');
    expect(await why.locator('h2').textContent()).toBe('Why it was skipped');
    expect(await why.locator('p').textContent()).toBe(delivery.lastError);
    const order = c.page.getByRole('region', { name: 'Order as received (normalized)' });
    expect(await order.locator('[data-fact="Email"] dd').textContent()).toBe('guest@example.com');
    expect(await order.locator('[data-fact="Order id"] dd').textContent()).toBe(String(skippedOrder.id));
    expect(await c.page.getByRole('region', { name: /^Attempts/ }).textContent()).toContain('a skipped delivery is never sent');

    // At phone width nothing is wider than the screen: the list becomes cards.
    await c.page.setViewportSize({ width: 390, height: 844 });
    expect(await fitsWidth(c.page)).toBe(true);
    await c.page.goBack();
    await listed(c, 1);
    expect(await fitsWidth(c.page)).toBe(true);
    expect(c.consoleErrors).toEqual([]);
    await expectTokenKeptSafe(c);
  });

  test("a dead delivery's attempts show MantaGO's reason; its retry button makes it sent", BROWSER_TEST, async () => {
    const c = await consoleService(await browser());
    await seed(c);
    c.sim.set({ fail: { status: 503, count: 1 }, refusedClientIds: [LINE_USER_2] });
    const dead = await deadByRefusal(
      c.app,
      c.sim,
      shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: LINE_USER_2 }] })),
    );
    const id: number = dead.id;
    // A 503, then refused until a broadcast to another showed the bot broadcasts (how many times depends on when).
    const tries: number = dead.attemptLog.length;
    const refusal = dead.attemptLog.at(-1);
    expect(refusal).toMatchObject({ httpStatus: 403, error: expect.stringContaining('Create broadcast failed') });

    await c.signIn();
    await nav(c, 'Deliveries');
    await c.page.getByLabel('Status').selectOption('dead');
    await c.page.getByRole('button', { name: 'Apply filters' }).click();
    await listed(c, 2); // the seed's and this one
    await c.page.getByRole('link', { name: `Delivery ${id}`, exact: true }).click();
    const attempts = c.page.locator('.timeline > li');
    await attempts.nth(tries - 1).waitFor();
    expect(await attempts.count()).toBe(tries);
    expect(await attempts.nth(0).locator('[data-field="httpStatus"]').textContent()).toMatch(/^HTTP 503 · \d+ ms$/);
    expect(await attempts.nth(0).locator('.attempt-next time').getAttribute('datetime')).toBe(dead.attemptLog[0].nextAttemptAt);
    expect(
      await attempts
        .nth(tries - 1)
        .locator('[data-field="httpStatus"]')
        .textContent(),
    ).toMatch(/^HTTP 403/);
    expect(
      await attempts
        .nth(tries - 1)
        .locator('[data-field="error"]')
        .textContent(),
    ).toBe(refusal.error);
    expect(await c.page.locator('[data-field="why"] p').textContent()).toBe(dead.lastError);
    await screenshot(c.page, 'console-delivery.png');

    c.sim.set({ refusedClientIds: [] });
    await c.page.getByRole('button', { name: 'Retry this delivery' }).click();
    await c.page.locator('h1 [data-status="sent"]').waitFor();
    await waitFor(() => c.sim.deliveredClientIds().includes(LINE_USER_2), { what: 'the retried delivery at MantaGO' });
    expect(await attempts.count()).toBe(tries + 1);
    expect(await attempts.nth(tries).locator('[data-status]').textContent()).toBe('sent');
    expect(await c.page.locator('[data-field="why"]').count()).toBe(0);
    expect(c.consoleErrors).toEqual([]);
    await expectTokenKeptSafe(c);
  });

  test('every console answer has the CSP, nosniff and no-referrer; no page logs an error or breaks the CSP', BROWSER_TEST, async () => {
    const c = await consoleService(await browser());
    const { skipped } = await seed(c);
    const types: Record<string, RegExp> = {
      '/console': /^$/,
      '/console/': /^text\/html/,
      '/console/console.js': /^(text|application)\/javascript/,
      '/console/console.css': /^text\/css/,
    };
    for (const [path, type] of Object.entries(types)) {
      const answer = await fetch(`${c.base}${path}`, { redirect: 'manual' });
      expect(answer.status, path).toBe(path === '/console' ? 302 : 200);
      expect(answer.headers.get('content-security-policy'), path).toBe(CSP);
      expect(answer.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(answer.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(answer.headers.get('content-type') ?? '', path).toMatch(type);
    }
    expect((await fetch(`${c.base}/console`, { redirect: 'manual' })).headers.get('location')).toBe('console/');

    await c.signIn();
    const pages: [string, () => Promise<unknown>][] = [
      ['Overview', () => c.page.locator('[data-field="pending"]').waitFor()],
      ['Deliveries', () => rows(c).first().waitFor()],
      [`Delivery #${skipped}`, () => c.page.goto(`${c.base}/console/#/deliveries/${skipped}`)],
      ['Test broadcast', () => nav(c, 'Test broadcast')],
    ];
    for (const [heading, open] of pages) {
      if (heading === 'Deliveries') await nav(c, 'Deliveries');
      await open();
      await c.page.getByRole('heading', { level: 1, name: heading }).waitFor();
      const unlabelled = await c.page.evaluate<number>(
        `[...document.querySelectorAll('input, select, textarea')].filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label')).length`,
      );
      expect(unlabelled, `controls without a label on ${heading}`).toBe(0);
      expect(await c.page.evaluate<number>(`document.querySelectorAll('script:not([src]), [style], style').length`), heading).toBe(0);
    }
    expect(c.consoleErrors).toEqual([]);
    await expectTokenKeptSafe(c);
  });
});
