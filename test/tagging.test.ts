// Tagging buyers in MantaGO (issue 21) over HTTP with the simulator as MantaGO, on both engines:
// a placed order tags its buyer once however often the shop redelivers, a refund swaps `buyer` for
// `refunded`, a rule with only `tag` sends nothing, a 503 is retried, an unknown tag dies with
// MantaGO's reason while the message goes, a tag by name is created once, DRY_RUN only records, a
// user's jobs of one tag in the order queued. The startup check and two replicas: tagging-replicas.test.ts.
import { describe, expect, test } from 'vitest';
import { CLIENT_TAG_MAPPING_PATH, CLIENT_TAG_PATH } from '../src/mantago/tag-api.ts';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { sample } from './helpers/metrics.ts';
import { startServiceWithSimulator } from './helpers/service.ts';
import { added, auth, detail, JOURNEY, orderFor, post, RECIPIENTS, settled, user } from './helpers/tagging.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRefund, shopifyRequest, wooOrder, wooRequest } from './helpers/webhooks.ts';

describe.each(SERVICE_ENGINES)('tagging on $engine', ({ engine, available }) => {
  const setup = async (mapping: string, env: Record<string, string> = {}) =>
    startServiceWithSimulator({ mapping, env: { ...env, ...(await engineEnv(engine)) } });

  test.skipIf(!available)('a placed order tags its buyer once, however often the webhook is redelivered', async () => {
    const { app, sim } = await setup(JOURNEY);
    const order = orderFor(1);
    const first = await post(app, shopifyRequest(order));
    expect(first.status).toBe(202);
    for (const topic of ['orders/create', 'orders/paid', 'orders/create'])
      expect((await post(app, shopifyRequest(order, { topic }))).status).toBe(200);

    const d = await settled(app, first.id);
    expect(d.status).toBe('sent');
    expect(d.tagging).toMatchObject([
      { action: 'add', tag: 'name:buyer', status: 'tagged', attemptLog: [{ outcome: 'tagged', httpStatus: 200 }] },
    ]);
    expect(added(sim, 'buyer', user(1))).toBe(1);
    expect(sim.tags.tagsOf('line', user(1))).toEqual(['buyer']);
    expect(sim.timesDelivered(user(1))).toBe(1);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(sample(metrics, 'notifier_tag_calls_total{action="add",outcome="tagged"}')).toBe(1);
  });

  test.skipIf(!available)('a refund removes buyer and adds refunded; a big order adds vip', async () => {
    const { app, sim } = await setup(JOURNEY);
    const order = orderFor(2, { total_price: '6000.00' });
    const placed = await post(app, shopifyRequest(order));
    await settled(app, placed.id);
    expect(sim.tags.tagsOf('line', user(2)).sort()).toEqual(['buyer', 'vip']);

    const refund = await post(app, shopifyRequest(shopifyRefund(order.id), { topic: 'refunds/create' }));
    expect(refund.status).toBe(202);
    const d = await settled(app, refund.id);
    expect(d.status).toBe('sent');
    expect(d.tagging.map((t) => [t.action, t.tag, t.status]).sort()).toEqual([
      ['add', 'name:refunded', 'tagged'],
      ['remove', 'name:buyer', 'tagged'],
    ]);
    expect(sim.tags.tagsOf('line', user(2)).sort()).toEqual(['refunded', 'vip']);
  });

  test.skipIf(!available)(
    "a placed order's add still being retried when its refund comes is not made after the refund's remove",
    async () => {
      const { app, sim } = await setup(JOURNEY);
      sim.set({ failTags: { status: 503, count: 1_000_000 } });
      const order = orderFor(40);
      const placed = await post(app, shopifyRequest(order));
      await waitFor(async () => (await detail(app, placed.id)).tagging[0]?.attemptLog.length, { what: "the add's first failed try" });
      const refund = await post(app, shopifyRequest(shopifyRefund(order.id), { topic: 'refunds/create' }));
      expect(refund.status).toBe(202);
      await waitFor(async () => (await detail(app, placed.id)).tagging[0]?.status === 'tagged', { what: 'the add superseded' });
      sim.set({ failTags: null });
      await settled(app, refund.id);
      expect((await detail(app, placed.id)).tagging).toMatchObject([
        {
          action: 'add',
          tag: 'name:buyer',
          status: 'tagged',
          lastError: `superseded: delivery ${refund.id}'s job, queued after it, takes this tag off the user`,
        },
      ]);
      expect(added(sim, 'buyer', user(40))).toBe(0);
      expect(sim.tags.tagsOf('line', user(40))).toEqual(['refunded']);
    },
  );

  test.skipIf(!available)('a rule with only tag sends no message', async () => {
    const { app, sim } = await setup(`${RECIPIENTS}\nrules:\n  - name: buyer\n    tag: { add: [{ name: buyer }] }\n`);
    const placed = await post(app, shopifyRequest(orderFor(3)));
    expect(placed.status).toBe(202);
    const d = await settled(app, placed.id);
    expect(d).toMatchObject({ status: 'skipped', tagging: [{ status: 'tagged' }] });
    expect(sim.tags.tagsOf('line', user(3))).toEqual(['buyer']);
    expect(sim.broadcasts).toHaveLength(0);
  });

  test.skipIf(!available)('a tag call failing with 503 then recovering tags once', async () => {
    const { app, sim } = await setup(JOURNEY.replace('{ add: [{ name: buyer }] }', '{ add: [ctBuyer01] }'));
    sim.tags.create('buyer', 'ctBuyer01');
    // The startup check of the mapping's tag ids lists the bot's tags first: the failures are for the job.
    await waitFor(() => sim.tagCalls().length > 0, { what: "the startup check's list call" });
    sim.set({ failTags: { status: 503, count: 2 } });
    const placed = await post(app, shopifyRequest(orderFor(4)));
    const d = await settled(app, placed.id);
    expect(d.status).toBe('sent');
    expect(d.tagging).toMatchObject([{ tag: 'id:ctBuyer01', status: 'tagged' }]);
    expect(d.tagging[0]?.attemptLog.map((a) => [a.outcome, a.httpStatus])).toEqual([
      ['failed', 503],
      ['failed', 503],
      ['tagged', 200],
    ]);
    expect(added(sim, 'buyer', user(4))).toBe(1);
  });

  test.skipIf(!available)(
    'MantaGO refusing an unknown tag makes that tagging dead with its reason, while the message is sent',
    async () => {
      const { app, sim } = await setup(JOURNEY.replace('{ add: [{ name: buyer }] }', '{ add: ["ctNoSuchTag"] }'));
      const placed = await post(app, shopifyRequest(orderFor(5)));
      const d = await settled(app, placed.id);
      expect(d.status).toBe('sent');
      expect(d.tagging).toMatchObject([
        { tag: 'id:ctNoSuchTag', status: 'dead', lastError: 'MantaGO answered HTTP 404: Client tag not found' },
      ]);
      expect(sim.timesDelivered(user(5))).toBe(1);
      // Counted, for an alert: a dead job leaves the user's tag as it was.
      const metrics = (await app.inject({ url: '/metrics' })).body;
      expect(sample(metrics, 'notifier_tag_jobs_dead_total{action="add"}')).toBe(1);
    },
  );

  test.skipIf(!available)(
    'a tag deleted in the dashboard (and made again) after its id was remembered: the name is looked up again, the buyer tagged',
    async () => {
      const { app, sim } = await setup(JOURNEY);
      await settled(app, (await post(app, shopifyRequest(orderFor(20)))).id);
      sim.tags.tags.splice(
        sim.tags.tags.findIndex((t) => t.name === 'buyer'),
        1,
      );
      sim.tags.create('buyer');
      const d = await settled(app, (await post(app, shopifyRequest(orderFor(21)))).id);
      expect(d.tagging).toMatchObject([{ tag: 'name:buyer', status: 'tagged' }]);
      expect(sim.tags.tagsOf('line', user(21))).toEqual(['buyer']);
    },
  );

  test.skipIf(!available)(
    'a 404 for a user MantaGO does not know leaves the remembered tag id alone: one call, dead with the reason',
    async () => {
      const { app, sim } = await setup(JOURNEY);
      await settled(app, (await post(app, shopifyRequest(orderFor(28)))).id);
      sim.set({ refusedClientIds: [user(29)] });
      // Its broadcast refused alone is tried again (it may be the bot's): only its tag job is waited for.
      const refusedId = (await post(app, shopifyRequest(orderFor(29)))).id;
      const d = await waitFor(async () => {
        const shown = await detail(app, refusedId);
        return shown.tagging.length > 0 && shown.tagging.every((t) => t.status !== 'pending') ? shown : undefined;
      });
      expect(d.tagging).toMatchObject([{ tag: 'name:buyer', status: 'dead', lastError: expect.stringContaining('404') }]);
      const calls = sim.tagCalls().filter((c) => c.path === CLIENT_TAG_MAPPING_PATH && c.status === 404);
      expect(calls).toHaveLength(1);
      // The id still stands: the next order is tagged with one call and no list.
      const lists = sim.tagCalls().length;
      await settled(app, (await post(app, shopifyRequest(orderFor(30)))).id);
      expect(sim.tagCalls().length - lists).toBe(1);
    },
  );

  test.skipIf(!available)('taking off a tag the bot does not have creates nothing: the job is done, saying so', async () => {
    const { app, sim } = await setup(JOURNEY.replace('{ remove: [{ name: buyer }]', '{ remove: [{ name: buyer }, { name: neverMade }]'));
    const order = orderFor(22);
    await settled(app, (await post(app, shopifyRequest(order))).id);
    const d = await settled(app, (await post(app, shopifyRequest(shopifyRefund(order.id), { topic: 'refunds/create' }))).id);
    expect(d.tagging.find((t) => t.tag === 'name:neverMade')).toMatchObject({ status: 'tagged' });
    expect(sim.tags.tags.map((t) => t.name)).not.toContain('neverMade');
    expect(sim.tags.tagsOf('line', user(22))).toEqual(['refunded']);
  });

  test.skipIf(!available)('a tag whose creation failed once is created at the next try, with one failed try on record', async () => {
    const { app, sim } = await setup(JOURNEY);
    const tags = sim.tags as unknown as { answerCreate: (name: unknown) => unknown };
    const create = tags.answerCreate.bind(tags);
    let creates = 0;
    tags.answerCreate = (name) =>
      creates++ === 0 ? [503, { success: false, errResponse: { message: 'Internal server error' } }] : create(name);
    const d = await settled(app, (await post(app, shopifyRequest(orderFor(23)))).id);
    expect(d.tagging).toMatchObject([{ tag: 'name:buyer', status: 'tagged' }]);
    expect(d.tagging[0]?.attemptLog.map((a) => [a.outcome, a.httpStatus])).toEqual([
      ['failed', 503],
      ['tagged', 200],
    ]);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(sample(metrics, 'notifier_tag_calls_total{action="add",outcome="failed"}')).toBe(1);
  });

  test.skipIf(!available)(
    'a customer who opted out, found by attribute, is not tagged (one found by a MantaGO lookup was not already)',
    async () => {
      const { app, sim } = await setup(JOURNEY);
      const optOut = await app.inject({ method: 'PUT', url: '/admin/recipients/customer:5501', headers: auth, payload: { optOut: true } });
      expect(optOut.statusCode).toBe(200);
      const placed = await post(app, shopifyRequest(orderFor(24, { customer: { id: 5501, email: 'quiet@example.com' } })));
      const d = await detail(app, placed.id);
      expect(d).toMatchObject({ status: 'skipped', tagging: [] });
      // Another order after it is tagged: the tagger ran, and left the opted-out customer alone.
      await settled(app, (await post(app, shopifyRequest(orderFor(25)))).id);
      expect(sim.tags.tagsOf('line', user(24))).toEqual([]);
      expect(sim.tags.tagsOf('line', user(25))).toEqual(['buyer']);
    },
  );

  test.skipIf(!available)('a customer who opted out is not tagged by a rule with only tag either (no message to skip)', async () => {
    const { app, sim } = await setup(`${RECIPIENTS}\nrules:\n  - name: buyer\n    tag: { add: [{ name: buyer }] }\n`);
    await app.inject({ method: 'PUT', url: '/admin/recipients/customer:7701', headers: auth, payload: { optOut: true } });
    const placed = await post(app, shopifyRequest(orderFor(26, { customer: { id: 7701, email: 'quiet2@example.com' } })));
    expect(await detail(app, placed.id)).toMatchObject({ status: 'skipped', tagging: [] });
    await settled(app, (await post(app, shopifyRequest(orderFor(27)))).id);
    expect(sim.tags.tagsOf('line', user(26))).toEqual([]);
    expect(sim.tags.tagsOf('line', user(27))).toEqual(['buyer']);
  });

  test.skipIf(!available)('a tag by name is created once across 50 orders', async () => {
    // 50 sends and 50 tag calls: at the default 10 calls a second the test would wait 5 s for nothing.
    const { app, sim } = await setup(JOURNEY, { MANTAGO_MAX_RPS: '1000' });

    const orders = Array.from({ length: 50 }, (_, i) => 100 + i);
    const placed = await Promise.all(orders.map((i) => post(app, shopifyRequest(orderFor(i)))));
    expect(placed.map((p) => p.status)).toEqual(orders.map(() => 202));
    for (const p of placed) await settled(app, p.id);
    expect(sim.tagCalls().filter((c) => c.path === CLIENT_TAG_PATH)).toHaveLength(1);
    expect(sim.tags.tags.filter((t) => t.name === 'buyer')).toHaveLength(1);
    expect(orders.map((i) => added(sim, 'buyer', user(i)))).toEqual(orders.map(() => 1));
  });

  test.skipIf(!available)('a customer found through a MantaGO member lookup is tagged as well', async () => {
    const { app, sim } = await setup(JOURNEY.replace(RECIPIENTS, '\nrecipients:\n  - mantago: { customerId: "{{customer.id}}" }\n'));
    sim.addClient({ clientId: user(7), platform: 'line', customerId: '9007' });
    const placed = await post(app, shopifyRequest(shopifyOrder({ customer: { id: 9007, email: 'c@example.com' }, note_attributes: [] })));
    const d = await settled(app, placed.id);
    expect(d).toMatchObject({ status: 'sent', tagging: [{ status: 'tagged' }] });
    expect(sim.tags.tagsOf('line', user(7))).toEqual(['buyer']);
  });

  const SHIPPING_RULES = `
rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
    tag: { add: [{ name: awaiting }] }
  - name: shipped
    when: { event: shipped }
    send: { intentId: shipMod01 }
    tag: { remove: [{ name: awaiting }], add: [{ name: shipped }] }
`;

  test.skipIf(!available)(
    'a WooCommerce order first seen completed, its customer found by a MantaGO member lookup, is tagged by the shipped rule too',
    async () => {
      const { app, sim } = await setup(`\nrecipients:\n  - mantago: { customerId: "{{customer.id}}" }\n${SHIPPING_RULES}`);
      sim.addClient({ clientId: user(70), platform: 'line', customerId: '8170' });
      const first = await post(app, wooRequest(wooOrder({ status: 'completed', customer_id: 8170, meta_data: [] })));
      const d = await settled(app, first.id);
      expect(d.tagging.map((t) => `${t.action} ${t.tag} ${t.status}`)).toEqual([
        'add name:awaiting tagged',
        'add name:shipped tagged',
        'remove name:awaiting tagged',
      ]);
      expect(sim.tags.tagsOf('line', user(70))).toEqual(['shipped']);
    },
  );

  test.skipIf(!available)(
    "a WooCommerce order first seen completed, then seen processing (its webhook late): the revived shipment's tags are not put on twice",
    async () => {
      const { app, sim } = await setup(`${RECIPIENTS}${SHIPPING_RULES}`);
      const at = (minute: number) => `2026-03-02T10:${String(minute).padStart(2, '0')}:00`;
      const order = wooOrder({ date_created_gmt: at(0), meta_data: [{ id: 1, key: 'line_uid', value: user(71) }] });
      const first = await post(app, wooRequest({ ...order, status: 'completed', date_modified_gmt: at(5) }));
      await settled(app, first.id);
      expect(added(sim, 'shipped', user(71))).toBe(1);
      const late = await app.inject(wooRequest({ ...order, date_modified_gmt: at(1) }));
      expect(late.statusCode).toBe(200);
      const shipped = await waitFor(
        async () => {
          const list = (await app.inject({ url: `/admin/deliveries?order=${order.id}`, headers: auth })).json().deliveries;
          return list.find((x: { event: string; status: string }) => x.event === 'shipped' && x.status === 'sent');
        },
        { what: 'the revived shipment sent' },
      );
      expect((await detail(app, shipped.id)).tagging).toEqual([]);
      expect(added(sim, 'shipped', user(71))).toBe(1);
      expect(sim.tags.tagsOf('line', user(71))).toEqual(['shipped']);
    },
  );

  test.skipIf(!available)('a bot MantaGO refuses (1002) holds the tags uncounted; allowed again, the buyer is tagged once', async () => {
    const { app, sim } = await setup(JOURNEY, { BOT_PROBE_BASE_MS: '100', BOT_PROBE_MAX_MS: '300', RETRY_MAX_ATTEMPTS: '2' });
    sim.set({ permissionDenied: true });
    const placed = await post(app, shopifyRequest(orderFor(8)));
    await waitFor(async () => (await app.inject({ url: '/readyz' })).json().checks.delivery === 'bot_refused', { what: 'the pause' });
    expect((await detail(app, placed.id)).tagging).toMatchObject([{ status: 'pending', attempts: 0 }]);
    sim.set({ permissionDenied: false });
    const d = await settled(app, placed.id);
    expect(d).toMatchObject({ status: 'sent', tagging: [{ status: 'tagged' }] });
    expect(added(sim, 'buyer', user(8))).toBe(1);
  });

  test.skipIf(!available)(
    'a plan that refuses tagging alone (1002 on tag calls only): one pause, then each tag job fails on its own and messages are not held again',
    async () => {
      const env = { BOT_PROBE_BASE_MS: '100', BOT_PROBE_MAX_MS: '300', RETRY_MAX_ATTEMPTS: '2', RETRY_BASE_DELAY_MS: '100' };
      const { app, sim, logs } = await setup(JOURNEY, env);
      sim.set({ failTags: { status: 403, code: 1002 } });
      const first = await post(app, shopifyRequest(orderFor(11)));
      const d = await settled(app, first.id);
      expect(d).toMatchObject({ status: 'sent', tagging: [{ status: 'dead' }] });
      expect(JSON.stringify(d.tagging[0])).toContain('Permission denied');
      // Later orders go out at once: no pause for a tag call's 1002 any more.
      for (const i of [12, 13]) await post(app, shopifyRequest(orderFor(i)));
      await waitFor(() => sim.timesDelivered(user(12)) === 1 && sim.timesDelivered(user(13)) === 1, { what: 'the later messages' });
      expect((await app.inject({ url: '/readyz' })).json().checks).toMatchObject({ bot: 'ok', delivery: 'ok' });
      expect(logs.filter((line) => line.includes('MantaGO refuses the bot'))).toHaveLength(1);
      expect(sim.tags.tagsOf('line', user(11))).toEqual([]);
    },
  );

  test.skipIf(!available)('DRY_RUN records the tagging and never calls MantaGO', async () => {
    const { app, sim } = await setup(JOURNEY, { DRY_RUN: 'true' });
    const placed = await post(app, shopifyRequest(orderFor(6)));
    const d = await settled(app, placed.id);
    expect(d.tagging).toMatchObject([{ status: 'tagged', attemptLog: [{ outcome: 'dry_run', httpStatus: null }] }]);
    expect(sim.tagCalls()).toHaveLength(0);
  });
});
