// Input the service cannot use, as shops and operators might send it: each gets a 4xx (or, for a
// webhook, the 200 "ignored" a shop does not retry) that says what is wrong, never a 500; and what
// the service took once it takes again the same way.
import type { InjectOptions } from 'fastify';
import { afterAll, describe, expect, test } from 'vitest';
import { startSimulator, type MantagoSimulator } from '../simulator/simulator.ts';
import { ADMIN_TOKEN, serviceForFile, startService, tempDir, type TestService } from './helpers/service.ts';
import { normalizedOrder, shopifyOrder, shopifyRequest, standardRequest, wooOrder, wooRequest } from './helpers/webhooks.ts';

let sim: MantagoSimulator;
let app: TestService['app'];
serviceForFile((started) => {
  sim = started.sim;
  app = started.service.app;
});
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const admin = (method: InjectOptions['method'], url: string, payload?: unknown) =>
  app.inject({ method, url, headers: auth, ...(payload !== undefined && { payload: payload as InjectOptions['payload'] }) });

describe('webhooks naming what only JavaScript objects have', () => {
  test.each(['constructor', '__proto__', 'toString'])(
    'Shopify topic %s: ignored as a topic this service does not send for',
    async (topic) => {
      const answer = await app.inject(shopifyRequest(shopifyOrder(), { topic }));
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ status: 'ignored', reason: expect.stringContaining(`topic ${topic} is not one`) });
    },
  );

  test.each(['constructor', 'hasOwnProperty'])('WooCommerce topic %s: ignored', async (topic) => {
    const answer = await app.inject(wooRequest(wooOrder(), { topic }));
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ status: 'ignored', reason: expect.stringContaining(`topic ${topic} is not one`) });
  });

  test.each(['constructor', '__proto__'])(
    'a Shopify fulfillment event in status %s: ignored, and the reason names the status as sent',
    async (status) => {
      const event = { id: 77, fulfillment_id: 5, order_id: 9, status, happened_at: null };
      const answer = await app.inject(shopifyRequest(event, { topic: 'fulfillment_events/create' }));
      expect(answer.statusCode).toBe(200);
      expect(answer.json().reason).toMatch(new RegExp(`^fulfillment event status ${status} is not a delivery stage`));
    },
  );

  test.each(['constructor', '__proto__'])(
    'a WooCommerce order in status %s: ignored, and the reason names the status as sent',
    async (status) => {
      const answer = await app.inject(wooRequest(wooOrder({ status })));
      expect(answer.statusCode).toBe(200);
      expect(answer.json().reason).toBe(
        `order status ${status} is not an event this service sends messages for (processing, completed, cancelled, refunded)`,
      );
    },
  );
});

test('a WooCommerce status longer than any WooCommerce allows (a post status is at most 20 characters): 400 naming it, not echoed back', async () => {
  const answer = await app.inject(wooRequest(wooOrder({ status: 'x'.repeat(100_000) })));
  expect(answer.statusCode).toBe(400);
  expect(answer.json().message).toBe('body/status must not have more than 100 characters');
  expect(answer.body.length).toBeLessThan(300);
});

test('an order id holding half a UTF-16 surrogate pair: stored once, and its redelivery is the duplicate it is, not a 500', async () => {
  const order = normalizedOrder({ orderId: 'ord_half\ud800' });
  const first = await app.inject(standardRequest(order));
  expect(first.statusCode).toBe(202);
  const again = await app.inject(standardRequest(order)); // a new webhook-id: a redelivery
  expect(again.statusCode).toBe(200);
  expect(again.json()).toMatchObject({ status: 'duplicate', deliveryId: first.json().deliveryId });
});

test('a webhook sent as Application/JSON: media types are case-insensitive, so it is taken', async () => {
  const request = shopifyRequest(shopifyOrder());
  const answer = await app.inject({ ...request, headers: { ...(request.headers as object), 'content-type': 'Application/JSON' } });
  expect(answer.statusCode).toBe(202);
});

