// A held shipment's message and its fulfillment's updates: an update whose tracking was stored but
// whose held message could not be told it (the store failing in between) is told by the shop's retry,
// a duplicate by then (PostgreSQL, whose faults can be switched while the service runs); an older
// update redelivered after a newer one never tells it the older tracking (both engines).
import { describe, expect, test } from 'vitest';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { postgresServer } from './helpers/postgres.ts';
import { shiftedClock, startServiceWithSimulator, tempDir } from './helpers/service.ts';
import { messages, RECIPIENTS, user } from './helpers/stages.ts';
import { faultyStore } from './helpers/store-faults.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyFulfillment, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const server = await postgresServer();
const MAPPING = `${RECIPIENTS}rules:
  - name: shipped
    when: { event: shipped }
    delay: 30m
    send: { message: "On its way: {{shipment.trackingNumber | \\"number soon\\"}}" }
`;
const BARE = { tracking_company: null, tracking_number: null, tracking_numbers: [], tracking_url: null, tracking_urls: [] };

describe.each(SERVICE_ENGINES)('$engine', ({ engine, available }) => {
  test.skipIf(!available)('an older update redelivered after a newer one leaves the held message telling the newer tracking', async () => {
    const clock = shiftedClock();
    const { app, sim } = await startServiceWithSimulator({ mapping: MAPPING, clock, env: await engineEnv(engine) });
    const to = user(71);
    const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
    await app.inject(shopifyRequest(order));
    const fulfillment = shopifyFulfillment(order.id, { ...BARE, updated_at: '2026-03-02T10:00:00+08:00' });
    await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }));
    const update = (number: string, at: string) =>
      shopifyRequest({ ...fulfillment, tracking_number: number, updated_at: at }, { topic: 'fulfillments/update' });
    expect((await app.inject(update('TW2', '2026-03-02T10:20:00+08:00'))).json()).toMatchObject({ status: 'duplicate' });
    expect((await app.inject(update('TW1', '2026-03-02T10:10:00+08:00'))).json()).toMatchObject({ status: 'duplicate' });
    clock.offset += 31 * 60_000;
    await waitFor(() => messages(sim, to).length === 1, { what: 'the shipment, after its delay' });
    expect(messages(sim, to)).toEqual(['On its way: TW2']);
  });
});

describe.skipIf(server === undefined)('postgres', () => {
  test("a held shipment's message told its tracking on the update's retry, when the first try failed after storing it", async () => {
    const store = await faultyStore('postgres', tempDir(), server);
    try {
      const clock = shiftedClock();
      const { app, sim } = await startServiceWithSimulator({ mapping: MAPPING, clock, env: { DATABASE_URL: store.url } });
      const to = user(70);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      await app.inject(shopifyRequest(order));
      const fulfillment = shopifyFulfillment(order.id, BARE);
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
