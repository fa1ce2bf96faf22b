// The console's actions in a real headless Chromium (redrive, a test broadcast, the recipient
// directory and how a customer would be found), and the console without ADMIN_TOKEN.
import { afterAll, describe, expect, test } from 'vitest';
import { deadByRefusal } from './helpers/refused.ts';
import { BROWSER_TEST, sharedChromium } from './helpers/browser.ts';
import { consoleService, expectTokenKeptSafe, nav } from './helpers/console.ts';
import { startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { LINE_USER, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const chromium = sharedChromium();
const browser = chromium.browser;
afterAll(chromium.close);

describe('actions in the console', () => {
  const lineUser = (i: number) => `U${(0xc0de00 + i).toString(16).padStart(32, '0')}`;

  test('redrive (after confirming) and a test broadcast reach MantaGO', BROWSER_TEST, async () => {
    const c = await consoleService(await browser());
    const users = [lineUser(1), lineUser(2)];
    c.sim.set({ refusedClientIds: users });
    for (const user of users)
      await deadByRefusal(c.app, c.sim, shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user }] })));
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

  test(
    'a test broadcast whose answer a proxy replaced with its 502 page is sent again with its key, after a reload too: MantaGO gets it once',
    BROWSER_TEST,
    async () => {
      const c = await consoleService(await browser());
      await c.signIn();
      await nav(c, 'Test broadcast');
      const keys: string[] = [];
      let proxied = 0;
      // The service sends it; the proxy in front of it answers with its own page (as while the service restarts).
      await c.page.route('**/admin/broadcasts', async (route) => {
        keys.push(route.request().headers()['idempotency-key'] ?? '');
        const answer = await route.fetch();
        if (proxied++ < 2) return route.fulfill({ status: 502, contentType: 'text/html', body: '<html><h1>502 Bad Gateway</h1></html>' });
        return route.fulfill({ response: answer });
      });
      const fill = async () => {
        await c.page.getByLabel('Chat user ids').fill(LINE_USER);
        await c.page.getByLabel('Message', { exact: true }).fill('proxy check');
        await c.page.getByRole('button', { name: 'Send test broadcast' }).click();
        await c.page.getByRole('dialog', { name: 'Send this broadcast?' }).getByRole('button', { name: 'Send now' }).click();
      };
      await fill();
      await c.page.getByRole('alert').filter({ hasText: 'No answer yet' }).waitFor();
      await fill();
      await c.page.getByRole('alert').filter({ hasText: 'No answer yet' }).waitFor();
      await c.page.reload();
      await c.page.getByRole('heading', { name: 'Test broadcast' }).waitFor();
      await fill();
      const result = c.page.getByRole('region', { name: /^Result/ });
      await result.locator('[data-status="sent"]').waitFor();
      expect(keys).toHaveLength(3);
      expect(new Set(keys).size).toBe(1);
      expect(c.sim.broadcasts.filter((b) => b.message === 'proxy check')).toHaveLength(1);
    },
  );

  test('a retry answered after the operator left the delivery page starts no following of it', BROWSER_TEST, async () => {
    const c = await consoleService(await browser());
    const user = lineUser(3);
    c.sim.set({ refusedClientIds: [user] });
    const { id } = await deadByRefusal(
      c.app,
      c.sim,
      shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user }] })),
    );
    c.sim.set({ refusedClientIds: [], hold: true }); // retried, it stays in flight: a page would follow it
    await c.page.clock.install();
    await c.signIn();
    await c.page.goto(`${c.base}/console/#/deliveries/${id}`);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    await c.page.route(`**/admin/deliveries/${id}/retry`, async (route) => {
      await released;
      await route.continue();
    });
    await c.page.getByRole('button', { name: 'Retry this delivery' }).click();
    await nav(c, 'Deliveries');
    const reads: string[] = [];
    c.page.on('request', (request) => {
      if (new URL(request.url()).pathname === `/admin/deliveries/${id}`) reads.push(request.url());
    });
    release();
    await waitFor(() => c.sim.heldCalls === 1, { what: 'the retried delivery in flight' });
    await c.page.clock.runFor(30_000);
    expect(reads).toEqual([]);
    c.sim.set({ hold: false });
  });

  test(
    'a retry refused because another operator resent it meanwhile shows why, and the page then shows the delivery sent',
    BROWSER_TEST,
    async () => {
      const c = await consoleService(await browser());
      const user = lineUser(4);
      c.sim.set({ refusedClientIds: [user] });
      const { id } = await deadByRefusal(
        c.app,
        c.sim,
        shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user }] })),
      );
      await c.signIn();
      await c.page.goto(`${c.base}/console/#/deliveries/${id}`);
      const retry = c.page.getByRole('button', { name: 'Retry this delivery' });
      await retry.waitFor();
      // Another operator (curl, another tab) resends it while this page shows it dead.
      c.sim.set({ refusedClientIds: [] });
      expect((await c.admin('POST', `/deliveries/${id}/retry`)).status).toBe(200);
      expect((await c.settled(id)).status).toBe('sent');
      await retry.click();
      await c.page.getByRole('status').filter({ hasText: 'Retry failed' }).waitFor();
      await c.page.locator('h1 [data-status="sent"]').waitFor();
      expect(await retry.count()).toBe(0);
      expect(c.sim.timesDelivered(user)).toBe(1);
    },
  );

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
    // Bound again below while the lookup above still shows it unbound: the lookup shows the binding.
    await bind.getByRole('button', { name: 'Bind' }).click();
    await lookup.locator('[data-fact="Chat user"] dd').filter({ hasText: LINE_USER }).waitFor();
    expect((await c.admin('DELETE', '/recipients/email:ann@example.com')).status).toBe(204);
    // A key the browser would resolve away (`..` is /admin/ itself) is named wrong before anything is asked.
    await lookup.getByLabel('Customer key', { exact: true }).fill('..');
    await lookup.getByRole('button', { name: 'Look up' }).click();
    await lookup.getByRole('alert').filter({ hasText: 'key must be customer:<id>, email:<address> or phone:<digits>' }).waitFor();

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

