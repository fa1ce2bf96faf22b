// The console's delivery page shows the delivery's MantaGO tags: each put on or taken off, its
// status, and MantaGO's reason for one that died; a dead one is tried again from there, or all of
// them from the overview, which counts and lists them — in a real headless Chromium.
import { afterAll, expect, test } from 'vitest';
import { BROWSER_TEST, sharedChromium } from './helpers/browser.ts';
import { consoleService, expectTokenKeptSafe } from './helpers/console.ts';
import { waitFor } from './helpers/wait.ts';
import { LINE_USER, LINE_USER_2, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const chromium = sharedChromium();
const browser = chromium.browser;
afterAll(chromium.close);

const MAPPING = `
recipients:
  - attribute: line_uid
    platform: line
rules:
  - name: buyer
    tag: { add: [{ name: buyer }, ctNoSuchTag] }
  - name: default
    send: { intentId: rb2kYmMdW }
`;

test("a delivery's page shows its tags: the one put on, and the one MantaGO refused with its reason", BROWSER_TEST, async () => {
  const c = await consoleService(await browser(), { mapping: MAPPING });
  const id = await c.order(shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: LINE_USER_2 }] })));
  const settled = await waitFor(
    async () => {
      const { body } = await c.admin('GET', `/deliveries/${id}`);
      return body.tagging.length === 2 && body.tagging.every((t: { status: string }) => t.status !== 'pending') ? body : undefined;
    },
    { what: 'the tags to settle' },
  );
  const dead = settled.tagging.find((t: { status: string }) => t.status === 'dead');

  await c.signIn();
  await c.page.goto(`${c.base}/console/#/deliveries/${id}`);
  const section = c.page.locator('[data-field="tagging"]');
  await section.locator('[data-tag="name:buyer"] .attempt-head [data-status="tagged"]').waitFor();
  expect(await section.locator('h2').textContent()).toBe('MantaGO tags (2)');
  expect(await section.locator('[data-tag="name:buyer"] .attempt-head').textContent()).toMatch(/^Put on name:buyer/);
  const refused = section.locator('[data-tag="id:ctNoSuchTag"]');
  expect(await refused.locator('.attempt-head [data-status]').textContent()).toBe('dead');
  expect(await refused.locator('.attempt-error').textContent()).toBe(`MantaGO's reason: ${dead.lastError}`);
  expect(c.consoleErrors).toEqual([]);
  await expectTokenKeptSafe(c);
});

test("a tag job superseded by a later order's job of the same tag shows why no call was needed, as a note", BROWSER_TEST, async () => {
  const c = await consoleService(await browser(), { mapping: MAPPING });
  c.sim.set({ failTags: { status: 503, count: 1_000_000 } });
  const order = () => shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: LINE_USER_2 }] }));
  const buyerJob = async (id: number) =>
    (await c.admin('GET', `/deliveries/${id}`)).body.tagging.find((t: { tag: string }) => t.tag === 'name:buyer');
  const first = await c.order(order());
  await waitFor(async () => (await buyerJob(first)).attemptLog.length > 0, { what: "the first order's add to fail once" });
  const second = await c.order(order());
  const superseded = await waitFor(
    async () => {
      const job = await buyerJob(first);
      return job.status === 'tagged' ? job : undefined;
    },
    { what: 'the first add superseded' },
  );
  c.sim.set({ failTags: null });
  expect(superseded.lastError).toBe(`superseded: delivery ${second}'s job, queued after it, puts this tag on the user`);

  await c.signIn();
  await c.page.goto(`${c.base}/console/#/deliveries/${first}`);
  const job = c.page.locator('[data-field="tagging"] [data-tag="name:buyer"]');
  await job.locator('.attempt-error').waitFor();
  expect(await job.locator('.attempt-head [data-status]').textContent()).toBe('tagged');
  expect(await job.locator('.attempt-error').textContent()).toBe(`Note: ${superseded.lastError}`);
  expect(c.consoleErrors).toEqual([]);
});

test(
  'dead tag jobs: counted and listed on the overview; tried again from their delivery once MantaGO has the tag, or all at once',
  BROWSER_TEST,
  async () => {
    const c = await consoleService(await browser(), { mapping: MAPPING });
    const to = (user: string) => shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user }] }));
    const ids = [await c.order(to(LINE_USER_2)), await c.order(to(LINE_USER))];
    const deadJob = async (id: number) =>
      (await c.admin('GET', `/deliveries/${id}`)).body.tagging.find((t: { tag: string; status: string }) => t.status === 'dead');
    for (const id of ids) await waitFor(() => deadJob(id), { what: `delivery ${id}'s ctNoSuchTag job dead` });

    await c.signIn();
    const overview = c.page.locator('[data-field="deadTags"]');
    await overview.waitFor();
    expect(await c.page.locator('[data-field="deadTagJobs"]').textContent()).toBe('2');
    expect(await overview.locator('li').count()).toBe(2);
    expect(await overview.locator(`li:has(a[href="#/deliveries/${ids[0]}"])`).textContent()).toContain('Put on id:ctNoSuchTag for');

    // Made in the dashboard now: the first is tried again from its page.
    c.sim.tags.create('no such tag until now', 'ctNoSuchTag');
    await overview.locator(`a[href="#/deliveries/${ids[0]}"]`).click();
    const job = c.page.locator('[data-field="tagging"] [data-tag="id:ctNoSuchTag"]');
    await job.getByRole('button', { name: 'Try this tag again' }).click();
    await job.locator('.attempt-head [data-status="tagged"]').waitFor();
    expect(c.sim.tags.tagsOf('line', LINE_USER_2)).toContain('no such tag until now');

    await c.page.goto(`${c.base}/console/#/`);
    await overview.getByRole('button', { name: 'Try dead tag jobs again…' }).click();
    await c.page.getByRole('dialog', { name: 'Try dead tag jobs again?' }).getByRole('button', { name: 'Try all again' }).click();
    await c.page.getByText('1 tried again; 0 ended, a later job of their user and tag deciding.').waitFor();
    await waitFor(async () => c.sim.tags.tagsOf('line', LINE_USER).includes('no such tag until now'), { what: 'the redriven tag' });
    await c.page.locator('[data-field="deadTagJobs"]', { hasText: '0' }).waitFor();
    expect(await overview.count()).toBe(0);
    expect(c.consoleErrors).toEqual([]);
  },
);
