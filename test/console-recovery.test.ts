// The console when answers do not come, in a real headless Chromium: a delivery page that follows a
// waiting delivery goes on following it through a spell without answers (a restart), and a test
// broadcast whose answer was lost is sent again with the same Idempotency-Key, so it reaches the
// customer once; a later failure does not leave an earlier result on screen.
import { afterAll, expect, test } from 'vitest';
import { BROWSER_TEST, sharedChromium } from './helpers/browser.ts';
import { consoleService, nav } from './helpers/console.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const chromium = sharedChromium();
const browser = chromium.browser;
afterAll(chromium.close);
const lineUser = (i: number) => `U${(0xc0ff00 + i).toString(16).padStart(32, '0')}`;

test('a waiting delivery is followed through a spell without answers, to its end', BROWSER_TEST, async () => {
  const c = await consoleService(await browser());
  c.sim.set({ fail: { status: 503 } }); // MantaGO down: the delivery waits, retrying
  const id = await c.order(shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: lineUser(1) }] })));
  await c.signIn();
  await c.page.goto(`${c.base}/console/#/deliveries/${id}`);
  const heading = c.page.getByRole('heading', { level: 1, name: new RegExp(`^Delivery #${id}`) });
  await heading.locator('[data-status="pending"]').waitFor();

  await c.page.route('**/admin/deliveries/*', (route) => route.abort()); // the service does not answer
  await c.page.getByRole('alert').filter({ hasText: 'Could not load the delivery: the service did not answer' }).waitFor();
  c.sim.set({ fail: null });
  await c.page.unroute('**/admin/deliveries/*');
  await heading.locator('[data-status="sent"]').waitFor({ timeout: 15_000 });
});

test('a test broadcast whose answer was lost goes again with the same key: MantaGO gets it once', BROWSER_TEST, async () => {
  const c = await consoleService(await browser());
  await c.signIn();
  await nav(c, 'Test broadcast');
  await c.page.getByLabel('Chat user ids').fill(lineUser(2));
  await c.page.getByLabel('Conversation module (intentId)').fill('rb2kYmMdW');
  const keys: string[] = [];
  let answer: 'lost' | 'under way' | 'given' = 'lost';
  await c.page.route('**/admin/broadcasts', async (route) => {
    keys.push(route.request().headers()['idempotency-key'] ?? '');
    // As the service answers a key whose first request has not finished (one that died mid-way).
    if (answer === 'under way')
      return route.fulfill({
        status: 409,
        contentType: 'application/json',
        body: JSON.stringify({ statusCode: 409, code: 'CONFLICT', message: 'a request with this Idempotency-Key is still under way' }),
      });
    const response = await route.fetch(); // the service takes it and sends it ...
    if (answer === 'lost') return route.abort(); // ... and the answer is lost on the way back
    return route.fulfill({ response });
  });
  const send = async () => {
    await c.page.getByRole('button', { name: 'Send test broadcast' }).click();
    await c.page.getByRole('dialog', { name: 'Send this broadcast?' }).getByRole('button', { name: 'Send now' }).click();
  };
  const noAnswer = c.page.getByRole('alert').filter({ hasText: 'No answer yet: it may have been sent; sending it again as it is is safe' });
  await send();
  await noAnswer.filter({ hasText: 'the service did not answer' }).waitFor();
  answer = 'under way';
  await send();
  await noAnswer.filter({ hasText: 'still under way' }).waitFor();
  answer = 'given';
  await send();
  await c.page
    .getByRole('region', { name: /^Result/ })
    .locator('[data-status="sent"]')
    .waitFor();
  expect(keys).toHaveLength(3);
  expect(keys[0]).toMatch(/^console-[0-9a-f]{32}$/);
  expect(keys.slice(1)).toEqual([keys[0], keys[0]]);
  expect(c.sim.broadcasts.filter((b) => b.clientIds.includes(lineUser(2)))).toHaveLength(1);

  // A different broadcast refused afterwards: the earlier result goes, the failure is said.
  await c.page.getByLabel('Conversation module (intentId)').fill('');
  await c.page.getByLabel('Message').fill('x'.repeat(5_001));
  await send();
  await c.page.getByRole('alert').filter({ hasText: 'The broadcast was not sent' }).waitFor();
  expect(await c.page.getByRole('region', { name: /^Result/ }).count()).toBe(0);
  expect(keys[3]).not.toBe(keys[0]);
});
