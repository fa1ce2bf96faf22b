// The recipient directory over the admin API: a binding, JSON-lines and CSV imports, and a large
// import in chunks that webhooks are not held up by.
import { describe, expect, test } from 'vitest';
import { adminSetup as setup, anonymousOrder } from './helpers/admin.ts';
import { EXAMPLE_MAPPING } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { LINE_USER, LINE_USER_2, MESSENGER_USER, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const lineUser = (i: number) => `U${(0xdef000 + i).toString(16).padStart(32, '0')}`;

describe('recipient directory', () => {
  const DIRECTORY_MAPPING = EXAMPLE_MAPPING.replace('rules:', '  - directory: true\nrules:');

  test('a long key (a 120-character e-mail address) is bound and read as any other, within the documented 400', async () => {
    const { admin } = await setup();
    const key = `email:${'a'.repeat(120)}@example.com`;
    expect(await admin('PUT', `/recipients/${encodeURIComponent(key)}`, { platform: 'line', userId: LINE_USER })).toMatchObject({
      status: 200,
      body: { key, userId: LINE_USER },
    });
    expect(await admin('GET', `/recipients/${encodeURIComponent(key)}`)).toMatchObject({ status: 200, body: { key } });
    // A key no binding can have is said to be wrong, not "not bound".
    const odd = await admin('GET', '/recipients/nonsense');
    expect(odd).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    expect(odd.body.message).toBe('key must be customer:<id>, email:<address> or phone:<digits>');
  });

  test('a binding makes a previously skipped customer receive the next order', async () => {
    const { app, sim, admin, recorded } = await setup({ mapping: DIRECTORY_MAPPING });
    const before = await app.inject(shopifyRequest(anonymousOrder('Ann@Example.com', 8801)));
    expect(before.json()).toMatchObject({ status: 'accepted', delivery: 'skipped', reason: expect.stringContaining('no directory entry') });

    const bound = await admin('PUT', '/recipients/email:ann@example.com', { platform: 'line', userId: LINE_USER_2 });
    expect(bound).toMatchObject({ status: 200, body: { key: 'email:ann@example.com', platform: 'line', userId: LINE_USER_2 } });
    expect(await admin('GET', '/recipients/email:ann@example.com')).toMatchObject({ status: 200, body: { userId: LINE_USER_2 } });

    const next = await app.inject(shopifyRequest(anonymousOrder('Ann@Example.com', 8801)));
    expect(next.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
    await waitFor(() => sim.deliveredClientIds().includes(LINE_USER_2), { what: "the bound customer's message" });
    const delivery = await recorded(next.json().deliveryId);
    expect(delivery.body).toMatchObject({ status: 'sent', recipientVia: 'directory email:ann@example.com' });

    expect((await admin('DELETE', '/recipients/email:ann@example.com')).status).toBe(204);
    expect((await admin('GET', '/recipients/email:ann@example.com')).status).toBe(404);
    expect((await admin('DELETE', '/recipients/email:ann@example.com')).status).toBe(404);
    const badKey = await admin('PUT', '/recipients/mail:ann', { platform: 'line', userId: LINE_USER });
    expect(badKey).toMatchObject({ status: 400, body: { message: expect.stringContaining('customer:') } });
    const badUser = await admin('PUT', '/recipients/customer:1', { platform: 'line', userId: '12345' });
    expect(badUser).toMatchObject({ status: 400, body: { message: expect.stringContaining('LINE user id') } });
  });

  test('a JSON-lines import applies every valid line and reports each bad one by number; no line is half-applied', async () => {
    const { admin } = await setup();
    const lines = [
      JSON.stringify({ key: 'customer:1', platform: 'line', userId: LINE_USER }),
      '{"key": "customer:2", "platform": "line"',
      JSON.stringify({ key: 'email:ken@example.com', platform: 'facebook', userId: MESSENGER_USER }),
      '',
      JSON.stringify({ key: 'phone:886912345678', platform: 'line', userId: 'not-a-line-id' }),
      JSON.stringify({ key: 'EMAIL:X@Y', platform: 'line', userId: LINE_USER }),
      JSON.stringify({ key: 'customer:3', platform: 'kakao', userId: LINE_USER }),
      // A misspelt opt-out would bind the customer and drop what it says; a key with a space would never match.
      JSON.stringify({ key: 'email:ann@example.com', platform: 'line', userId: LINE_USER, optout: true }),
      JSON.stringify({ key: 'email:ann@example.com ', platform: 'line', userId: LINE_USER }),
      JSON.stringify({ key: 'customer: 4', platform: 'line', userId: LINE_USER }),
    ].join('\n');
    const imported = await admin('POST', '/recipients/import', lines, { 'content-type': 'application/x-ndjson' });
    expect(imported.status).toBe(200);
    expect(imported.body.imported).toBe(2);
    expect(imported.body.errors).toEqual([
      { line: 2, error: 'not valid JSON' },
      { line: 5, error: expect.stringContaining('LINE user id') },
      { line: 6, error: expect.stringContaining('key must') },
      { line: 7, error: expect.stringContaining('platform must be') },
      { line: 8, error: 'unknown field "optout" (a line takes key, platform, userId, optOut)' },
      { line: 9, error: 'email keys are lower-case addresses without spaces, e.g. email:vip@example.com' },
      { line: 10, error: 'customer keys hold the id without spaces around it' },
    ]);
    expect((await admin('GET', '/recipients/customer:1')).body.userId).toBe(LINE_USER);
    expect((await admin('GET', '/recipients/email:ken@example.com')).body.platform).toBe('facebook');
    for (const key of ['customer:2', 'phone:886912345678', 'customer:3', 'email:ann@example.com'])
      expect((await admin('GET', `/recipients/${key}`)).status).toBe(404);
  });

  test('a CSV import (header optional) does the same; an unknown content type is 415', async () => {
    const { admin } = await setup();
    const csv = `key,platform,userId\ncustomer:7,line,${LINE_USER}\ncustomer:8,line\nphone:886900000001,facebook,${MESSENGER_USER}\n`;
    const imported = await admin('POST', '/recipients/import', csv, { 'content-type': 'text/csv' });
    expect(imported).toMatchObject({
      status: 200,
      body: { imported: 2, errors: [{ line: 3, error: expect.stringContaining('3 comma-separated fields') }] },
    });
    expect((await admin('GET', '/recipients/phone:886900000001')).body.userId).toBe(MESSENGER_USER);
    // Whatever the type, the answer names the ones an import takes, not a JSON route's.
    for (const type of ['text/plain', 'application/xml']) {
      const refused = await admin('POST', '/recipients/import', 'a,b,c', { 'content-type': type });
      expect(refused.status).toBe(415);
      expect(refused.body.message).toBe(
        'Content-Type must be one of application/x-ndjson, application/jsonl, application/json-lines, text/csv',
      );
    }
    // A JSON route is not handed a string to misread: text/plain, or an import's CSV, is refused as not JSON.
    const csvBinding = await admin('PUT', '/recipients/customer:7', 'customer:7,line', { 'content-type': 'text/csv' });
    expect(csvBinding).toMatchObject({ status: 415, body: { message: 'Content-Type must be application/json' } });
    const plain = await admin('PUT', '/recipients/customer:7', '{"optOut":true}', { 'content-type': 'text/plain' });
    expect(plain).toMatchObject({
      status: 415,
      body: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json' },
    });
    expect((await admin('POST', '/recipients/import', '\n', { 'content-type': 'text/csv' })).status).toBe(400);
    // Past the import's own limit: the answer names it, not the webhooks' BODY_LIMIT_BYTES alone.
    const huge = await admin('POST', '/recipients/import', 'x'.repeat(10 * 1024 * 1024 + 1), { 'content-type': 'text/csv' });
    expect(huge.status).toBe(413);
    expect(huge.body.message).toContain('a recipient import, 10 MiB');
  });
});

test('a large recipient import runs in chunks: a webhook that arrives during it is stored before the import ends', async () => {
  const { app, admin } = await setup();
  const lines = Array.from({ length: 30_000 }, (_, i) =>
    JSON.stringify({ key: `customer:${i}`, platform: 'line', userId: lineUser(i % 1000) }),
  ).join('\n');
  const finished: string[] = [];
  const importing = admin('POST', '/recipients/import', lines, { 'content-type': 'application/x-ndjson' }).then((answer) => {
    finished.push('import');
    return answer;
  });
  // The webhook goes in while the import's chunks are being written.
  await waitFor(async () => (await admin('GET', '/recipients/customer:0')).status === 200, { what: 'the first chunk' });
  const webhook = await app.inject(shopifyRequest(shopifyOrder()));
  finished.push('webhook');
  expect(webhook.statusCode).toBe(202);
  const imported = await importing;
  expect(imported).toMatchObject({ status: 200, body: { imported: 30_000, errors: [] } });
  expect(finished).toEqual(['webhook', 'import']);
  expect((await admin('GET', '/recipients/customer:29999')).status).toBe(200);
});
