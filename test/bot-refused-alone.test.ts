// A 36000 for one recipient alone ("the broadcast failed") is either theirs or the bot's (not
// published): it is never taken for theirs until the bot has been shown to broadcast to others since.
// Most shops send everyone the same module and get their orders one at a time: an unpublished bot
// must pause them all, not end each. Over HTTP with the simulator as MantaGO, on both store engines.
import type { InjectOptions } from 'fastify';
import { describe, expect, test } from 'vitest';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { ADMIN_TOKEN, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const user = (i: number) => `U${(0xa10e00 + i).toString(16).padStart(32, '0')}`;
const orderFor = (i: number) => shopifyOrder({ id: 880_000 + i, note_attributes: [{ name: 'line_uid', value: user(i) }] });
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

type App = Awaited<ReturnType<typeof startServiceWithSimulator>>['app'];
const get = async (app: App, url: string) => (await app.inject({ method: 'GET', url, headers: auth } as InjectOptions)).json();
const post = async (app: App, i: number): Promise<number> => {
  const reply = await app.inject(shopifyRequest(orderFor(i)));
  expect(reply.statusCode).toBe(202);
  return reply.json().deliveryId;
};
/** The delivery once its first attempt is recorded. */
const afterFirstTry = (app: App, id: number) =>
  waitFor(
    async () => {
      const d = await get(app, `/admin/deliveries/${id}`);
      return d.lastError !== null || d.status !== 'pending' ? d : undefined;
    },
    { what: `delivery ${id} tried` },
  );

describe.each(SERVICE_ENGINES)('$engine store', ({ engine, available }) => {
  test.skipIf(!available)(
    'the bot not published while orders come one at a time, all with the same module: none dead, the second pauses the bot, each sent once when published',
    async () => {
      const { app, sim } = await startServiceWithSimulator({
        env: {
          BOT_PROBE_BASE_MS: '100',
          BOT_PROBE_MAX_MS: '300',
          // The first order's retry waits while the second arrives; were its tries counted, two would end it.
          RETRY_BASE_DELAY_MS: '5000',
          RETRY_MAX_DELAY_MS: '5000',
          RETRY_MAX_ATTEMPTS: '2',
          ...(await engineEnv(engine)),
        },
      });
      await waitFor(() => sim.checkCalls().length > 0, { what: "the start's bot check answered" });
      sim.set({ notPublished: true });

      const first = await post(app, 0);
      // Refused alone, nobody knows yet whose: tried again later, not ended, and not counted (nothing was sent).
      expect(await afterFirstTry(app, first)).toMatchObject({ status: 'pending', attempts: 0, lastError: 'Create broadcast failed' });
      expect((await get(app, '/readyz')).checks).toMatchObject({ bot: 'ok', delivery: 'ok' });

      const second = await post(app, 1);
      await waitFor(async () => (await get(app, '/readyz')).checks.delivery === 'bot_refused', { what: '/readyz to say bot_refused' });
      expect(await get(app, '/admin/mantago')).toMatchObject({ state: 'bot_refused', reason: 'broadcasts_refused', code: 36000 });
      const atPause = sim.broadcastCalls().length;
      await waitFor(() => sim.broadcastCalls().length >= atPause + 2, { what: 'two probes' });
      expect((await get(app, '/admin/deliveries?status=dead')).deliveries).toEqual([]);
      expect(await get(app, `/admin/deliveries/${second}`)).toMatchObject({ status: 'pending' });

      sim.set({ notPublished: false });
      await waitFor(() => sim.timesDelivered(user(0)) >= 1 && sim.timesDelivered(user(1)) >= 1, { what: 'both sent', timeoutMs: 15_000 });
      await waitFor(async () => (await get(app, '/admin/overview')).deliveries.pending === 0, { what: 'every delivery recorded' });
      expect([sim.timesDelivered(user(0)), sim.timesDelivered(user(1))]).toEqual([1, 1]);
      expect((await get(app, '/admin/deliveries?status=dead')).deliveries).toEqual([]);
      expect(await get(app, `/admin/deliveries/${first}`)).toMatchObject({ status: 'sent' });
    },
  );

  test.skipIf(!available)(
    "one recipient's 36000 while the others' orders go out: tried again once a broadcast to another has gone out, then dead with MantaGO's reason; the bot never paused",
    async () => {
      const { app, sim } = await startServiceWithSimulator({
        env: { RETRY_BASE_DELAY_MS: '2000', RETRY_MAX_DELAY_MS: '2000', RETRY_MAX_ATTEMPTS: '10', ...(await engineEnv(engine)) },
      });
      await waitFor(() => sim.checkCalls().length > 0, { what: "the start's bot check answered" });
      sim.set({ refusedClientIds: [user(1)] });

      const refusing = await post(app, 1);
      expect(await afterFirstTry(app, refusing)).toMatchObject({ status: 'pending', attempts: 0 });
      await post(app, 2);
      await waitFor(() => sim.timesDelivered(user(2)) === 1, { what: 'the other order sent' });

      const ended = await waitFor(
        async () => {
          const d = await get(app, `/admin/deliveries/${refusing}`);
          return d.status === 'dead' ? d : undefined;
        },
        { what: 'the refusing recipient’s delivery dead' },
      );
      // Theirs, shown by the broadcast between: ended on its second refusal (the first, maybe the bot's, not counted).
      expect(ended).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/^MantaGO answered HTTP \d+ \(code 36000\)/) });
      expect(sim.broadcastCalls().filter((c) => c.code === 36000)).toHaveLength(2);
      expect(sim.timesDelivered(user(1))).toBe(0);
      expect(await get(app, '/admin/mantago')).toMatchObject({ state: 'usable' });
      expect((await get(app, '/readyz')).checks).toMatchObject({ bot: 'ok', delivery: 'ok' });
    },
  );
});
