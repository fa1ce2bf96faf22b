// Customers found through MantaGO's own member binding (issue 13's mapping as written), over HTTP
// with the simulator as MantaGO: bound, blocked, a failing and an expired lookup, few lookups in a
// rush, `bind: true`, and the resolve endpoint explaining each case.
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import type { MantagoSimulator } from '../simulator/simulator.ts';
import { sample } from './helpers/metrics.ts';
import { ADMIN_TOKEN, shiftedClock, startServiceWithSimulator, type TestServiceOptions } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const MAPPING = await readFile(new URL('./fixtures/issue-13-mapping.yaml', import.meta.url), 'utf8');
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const lineUser = (i: number) => `U${(0xb0a000 + i).toString(16).padStart(32, '0')}`;

type App = Awaited<ReturnType<typeof startServiceWithSimulator>>['app'];
type Delivery = { id: number; status: string; recipientVia: string | null; clientId: string | null; lastError: string | null };

const setup = (options: TestServiceOptions = {}) => startServiceWithSimulator({ mapping: MAPPING, ...options });

/** A Shopify order of customer `id` with no chat id on it: only MantaGO knows who they are. */
function orderOf(id: number, extra: Record<string, unknown> = {}) {
  return shopifyOrder({ customer: { id, email: `c${id}@example.com`, first_name: 'Mei' }, note_attributes: [], ...extra });
}

async function post(app: App, order: ReturnType<typeof shopifyOrder>): Promise<number> {
  const answer = await app.inject(shopifyRequest(order));
  expect(answer.statusCode).toBe(202);
  return answer.json().deliveryId;
}

async function delivery(app: App, id: number): Promise<Delivery & { attemptLog: { outcome: string; httpStatus: number | null }[] }> {
  return (await app.inject({ method: 'GET', url: `/admin/deliveries/${id}`, headers: auth })).json();
}

const finished = (app: App, id: number) =>
  waitFor(
    async () => {
      const d = await delivery(app, id);
      return d.status === 'pending' ? undefined : d;
    },
    { what: `delivery ${id} to finish` },
  );

async function resolve(app: App, query: string) {
  const answer = await app.inject({ method: 'GET', url: `/admin/recipients/resolve?${query}`, headers: auth });
  return { status: answer.statusCode, body: answer.json() };
}

const sentTo = (sim: MantagoSimulator, user: string) => sim.deliveredClientIds().filter((id) => id === user).length;

