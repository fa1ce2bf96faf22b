// Tags of an order first seen at a later status (WooCommerce's completed), over HTTP with the
// simulator as MantaGO, on both engines: its placed rule's tags go even when its placed message does not.
import { describe, expect, test } from 'vitest';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { startServiceWithSimulator } from './helpers/service.ts';
import { added, post, RECIPIENTS, user } from './helpers/tagging.ts';
import { waitFor } from './helpers/wait.ts';
import { wooOrder, wooRequest } from './helpers/webhooks.ts';

describe.each(SERVICE_ENGINES)('first-sight tags on $engine', ({ engine, available }) => {
  const setup = async (mapping: string) => startServiceWithSimulator({ mapping, env: await engineEnv(engine) });

  test.skipIf(!available)(
    'a WooCommerce order first seen completed with only tags to its placed rule, its shipment waiting for tracking: the buyer is tagged',
    async () => {
      const mapping = `${RECIPIENTS}rules:
  - name: buyer
    when: { event: placed }
    tag: { add: [{ name: buyer }] }
  - name: shipped
    when: { event: shipped }
    send: { message: "Shipped: {{shipment.trackingNumber}}" }
`;
      const { app, sim } = await setup(mapping);
      const order = wooOrder({ status: 'completed', meta_data: [{ id: 1, key: 'line_uid', value: user(72) }] });
      const first = await post(app, wooRequest(order));
      expect(first.status).toBe(202);
      const tracking = { id: 2, key: '_wc_shipment_tracking_items', value: [{ tracking_number: 'TW72', tracking_provider: 'DHL' }] };
      expect((await post(app, wooRequest({ ...order, meta_data: [...order.meta_data, tracking] }))).status).toBe(200);
      await waitFor(() => sim.timesDelivered(user(72)) === 1, { what: 'the shipped message' });
      await waitFor(() => added(sim, 'buyer', user(72)) === 1, { what: "the placed rule's tag" });
      expect(sim.tags.tagsOf('line', user(72))).toEqual(['buyer']);
    },
  );
});
