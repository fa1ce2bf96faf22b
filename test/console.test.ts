// The operator's console in a real headless Chromium, against the service on a real socket with the
// simulator as MantaGO: what an operator sees and can do, and that the admin token stays in the tab.
// CONSOLE_SCREENSHOTS=1 also writes the README's screenshots to docs/.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, test } from 'vitest';
import { launchChromium } from './helpers/browser.ts';
import { consoleService, expectTokenKeptSafe, seed, type ConsoleService } from './helpers/console.ts';
import { ADMIN_TOKEN, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { LINE_USER, LINE_USER_2, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));
const BROWSER_TEST = { timeout: 90_000 };

// Launched by the first test that needs it and shared; should it not start, every browser test
// fails with the reason (a hook's failure would show them as skipped).
let launching: Promise<Browser> | undefined;
const browser = () => (launching ??= launchChromium());
afterAll(async () => {
  await (await launching?.catch(() => undefined))?.close();
});

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
const nav = (c: ConsoleService, name: string) =>
  c.page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name }).click();
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
    const sent = await c.order(shopifyRequest(shopifyOrder()));
    const dead = await c.order(shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: LINE_USER_2 }] })));
    await Promise.all([c.settled(sent), c.settled(dead)]);
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

  test('DRY_RUN is shown loudly on every page', BROWSER_TEST, async () => {
    const c = await consoleService(await browser(), { env: { DRY_RUN: 'true' } });
    await c.signIn();
    await c.page.getByRole('status').filter({ hasText: 'DRY RUN' }).waitFor();
    await nav(c, 'Deliveries');
    await c.page.getByRole('heading', { level: 1, name: 'Deliveries' }).waitFor();
    expect(await c.page.locator('.dry-run').isVisible()).toBe(true);
    await expectTokenKeptSafe(c);
  });

  test('a skipped order is found by its order id with the list filter, and its page says why', BROWSER_TEST, async () => {
    const c = await consoleService(await browser());
    const { skippedOrder, skipped } = await seed(c);
    await c.signIn();
    await nav(c, 'Deliveries');
    await listed(c, (await c.admin('GET', '/deliveries')).body.deliveries.length);
    await screenshot(c.page, 'console-deliveries.png');

    await c.page.getByLabel('Order id').fill(String(skippedOrder.id));
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
    const id = await c.order(shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: LINE_USER_2 }] })));
    const dead = await c.settled(id);
    expect(dead.status).toBe('dead');
    const refusal = dead.attemptLog.at(-1);
    expect(refusal).toMatchObject({ httpStatus: 403, error: expect.stringContaining('Create broadcast failed') });

    await c.signIn();
    await nav(c, 'Deliveries');
    await c.page.getByLabel('Status').selectOption('dead');
    await c.page.getByRole('button', { name: 'Apply filters' }).click();
    await listed(c, 2); // the seed's and this one
    await c.page.getByRole('link', { name: `Delivery ${id}`, exact: true }).click();
    const attempts = c.page.locator('.timeline > li');
    await attempts.nth(1).waitFor();
    expect(await attempts.count()).toBe(2);
    expect(await attempts.nth(0).locator('[data-field="httpStatus"]').textContent()).toMatch(/^HTTP 503 · \d+ ms$/);
    expect(await attempts.nth(0).locator('.attempt-next time').getAttribute('datetime')).toBe(dead.attemptLog[0].nextAttemptAt);
    expect(await attempts.nth(1).locator('[data-field="httpStatus"]').textContent()).toMatch(/^HTTP 403/);
    expect(await attempts.nth(1).locator('[data-field="error"]').textContent()).toBe(refusal.error);
    expect(await c.page.locator('[data-field="why"] p').textContent()).toBe(dead.lastError);
    await screenshot(c.page, 'console-delivery.png');

    c.sim.set({ refusedClientIds: [] });
    await c.page.getByRole('button', { name: 'Retry this delivery' }).click();
    await c.page.locator('h1 [data-status="sent"]').waitFor();
    await waitFor(() => c.sim.deliveredClientIds().includes(LINE_USER_2), { what: 'the retried delivery at MantaGO' });
    expect(await attempts.count()).toBe(3);
    expect(await attempts.nth(2).locator('[data-status]').textContent()).toBe('sent');
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

