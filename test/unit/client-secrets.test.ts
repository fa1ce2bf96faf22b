// The MantaGO client against a far end that echoes the request in its error message (a proxy, a
// debugging endpoint): the token and the secret never come back in the result's message, which is
// stored with the attempt, shown by the admin API and logged.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MantagoClient } from '../../src/mantago/client.ts';

let server: ReturnType<typeof createServer>;
let client: MantagoClient;
beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const message = `could not read ${request.headers.authorization} with ${body}`;
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ success: false, errResponse: { message } }));
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
