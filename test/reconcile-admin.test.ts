// The operator's side of shop connections, over HTTP on both engines: POST /admin/reconcile replays
// a window and answers its counts, GET /admin/shops shows the connection without its secrets, and a
// poll's trouble (a refused token) shows in /readyz's body and the metrics, never as a 503.
import { afterEach, describe, expect, test } from 'vitest';
import { auth, SHOP_ENGINES, shiftedClock, shopUser, shopifyAndSimulator, startConnected } from './helpers/shops.ts';
import { waitFor } from './helpers/wait.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/** A Shopify stand-in on `clock` (or its own `now`), the simulator, and the service connected to both, after its first poll. */
async function connected(
  engine: 'sqlite' | 'postgres',
  clock: ReturnType<typeof shiftedClock>,
  now = () => clock.now(),
  env: Record<string, string> = {},
) {
  const { shop, sim, dir, store } = await shopifyAndSimulator(engine, cleanup, { now });
  const service = await startConnected(sim, { env: { ...shop.serviceEnv(), DATABASE_URL: store.url, ...env }, dir, clock });
  cleanup.push(() => service.app.close());
  const inject = (method: 'GET' | 'POST', url: string, payload?: object) =>
    service.app.inject({ method, url, headers: auth, ...(payload && { payload }) });
  await waitFor(async () => (await inject('GET', '/admin/shops')).json().shops[0]?.lastPoll, { what: 'the first poll' });
  return { shop, sim, service, inject };
}

