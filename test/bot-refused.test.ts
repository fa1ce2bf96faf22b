// MantaGO refusing the bot itself — not published (36000 for everyone), a plan without the Open API
// (1002), a bot id it does not know (5001) — pauses delivery and never kills it; one recipient's
// 36000 in a batch that went out ends only that delivery (lone ones: bot-refused-alone.test.ts);
// while only broadcasts are refused, recipients are still looked up.
// Over HTTP with the simulator as MantaGO, on both store engines.
import { readFile } from 'node:fs/promises';
import type { InjectOptions } from 'fastify';
import { describe, expect, onTestFinished, test } from 'vitest';
import { type MantagoSimulator, type Switches, startSimulator } from '../simulator/simulator.ts';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { ADMIN_TOKEN, startService, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const user = (i: number) => `U${(0xb07000 + i).toString(16).padStart(32, '0')}`;
const orderFor = (i: number) => shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(i) }] });
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** Small probe waits, so a refusal's probes come within the test; few attempts, so a counted wait would kill at once. */
const ENV = {
  BATCH_MAX_RECIPIENTS: '20',
  MANTAGO_MAX_CONCURRENCY: '2',
  MANTAGO_MAX_RPS: '1000',
  BOT_PROBE_BASE_MS: '100',
  BOT_PROBE_MAX_MS: '300',
  RETRY_MAX_ATTEMPTS: '2',
};

type App = Awaited<ReturnType<typeof startServiceWithSimulator>>['app'];
const get = async (app: App, url: string) => (await app.inject({ method: 'GET', url, headers: auth } as InjectOptions)).json();
const readiness = (app: App) => get(app, '/readyz');
const metrics = async (app: App) => (await app.inject({ method: 'GET', url: '/metrics' })).body;
const logged = (logs: string[], msg: string) => logs.map((l) => JSON.parse(l)).filter((l) => String(l.msg).startsWith(msg));
const deliveredOnce = (sim: MantagoSimulator, n: number) => Array.from({ length: n }, (_, i) => sim.timesDelivered(user(i)));

