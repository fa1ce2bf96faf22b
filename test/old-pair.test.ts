// MantaGO's 120000, "this pair is an old one: it was refreshed elsewhere": a newer pair another
// replica stored is adopted and nothing is lost; with none, the credentials are rejected with the
// reason and the recovery, deliveries wait uncounted, and go out once after PUT /admin/credentials.
import { describe, expect, onTestFinished, test } from 'vitest';
import type { MantagoSimulator } from '../simulator/simulator.ts';
import { OLD_PAIR_REASON } from '../src/mantago/refresh-policy.ts';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { ADMIN_TOKEN, startService, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const user = (i: number) => `U${(0x01d9a1 + i).toString(16).padStart(32, '0')}`;
const orderFor = (i: number) => shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(i) }] });
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
type App = Awaited<ReturnType<typeof startService>>['app'];
const get = async (app: App, url: string) => (await app.inject({ method: 'GET', url, headers: auth })).json();
const post = async (app: App, i: number): Promise<number> => (await app.inject(shopifyRequest(orderFor(i)))).json().deliveryId;

/** Someone else holding the same pair (a script, another deployment) refreshes it: MantaGO rotates it there. */
async function refreshElsewhere(sim: MantagoSimulator): Promise<void> {
  const { apiToken, apiSecret } = sim.credentials();
  const answer = await fetch(`${sim.url}/api/openapi/token?botId=${sim.botId}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ secret: apiSecret }),
  });
  expect(answer.status).toBe(200);
  await answer.body?.cancel();
}

describe.each(SERVICE_ENGINES)('$engine store', ({ engine, available }) => {
  test.skipIf(!available)(
    'an old pair with no newer one stored: rejected with the reason and the recovery, deliveries wait uncounted, sent once after PUT /admin/credentials',
    async () => {
      const { app, sim } = await startServiceWithSimulator({ env: await engineEnv(engine) });
      await refreshElsewhere(sim);
      const ids = [await post(app, 1), await post(app, 2), await post(app, 3)];

      const ready = await waitFor(
        async () => ((await get(app, '/readyz')).checks.credentials === 'rejected' ? get(app, '/readyz') : undefined),
        {
          what: 'the credentials to be rejected',
        },
      );
      expect(ready).toMatchObject({ status: 'ready', checks: { credentials: 'rejected', delivery: 'credentials_rejected', bot: 'ok' } });
      expect(await get(app, '/admin/credentials')).toMatchObject({ state: 'rejected', lastError: OLD_PAIR_REASON });
      expect(OLD_PAIR_REASON).toContain('PUT /admin/credentials');
      expect(await get(app, '/admin/mantago')).toMatchObject({ usable: 'credentials_rejected', state: 'usable' });
      expect(sim.refreshCalls()).toHaveLength(1); // the one made elsewhere: an old pair is never used to refresh
      for (const id of ids) expect(await get(app, `/admin/deliveries/${id}`)).toMatchObject({ status: 'pending', attempts: 0 });
      expect(sim.deliveredClientIds()).toEqual([]);

      const installed = await app.inject({ method: 'PUT', url: '/admin/credentials', headers: auth, payload: sim.credentials() });
      expect(installed.json()).toMatchObject({ state: 'ok', origin: 'admin', lastError: null });
      await waitFor(() => [1, 2, 3].every((i) => sim.timesDelivered(user(i)) === 1), { what: 'the waiting orders' });
      for (const id of ids)
        await waitFor(async () => (await get(app, `/admin/deliveries/${id}`)).status === 'sent', { what: `delivery ${id}` });
      expect([1, 2, 3].map((i) => sim.timesDelivered(user(i)))).toEqual([1, 1, 1]);
    },
  );
});

describe.skipIf(!SERVICE_ENGINES[1]?.available)('two services on one PostgreSQL', () => {
  test('a replica told 120000 adopts the newer pair another replica stored: nothing lost, no refresh of its own', async () => {
    const database = await engineEnv('postgres');
    // A takes webhooks and the operator's calls only (NOTIFIER_ROLE=web), so B is the one that sends.
    const { app: a, sim } = await startServiceWithSimulator({ env: { ...database, NOTIFIER_ROLE: 'web' } });
    const b = await startService(sim, { env: database });
    onTestFinished(() => b.app.close());
    // Replica A rotates the pair and stores it; B still holds the old one.
    expect((await a.inject({ method: 'POST', url: '/admin/credentials/refresh', headers: auth })).json()).toMatchObject({
      outcome: 'renewed',
      credentials: { generation: 2 },
    });
    const ids = [await post(b.app, 11), await post(b.app, 12)];
    await waitFor(() => [11, 12].every((i) => sim.timesDelivered(user(i)) === 1), { what: "B's orders" });
    for (const id of ids) {
      const sent = await waitFor(async () => {
        const d = await get(b.app, `/admin/deliveries/${id}`);
        return d.status === 'sent' ? d : undefined;
      });
      expect(sent.attempts).toBe(1); // the 120000 was not an attempt
    }
    expect(sim.broadcastCalls().some((c) => c.code === 120000)).toBe(true);
    expect(sim.refreshCalls()).toHaveLength(1); // A's: B re-read the stored pair instead
    expect(await get(b.app, '/admin/credentials')).toMatchObject({ state: 'ok', generation: 2 });
    expect([11, 12].map((i) => sim.timesDelivered(user(i)))).toEqual([1, 1]);
  });
});
