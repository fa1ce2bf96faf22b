// The operator's admin API, over HTTP as curl would use it: token checks, deliveries and their
// attempts, retries and redrives, manual broadcasts, credentials, and the recipient directory.
import type { InjectOptions } from 'fastify';
import { describe, expect, test } from 'vitest';
import { anonymousOrder, adminSetup as setup } from './helpers/admin.ts';
import { deadByRefusal, WITNESS_USER } from './helpers/refused.ts';
import { ADMIN_TOKEN } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { LINE_USER, LINE_USER_2, MESSENGER_USER, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const ADMIN_ROUTES: [InjectOptions['method'], string][] = [
  ['POST', '/admin/broadcasts'],
  ['GET', '/admin/deliveries'],
  ['GET', '/admin/deliveries/1'],
  ['POST', '/admin/deliveries/1/retry'],
  ['POST', '/admin/deliveries/redrive'],
  ['GET', '/admin/credentials'],
  ['POST', '/admin/credentials/refresh'],
  ['PUT', '/admin/credentials'],
  ['PUT', '/admin/recipients/email:ann@example.com'],
  ['GET', '/admin/recipients/email:ann@example.com'],
  ['DELETE', '/admin/recipients/email:ann@example.com'],
  ['POST', '/admin/recipients/import'],
  ['GET', '/admin/overview'],
  ['GET', '/admin/recipients/resolve?customer=1'],
];

const lineUser = (i: number) => `U${(0xdef000 + i).toString(16).padStart(32, '0')}`;

describe('access', () => {
  test('with ADMIN_TOKEN unset, the whole /admin prefix is 404', async () => {
    const { app } = await setup({ env: { ADMIN_TOKEN: undefined } });
    for (const [method, url] of [...ADMIN_ROUTES, ['GET', '/admin'] as const]) {
      const response = await app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
    }
  });

  test('every admin route answers 401 to a missing or wrong token, and says which', async () => {
    const { app, sim } = await setup();
    for (const [method, url] of ADMIN_ROUTES) {
      const missing = await app.inject({ method, url });
      expect(missing.statusCode, `${method} ${url}`).toBe(401);
      expect(missing.json()).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('Bearer') });
      expect(missing.headers['www-authenticate']).toContain('Bearer');
      const wrong = await app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
      expect(wrong.statusCode, `${method} ${url}`).toBe(401);
      expect(wrong.json().message).toBe('the admin token is wrong');
      expect(wrong.body).not.toContain(ADMIN_TOKEN);
    }
    expect(sim.broadcastCalls()).toHaveLength(0);
  });
});

