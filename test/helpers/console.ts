// The service on a real socket (the browser needs one) with the simulator as MantaGO, a browser
// page watching it, and what the console's tests check after every run: the token stayed out of
// URLs, cookies and logs, and every admin call the page made is refused without it.
import type { AddressInfo } from 'node:net';
import type { InjectOptions } from 'fastify';
import type { Browser } from 'playwright-core';
import { expect, onTestFinished } from 'vitest';
import { openPage } from './browser.ts';
import { ADMIN_TOKEN, startServiceWithSimulator, type TestServiceOptions } from './service.ts';
import { waitFor } from './wait.ts';
import { LINE_USER_2, normalizedOrder, shopifyOrder, shopifyRequest, standardRequest, wooOrder, wooRequest } from './webhooks.ts';

export async function consoleService(browser: Browser, options: TestServiceOptions = {}) {
  const service = await startServiceWithSimulator(options);
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
  const watched = await openPage(browser);
  onTestFinished(() => watched.context.close());

  // The admin API over HTTP, as the operator's curl would see it (to compare with the page); its
  // replies are read field by field, hence `any`.
  // biome-ignore lint/suspicious/noExplicitAny: the replies are read field by field in the tests
  const admin = async (method: string, path: string, payload?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${base}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(payload !== undefined && { 'content-type': 'application/json' }) },
      ...(payload !== undefined && { body: JSON.stringify(payload) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const order = async (request: InjectOptions): Promise<number> => {
    const answer = await service.app.inject(request);
    expect(answer.statusCode, answer.body).toBe(202);
    return answer.json().deliveryId as number;
  };
  /** The delivery once the service has recorded its end (MantaGO's 200 arrives before the record). */
  const settled = (id: number) =>
    waitFor(
      async () => {
        const { body } = await admin('GET', `/deliveries/${id}`);
        return body.status !== 'pending' ? body : undefined;
      },
      { what: `delivery ${id} to settle` },
    );

  const signIn = async (token = ADMIN_TOKEN) => {
    await watched.page.goto(`${base}/console`);
    await watched.page.getByLabel('Admin token').fill(token);
    await watched.page.getByRole('button', { name: 'Sign in' }).click();
    if (token === ADMIN_TOKEN) await watched.page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  };
  return { ...service, ...watched, base, admin, order, settled, signIn };
}

export type ConsoleService = Awaited<ReturnType<typeof consoleService>>;

/** A shop's order whose customer has no chat id anywhere: recorded as skipped. */
export const anonymousOrder = () =>
  shopifyOrder({
    name: '#G-4471', // the number the shop shows, unlike its id
    email: 'guest@example.com',
    customer: { id: 9001, email: 'guest@example.com', first_name: 'Guest' },
    note_attributes: [],
  });

/** A chat user MantaGO refuses while the seed runs. */
export const REFUSED_USER = 'U00000000000000000000000000000bad';

/** A little of everything: sent orders from each source, a skipped one and a dead one. */
export async function seed(c: ConsoleService) {
  c.sim.set({ refusedClientIds: [REFUSED_USER] });
  // The orders sent after its first refusal show the bot broadcasts: its next refusal is the recipient's (dead).
  const dead = await c.order(shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: REFUSED_USER }] })));
  await waitFor(async () => (await c.admin('GET', `/deliveries/${dead}`)).body.lastError !== null, { what: 'the refused order tried' });
  const sent = [
    await c.order(shopifyRequest(shopifyOrder())),
    await c.order(wooRequest(wooOrder({ meta_data: [{ id: 1, key: 'line_uid', value: LINE_USER_2 }] }))),
    await c.order(standardRequest(normalizedOrder())),
  ];
  const skippedOrder = anonymousOrder();
  const skipped = await c.order(shopifyRequest(skippedOrder));
  for (const id of sent) expect((await c.settled(id)).status).toBe('sent');
  expect((await c.settled(dead)).status).toBe('dead');
  c.sim.set({ refusedClientIds: [] });
  return { skippedOrder, skipped };
}

/** After a test: no token (nor a wrong one typed in) in any URL, cookie or log line; each admin call needs the bearer. */
export async function expectTokenKeptSafe(c: ConsoleService, typed: string[] = []) {
  expect(c.pageErrors).toEqual([]);
  expect(c.requests.length).toBeGreaterThan(0);
  for (const request of c.requests) {
    for (const token of [ADMIN_TOKEN, ...typed]) expect(request.url, 'a request URL').not.toContain(token);
    expect(request.headers.cookie).toBeUndefined();
  }
  const adminCalls = c.requests.filter((r) => new URL(r.url).pathname.startsWith('/admin/'));
  expect(adminCalls.length).toBeGreaterThan(0);
  const seen = new Set<string>();
  for (const call of adminCalls) {
    expect(call.headers.authorization, `${call.method} ${call.url}`).toMatch(/^Bearer \S+$/);
    const route = `${call.method} ${call.url}`;
    if (seen.has(route)) continue;
    seen.add(route);
    const bare = await fetch(call.url, { method: call.method });
    expect(bare.status, `${route} without the bearer`).toBe(401);
  }
  expect(await c.page.evaluate('({ cookie: document.cookie, local: localStorage.length })')).toEqual({ cookie: '', local: 0 });
  for (const token of [ADMIN_TOKEN, ...typed]) expect(c.logs.join('\n'), 'the service log').not.toContain(token);
}

/** Goes to a section of the console through its navigation, as an operator would. */
export const nav = (c: ConsoleService, name: string) =>
  c.page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name }).click();
