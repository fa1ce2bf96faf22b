// A fulfillment's update whose tracking was stored but whose held message could not be told it
// (the store failing in between): the shop's retry, a duplicate by then, still tells it. PostgreSQL,
// whose faults can be switched while the service runs.
import { describe, expect, test } from 'vitest';
import { postgresServer } from './helpers/postgres.ts';
import { shiftedClock, startServiceWithSimulator, tempDir } from './helpers/service.ts';
import { messages, RECIPIENTS, user } from './helpers/stages.ts';
import { faultyStore } from './helpers/store-faults.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyFulfillment, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const server = await postgresServer();

describe.skipIf(server === undefined)('postgres', () => {
  test("a held shipment's message told its tracking on the update's retry, when the first try failed after storing it", async () => {
    const store = await faultyStore('postgres', tempDir(), server);
    try {
      const clock = shiftedClock();
      const mapping = `${RECIPIENTS}rules:
  - name: shipped
    when: { event: shipped }
    delay: 30m
    send: { message: "On its way: {{shipment.trackingNumber | \\"number soon\\"}}" }
`;
      const { app, sim } = await startServiceWithSimulator({ mapping, clock, env: { DATABASE_URL: store.url } });
      const to = user(70);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      await app.inject(shopifyRequest(order));
      const bare = { tracking_company: null, tracking_number: null, tracking_numbers: [], tracking_url: null, tracking_urls: [] };
      const fulfillment = shopifyFulfillment(order.id, bare);
      expect((await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }))).json()).toMatchObject({
        delivery: 'pending',
      });
      const tracked = shopifyRequest(
        { ...fulfillment, tracking_company: 'Taiwan Post', tracking_number: 'TW70' },
        { topic: 'fulfillments/update' },
      );
      await store.set([{ kind: 'refresh' }]);
      expect((await app.inject(tracked)).statusCode).toBeGreaterThanOrEqual(500); // the shop will try again
      await store.set([]);
      expect((await app.inject(tracked)).json()).toMatchObject({ status: 'duplicate' });
      clock.offset += 31 * 60_000;
      await waitFor(() => messages(sim, to).length === 1, { what: 'the shipment, after its delay' });
      expect(messages(sim, to)).toEqual(['On its way: TW70']);
    } finally {
      await store.close();
    }
  });
});
