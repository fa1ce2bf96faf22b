// Nothing secret reaches the log, at the most verbose level, through the paths most likely to leak:
// signature failures, credential expiry and rotation, a refused refresh.
import { connect, type AddressInfo } from 'node:net';
import { expect, test } from 'vitest';
import { startSimulator } from '../simulator/simulator.ts';
import { ADMIN_TOKEN, startService } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import {
  normalizedOrder,
  SHOPIFY_SECRET,
  shopifyOrder,
  shopifyRequest,
  STANDARD_SECRET,
  standardRequest,
  WOO_SECRET,
  wooOrder,
  wooRequest,
} from './helpers/webhooks.ts';

test('no log line contains a token, a secret or a signature', async () => {
  const sim = await startSimulator();
  const secrets = new Set<string>([SHOPIFY_SECRET, WOO_SECRET, STANDARD_SECRET, STANDARD_SECRET.slice('whsec_'.length), ADMIN_TOKEN]);
  const remember = () => {
    const { apiToken, apiSecret } = sim.credentials();
    secrets.add(apiToken).add(apiSecret);
  };
  remember();
  const { app, logs } = await startService(sim, { env: { LOG_LEVEL: 'trace' } });

  const requests = [
    shopifyRequest(shopifyOrder()),
    shopifyRequest(shopifyOrder(), { secret: 'wrong' }),
    wooRequest(wooOrder()),
    wooRequest(wooOrder(), { secret: 'wrong' }),
    standardRequest(normalizedOrder()),
    standardRequest(normalizedOrder(), { secret: `whsec_${Buffer.from('a-wrong-standard-webhooks-secret').toString('base64')}` }),
  ];
  for (const request of requests) {
    const headers = request.headers as Record<string, string>;
    for (const name of ['x-shopify-hmac-sha256', 'x-wc-webhook-signature', 'webhook-signature'])
      if (headers[name]) secrets.add(headers[name]);
    await app.inject({ ...request, headers: { ...headers, authorization: `Bearer ${ADMIN_TOKEN}` } });
  }
  await waitFor(() => sim.broadcasts.length === 3, { what: 'the three valid orders' });

  // Expiry and rotation: both the dead and the new pair must stay out of the log.
  sim.expireToken();
  await app.inject(shopifyRequest(shopifyOrder()));
  await waitFor(() => sim.broadcasts.length === 4, { what: 'delivery after the refresh' });
  remember();

  // A refused refresh logs its reason, not the pair it tried.
  sim.set({ rejectRefresh: true });
  sim.expireToken();
  await app.inject(shopifyRequest(shopifyOrder()));
  await waitFor(async () => (await app.inject({ method: 'GET', url: '/readyz' })).json().checks.credentials === 'rejected', {
    what: 'credentials rejected',
  });
  await app.close();
  await sim.close();

  // The log did record what happened, so the check below has something to look at.
  const joined = logs.join('');
  for (const expected of ['request refused', 'MantaGO credentials renewed', 'MantaGO credentials rejected', 'broadcast sent'])
    expect(joined).toContain(expected);
  for (const line of logs) {
    for (const secret of secrets) expect(line, `a log line leaks ${secret.slice(0, 6)}…`).not.toContain(secret);
  }
});

/** Writes `raw` to the service's port as it is and reads the answer until the service closes the connection. */
function rawRequest(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('a request HTTP cannot read is answered from the catalogue, saying what is wrong, and its bytes (a token among them) stay out of the log', async () => {
  const sim = await startSimulator();
  const { app, logs } = await startService(sim, { env: { LOG_LEVEL: 'trace' } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const bad = await rawRequest(
    port,
    `GET /admin/overview HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nX-Odd: a\u0001b\r\n\r\n`,
  );
  expect(bad).toMatch(/^HTTP\/1\.1 400 /);
  expect(JSON.parse(bad.slice(bad.indexOf('\r\n\r\n') + 4))).toEqual({
    statusCode: 400,
    code: 'BAD_REQUEST',
    error: 'Bad Request',
    message: expect.stringMatching(/^the request is not valid HTTP: a header/),
  });
  const long = await rawRequest(port, `GET /admin/overview?order=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  expect(long).toMatch(/^HTTP\/1\.1 431 /);
  expect(JSON.parse(long.slice(long.indexOf('\r\n\r\n') + 4))).toMatchObject({ statusCode: 431, code: 'HEADERS_TOO_LARGE' });
  await waitFor(() => logs.some((line) => line.includes('a request HTTP cannot read')), { what: 'the refusal logged' });
  await app.close();
  await sim.close();
  // The token in any form: as text, or as the numbers of its bytes (a Buffer serialized).
  const bytes = [...Buffer.from(ADMIN_TOKEN)].join(',');
  for (const line of logs) {
    expect(line).not.toContain(ADMIN_TOKEN);
    expect(line.replaceAll(' ', '')).not.toContain(bytes);
  }
});