describe('admin input', () => {
  test.each(['limit=Infinity', 'limit=-Infinity', 'limit=1e400'])('GET /admin/deliveries?%s: 400, not a 500', async (query) => {
    const answer = await admin('GET', `/admin/deliveries?${query}`);
    expect(answer.statusCode).toBe(400);
    expect(answer.json().message).toContain('limit');
  });

  test('a delivery id of Infinity: 400, not "no delivery Infinity"; one past what a number holds exactly: 400 too', async () => {
    expect((await admin('GET', '/admin/deliveries/Infinity')).statusCode).toBe(400);
    for (const url of ['/admin/deliveries/1e20', '/admin/deliveries?cursor=1e20', '/admin/recipients/resolve?order=1e20'])
      expect((await admin('GET', url)).statusCode, url).toBe(400);
  });

  test('a broadcast message longer than its platform takes (emoji count two): 400 before anything is stored or sent', async () => {
    const answer = await admin('POST', '/admin/broadcasts', { platform: 'line', userIds: [user(1)], message: '🎉'.repeat(2501) });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().message).toContain('message is 5002 UTF-16 code units long');
    const messenger = await admin('POST', '/admin/broadcasts', {
      platform: 'facebook',
      userIds: ['6543210987654321'],
      message: 'x'.repeat(2001),
    });
    expect(messenger.statusCode).toBe(400);
    expect(messenger.json().message).toContain(
      'message is 2001 UTF-16 code units long (an emoji counts two); Messenger takes at most 2000',
    );
    const nul = await admin('POST', '/admin/broadcasts', { platform: 'line', userIds: [user(1)], message: 'hello\u0000world' });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().message).toContain('U+0000');
    expect(sim.broadcasts.filter((b) => b.clientIds.includes(user(1)))).toEqual([]);
    expect((await admin('GET', '/admin/deliveries?status=dead')).json().deliveries).toEqual([]);
  });

  test('a pasted pair: a line break around it is dropped; a space or line break inside is a 400 naming the field', async () => {
    const inside = await admin('PUT', '/admin/credentials', { apiToken: 'tok-1234\r\nX: 1', apiSecret: 'secret-1234' });
    expect(inside.statusCode).toBe(400);
    expect(inside.json().message).toBe("apiToken must be printable ASCII without spaces, as MantaGO's dashboard shows it");
    const spaced = await admin('PUT', '/admin/credentials', { apiToken: 'tok-12345678', apiSecret: 'sec ret-1234' });
    expect(spaced.json().message).toContain('apiSecret must be printable ASCII');
    const { apiToken, apiSecret } = sim.credentials();
    const pasted = await admin('PUT', '/admin/credentials', { apiToken: `${apiToken}\n`, apiSecret: ` ${apiSecret} ` });
    expect(pasted.statusCode).toBe(200);
    expect(pasted.json()).toMatchObject({ origin: 'admin', state: 'ok' });
  });

  test('a recipient key holding U+0000: 400, not a key stored as another', async () => {
    const answer = await admin('PUT', `/admin/recipients/${encodeURIComponent('customer:\u0000')}`, { platform: 'line', userId: user(2) });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().message).toContain('U+0000');
  });
});

const user = (i: number) => `U${(0xbad1 + i).toString(16).padStart(32, '0')}`;

describe('a pair whose token claims an expiry no date can hold', () => {
  const closing: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closing.reverse()) await close();
  });
  const jwt = (exp: number) =>
    [{ alg: 'HS256', typ: 'JWT' }, { exp }, 'sig'].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.');

  test.each([8_700_000_000_000, 10_000_000_000_000])(
    'exp %i: installed with the documented 30 days, shown, and the service starts again on that store',
    async (exp) => {
      const own = await startSimulator();
      closing.push(() => own.close());
      const dir = tempDir();
      const first = await startService(own, { dir });
      closing.push(() => first.app.close());
      const put = await first.app.inject({
        method: 'PUT',
        url: '/admin/credentials',
        headers: auth,
        payload: { apiToken: jwt(exp), apiSecret: 'probe-secret' },
      });
      expect(put.statusCode).toBe(200);
      const days = (Date.parse(put.json().expiresAt) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(29);
      expect(days).toBeLessThan(31);
      expect((await first.app.inject({ method: 'GET', url: '/admin/credentials', headers: auth })).statusCode).toBe(200);
      expect((await first.app.inject({ method: 'GET', url: '/admin/overview', headers: auth })).statusCode).toBe(200);
      await first.app.close();

      const second = await startService(own, { dir });
      closing.push(() => second.app.close());
      expect((await second.app.inject({ method: 'GET', url: '/admin/credentials', headers: auth })).json()).toMatchObject({
        origin: 'admin',
      });
    },
  );
});