describe('actions in the console', () => {
  const lineUser = (i: number) => `U${(0xc0de00 + i).toString(16).padStart(32, '0')}`;

  test('redrive (after confirming) and a test broadcast reach MantaGO', BROWSER_TEST, async () => {
    const c = await consoleService(await browser());
    const users = [lineUser(1), lineUser(2)];
    c.sim.set({ refusedClientIds: users });
    for (const user of users)
      await c.settled(await c.order(shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user }] }))));
    c.sim.set({ refusedClientIds: [] });

    await c.signIn();
    await nav(c, 'Deliveries');
    const redrive = c.page.getByRole('button', { name: 'Redrive dead deliveries…' });
    const dialog = c.page.getByRole('dialog', { name: 'Redrive dead deliveries?' });
    await redrive.click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await c.admin('GET', '/overview')).body.deliveries.dead).toBe(2);
    await redrive.click();
    await dialog.getByRole('button', { name: 'Redrive all dead' }).click();
    await c.page.getByRole('status').filter({ hasText: '2 dead deliveries are being sent again.' }).waitFor();
    await waitFor(() => users.every((u) => c.sim.deliveredClientIds().includes(u)), { what: 'the redriven deliveries at MantaGO' });

    await nav(c, 'Test broadcast');
    await c.page.getByLabel('Chat user ids').fill(LINE_USER);
    await c.page.getByLabel('Conversation module (intentId)').fill('rb2kYmMdW');
    await c.page.getByLabel('Broadcast name (optional)').fill('console check');
    await c.page.getByRole('button', { name: 'Send test broadcast' }).click();
    await c.page.getByRole('dialog', { name: 'Send this broadcast?' }).getByRole('button', { name: 'Send now' }).click();
    const result = c.page.getByRole('region', { name: /^Result/ });
    await result.locator('[data-status="sent"]').waitFor();
    expect(await result.locator('[data-fact="MantaGO HTTP status"] dd').textContent()).toBe('200');
    expect(c.sim.broadcasts.at(-1)).toMatchObject({ intentId: 'rb2kYmMdW', name: 'console check', clientIds: [LINE_USER] });
    expect(c.consoleErrors).toEqual([]);
    await expectTokenKeptSafe(c);
  });

  test('recipients: bind, look up, unbind; explain how a customer would be found', BROWSER_TEST, async () => {
    const c = await consoleService(await browser());
    await c.signIn();
    await nav(c, 'Recipients');

    const bind = c.page.getByRole('region', { name: 'Bind a customer key to a chat user' });
    await bind.getByLabel('Customer key', { exact: true }).fill('email:ann@example.com');
    await bind.getByLabel('Chat user id').fill(LINE_USER);
    await bind.getByRole('button', { name: 'Bind' }).click();
    await bind
      .getByRole('status')
      .filter({ hasText: `Bound email:ann@example.com to line user ${LINE_USER}.` })
      .waitFor();
    expect((await c.admin('GET', '/recipients/email:ann@example.com')).body).toMatchObject({ platform: 'line', userId: LINE_USER });

    const lookup = c.page.getByRole('region', { name: 'Look up a customer key' });
    await lookup.getByLabel('Customer key', { exact: true }).fill('email:ann@example.com');
    await lookup.getByRole('button', { name: 'Look up' }).click();
    expect(await lookup.locator('[data-fact="Chat user"] dd').textContent()).toBe(LINE_USER);
    await lookup.getByRole('button', { name: 'Unbind…' }).click();
    await c.page.getByRole('dialog', { name: 'Remove this binding?' }).getByRole('button', { name: 'Unbind' }).click();
    await lookup.getByRole('status').filter({ hasText: 'email:ann@example.com is unbound.' }).waitFor();
    expect((await c.admin('GET', '/recipients/email:ann@example.com')).status).toBe(404);

    // How would customer 7 be found? Each entry tried, the directory binding wins, and the rule for it.
    expect((await c.admin('PUT', '/recipients/customer:7', { platform: 'line', userId: LINE_USER })).status).toBe(200);
    const resolve = c.page.getByRole('region', { name: 'How would this customer be found?' });
    await resolve.getByLabel('Customer id').fill('7');
    await resolve.getByRole('button', { name: 'Explain' }).click();
    await resolve.getByText(`line user ${LINE_USER} (directory customer:7)`).waitFor();
    expect(await resolve.locator('ol.steps li').allTextContents()).toEqual([
      'attribute line_uid: no line_uid attribute',
      'attribute messenger_psid: no messenger_psid attribute',
      'static: no static entry for this customer',
      `directory: line user ${LINE_USER}`,
    ]);
    expect(await resolve.locator('[data-fact="Rule"] dd').textContent()).toBe('default');
    expect(c.consoleErrors).toEqual([]);
    await expectTokenKeptSafe(c);
  });
});

describe('without ADMIN_TOKEN', () => {
  test('the console is 404, like /admin', async () => {
    const { app } = await startServiceWithSimulator({ env: { ADMIN_TOKEN: undefined } });
    for (const url of ['/console', '/console/', '/console/console.js', '/console/console.css', '/admin/overview']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });
});
