// Input taken as sent or refused, never bent, on both engines: a NUL (U+0000) in a shop's field is
// no 500 (PostgreSQL's text cannot hold it) and the order goes once; an operator's request with a
// NUL, a value of the wrong type or a field the route does not take is a 400 that names it, not a
// value Ajv coerced (`{"optOut": null}` read as false) or dropped; a URL the router cannot read is
// answered from the error catalogue.
import { afterEach, describe, expect, test } from 'vitest';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { ADMIN_TOKEN, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyFulfillment, shopifyOrder, shopifyRequest, wooOrder, wooRequest } from './helpers/webhooks.ts';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const user = (i: number) => `U${(0x5a0 + i).toString(16).padStart(32, '0')}`;
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

describe.each(SERVICE_ENGINES)('$engine store', ({ engine, available }) => {
  const start = async () => {
    const started = await startServiceWithSimulator({ env: await engineEnv(engine) });
    closing.push(() => started.app.close());
    return started;
  };

  test.skipIf(!available)(
    "a NUL in a shop order's e-mail or customer id: taken (202), sent once; its redelivery is a duplicate",
    async () => {
      const { app, sim } = await start();
      const shopify = shopifyOrder({
        email: 'mei\u0000@example.com',
        customer: { id: 'c\u00007001', email: 'mei\u0000@example.com', first_name: 'Mei', last_name: 'Lin', phone: null },
        note_attributes: [{ name: 'line_uid', value: user(1) }],
      });
      const woo = wooOrder({ billing: { email: 'ken\u0000@example.com' }, meta_data: [{ id: 1, key: 'line_uid', value: user(2) }] });
      for (const request of [shopifyRequest(shopify), wooRequest(woo)]) {
        const first = await app.inject(request);
        expect(first.statusCode, first.body).toBe(202);
        expect((await app.inject(request)).json()).toMatchObject({ status: 'duplicate', deliveryId: first.json().deliveryId });
      }
      await waitFor(() => sim.timesDelivered(user(1)) === 1 && sim.timesDelivered(user(2)) === 1, { what: 'both orders sent' });
    },
  );

  test.skipIf(!available)('a NUL in an order id: its fulfillment finds the order as stored (the same key looked up as kept)', async () => {
    const started = await start();
    const { app, sim } = started;
    const id = '70\u000071';
    const { admin_graphql_api_id: _gid, ...order } = shopifyOrder({ id, note_attributes: [{ name: 'line_uid', value: user(5) }] });
    const placed = await app.inject(shopifyRequest(order));
    expect(placed.statusCode, placed.body).toBe(202);
    // A fulfillment names only its order: it goes to the customer of the order's placed message, found by the order's key.
    const fulfillment = { ...shopifyFulfillment(0), order_id: id };
    const shipped = await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }));
    expect(shipped.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
    // Decided as it came in, not left waiting for an order it did not find.
    const decided = (await app.inject({ url: `/admin/deliveries/${shipped.json().deliveryId}`, headers: auth })).json();
    expect(decided).toMatchObject({ clientId: user(5), waitReason: null });
    await waitFor(() => sim.timesDelivered(user(5)) === 2, { what: 'the confirmation and the shipment, to the same customer' });
  });

  test.skipIf(!available)("an operator's NUL in a query, a path or a body: 400 naming where, nothing stored or sent", async () => {
    const { app, sim } = await start();
    const asked = [
      { method: 'GET' as const, url: '/admin/deliveries?order=%00', at: 'querystring/order' },
      { method: 'GET' as const, url: '/admin/recipients/resolve?email=a%00@b.c', at: 'querystring/email' },
      { method: 'DELETE' as const, url: `/admin/recipients/${encodeURIComponent('customer:\u0000')}`, at: 'params/key' },
      {
        method: 'POST' as const,
        url: '/admin/broadcasts',
        payload: { platform: 'line', userIds: [user(3)], intentId: 'rb2k\u0000YmMdW' },
        at: 'body/intentId',
      },
    ];
    for (const { at, ...request } of asked) {
      const answer = await app.inject({ ...request, headers: auth });
      expect(answer.statusCode, request.url).toBe(400);
      expect(answer.json()).toMatchObject({ code: 'INVALID_PAYLOAD', message: `${at} holds U+0000 (a NUL character), which no field may` });
    }
    expect(sim.broadcastCalls()).toEqual([]);
  });
});

