// Nothing secret reaches the log, at the most verbose level, through the paths most likely to leak:
// signature failures, credential expiry and rotation, a refused refresh.
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