describe('opt-out in the console', () => {
  test('recipients: a looked-up key shows whether it opted out; opting out (after confirming) and lifting it', BROWSER_TEST, async () => {
    const c = await consoleService(await browser());
    expect((await c.admin('PUT', '/recipients/customer:8', { platform: 'line', userId: LINE_USER })).status).toBe(200);
    await c.signIn();
    await nav(c, 'Recipients');
    const lookup = c.page.getByRole('region', { name: 'Look up a customer key' });
    await lookup.getByLabel('Customer key', { exact: true }).fill('customer:8');
    await lookup.getByRole('button', { name: 'Look up' }).click();
    expect(await lookup.locator('[data-fact="Chat messages"] dd').textContent()).toBe('allowed');
    await lookup.getByRole('button', { name: 'Opt out…' }).click();
    await c.page.getByRole('dialog', { name: 'Opt this customer out?' }).getByRole('button', { name: 'Opt out' }).click();
    await lookup.getByRole('button', { name: 'Lift opt-out' }).waitFor();
    expect(await lookup.locator('[data-fact="Chat messages"] dd').textContent()).toMatch(/^opted out since /);
    expect((await c.admin('GET', '/recipients/customer:8')).body).toMatchObject({ optOut: true, userId: LINE_USER });
    // Unbinding an opted-out key removes the binding only: the customer stays opted out.
    await lookup.getByRole('button', { name: 'Unbind…' }).click();
    const unbindDialog = c.page.getByRole('dialog', { name: 'Remove this binding?' });
    await unbindDialog.getByText('the opt-out stays').waitFor();
    await unbindDialog.getByRole('button', { name: 'Unbind' }).click();
    await lookup.getByRole('status').filter({ hasText: 'customer:8 is unbound.' }).waitFor();
    expect((await c.admin('GET', '/recipients/customer:8')).body).toEqual({
      key: 'customer:8',
      optOut: true,
      optedOutAt: expect.any(String),
    });
    expect(await lookup.locator('[data-fact="Chat messages"] dd').textContent()).toMatch(/^opted out since /);
    await lookup.getByRole('button', { name: 'Lift opt-out' }).click();
    await lookup.getByText('customer:8 is not bound to anyone.').waitFor(); // unbound and lifted: nothing left of the key
    expect((await c.admin('GET', '/recipients/customer:8')).status).toBe(404);

    // A key bound to nobody can be opted out too.
    await lookup.getByLabel('Customer key', { exact: true }).fill('email:quiet@example.com');
    await lookup.getByRole('button', { name: 'Look up' }).click();
    await lookup.getByText('email:quiet@example.com is not bound to anyone.').waitFor();
    await lookup.getByRole('button', { name: 'Opt out…' }).click();
    await c.page.getByRole('dialog', { name: 'Opt this customer out?' }).getByRole('button', { name: 'Opt out' }).click();
    await lookup.getByRole('button', { name: 'Lift opt-out' }).waitFor();
    expect((await c.admin('GET', '/recipients/email:quiet@example.com')).body).toMatchObject({ optOut: true });
    // The only errors are the browser's notes of the lookups' 404s (nobody bound, not opted out).
    expect(c.consoleErrors).toEqual([
      expect.stringMatching(/404.*\/admin\/recipients\/customer%3A8/),
      expect.stringMatching(/404.*\/admin\/recipients\/email%3Aquiet%40example\.com/),
    ]);
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