describe('finding the customer through MantaGO', () => {
  test('a customer bound in MantaGO is reached with no attribute, and the delivery says how', async () => {
    const { app, sim } = await setup();
    sim.addClient({ clientId: lineUser(1), platform: 'line', customerId: '8001' });
    const id = await post(app, orderOf(8001));
    expect(await finished(app, id)).toMatchObject({ status: 'sent', clientId: lineUser(1), recipientVia: 'mantago customer 8001' });
    expect(sentTo(sim, lineUser(1))).toBe(1);

    const explained = await resolve(app, `order=${id}`);
    expect(explained.status).toBe(200);
    expect(explained.body).toMatchObject({
      recipient: { platform: 'line', userId: lineUser(1), via: 'mantago customer 8001' },
      skipped: null,
      rule: 'default',
      content: { intentId: 'rb2kYmMdW' },
    });
    expect(explained.body.steps).toEqual([
      { entry: 'attribute line_uid', found: 'no line_uid attribute' },
      {
        entry: 'mantago customerId {{customer.id}}',
        found: `MantaGO: line user ${lineUser(1)} bound to 8001`,
        mantago: { customerId: '8001', clients: [{ clientId: lineUser(1), platform: 'line', isBlock: false }], cached: false },
      },
    ]);
  });

  test('a customer whose only client blocked the bot is skipped with "blocked the bot", and nothing is sent', async () => {
    const { app, sim } = await setup();
    sim.addClient({ clientId: lineUser(2), platform: 'line', customerId: '8002', isBlock: true });
    const id = await post(app, orderOf(8002));
    expect(await finished(app, id)).toMatchObject({ status: 'skipped', lastError: 'blocked the bot', clientId: null });
    expect(sim.broadcastCalls()).toEqual([]);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(metrics, 'notifier_deliveries_total{outcome="skipped"}')).toBe(1);
    expect(sample(metrics, 'notifier_deliveries_total{outcome="dead"}')).toBe(0);

    const explained = await resolve(app, 'customer=8002');
    expect(explained.body).toMatchObject({ recipient: null, skipped: 'blocked the bot', rule: null });
    expect(explained.body.steps.at(-1)).toMatchObject({
      found: 'MantaGO: every user bound to 8002 blocked the bot',
      mantago: { clients: [{ clientId: lineUser(2), isBlock: true }] },
    });
  });

  test('a customer bound only on whatsapp is skipped with a reason naming it (broadcasts reach line and facebook); resolve shows it', async () => {
    const { app, sim } = await setup();
    sim.addClient({
      clientId: 'wa-8010',
      platform: 'whatsapp',
      customerId: '8010',
      tags: [{ name: 'vip', createdAt: '2026-01-01T00:00:00Z' }],
    });
    const id = await post(app, orderOf(8010));
    const onlyWhatsapp = 'only on whatsapp, which broadcasts cannot reach (they go to line and facebook)';
    expect(await finished(app, id)).toMatchObject({ status: 'skipped', lastError: `the customer is bound on MantaGO ${onlyWhatsapp}` });
    expect(sim.broadcastCalls()).toEqual([]);

    const explained = await resolve(app, `order=${id}`);
    expect(explained.body).toMatchObject({ recipient: null, skipped: `the customer is bound on MantaGO ${onlyWhatsapp}` });
    expect(explained.body.steps.at(-1)).toMatchObject({
      found: `MantaGO: 8010 is bound ${onlyWhatsapp}`,
      mantago: { customerId: '8010', clients: [{ clientId: 'wa-8010', platform: 'whatsapp', isBlock: false }] },
    });
  });

  test('nobody bound: each entry is tried in turn, and the resolve endpoint lists them all', async () => {
    const { app, sim } = await setup();
    const id = await post(app, orderOf(8003));
    const skipped = await finished(app, id);
    expect(skipped.status).toBe('skipped');
    expect(skipped.lastError).toMatch(/^no chat user for this customer: no line_uid attribute; MantaGO: no user bound to 8003; /);
    expect(sim.broadcastCalls()).toEqual([]);
    const explained = await resolve(app, 'customer=8003&email=c8003@example.com');
    expect(explained.body.steps.map((s: { found: string }) => s.found)).toEqual([
      'no line_uid attribute',
      'MantaGO: no user bound to 8003',
      'MantaGO: no user bound to c8003@example.com on line',
      'no directory entry for this customer',
    ]);
    expect(explained.body).toMatchObject({ recipient: null, skipped: expect.stringMatching(/^no chat user for this customer: /) });
  });

  test('the lookup failing with 503 for a while: the webhook still gets 202, and the order is delivered once after', async () => {
    const { app, sim } = await setup();
    sim.addClient({ clientId: lineUser(4), platform: 'line', customerId: '8004' });
    sim.set({ failLookups: { status: 503 } });
    const id = await post(app, orderOf(8004));
    await waitFor(() => sim.lookupCalls().length >= 3, { what: 'lookups retried' });
    expect(sim.broadcastCalls()).toEqual([]);
    const waiting = await delivery(app, id);
    expect(waiting).toMatchObject({ status: 'pending' });
    expect(waiting.attemptLog[0]).toMatchObject({ outcome: 'lookup_failed', httpStatus: 503 });

    const failing = await resolve(app, 'customer=8004');
    expect(failing.status).toBe(502);
    expect(failing.body).toMatchObject({ code: 'MANTAGO_FAILED' });

    sim.set({ failLookups: null });
    expect(await finished(app, id)).toMatchObject({ status: 'sent', clientId: lineUser(4) });
    expect(sentTo(sim, lineUser(4))).toBe(1);
  });

  test('a lookup failing for good: the delivery is dead, counted in notifier_deliveries_total as any dead delivery', async () => {
    // MantaGO answered the bot check at start, well within RETRY_MAX_DELAY_MS: not an outage, so each failure counts.
    const { app, sim } = await setup({ env: { RETRY_MAX_ATTEMPTS: '2', RETRY_BASE_DELAY_MS: '50', RETRY_MAX_DELAY_MS: '60000' } });
    sim.addClient({ clientId: lineUser(20), platform: 'line', customerId: '8020' });
    sim.set({ failLookups: { status: 503 } });
    const id = await post(app, orderOf(8020));
    expect(await finished(app, id)).toMatchObject({ status: 'dead' });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(sample(metrics, 'notifier_deliveries_total{outcome="dead"}')).toBe(1);
  });

  test('the lookup answered 400 with code 37011 (MantaGO could not get the client): tried again like any failed call, then sent', async () => {
    const { app, sim } = await setup();
    sim.addClient({ clientId: lineUser(19), platform: 'line', customerId: '8019' });
    sim.set({ failLookups: { status: 400, count: 1 } });
    const id = await post(app, orderOf(8019));
    const sent = await finished(app, id);
    expect(sent).toMatchObject({ status: 'sent', clientId: lineUser(19) });
    expect(sent.attemptLog[0]).toMatchObject({ outcome: 'lookup_failed', httpStatus: 400 });
    expect(sentTo(sim, lineUser(19))).toBe(1);
  });

  test("the operator's resolve while a 429 holds MantaGO's calls back: 502 MANTAGO_FAILED at once, not held for the pause", async () => {
    const { app, sim } = await setup({ env: { RETRY_MAX_DELAY_MS: '25000' } }); // the tests' default caps a Retry-After lower
    sim.set({ fail: { status: 429, count: 1, retryAfterSeconds: 25 } });
    const payload = { platform: 'line', userIds: [lineUser(20)], intentId: 'rb2kYmMdW' };
    await app.inject({ method: 'POST', url: '/admin/broadcasts', headers: auth, payload }); // answered 429: every call waits 25 s
    const lookups = sim.lookupCalls().length;
    const failing = await resolve(app, 'customer=8020');
    expect(failing.status).toBe(502);
    expect(failing.body).toMatchObject({ code: 'MANTAGO_FAILED' });
    expect(sim.lookupCalls()).toHaveLength(lookups); // not asked during the pause
  });

  test('an expired token during a lookup causes one refresh, then the lookup and the send', async () => {
    const { app, sim } = await setup();
    sim.addClient({ clientId: lineUser(5), platform: 'line', customerId: '8005' });
    const refreshes = sim.refreshCalls().length;
    sim.expireToken();
    const id = await post(app, orderOf(8005));
    expect(await finished(app, id)).toMatchObject({ status: 'sent', clientId: lineUser(5) });
    expect(sim.refreshCalls().length - refreshes).toBe(1);
    expect(sim.lookupCalls().map((c) => c.status)).toEqual([401, 200]);
  });

  test('50 orders of 10 distinct customers cause at most 10 lookups, and every order is sent', async () => {
    const { app, sim } = await setup();
    for (let c = 0; c < 10; c++) sim.addClient({ clientId: lineUser(100 + c), platform: 'line', customerId: String(9000 + c) });
    const ids: number[] = [];
    for (let i = 0; i < 50; i++) ids.push(await post(app, orderOf(9000 + (i % 10))));
    for (const id of ids) expect(await finished(app, id)).toMatchObject({ status: 'sent' });
    expect(sim.lookupCalls().length).toBeLessThanOrEqual(10);
    for (let c = 0; c < 10; c++) expect(sentTo(sim, lineUser(100 + c))).toBe(5);
  });
});

