// The MantaGO client against a far end answering oddly. One that echoes the request in its error
// message (a proxy, a debugging endpoint): the token and the secret never come back in the result's
// message, which is stored with the attempt, shown by the admin API and logged. A token reply whose
// pair could never be sent in a header is no pair.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MantagoClient } from '../../src/mantago/client.ts';

let server: ReturnType<typeof createServer>;
let client: MantagoClient;
/** What the far end answers, given the request's authorization header and body: echoes them by default. */
let answer = (authorization: string | undefined, body: string): [number, object] => [
  400,
  { success: false, errResponse: { message: `could not read ${authorization} with ${body}` } },
];
beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const [status, reply] = answer(request.headers.authorization, body);
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new MantagoClient({
    baseUrl: `http://127.0.0.1:${port}`,
    botId: 'bot',
    timeoutMs: 5_000,
    refreshTimeoutMs: 5_000,
    maxConcurrency: 2,
    maxRps: 100,
    maxRetryAfterMs: 60_000,
  });
});
afterAll(async () => {
  await client.close();
  await new Promise((resolve) => server.close(resolve));
});

const token = 'tok-ABCDEFGHIJ-0123456789';
const secret = 'sec-KLMNOPQRST-9876543210';

test('a broadcast refused with the request echoed: the message names neither the token nor the secret', async () => {
  const result = await client.broadcast(token, { secret, platform: 'line', clientIds: ['U1'], message: 'hi', name: 'n' } as never);
  expect(result).toMatchObject({ kind: 'refused', status: 400 });
  const message = 'message' in result ? result.message : '';
  expect(message).toContain('could not read Bearer [redacted]');
  expect(message).not.toContain(token);
  expect(message).not.toContain(secret);
});

test('the same for a bind, a member lookup and a token refresh', async () => {
  const results = [
    await client.bindCustomer(token, secret, 'U1', 'c-1'),
    await client.listClients(token, secret, { customerId: 'c-1' }),
    await client.refreshToken(token, secret),
  ];
  for (const result of results) {
    const message = 'message' in result ? result.message : '';
    expect(message).toContain('[redacted]');
    expect(message).not.toContain(token);
    expect(message).not.toContain(secret);
  }
});

test.each([
  ['a line break in the token', 'tok\r\nX-Evil: 1', 'secret-1234'],
  ['a space in the secret', 'tok-1234567890', 'sec ret'],
  ['a non-ASCII token', 'tok-ünïcode', 'secret-1234'],
  ['a number for the secret', 'tok-1234567890', 1234],
])('a token reply with %s is no usable pair (refused, status 200), not a pair to store', async (_what, apiToken, apiSecret) => {
  answer = () => [200, { success: true, apiToken, apiSecret }];
  expect(await client.refreshToken(token, secret)).toMatchObject({
    kind: 'refused',
    status: 200,
    message: 'token reply has no usable apiToken and apiSecret',
  });
});

test('a 429 without Retry-After still holds every call back a while, not only the one it answered', async () => {
  answer = () => [429, { success: false, errResponse: { message: 'Too many requests' } }];
  const before = Date.now();
  const result = await client.broadcast('tok', { clientIds: ['U1'], platform: 'line', intentId: 'm', name: 'n', secret: 's' });
  expect(result).toMatchObject({ kind: 'refused', status: 429 });
  expect(client.pausedUntil()).toBeGreaterThanOrEqual(before + 1_000);
});