describe.each(SERVICE_ENGINES)('$engine store', ({ engine, available }) => {
  test.skipIf(!available).each([
    { refusal: 'not published (36000 for everyone)', on: { notPublished: true }, reason: 'broadcasts_refused', code: 36000 },
    { refusal: 'a plan without the Open API (1002)', on: { permissionDenied: true }, reason: 'permission_denied', code: 1002 },
  ])(
    'the bot $refusal under 200 orders: none dead, a few calls while paused, /readyz 200 bot_refused, the metric 0; allowed again: all 200 sent once',
    async ({ on, reason, code }) => {
      const { app, sim, logs } = await startServiceWithSimulator({
        env: { ...ENV, MANTAGO_MAX_CONCURRENCY: '1', ...(await engineEnv(engine)) },
      });
      // The orders come in batches: a 429 on the first call holds every call back while the rest arrive
      // (the first broadcast, not the start's bot check, which a loaded machine may leave unanswered a while).
      await waitFor(() => sim.checkCalls().length > 0, { what: "the start's bot check answered" });
      // Its Retry-After is held to RETRY_MAX_DELAY_MS (200 ms here): the first order goes again with those posted meanwhile.
      sim.set({ ...(on as Partial<Switches>), fail: { status: 429, count: 1, retryAfterSeconds: 4 } });
      for (let i = 0; i < 200; i++) expect((await app.inject(shopifyRequest(orderFor(i)))).statusCode).toBe(202);

      const paused = await waitFor(async () => ((await readiness(app)).checks.delivery === 'bot_refused' ? readiness(app) : undefined), {
        what: '/readyz to say bot_refused',
      });
      expect(paused.status).toBe('ready'); // still taking webhooks
      expect(paused.checks).toMatchObject({ bot: reason, delivery: 'bot_refused', credentials: 'ok' });
      // The probes go on, one at a time: a few calls, not a storm splitting 200 orders down to one recipient each
      // (hundreds of calls). Usually about ten; a loaded machine's slow look at /readyz lets more probes pass first.
      const atPause = sim.broadcastCalls().length;
      await waitFor(() => sim.broadcastCalls().length >= atPause + 3, { what: 'three probes' });
      expect(sim.broadcastCalls().length).toBeLessThanOrEqual(40);
      expect(sim.deliveredClientIds()).toEqual([]);

      expect(await get(app, '/admin/mantago')).toMatchObject({
        usable: reason,
        state: 'bot_refused',
        reason,
        code,
        message: expect.any(String),
        since: expect.any(String),
        nextProbeAt: expect.any(String),
        checked: true,
      });
      const text = await metrics(app);
      expect(text).toContain(`notifier_mantago_usable{reason="${reason}"} 0`);
      expect(text).not.toContain('notifier_mantago_usable{reason="ok"}');
      expect((await get(app, '/admin/deliveries?status=dead')).deliveries).toEqual([]);
      const pending = (await get(app, '/admin/deliveries?status=pending&limit=500')).deliveries;
      expect(pending).toHaveLength(200);
      // Waiting for the bot is not an attempt: only the 429 of the first call counted, for the orders in it.
      expect(pending.filter((d: { attempts: number }) => d.attempts > 0).length).toBeLessThanOrEqual(20);
      expect(pending.every((d: { attempts: number }) => d.attempts <= 1)).toBe(true);
      expect(logged(logs, 'MantaGO refuses the bot')).toHaveLength(1); // once per change, not per call

      sim.set({ notPublished: false, permissionDenied: false });
      await waitFor(() => deliveredOnce(sim, 200).every((n) => n >= 1), { what: 'all 200 after the next probe', timeoutMs: 15_000 });
      expect(deliveredOnce(sim, 200)).toEqual(Array(200).fill(1));
      await waitFor(async () => (await readiness(app)).checks.delivery === 'ok', { what: '/readyz back to ok' });
      expect(await get(app, '/admin/mantago')).toMatchObject({ usable: 'ok', state: 'usable', reason: null });
      expect(await metrics(app)).toContain('notifier_mantago_usable{reason="ok"} 1');
      expect(logged(logs, 'MantaGO accepts the bot again')).toHaveLength(1);
      await waitFor(async () => (await get(app, '/admin/overview')).deliveries.pending === 0, { what: 'every delivery recorded' });
      expect((await get(app, '/admin/deliveries?status=dead')).deliveries).toEqual([]);
    },
  );

  test.skipIf(!available)(
    'the bot not published, several batches split at once (concurrency 4): the one that names the bot first pauses the rest; nobody dead, all sent once when published',
    async () => {
      const { app, sim } = await startServiceWithSimulator({
        // The 429's 5 s are honoured (the tests' RETRY_MAX_DELAY_MS is 200 ms): the first order is due again only after
        // the other 47 are stored, never claimed alone, whose lone 36000 would end it as one recipient's refusal.
        env: { ...ENV, BATCH_MAX_RECIPIENTS: '6', MANTAGO_MAX_CONCURRENCY: '4', RETRY_MAX_DELAY_MS: '5000', ...(await engineEnv(engine)) },
      });
      // Held back by a first 429 while they arrive, the orders go out as several batches at once.
      await waitFor(() => sim.checkCalls().length > 0, { what: "the start's bot check answered" });
      sim.set({ notPublished: true, fail: { status: 429, count: 1, retryAfterSeconds: 5 } });
      expect((await app.inject(shopifyRequest(orderFor(1000)))).statusCode).toBe(202);
      await waitFor(() => sim.broadcastCalls().length === 1, { what: 'the 429 that holds the calls back' });
      const rest = Array.from({ length: 47 }, (_, i) => app.inject(shopifyRequest(orderFor(1001 + i))));
      expect((await Promise.all(rest)).map((reply) => reply.statusCode)).toEqual(Array(47).fill(202));
      await waitFor(async () => (await readiness(app)).checks.delivery === 'bot_refused', { what: '/readyz to say bot_refused' });
      const atPause = sim.broadcastCalls().length;
      await waitFor(() => sim.broadcastCalls().length >= atPause + 2, { what: 'two probes' });
      expect((await get(app, '/admin/deliveries?status=dead')).deliveries).toEqual([]);

      sim.set({ notPublished: false });
      const sentOnce = () => Array.from({ length: 48 }, (_, i) => sim.timesDelivered(user(1000 + i)));
      await waitFor(() => sentOnce().every((n) => n >= 1), { what: 'all 48 after the next probe', timeoutMs: 15_000 });
      expect(sentOnce()).toEqual(Array(48).fill(1));
      await waitFor(async () => (await get(app, '/admin/overview')).deliveries.pending === 0, { what: 'every delivery recorded' });
      expect((await get(app, '/admin/deliveries?status=dead')).deliveries).toEqual([]);
    },
  );

  test.skipIf(!available)(
    'a bot id MantaGO does not know (5001) is named at start, in the log and /readyz, before any order; orders wait, none dead',
    async () => {
      const { app, sim, logs } = await startServiceWithSimulator({
        env: { ...ENV, MANTAGO_BOT_ID: 'noSuchBot', ...(await engineEnv(engine)) },
      });
      // Started: the check has been answered, no order has come in.
      expect(sim.checkCalls()).toMatchObject([{ status: 404, code: 5001 }]);
      const startLine = logged(logs, 'MantaGO knows no bot of this MANTAGO_BOT_ID');
      expect(startLine).toMatchObject([{ level: 50, reason: 'no_such_bot', code: 5001, botId: 'noSuchBot' }]);
      expect((await readiness(app)).checks).toMatchObject({ bot: 'no_such_bot', delivery: 'bot_refused' });
      expect(await get(app, '/admin/mantago')).toMatchObject({
        state: 'bot_refused',
        reason: 'no_such_bot',
        code: 5001,
        botId: 'noSuchBot',
      });
      expect((await get(app, '/admin/overview')).mantago).toMatchObject({ usable: 'no_such_bot', state: 'bot_refused' }); // the console's front page

      const accepted = (await app.inject(shopifyRequest(orderFor(500)))).json();
      await waitFor(() => sim.broadcastCalls().length >= 2, { what: 'two probes' });
      expect(sim.broadcastCalls().every((c) => c.code === 5001)).toBe(true);
      const waiting = await get(app, `/admin/deliveries/${accepted.deliveryId}`);
      expect(waiting).toMatchObject({ status: 'pending', attempts: 0 });
      expect(sim.deliveredClientIds()).toEqual([]);
    },
  );

  test.skipIf(!available)(
    'a pair MantaGO will not renew (1004, refresh refused) is named at start, in the log and /readyz, before any order',
    async () => {
      const sim = await startSimulator();
      sim.expireToken();
      sim.set({ rejectRefresh: true });
      const { app, logs } = await startService(sim, { env: { ...ENV, ...(await engineEnv(engine)) } });
      onTestFinished(async () => {
        await app.close();
        await sim.close();
      });
      expect(sim.checkCalls()).toMatchObject([{ status: 401, code: 1004 }]);
      expect(sim.refreshCalls()).toHaveLength(1);
      expect(logged(logs, 'the MantaGO credentials cannot be used')).toMatchObject([{ level: 50 }]);
      expect((await readiness(app)).checks).toMatchObject({ credentials: 'rejected', bot: 'ok', delivery: 'credentials_rejected' });
    },
  );

  test.skipIf(!available)(
    'one recipient refused with 36000 in a batch of 10: that one dead with the reason, the nine sent once',
    async () => {
      const { app, sim } = await startServiceWithSimulator({
        env: { ...ENV, BATCH_MAX_RECIPIENTS: '10', MANTAGO_MAX_CONCURRENCY: '1', ...(await engineEnv(engine)) },
      });
      sim.set({ refusedClientIds: [user(3)], hold: true });
      // A first order holds the only call slot while the ten arrive, so they wait together.
      await app.inject(shopifyRequest(orderFor(99)));
      await waitFor(() => sim.heldCalls === 1, { what: 'the first call to be held' });
      const ids: number[] = [];
      for (let i = 0; i < 10; i++) ids.push((await app.inject(shopifyRequest(orderFor(i)))).json().deliveryId);
      sim.set({ hold: false });

      const refused = await waitFor(async () => {
        const d = await get(app, `/admin/deliveries/${ids[3]}`);
        return d.status === 'dead' ? d : undefined;
      });
      expect(refused.lastError).toContain('code 36000');
      await waitFor(() => [0, 1, 2, 4, 5, 6, 7, 8, 9].every((i) => sim.timesDelivered(user(i)) === 1), { what: 'the nine' });
      expect(deliveredOnce(sim, 10)).toEqual([1, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
      expect(sim.broadcastCalls().some((c) => c.status === 200 && c.at > 0)).toBe(true);
      // Refused as a whole, then halved until it stood alone: the bot was never taken for refused.
      expect((await readiness(app)).checks).toMatchObject({ bot: 'ok', delivery: 'ok' });
      expect(await get(app, '/admin/mantago')).toMatchObject({ state: 'usable' });
    },
  );

  test.skipIf(!available)(
    'paused by two recipients who refuse the bot (36000), an order whose customer only MantaGO knows is looked up, sent, and ends the pause',
    async () => {
      // A shop that finds its customers through MantaGO: while broadcasts are refused, lookups still answer.
      const mapping = await readFile(new URL('./fixtures/issue-13-mapping.yaml', import.meta.url), 'utf8');
      const env = { ...ENV, MANTAGO_MAX_CONCURRENCY: '1', ...(await engineEnv(engine)) };
      const { app, sim } = await startServiceWithSimulator({ mapping, env });
      // Two customers who refused the bot, sent together: a first order holds the only call slot while they arrive.
      sim.set({ refusedClientIds: [user(601), user(602)], hold: true });
      const withChatId = (i: number) =>
        shopifyOrder({ customer: { id: 9100 + i }, note_attributes: [{ name: 'line_uid', value: user(i) }] });
      await app.inject(shopifyRequest(withChatId(609)));
      await waitFor(() => sim.heldCalls === 1, { what: 'the first call to be held' });
      for (const i of [601, 602]) expect((await app.inject(shopifyRequest(withChatId(i)))).statusCode).toBe(202);
      sim.set({ hold: false });
      await waitFor(async () => (await readiness(app)).checks.delivery === 'bot_refused', { what: 'the pause' });

      // A customer bound in MantaGO, with no chat id on the order: found by a lookup while paused.
      sim.addClient({ clientId: user(603), platform: 'line', customerId: '9703' });
      const { deliveryId } = (await app.inject(shopifyRequest(shopifyOrder({ customer: { id: 9703 }, note_attributes: [] })))).json();
      await waitFor(() => sim.timesDelivered(user(603)) === 1, { what: 'the looked-up customer sent to, ending the pause' });
      await waitFor(async () => (await readiness(app)).checks.delivery === 'ok', { what: 'the bot usable again' });
      expect(await get(app, `/admin/deliveries/${deliveryId}`)).toMatchObject({ status: 'sent', recipientVia: 'mantago customer 9703' });
      // The two who paused it, refused together again once a broadcast went out: their own refusals.
      const dead = await waitFor(
        async () => {
          const list = (await get(app, '/admin/deliveries?status=dead')).deliveries;
          return list.length === 2 ? list : undefined;
        },
        { what: 'the two refusals ended' },
      );
      expect(dead.map((d: { clientId: string }) => d.clientId).sort()).toEqual([user(601), user(602)]);
      expect(sim.timesDelivered(user(603))).toBe(1);
    },
  );
});
