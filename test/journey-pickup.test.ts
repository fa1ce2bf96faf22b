// A parcel waiting at a pickup point, over HTTP on both engines: its ready_for_pickup that comes after
// the parcel was picked up (delivered) is not sent, as no stage on the parcel's way is once it is.
import { describe, expect, test } from 'vitest';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { fulfillmentEvent, messages, PICKUP, user } from './helpers/stages.ts';
import { startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyFulfillment, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

describe.each(SERVICE_ENGINES)('$engine', ({ engine, available }) => {
  test.skipIf(!available)(
    'a ready_for_pickup that comes after its parcel was picked up (delivered) is not sent, and says why',
    async () => {
      const { app, sim } = await startServiceWithSimulator({ mapping: PICKUP, env: await engineEnv(engine) });
      const to = user(60);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      await app.inject(shopifyRequest(order));
      const fulfillment = shopifyFulfillment(order.id);
      await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }));
      // No rule tells of the pickup itself: kept all the same, so the stage before it knows it came.
      expect((await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'delivered'))).json()).toMatchObject({
        status: 'accepted',
        delivery: 'skipped',
      });
      const late = await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'ready_for_pickup'));
      expect(late.json()).toMatchObject({
        status: 'accepted',
        delivery: 'skipped',
        reason: 'the parcel was delivered already: its ready_for_pickup, come after that, is not sent',
      });
      await waitFor(() => messages(sim, to).length === 1, { what: 'the confirmation' });
      expect(messages(sim, to)).toEqual(['rb2kYmMdW']);
    },
  );
});