describe("an operator's body is taken as sent", () => {
  test('{"optOut": null} is a 400, not false: the opt-out stays', async () => {
    const { app } = await startServiceWithSimulator();
    closing.push(() => app.close());
    const url = '/admin/recipients/email:ann@example.com';
    expect((await app.inject({ method: 'PUT', url, headers: auth, payload: { optOut: true } })).statusCode).toBe(200);
    for (const optOut of [null, 0, 'false', [false]]) {
      const answer = await app.inject({ method: 'PUT', url, headers: auth, payload: { optOut } });
      expect(answer.statusCode, JSON.stringify(optOut)).toBe(400);
      expect(answer.json()).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringContaining('body/optOut') });
    }
    expect((await app.inject({ method: 'GET', url, headers: auth })).json()).toMatchObject({ optOut: true });
  });

  test('a number for the token, a boolean for a module id, a string for the recipient list, a misspelt field: each a 400 naming it; nothing sent', async () => {
    const { app, sim } = await startServiceWithSimulator();
    closing.push(() => app.close());
    const refused = [
      { method: 'PUT' as const, url: '/admin/credentials', payload: { apiToken: 12345678, apiSecret: 'abcd' }, says: 'body/apiToken' },
      {
        method: 'POST' as const,
        url: '/admin/broadcasts',
        payload: { platform: 'line', userIds: [user(4)], intentId: true },
        says: 'body/intentId',
      },
      {
        method: 'POST' as const,
        url: '/admin/broadcasts',
        payload: { platform: 'line', userIds: user(4), message: 'hi' },
        says: 'body/userIds',
      },
      {
        method: 'POST' as const,
        url: '/admin/broadcasts',
        payload: { platform: 'facebook', userIds: ['1234567890'], message: 'hi', fbtag: 'HUMAN_AGENT' },
        says: 'body must not have additional properties (fbtag)',
      },
    ];
    for (const { says, ...request } of refused) {
      const answer = await app.inject({ ...request, headers: auth });
      expect(answer.statusCode, JSON.stringify(request.payload)).toBe(400);
      expect(answer.json()).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringContaining(says) });
    }
    expect(sim.broadcastCalls()).toEqual([]);
    expect((await app.inject({ method: 'GET', url: '/admin/credentials', headers: auth })).json()).not.toMatchObject({ generation: 2 });
  });
});

test("an operator's filter misspelt or sent where the route does not read it, an id not written in digits, a lone surrogate: each a 400 naming it, nothing redriven or sent", async () => {
  const { app, sim } = await startServiceWithSimulator();
  closing.push(() => app.close());
  sim.set({ fail: { status: 400, count: 1 } }); // one delivery dead at once, to be redriven
  const placed = await app.inject(shopifyRequest(shopifyOrder()));
  const id = placed.json().deliveryId as number;
  const detail = async () => (await app.inject({ url: `/admin/deliveries/${id}`, headers: auth })).json();
  await waitFor(async () => (await detail()).status === 'dead', { what: 'the delivery dead' });
  const post = (url: string, payload?: object) => app.inject({ method: 'POST', url, headers: auth, ...(payload && { payload }) });
  for (const [answer, message] of [
    [await post('/admin/deliveries/redrive?sorce=woocommerce'), 'querystring/sorce is not one this route takes (source)'],
    [
      await post('/admin/deliveries/redrive', { source: 'woocommerce' }),
      'this route takes no body: what it acts on is in its path and query',
    ],
    // A body that is JSON but no object ("woocommerce", true, 5) is a body too: the redrive does not widen to every source.
    ...(await Promise.all(
      ['"woocommerce"', 'true', '5'].map(
        async (payload) =>
          [
            await app.inject({
              method: 'POST',
              url: '/admin/deliveries/redrive',
              headers: { ...auth, 'content-type': 'application/json' },
              payload,
            }),
            'this route takes no body: what it acts on is in its path and query',
          ] as const,
      ),
    )),
    // A route that takes no query refuses one, rather than acting on everything (every dead tag job, here).
    [await post('/admin/tag-jobs/redrive?source=shopify'), 'querystring/source is not one this route takes (none)'],
    [
      await app.inject({ url: `/admin/deliveries/${id}?verbose=1`, headers: auth }),
      'querystring/verbose is not one this route takes (none)',
    ],
    [await app.inject({ url: '/admin/deliveries/0x10', headers: auth }), 'params/id must be a whole number written in digits'],
    [await app.inject({ url: '/admin/deliveries?limit=%20', headers: auth }), 'querystring/limit must be a whole number written in digits'],
  ] as const) {
    expect(answer.statusCode, message).toBe(400);
    expect(answer.json()).toMatchObject({ code: 'INVALID_PAYLOAD', message });
  }
  expect(await detail()).toMatchObject({ status: 'dead' });
  const surrogate = await post('/admin/broadcasts', { platform: 'line', userIds: [user(40)], intentId: 'rb2k\ud800YmMdW' });
  expect(surrogate.statusCode).toBe(400);
  expect(surrogate.json().message).toBe('body/intentId holds a lone UTF-16 surrogate (no character), which no field may');
  expect(sim.broadcasts.filter((b) => b.clientIds.includes(user(40)))).toEqual([]);
});

test('a URL the router cannot read: a bad %-escape is 400 BAD_REQUEST, a path part past 1,200 characters 414 URI_TOO_LONG', async () => {
  const { app } = await startServiceWithSimulator();
  closing.push(() => app.close());
  for (const url of ['/%', '/webhooks/%zz', '/admin/deliveries/%C0%AE']) {
    const answer = await app.inject({ method: 'GET', url, headers: auth });
    expect(answer.statusCode, url).toBe(400);
    expect(answer.json()).toMatchObject({ statusCode: 400, code: 'BAD_REQUEST', error: 'Bad Request' });
  }
  const long = await app.inject({ method: 'GET', url: `/admin/recipients/customer:${'x'.repeat(1_300)}`, headers: auth });
  expect(long.statusCode).toBe(414);
  expect(long.json()).toMatchObject({ statusCode: 414, code: 'URI_TOO_LONG', error: 'URI Too Long' });
});
