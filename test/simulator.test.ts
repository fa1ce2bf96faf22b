// The simulator is the far end of every other test, so it must behave as MantaGO's docs say.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startSimulator, type MantagoSimulator } from '../simulator/simulator.ts';
import { tokenExpiry } from '../src/mantago/token-expiry.ts';

let sim: MantagoSimulator;
beforeAll(async () => {
  sim = await startSimulator({ botId: 'bot9' });
});
afterAll(() => sim.close());

async function call(path: string, token: string, body: unknown, botId = 'bot9') {
  const response = await fetch(`${sim.url}${path}?botId=${botId}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    // MantaGO's answers: a success's fields, or errResponse.
    body: (await response.json()) as {
      success: boolean;
      apiToken: string;
      apiSecret: string;
      errResponse: { code?: number; message?: string };
    },
  };
}
const broadcast = (token: string, secret: string, extra: Record<string, unknown> = {}) =>
  call('/api/openapi/broadcast', token, {
    secret,
    intentId: 'rb2kYmMdW',
    clientIds: ['U4af4980629ab33c3c2f0c1d9d2a1b2c3'],
    platform: 'line',
    name: 'n',
    ...extra,
  });

test('tokens are JWTs whose exp says when they expire', () => {
  const { apiToken } = sim.credentials();
  const expiresAt = tokenExpiry(apiToken, 0);
  expect(expiresAt).toBeGreaterThan(Date.now() + 29 * 86_400_000);
  expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);
});

test('a broadcast with the current pair succeeds with the documented reply', async () => {
  const { apiToken, apiSecret } = sim.credentials();
  expect(await broadcast(apiToken, apiSecret)).toEqual({
    status: 200,
    body: { success: true, message: 'Send customer broadcast successfully' },
  });
});

test('the body is validated as the docs describe', async () => {
  const { apiToken, apiSecret } = sim.credentials();
  expect((await broadcast(apiToken, apiSecret, { message: 'hi' })).status).toBe(400); // both intentId and message
  expect((await broadcast(apiToken, apiSecret, { platform: 'facebook', clientIds: ['123'] })).status).toBe(400); // no fbTag
  expect((await broadcast(apiToken, apiSecret, { platform: 'facebook', clientIds: ['123'], fbTag: 'POST_PURCHASE_UPDATE' })).status).toBe(
    200,
  );
  expect((await broadcast(apiToken, apiSecret, { clientIds: ['not-a-line-id'] })).status).toBe(400);
  expect((await broadcast(apiToken, apiSecret, { name: undefined })).status).toBe(400);
  const otherBot = await call('/api/openapi/broadcast', apiToken, { secret: apiSecret }, 'otherBot');
  expect(otherBot).toMatchObject({ status: 404, body: { errResponse: { code: 5001 } } });
});

test('a request without a required field is answered 110000', async () => {
  const { apiToken, apiSecret } = sim.credentials();
  const missing = await broadcast(apiToken, apiSecret, { name: undefined, platform: undefined });
  expect(missing).toMatchObject({ status: 400, body: { success: false, errResponse: { code: 110000 } } });
  expect(missing.body.errResponse.message).toContain('platform, name');
  expect((await call('/api/openapi/broadcast', apiToken, {})).body.errResponse.code).toBe(110000); // no secret
});

test('a refresh rotates the pair and kills the old one; an expired token can still refresh', async () => {
  const old = sim.credentials();
  sim.expireToken();
  const expired = await broadcast(old.apiToken, old.apiSecret);
  expect(expired).toEqual({
    status: 401,
    body: { success: false, errResponse: { message: 'Token is invalid or expired', code: 1004, botId: 'bot9' } },
  });

  const refreshed = await call('/api/openapi/token', old.apiToken, { secret: old.apiSecret });
  expect(refreshed.status).toBe(200);
  expect(refreshed.body).toMatchObject({ success: true, apiToken: expect.any(String), apiSecret: expect.any(String) });
  expect(refreshed.body.apiToken).not.toBe(old.apiToken);

  expect((await broadcast(refreshed.body.apiToken, refreshed.body.apiSecret)).status).toBe(200);
  // The replaced pair is an old one: 120000, for a broadcast or a refresh alike.
  expect(await broadcast(old.apiToken, old.apiSecret)).toMatchObject({ status: 401, body: { errResponse: { code: 120000 } } });
  expect((await call('/api/openapi/token', old.apiToken, { secret: old.apiSecret })).body.errResponse.code).toBe(120000);
  // The new token with the old secret: permission denied.
  expect(await broadcast(refreshed.body.apiToken, old.apiSecret)).toMatchObject({ status: 403, body: { errResponse: { code: 1002 } } });
  // A token MantaGO never issued is invalid.
  expect((await broadcast('not.a.token', refreshed.body.apiSecret)).body.errResponse.code).toBe(1004);
});

test('switches: outage with Retry-After, refused recipients', async () => {
  const { apiToken, apiSecret } = sim.credentials();
  sim.set({ fail: { status: 429, count: 1, retryAfterSeconds: 7 } });
  const limited = await fetch(`${sim.url}/api/openapi/broadcast?botId=bot9`, { method: 'POST', body: '{}' });
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toBe('7');
  await limited.body?.cancel();
  sim.set({ refusedClientIds: ['U4af4980629ab33c3c2f0c1d9d2a1b2c3'] });
  const refused = { status: 403, body: { success: false, errResponse: { message: 'Create broadcast failed', code: 36000 } } };
  expect(await broadcast(apiToken, apiSecret)).toMatchObject(refused);
  expect((await broadcast(apiToken, apiSecret, { clientIds: ['U0000000000000000000000000000abcd'] })).status).toBe(200);
  sim.set({ refusedClientIds: [] });
  expect((await broadcast(apiToken, apiSecret)).status).toBe(200);
});

test('switches: a bot not published refuses every broadcast with 36000; a plan without the API refuses every call with 1002', async () => {
  const { apiToken, apiSecret } = sim.credentials();
  sim.set({ notPublished: true });
  expect(await broadcast(apiToken, apiSecret)).toMatchObject({ status: 403, body: { errResponse: { code: 36000 } } });
  const list = await fetch(`${sim.url}/api/openapi/clients?botId=bot9&limit=1`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ secret: apiSecret }),
  });
  expect(list.status).toBe(200); // the bot exists and may use the API: only its broadcasts fail
  await list.body?.cancel();
  sim.set({ notPublished: false, permissionDenied: true });
  expect(await broadcast(apiToken, apiSecret)).toMatchObject({ status: 403, body: { errResponse: { code: 1002 } } });
  expect((await call('/api/openapi/token', apiToken, { secret: apiSecret })).body.errResponse.code).toBe(1002);
  sim.set({ permissionDenied: false });
  expect((await broadcast(apiToken, apiSecret)).status).toBe(200);
});

test('members on all five platforms, with tags as the docs show them', async () => {
  const { apiToken, apiSecret } = sim.credentials();
  const platforms = ['line', 'facebook', 'instagram', 'liveChat', 'whatsapp'] as const;
  const tag = { name: 'vip', createdAt: '2026-01-02T03:04:05.000Z' };
  for (const [i, platform] of platforms.entries())
    sim.addClient({ clientId: `member-${i}`, platform, customerId: 'c-five', tags: [tag], autoTags: [] });
  const answer = await fetch(`${sim.url}/api/openapi/clients?botId=bot9&customerId=c-five&limit=10`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ secret: apiSecret }),
  });
  const body = (await answer.json()) as { clientList: { list: { platform: string; tags: unknown[] }[] } };
  expect(body.clientList.list.map((c) => c.platform)).toEqual([...platforms]);
  expect(body.clientList.list[0]?.tags).toEqual([tag]);
});
