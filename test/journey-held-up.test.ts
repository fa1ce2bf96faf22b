// A stage on the parcel's way held up without a hold of its own (MantaGO refusing the bot: handed
// back at each claim, no attempt made) while its parcel is delivered: withdrawn when the bot is back,
// not sent beside the delivery; within a minute of its time the two are a race, and it goes. Over
// HTTP on both engines, the clock the test's.
import { describe, expect, test } from 'vitest';
import { settledDelivery } from './helpers/admin.ts';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { shiftedClock, startServiceWithSimulator } from './helpers/service.ts';
import { fulfillmentEvent, messages, STAGES, user } from './helpers/stages.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyFulfillment, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

describe.each(SERVICE_ENGINES)('$engine', ({ engine, available }) => {
  /** A stage that comes while the bot is refused, its parcel delivered `afterMs` later; then the bot is put right. */
  async function heldUp(afterMs: number, i: number) {
    const clock = shiftedClock();
    const env = { ...(await engineEnv(engine)), BOT_PROBE_BASE_MS: '100', BOT_PROBE_MAX_MS: '300' };
    const { app, sim } = await startServiceWithSimulator({ mapping: STAGES, clock, env });
    const readiness = async () => (await app.inject({ url: '/readyz' })).json();
    await waitFor(() => sim.checkCalls().length > 0, { what: "the start's bot check" });
    const to = user(80 + 2 * i);
    const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
    await app.inject(shopifyRequest(order));
    await waitFor(() => messages(sim, to).length === 1, { what: 'the confirmation' });
    const fulfillment = shopifyFulfillment(order.id, { tracking_number: 'TW80' });
    await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }));

    // The bot refused (another order's message found it so): the stage that comes now is only handed back.
    sim.set({ permissionDenied: true });
    await app.inject(shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(81 + 2 * i) }] })));
    await waitFor(async () => (await readiness()).checks.delivery === 'bot_refused', { what: 'the bot refused' });
    const onItsWay = (await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'out_for_delivery'))).json();
    expect(onItsWay).toMatchObject({ status: 'accepted', delivery: 'pending' });

    clock.offset += afterMs;
    const delivered = (await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'delivered', { city: 'Taipei' }))).json();
    sim.set({ permissionDenied: false });
    await settledDelivery(app, delivered.deliveryId);
    return { sim, to, order, stage: await settledDelivery(app, onItsWay.deliveryId) };
  }

  test.skipIf(!available)(
    'a stage held up by a refused bot while its parcel is delivered (three hours on) is withdrawn when the bot is back; the delivery goes',
    async () => {
      const { sim, to, order, stage } = await heldUp(3 * 3_600_000, 0);
      expect(stage).toMatchObject({ status: 'skipped', lastError: 'order delivered before the message went out' });
      expect(messages(sim, to)).toEqual(['rb2kYmMdW', `Order ${order.name} delivered in Taipei.`]);
    },
  );

  test.skipIf(!available)('its parcel delivered within the minute it fell due (a race, not a hold-up): the stage goes too', async () => {
    const { sim, to, stage } = await heldUp(20_000, 1);
    expect(stage).toMatchObject({ status: 'sent' });
    expect(messages(sim, to)).toHaveLength(3);
  });
});