describe('deliveries', () => {
  test('list with filters and a cursor, and one delivery with its order and every attempt', async () => {
    const { app, sim, admin, recorded } = await setup({ env: { BATCH_MAX_RECIPIENTS: '1' } });
    sim.set({ fail: { status: 503, count: 1 } });
    const orders = [0, 1, 2].map((i) => shopifyOrder({ note_attributes: [{ name: 'line_uid', value: lineUser(i) }] }));
    const sends: number[] = [];
    for (const order of orders) {
      const accepted = await app.inject(shopifyRequest(order));
      expect(accepted.statusCode).toBe(202);
      sends.push(accepted.json().deliveryId);
    }
    expect(await app.inject(shopifyRequest(anonymousOrder('nobody@example.com', 9)))).toMatchObject({ statusCode: 202 });
    await waitFor(() => sim.deliveredClientIds().length === 3, { what: 'three deliveries' });
    await Promise.all(sends.map(recorded));
    const all = await admin('GET', '/deliveries');
    expect(all.status).toBe(200);
    expect(all.body.deliveries.map((d: { status: string }) => d.status)).toEqual(['skipped', 'sent', 'sent', 'sent']);
    expect(all.body.deliveries[0].lastError).toContain('no chat user for this customer');

    const page1 = await admin('GET', '/deliveries?status=sent&limit=2');
    expect(page1.body.deliveries).toHaveLength(2);
    expect(page1.body.nextCursor).toBe(page1.body.deliveries[1].id);
    const page2 = await admin('GET', `/deliveries?status=sent&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toMatchObject({ nextCursor: null });
    expect(page2.body.deliveries).toHaveLength(1);
    const ids = [...page1.body.deliveries, ...page2.body.deliveries].map((d: { orderId: string }) => d.orderId);
    expect(new Set(ids)).toEqual(new Set(orders.map((o) => String(o.id))));

    const byOrder = await admin('GET', `/deliveries?order=${orders[0]?.id}&source=shopify`);
    expect(byOrder.body.deliveries).toHaveLength(1);
    const first = byOrder.body.deliveries[0];
    expect(first).toMatchObject({
      source: 'shopify',
      status: 'sent',
      platform: 'line',
      clientId: lineUser(0),
      rule: 'default',
      intentId: 'rb2kYmMdW',
    });

    // The first order met the 503 first: its attempts tell the story.
    const detail = await admin('GET', `/deliveries/${first.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.order).toMatchObject({ orderId: String(orders[0]?.id), customer: { firstName: 'Mei' } });
    expect(detail.body.attemptLog.map((a: { outcome: string; httpStatus: number }) => [a.outcome, a.httpStatus])).toEqual([
      ['failed', 503],
      ['sent', 200],
    ]);
    expect(detail.body.attemptLog[0].nextAttemptAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    expect((await admin('GET', '/deliveries/999999')).status).toBe(404);
    expect((await admin('GET', '/deliveries/abc')).status).toBe(400);
    const bad = await admin('GET', '/deliveries?status=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('status');
  });

  test('retry brings a dead delivery back; a sent or skipped one is a 409 that says why', async () => {
    const { app, sim, admin, recorded } = await setup();
    sim.set({ refusedClientIds: [LINE_USER] });
    const accepted = { deliveryId: (await deadByRefusal(app, sim, shopifyRequest(shopifyOrder()))).id as number };

    sim.set({ refusedClientIds: [] });
    const retried = await admin('POST', `/deliveries/${accepted.deliveryId}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'pending', attempts: 0, redrivenAt: expect.any(String) });
    await waitFor(() => sim.deliveredClientIds().includes(LINE_USER), { what: 'the retried delivery' });
    const after = await recorded(accepted.deliveryId);
    expect(after.body.status).toBe('sent');
    // Refused until shown theirs (how many times depends on when the other order went out; a retry that
    // went out with it in one batch was split first), then sent.
    const outcomes: string[] = after.body.attemptLog.map((a: { outcome: string }) => a.outcome);
    expect(outcomes.at(-1)).toBe('sent');
    expect(outcomes.slice(0, -1).every((o) => o === 'failed' || o === 'batch_refused')).toBe(true);
    expect(outcomes.filter((o) => o === 'failed').length).toBeGreaterThanOrEqual(2);

    const again = await admin('POST', `/deliveries/${accepted.deliveryId}/retry`);
    expect(again).toMatchObject({ status: 409, body: { code: 'CONFLICT', message: expect.stringContaining('already sent') } });
    const skipped = (await app.inject(shopifyRequest(anonymousOrder('nobody@example.com', 9)))).json();
    const noOne = await admin('POST', `/deliveries/${skipped.deliveryId}/retry`);
    expect(noOne).toMatchObject({
      status: 409,
      body: { message: expect.stringContaining('skipped, and a skipped delivery is not sent again: no chat user') },
    });
    expect((await admin('POST', '/deliveries/424242/retry')).status).toBe(404);
    expect(sim.deliveredClientIds().filter((id) => id === LINE_USER)).toHaveLength(1);
  });

  test('bulk redrive sends every dead delivery again, each once', async () => {
    const { app, sim, admin } = await setup();
    const users = [lineUser(10), lineUser(11), lineUser(12)];
    sim.set({ refusedClientIds: users });
    // One at a time, each shown theirs by a broadcast to another between its refusals (refused in a row, they would name the bot).
    for (const user of users)
      await deadByRefusal(app, sim, shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user }] })));
    expect((await admin('GET', '/deliveries?status=dead')).body.deliveries).toHaveLength(3);

    sim.set({ refusedClientIds: [] });
    expect(await admin('POST', '/deliveries/redrive?source=woocommerce')).toMatchObject({ status: 200, body: { redriven: 0 } });
    expect(await admin('POST', '/deliveries/redrive')).toMatchObject({ status: 200, body: { redriven: 3 } });
    await waitFor(() => users.every((u) => sim.deliveredClientIds().includes(u)), { what: 'the redriven deliveries' });
    expect(
      sim
        .deliveredClientIds()
        .filter((id) => id !== WITNESS_USER)
        .sort(),
    ).toEqual([...users].sort());
    expect((await admin('GET', '/deliveries?status=dead')).body.deliveries).toHaveLength(0);
  });
});

describe('manual broadcasts', () => {
  test("a broadcast goes out through the same credentials, is recorded, and answers with MantaGO's reply", async () => {
    const { sim, admin } = await setup();
    const sent = await admin('POST', '/broadcasts', {
      platform: 'line',
      userIds: [LINE_USER, LINE_USER_2],
      intentId: 'rb2kYmMdW',
      name: 'try it',
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({
      status: 'sent',
      mantago: { httpStatus: 200, reply: { success: true, message: 'Send customer broadcast successfully' } },
    });
    expect(sim.broadcasts).toHaveLength(1);
    expect(sim.broadcasts[0]).toMatchObject({ platform: 'line', intentId: 'rb2kYmMdW', name: 'try it' });
    expect(sim.broadcasts[0]?.clientIds.sort()).toEqual([LINE_USER, LINE_USER_2].sort());

    const recorded = await admin('GET', '/deliveries?source=admin');
    expect(recorded.body.deliveries.map((d: { id: number }) => d.id).sort()).toEqual([...sent.body.deliveryIds].sort());
    const detail = await admin('GET', `/deliveries/${sent.body.deliveryIds[0]}`);
    expect(detail.body).toMatchObject({ status: 'sent', rule: 'admin', attemptLog: [{ outcome: 'sent', httpStatus: 200, batchSize: 2 }] });

    const text = await admin('POST', '/broadcasts', { platform: 'facebook', userIds: [MESSENGER_USER], message: 'Hello from the shop' });
    expect(text.status).toBe(200);
    expect(sim.broadcasts[1]).toMatchObject({ platform: 'facebook', message: 'Hello from the shop', fbTag: 'POST_PURCHASE_UPDATE' });
  });

  test("a refused broadcast is 502 with MantaGO's reason; a bad request is 400 listing every problem", async () => {
    const { sim, admin } = await setup();
    // Refused for good (a 403 without a code of its own; a lone 36000 is retried: it may be the bot's).
    sim.set({ fail: { status: 403, count: 1 } });
    const refused = await admin('POST', '/broadcasts', { platform: 'line', userIds: [LINE_USER], intentId: 'rb2kYmMdW' });
    expect(refused).toMatchObject({ status: 502, body: { status: 'dead', mantago: { httpStatus: 403, error: expect.any(String) } } });
    sim.set({ refusedClientIds: [LINE_USER] });

    // Refused for one user, sent to the other: a 200 that says so, not a 502 inviting a resend that would reach the other twice.
    const partly = await admin('POST', '/broadcasts', { platform: 'line', userIds: [LINE_USER, LINE_USER_2], intentId: 'rb2kYmMdW' });
    expect(partly).toMatchObject({
      status: 200,
      body: {
        status: 'partly_sent',
        deliveries: [
          { id: partly.body.deliveryIds[0], userId: LINE_USER, status: 'dead' },
          { id: partly.body.deliveryIds[1], userId: LINE_USER_2, status: 'sent' },
        ],
      },
    });
    expect(sim.deliveredClientIds()).toEqual([LINE_USER_2]);

    const bad = await admin('POST', '/broadcasts', { platform: 'line', userIds: ['not-a-user'], intentId: 'a', message: 'b' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('exactly one of intentId');
    expect(bad.body.message).toContain('not line user ids: not-a-user');
    expect((await admin('POST', '/broadcasts', { platform: 'line', userIds: [] })).status).toBe(400);
    expect(sim.broadcasts).toHaveLength(1);
  });
});

describe('overview', () => {
  test('the queue, sent in the last hour, the credentials, the sources and DRY_RUN in one answer', async () => {
    const { app, sim, admin } = await setup({ env: { WOOCOMMERCE_WEBHOOK_SECRET: undefined } });
    const empty = await admin('GET', '/overview');
    expect(empty).toMatchObject({
      status: 200,
      body: { deliveries: { pending: 0, oldestPendingSince: null, dead: 0, sentLastHour: 0 }, dryRun: false },
    });
    expect(empty.body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(empty.body.credentials).toEqual((await admin('GET', '/credentials')).body);
    expect(empty.body.sources).toEqual([
      { name: 'shopify', path: '/webhooks/shopify', enabled: true },
      { name: 'woocommerce', path: '/webhooks/woocommerce', enabled: false },
      { name: 'orders', path: '/webhooks/orders', enabled: true },
    ]);

    sim.set({ refusedClientIds: [LINE_USER_2] });
    // The order sent is what shows the bot broadcasts between the refused one's two refusals.
    const refusedOrder = shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: LINE_USER_2 }] }));
    await deadByRefusal(app, sim, refusedOrder, shopifyRequest(shopifyOrder()));
    await waitFor(async () => (await admin('GET', '/overview')).body.deliveries.pending === 0, { what: 'the order sent recorded' });
    expect((await admin('GET', '/overview')).body.deliveries).toEqual({ pending: 0, oldestPendingSince: null, dead: 1, sentLastHour: 1 });

    // Credentials rejected: the pending order waits, and the overview shows since when.
    sim.set({ rejectRefresh: true });
    sim.expireToken();
    await app.inject(shopifyRequest(shopifyOrder()));
    const waiting = await waitFor(
      async () => {
        const overview = await admin('GET', '/overview');
        return overview.body.credentials.state === 'rejected' ? overview : undefined;
      },
      { what: 'the credentials to be rejected' },
    );
    expect(waiting.body.deliveries).toMatchObject({ pending: 1, oldestPendingSince: expect.stringMatching(/^\d{4}-/) });
    expect(waiting.body.credentials.lastError).toContain('refused to refresh');
  });

  test('DRY_RUN is reported', async () => {
    const { admin } = await setup({ env: { DRY_RUN: 'true' } });
    expect((await admin('GET', '/overview')).body).toMatchObject({ dryRun: true, credentials: { dryRun: true } });
  });
});

describe('credentials', () => {
  test('the state is shown without the token or secret; refresh rotates; an installed pair clears a rejection and waiting orders go', async () => {
    const { app, sim, admin } = await setup();
    const { apiToken, apiSecret } = sim.credentials();
    const shown = await admin('GET', '/credentials');
    expect(shown).toMatchObject({ status: 200, body: { botId: sim.botId, state: 'ok', generation: 1, origin: 'env', dryRun: false } });
    expect(shown.body.expiresAt).toMatch(/^\d{4}-/);
    for (const secret of [apiToken, apiSecret]) expect(JSON.stringify(shown.body)).not.toContain(secret);

    const refreshed = await admin('POST', '/credentials/refresh');
    expect(refreshed).toMatchObject({
      status: 200,
      body: { outcome: 'renewed', credentials: { generation: 2, origin: 'refresh', state: 'ok' } },
    });
    expect(sim.refreshCalls()).toHaveLength(1);
    expect(JSON.stringify(refreshed.body)).not.toContain(sim.credentials().apiToken);

    // MantaGO forgets the pair and refuses to refresh it: orders wait, the operator installs a new pair.
    sim.set({ rejectRefresh: true });
    sim.expireToken();
    expect((await app.inject(shopifyRequest(shopifyOrder()))).statusCode).toBe(202);
    await waitFor(async () => (await admin('GET', '/credentials')).body.state === 'rejected', { what: 'the credentials to be rejected' });
    const rejected = await admin('GET', '/credentials');
    expect(rejected.body.lastError).toContain('refused to refresh');
    expect((await admin('POST', '/credentials/refresh')).status).toBe(502);

    sim.set({ rejectRefresh: false });
    const pair = sim.issuePair();
    const installed = await admin('PUT', '/credentials', pair);
    expect(installed).toMatchObject({ status: 200, body: { state: 'ok', origin: 'admin', lastError: null } });
    expect(JSON.stringify(installed.body)).not.toContain(pair.apiToken);
    await waitFor(() => sim.deliveredClientIds().includes(LINE_USER), { what: 'the waiting order after the new pair' });
    expect((await admin('PUT', '/credentials', { apiToken: 'x' })).status).toBe(400);
  });
});