describe.each(SHOP_ENGINES)('$engine', ({ engine, available }) => {
  test.skipIf(!available)(
    'a page of lost orders larger than INTAKE_QUEUE_MAX is stored in turns, not refused as a full queue',
    async () => {
      const clock = shiftedClock();
      const { shop, sim, inject } = await connected(engine, clock, undefined, { INTAKE_QUEUE_MAX: '10' });
      const since = new Date(clock.now() - 1000).toISOString();
      for (let i = 0; i < 30; i++) shop.createOrder({ customAttributes: { line_uid: shopUser(750 + i) } });
      const replay = await inject('POST', '/admin/reconcile', { source: 'shopify', since });
      expect(replay.json()).toEqual({ source: 'shopify', orders: 30, new: 30, duplicates: 0, ignored: 0 });
      const users = Array.from({ length: 30 }, (_, i) => shopUser(750 + i));
      await waitFor(() => users.every((u) => sim.broadcasts.some((b) => b.clientIds.includes(u))), { what: 'the 30 replayed orders sent' });
    },
  );

  test.skipIf(!available)(
    'POST /admin/reconcile answers its counts; a refused token is a code in /readyz and the metrics, not a 503',
    async () => {
      const clock = shiftedClock();
      const { shop, sim, service, inject } = await connected(engine, clock);

      const before = new Date(clock.now() - 1000).toISOString();
      for (let i = 0; i < 3; i++) shop.createOrder({ customAttributes: { line_uid: shopUser(700 + i) } });
      const window = { source: 'shopify', since: before };
      const replay = await inject('POST', '/admin/reconcile', window);
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toEqual({ source: 'shopify', orders: 3, new: 3, duplicates: 0, ignored: 0 });
      expect((await inject('POST', '/admin/reconcile', window)).json()).toEqual({
        source: 'shopify',
        orders: 3,
        new: 0,
        duplicates: 3,
        ignored: 0,
      });
      const earlier = { ...window, since: new Date(clock.now() - 3_600_000).toISOString(), until: before };
      expect((await inject('POST', '/admin/reconcile', earlier)).json()).toMatchObject({ orders: 0, new: 0 });
      expect((await inject('POST', '/admin/reconcile', { source: 'woocommerce', since: before })).statusCode).toBe(404);
      expect((await inject('POST', '/admin/reconcile', { source: 'shopify', since: 'yesterday' })).statusCode).toBe(400);
      // A leap second passes the date-time format, but no Date holds one: said, not a 500.
      const leap = await inject('POST', '/admin/reconcile', { source: 'shopify', since: '2016-12-31T23:59:60Z' });
      expect(leap.statusCode).toBe(400);
      expect(leap.json().message).toContain('since is not a time this service can use');
      await waitFor(() => [0, 1, 2].every((i) => sim.broadcasts.some((b) => b.clientIds.includes(shopUser(700 + i)))), {
        what: 'the replayed orders sent',
      });

      const ready = await service.app.inject({ url: '/readyz' });
      expect(ready.json()).toMatchObject({ status: 'ready', shops: { shopify: 'ok' } });
      shop.set({ fail: { status: 401 } });
      clock.offset += 300_000;
      await waitFor(async () => (await service.app.inject({ url: '/readyz' })).json().shops?.shopify === 'unauthorized', {
        what: '/readyz to show the refused token',
      });
      const refused = await service.app.inject({ url: '/readyz' });
      expect(refused.statusCode).toBe(200);
      const shops = (await inject('GET', '/admin/shops')).json().shops;
      expect(shops[0].lastPoll).toMatchObject({ outcome: 'unauthorized' });
      expect(JSON.stringify(shops)).not.toContain(shop.accessToken);
      const metrics = (await service.app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/notifier_shop_polls_total\{source="shopify",outcome="unauthorized"\} 1/);
      const failed = await inject('POST', '/admin/reconcile', window);
      expect(failed.statusCode).toBe(502);
      expect(failed.json()).toMatchObject({ code: 'SHOP_FAILED' });
      expect(failed.body).not.toContain(shop.accessToken);
      expect(service.logs.join('\n')).not.toContain(shop.accessToken);
    },
    60_000,
  );

  test.skipIf(!available)(
    'a replay that reaches its deadline answers what it stored and where to go on from; replaying from there sends the rest, once',
    async () => {
      const clock = shiftedClock();
      // The shop's clock is the service's; once `jumpAt` calls are answered, the next one finds it 25 s on.
      let jumpAt = Number.POSITIVE_INFINITY;
      let calls: unknown[] = [];
      const {
        shop,
        sim,
        inject: call,
      } = await connected(engine, clock, () => {
        if (calls.length >= jumpAt) {
          jumpAt = Number.POSITIVE_INFINITY;
          clock.offset += 25_000;
        }
        return clock.now();
      });
      calls = shop.calls;
      const inject = (payload: object) => call('POST', '/admin/reconcile', payload);

      const since = new Date(clock.now() - 1000).toISOString();
      for (let i = 0; i < 120; i++) shop.createOrder({ customAttributes: { line_uid: shopUser(800 + i) } });
      jumpAt = shop.calls.length + 1; // the second page is read 25 s after the first
      const first = await inject({ source: 'shopify', since });
      expect(first.statusCode).toBe(200);
      const answered = first.json();
      expect(answered).toMatchObject({ source: 'shopify', orders: 100, new: 100, duplicates: 0, ignored: 0 });
      expect(answered.unfinished.reason).toContain('at most 20 s');
      expect(Date.parse(answered.unfinished.resumeSince)).toBeGreaterThanOrEqual(Date.parse(since));

      // From there on (the orders of that second again, as duplicates) to the window's end.
      const rest = (await inject({ source: 'shopify', since: answered.unfinished.resumeSince })).json();
      expect(rest).toEqual({ source: 'shopify', orders: rest.orders, new: 20, duplicates: rest.orders - 20, ignored: 0 });
      const users = new Set(Array.from({ length: 120 }, (_, i) => shopUser(800 + i)));
      const sends = () => sim.broadcasts.flatMap((b) => b.clientIds).filter((u) => users.has(u));
      await waitFor(() => new Set(sends()).size === 120, { what: 'all 120 orders sent' });
      expect(sends()).toHaveLength(120);
    },
    60_000,
  );

  test.skipIf(!available)(
    'more orders changed in one second than a replay reads: going on with its resume token gets past them, each sent once; a bad token is a 400',
    async () => {
      const clock = shiftedClock();
      // Every second page a replay reads is answered 25 s on: past the replay's 20 s, so each replay reads two pages.
      let calls: unknown[] = [];
      let jumping = false;
      const {
        shop,
        sim,
        inject: call,
      } = await connected(engine, clock, () => {
        if (jumping && calls.length % 2 === 0) clock.offset += 25_000;
        return clock.now();
      });
      calls = shop.calls;
      const inject = (payload: object) => call('POST', '/admin/reconcile', payload);
      const since = new Date(clock.now() - 1000).toISOString();
      const users = Array.from({ length: 230 }, (_, i) => shopUser(900 + i));
      for (const user of users) shop.createOrder({ customAttributes: { line_uid: user } }); // all in the same second
      jumping = true;
      let answer = (await inject({ source: 'shopify', since })).json();
      const replays = [answer];
      while (answer.unfinished && replays.length < 10) {
        expect(answer.orders).toBe(100);
        answer = (await inject({ source: 'shopify', resume: answer.unfinished.resume })).json();
        replays.push(answer);
      }
      jumping = false;
      expect(replays.map((r) => r.new)).toEqual([100, 100, 30]);
      expect(answer.unfinished).toBeUndefined();
      const sends = () => sim.broadcasts.flatMap((b) => b.clientIds).filter((u) => users.includes(u));
      await waitFor(() => new Set(sends()).size === users.length, { what: 'every order sent' });
      expect(sends()).toHaveLength(users.length);

      // The same token with its cursor changed: its signature no longer holds.
      const forged = (token: string) => {
        const [payload] = token.split('.') as [string];
        const value = JSON.parse(Buffer.from(payload, 'base64url').toString());
        return `${Buffer.from(JSON.stringify({ ...value, cursor: 'abc', since: 9e15 })).toString('base64url')}.${token.split('.')[1]}`;
      };
      for (const [payload, message] of [
        [{ source: 'shopify', resume: 'not-a-token' }, 'resume is not a token an unfinished replay answered'],
        [{ source: 'shopify', resume: forged(replays[0].unfinished.resume) }, 'resume is not a token an unfinished replay answered'],
        [{ source: 'shopify', since, resume: replays[0].unfinished.resume }, 'give since (and until, if you like) for a window, or resume'],
        [{ source: 'shopify' }, 'give since (and until, if you like) for a window, or resume'],
      ] as const) {
        const refused = await inject(payload);
        expect([refused.statusCode, refused.json().message]).toEqual([400, expect.stringContaining(message)]);
      }
    },
    60_000,
  );
});

test("a password written into PUBLIC_URL is never shown: our webhooks' addresses are listed with it masked", async () => {
  const secret = 'Sup3rSecretPw';
  const { shop, sim, dir, store } = await shopifyAndSimulator('sqlite', cleanup);
  const env = { ...shop.serviceEnv(), DATABASE_URL: store.url, PUBLIC_URL: `https://hook:${secret}@notify.example.com` };
  const service = await startConnected(sim, { env, dir, clock: shiftedClock() });
  cleanup.push(() => service.app.close());
  const shops = async () => (await service.app.inject({ method: 'GET', url: '/admin/shops', headers: auth })).body;
  await waitFor(async () => JSON.parse(await shops()).shops[0]?.webhooks?.list.length > 0, { what: 'our webhooks listed' });
  const { list } = JSON.parse(await shops()).shops[0].webhooks;
  expect(list.filter((w: { ours: boolean }) => w.ours).map((w: { address: string }) => w.address)).toContain(
    'https://hook:***@notify.example.com/webhooks/shopify',
  );
  expect(await shops()).not.toContain(secret);
  expect(shop.subscriptions.some((s) => s.address.includes(secret))).toBe(true); // the shop has it: it is ours to send
});
