// A pause for broadcasts refused alike (36000) does not stop the search for recipients: MantaGO still
// answers lookups, so orders whose customer only MantaGO knows become deliveries the probe can try.
// Before, a pause named by two recipients who both refused the bot, in a shop that finds every
// customer through MantaGO, was probed with those two alone until they died by age, and the orders
// that came meanwhile waited with it. Over HTTP with the simulator as MantaGO, on both engines.
import { readFile } from 'node:fs/promises';
import type { InjectOptions } from 'fastify';
import { describe, expect, test } from 'vitest';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { ADMIN_TOKEN, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const MAPPING = await readFile(new URL('./fixtures/issue-13-mapping.yaml', import.meta.url), 'utf8');
const user = (i: number) => `U${(0xb0c000 + i).toString(16).padStart(32, '0')}`;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const ENV = {
  BATCH_MAX_RECIPIENTS: '20',
  MANTAGO_MAX_CONCURRENCY: '1',
  MANTAGO_MAX_RPS: '1000',
  BOT_PROBE_BASE_MS: '100',
  BOT_PROBE_MAX_MS: '300',
};

type App = Awaited<ReturnType<typeof startServiceWithSimulator>>['app'];
const get = async (app: App, url: string) => (await app.inject({ method: 'GET', url, headers: auth } as InjectOptions)).json();

describe.each(SERVICE_ENGINES)('$engine store', ({ engine, available }) => {
  test.skipIf(!available)(
    'paused by two recipients who refuse the bot (36000), an order whose customer only MantaGO knows is looked up, sent, and ends the pause',
    async () => {
      const { app, sim } = await startServiceWithSimulator({ mapping: MAPPING, env: { ...ENV, ...(await engineEnv(engine)) } });
      // Two customers who refused the bot, sent together: a first order holds the only call slot while they arrive.
      sim.set({ refusedClientIds: [user(1), user(2)], hold: true });
      const withChatId = (i: number) =>
        shopifyOrder({ customer: { id: 9100 + i }, note_attributes: [{ name: 'line_uid', value: user(i) }] });
      await app.inject(shopifyRequest(withChatId(9)));
      await waitFor(() => sim.heldCalls === 1, { what: 'the first call to be held' });
      for (const i of [1, 2]) expect((await app.inject(shopifyRequest(withChatId(i)))).statusCode).toBe(202);
      sim.set({ hold: false });
      await waitFor(async () => (await get(app, '/readyz')).checks.delivery === 'bot_refused', { what: 'the pause' });

      // A customer bound in MantaGO, with no chat id on the order: found by a lookup while paused.
      sim.addClient({ clientId: user(3), platform: 'line', customerId: '9103' });
      const order = shopifyOrder({ customer: { id: 9103 }, note_attributes: [] });
      const { deliveryId } = (await app.inject(shopifyRequest(order))).json();
      await waitFor(() => sim.timesDelivered(user(3)) === 1, { what: 'the looked-up customer sent to, ending the pause' });
      await waitFor(async () => (await get(app, '/readyz')).checks.delivery === 'ok', { what: 'the bot usable again' });
      expect(await get(app, `/admin/deliveries/${deliveryId}`)).toMatchObject({ status: 'sent', recipientVia: 'mantago customer 9103' });
      // The two who paused it, refused together again once a broadcast went out: their own refusals.
      const dead = await waitFor(
        async () => {
          const list = (await get(app, '/admin/deliveries?status=dead')).deliveries;
          return list.length === 2 ? list : undefined;
        },
        { what: 'the two refusals ended' },
      );
      expect(dead.map((d: { clientId: string }) => d.clientId).sort()).toEqual([user(1), user(2)]);
      expect(sim.timesDelivered(user(3))).toBe(1);
    },
  );
});