describe('bind: true', () => {
  test('binds the customer to the user once per customer and user; the next order finds them through MantaGO', async () => {
    const { app, sim } = await setup();
    sim.addClient({ clientId: lineUser(6), platform: 'line' }); // a user of the bot, bound to nobody yet
    const withAttribute = { note_attributes: [{ name: 'line_uid', value: lineUser(6) }] };
    for (const order of [orderOf(8006, withAttribute), orderOf(8006, withAttribute)]) {
      expect(await finished(app, await post(app, order))).toMatchObject({ status: 'sent', recipientVia: 'attribute line_uid' });
    }
    const bound = await waitFor(
      async () => {
        const { body } = await resolve(app, 'customer=8006');
        return body.binds.some((b: { status: string }) => b.status === 'bound') ? body : undefined;
      },
      { what: 'the bind' },
    );
    expect(bound.binds).toEqual([{ clientId: lineUser(6), status: 'bound', attempts: 1, lastError: null }]);
    expect(sim.clients.binds.map(({ clientId, customerId }) => ({ clientId, customerId }))).toEqual([
      { clientId: lineUser(6), customerId: '8006' },
    ]);
    expect(sim.bindCalls()).toHaveLength(1);

    // The storefront forgets the attribute: MantaGO now knows the customer.
    const id = await post(app, orderOf(8006));
    expect(await finished(app, id)).toMatchObject({ status: 'sent', clientId: lineUser(6), recipientVia: 'mantago customer 8006' });
    expect(sim.bindCalls()).toHaveLength(1);
  });

  test('a bind that keeps failing is tried a few times and recorded as failed; the delivery was sent regardless', async () => {
    const clock = shiftedClock();
    const { app, sim } = await setup({ clock });
    sim.addClient({ clientId: lineUser(7), platform: 'line' });
    sim.set({ failBinds: {} });
    const id = await post(app, orderOf(8007, { note_attributes: [{ name: 'line_uid', value: lineUser(7) }] }));
    expect(await finished(app, id)).toMatchObject({ status: 'sent', clientId: lineUser(7) });
    const bindsOf = async () => (await resolve(app, 'customer=8007')).body.binds as { status: string; attempts: number }[];
    for (let tries = 1; tries <= 3; tries++) {
      await waitFor(() => sim.bindCalls().length >= tries, { what: `bind try ${tries}` });
      const [bind] = await waitFor(async () => {
        const binds = await bindsOf();
        return binds[0]?.attempts === tries ? binds : undefined;
      });
      expect(bind).toMatchObject({ status: tries < 3 ? 'pending' : 'failed', lastError: expect.stringContaining('Bind customer failed') });
      clock.offset += 10 * 60_000; // past the next try's time
    }
    expect(sim.bindCalls()).toHaveLength(3);
    expect(sim.clients.binds).toEqual([]);
    expect(await delivery(app, id)).toMatchObject({ status: 'sent' });
  });
});

test('DRY_RUN asks MantaGO nothing: no member lookup (the entry is passed over, saying why) and no bind', async () => {
  const { app, sim } = await setup({ env: { DRY_RUN: 'true' } });
  sim.addClient({ clientId: lineUser(8), platform: 'line', customerId: '8008' });
  const looked = await finished(app, await post(app, orderOf(8008)));
  expect(looked).toMatchObject({ status: 'skipped' });
  expect(looked.lastError).toContain('MantaGO not asked about 8008: DRY_RUN is on');

  const bound = await finished(app, await post(app, orderOf(8009, { note_attributes: [{ name: 'line_uid', value: lineUser(8) }] })));
  expect(bound).toMatchObject({ status: 'sent', attemptLog: [expect.objectContaining({ outcome: 'dry_run' })] });
  expect((await resolve(app, 'customer=8009')).body.binds).toEqual([]);
  expect(sim.lookupCalls()).toEqual([]);
  expect(sim.bindCalls()).toEqual([]);
  expect(sim.broadcastCalls()).toEqual([]);
});
