// Parcel news that comes late or again, over HTTP on both engines: a stage that comes after its
// parcel's delivery is not sent (a shipment only when the delivery is announced), one held when the
// delivery comes is withdrawn, and a fulfillment's tracking added or redelivered out of order (a
// held shipment's message then tells it, and so does a held stage's, also one that came before its fulfillment).
import { describe, expect, test } from 'vitest';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { auth, fulfillmentEvent, messages, RECIPIENTS, STAGES, user } from './helpers/stages.ts';
import { shiftedClock, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { normalizedOrder, shopifyFulfillment, shopifyOrder, shopifyRequest, standardRequest } from './helpers/webhooks.ts';

describe.each(SERVICE_ENGINES)('$engine', ({ engine, available }) => {
  test.skipIf(!available)(
    'Shopify: an out_for_delivery that comes after its delivered (webhooks in any order) is not sent, and says why',
    async () => {
      const { app, sim } = await startServiceWithSimulator({ mapping: STAGES, env: await engineEnv(engine) });
      const to = user(9);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      await app.inject(shopifyRequest(order));
      const fulfillment = shopifyFulfillment(order.id, { tracking_number: 'TW19' });
      await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }));
      expect((await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'delivered', { city: 'Taipei' }))).statusCode).toBe(202);
      const late = await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'out_for_delivery'));
      expect(late.statusCode).toBe(202);
      expect(late.json()).toMatchObject({
        status: 'accepted',
        delivery: 'skipped',
        reason: 'the parcel was delivered already: its out_for_delivery, come after that, is not sent',
      });
      // A second fulfillment of the order is its own parcel: its stages go as they come.
      const second = shopifyFulfillment(order.id, { tracking_number: 'TW20' });
      await app.inject(shopifyRequest(second, { topic: 'fulfillments/create' }));
      expect((await app.inject(fulfillmentEvent(order.id, second.id, 'out_for_delivery'))).json()).toMatchObject({ delivery: 'pending' });
      await waitFor(() => messages(sim, to).length === 3, { what: 'the confirmation, the delivery and the second parcel on its way' });
      expect(messages(sim, to).slice(1).sort()).toEqual(
        [
          `Order ${order.name} delivered in Taipei.`,
          `Order ${order.name} is out for delivery with Taiwan Post (TW20): https://track.example/TW${second.id}`,
        ].sort(),
      );
    },
  );

  test.skipIf(!available)(
    'the normalized order: a shipped that comes after its parcel was delivered is not sent, and says why; one held when it comes is withdrawn',
    async () => {
      const clock = shiftedClock();
      const shippedRule =
        '  - name: shipped\n    when: { event: shipped }\n    delay: 1h\n    send: { message: "Shipped {{order.number}}" }\n';
      const mapping = STAGES.replace('rules:\n', `rules:\n${shippedRule}`);
      const { app, sim } = await startServiceWithSimulator({ mapping, clock, simulator: { now: clock.now }, env: await engineEnv(engine) });
      const to = user(13);
      const order = normalizedOrder({ orderId: `sh-${engine}`, attributes: { line_uid: to } });
      await app.inject(standardRequest(order));
      const event = (name: string, id: string) => standardRequest({ ...order, event: name, shipment: { id, city: 'Tainan' } });
      const held = await app.inject(event('shipped', 'S2'));
      expect(held.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
      expect((await app.inject(event('delivered', 'S1'))).statusCode).toBe(202);
      expect((await app.inject(event('shipped', 'S1'))).json()).toMatchObject({
        status: 'accepted',
        delivery: 'skipped',
        reason: 'the parcel was delivered already: its shipped, come after that, is not sent',
      });
      expect((await app.inject(event('delivered', 'S2'))).statusCode).toBe(202);
      await waitFor(() => messages(sim, to).length === 3, { what: 'the confirmation and both deliveries' });
      clock.offset = 60 * 60 * 1000 + 60_000;
      const delivery = async (id: number) => (await app.inject({ method: 'GET', url: `/admin/deliveries/${id}`, headers: auth })).json();
      await waitFor(async () => (await delivery(held.json().deliveryId)).status !== 'pending', { what: 'the held shipped, an hour on' });
      expect(await delivery(held.json().deliveryId)).toMatchObject({
        status: 'skipped',
        lastError: 'order delivered before the message went out',
      });
      const delivered = `Order ${order.orderNumber} delivered in Tainan.`;
      expect(messages(sim, to)).toEqual(['rb2kYmMdW', delivered, delivered]);
    },
  );

  test.skipIf(!available)(
    'with no delivered rule, a shipped held or late when its parcel is delivered still goes: it is the only news of the parcel',
    async () => {
      const clock = shiftedClock();
      const mapping = `${RECIPIENTS}rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
  - name: shipped
    when: { event: shipped }
    delay: 1h
    send: { message: "Shipped {{order.number}}" }
  - name: out-for-delivery
    when: { event: out_for_delivery }
    send: { message: "Out for delivery {{order.number}}" }
`;
      const { app, sim } = await startServiceWithSimulator({ mapping, clock, simulator: { now: clock.now }, env: await engineEnv(engine) });
      const to = user(14);
      const order = normalizedOrder({ orderId: `only-${engine}`, attributes: { line_uid: to } });
      await app.inject(standardRequest(order));
      const event = (name: string, id: string) => standardRequest({ ...order, event: name, shipment: { id } });
      const held = await app.inject(event('shipped', 'S1'));
      expect(held.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
      // Kept (a stage before it has a rule), with nothing of its own to send.
      expect((await app.inject(event('delivered', 'S1'))).json()).toMatchObject({ status: 'accepted', delivery: 'skipped' });
      expect((await app.inject(event('delivered', 'S2'))).statusCode).toBe(202);
      expect((await app.inject(event('shipped', 'S2'))).json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
      clock.offset = 60 * 60 * 1000 + 60_000;
      await waitFor(() => messages(sim, to).length === 3, { what: 'the confirmation and both shipments, an hour on' });
      expect(messages(sim, to)).toEqual(['rb2kYmMdW', `Shipped ${order.orderNumber}`, `Shipped ${order.orderNumber}`]);
    },
  );

  test.skipIf(!available)(
    "Shopify: tracking added to a fulfillment after it shipped (its update, a duplicate) is in its later stages' messages",
    async () => {
      const { app, sim } = await startServiceWithSimulator({ mapping: STAGES, env: await engineEnv(engine) });
      const to = user(10);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      await app.inject(shopifyRequest(order));
      const bare = { tracking_company: null, tracking_number: null, tracking_numbers: [], tracking_url: null, tracking_urls: [] };
      const fulfillment = shopifyFulfillment(order.id, bare);
      expect((await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }))).statusCode).toBe(202);
      const tracked = {
        ...fulfillment,
        tracking_company: 'Taiwan Post',
        tracking_number: 'TW88',
        tracking_url: 'https://track.example/TW88',
      };
      const update = await app.inject(shopifyRequest(tracked, { topic: 'fulfillments/update' }));
      expect(update.json()).toMatchObject({ status: 'duplicate' });
      expect((await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'out_for_delivery'))).statusCode).toBe(202);
      await waitFor(() => messages(sim, to).length === 2, { what: 'the confirmation and the stage' });
      expect(messages(sim, to)[1]).toBe(`Order ${order.name} is out for delivery with Taiwan Post (TW88): https://track.example/TW88`);
    },
  );

  test.skipIf(!available)(
    "Shopify: an older update of a fulfillment redelivered after a newer one does not put its tracking back (the shop's updated_at decides)",
    async () => {
      const { app, sim } = await startServiceWithSimulator({ mapping: STAGES, env: await engineEnv(engine) });
      const to = user(11);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      await app.inject(shopifyRequest(order));
      const tracking = (number: string, updatedAt: string) => ({
        tracking_number: number,
        tracking_numbers: [number],
        tracking_url: `https://track.example/${number}`,
        tracking_urls: [`https://track.example/${number}`],
        updated_at: updatedAt,
      });
      const fulfillment = shopifyFulfillment(order.id, tracking('TW1', '2026-03-02T10:00:00+08:00'));
      expect((await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }))).statusCode).toBe(202);
      // The shop corrected a typo twice; its first correction failed and comes back after the second.
      const second = { ...fulfillment, ...tracking('TW3', '2026-03-02T12:00:00+08:00') };
      const first = { ...fulfillment, ...tracking('TW2', '2026-03-02T11:00:00+08:00') };
      expect((await app.inject(shopifyRequest(second, { topic: 'fulfillments/update' }))).json()).toMatchObject({ status: 'duplicate' });
      expect((await app.inject(shopifyRequest(first, { topic: 'fulfillments/update' }))).json()).toMatchObject({ status: 'duplicate' });
      expect((await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'out_for_delivery'))).statusCode).toBe(202);
      await waitFor(() => messages(sim, to).length === 2, { what: 'the confirmation and the stage' });
      expect(messages(sim, to)[1]).toBe(`Order ${order.name} is out for delivery with Taiwan Post (TW3): https://track.example/TW3`);
    },
  );

  test.skipIf(!available)(
    "a shipment held (a delay) when its fulfillment's update adds the tracking: its message tells the tracking when it goes",
    async () => {
      const clock = shiftedClock();
      const shippedRule =
        '  - name: shipped\n    when: { event: shipped }\n    delay: 1h\n    send: { message: "Shipped: {{shipment.trackingUrl | \\"see your order page\\"}}" }\n';
      const mapping = `${RECIPIENTS}rules:\n  - name: confirmation\n    send: { intentId: rb2kYmMdW }\n${shippedRule}`;
      const { app, sim } = await startServiceWithSimulator({ mapping, clock, simulator: { now: clock.now }, env: await engineEnv(engine) });
      const to = user(14);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      await app.inject(shopifyRequest(order));
      const bare = {
        tracking_number: null,
        tracking_numbers: [],
        tracking_url: null,
        tracking_urls: [],
        updated_at: '2026-12-01T15:00:00Z',
      };
      const fulfillment = shopifyFulfillment(order.id, bare);
      const held = await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }));
      expect(held.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
      const url = 'https://track.example/TW14';
      const tracked = { ...fulfillment, tracking_number: 'TW14', tracking_numbers: ['TW14'], tracking_url: url, tracking_urls: [url] };
      const update = await app.inject(shopifyRequest({ ...tracked, updated_at: '2026-12-01T15:30:00Z' }, { topic: 'fulfillments/update' }));
      expect(update.json()).toMatchObject({ status: 'duplicate', deliveryId: held.json().deliveryId });
      await waitFor(() => messages(sim, to).length === 1, { what: 'the confirmation' });
      clock.offset = 60 * 60 * 1000 + 60_000;
      await waitFor(() => messages(sim, to).length === 2, { what: 'the shipment, an hour on' });
      expect(messages(sim, to)).toEqual(['rb2kYmMdW', `Shipped: ${url}`]);
    },
  );

  test.skipIf(!available)(
    'Shopify: a fulfillment come without the tracking its shipped message needs waits for the update that adds it; one whose tracking (only its carrier known) never comes is skipped after 4 hours',
    async () => {
      const clock = shiftedClock();
      const shippedRule = '  - name: shipped\n    when: { event: shipped }\n    send: { message: "Shipped: {{shipment.trackingUrl}}" }\n';
      const mapping = `${RECIPIENTS}rules:\n  - name: confirmation\n    send: { intentId: rb2kYmMdW }\n${shippedRule}`;
      const { app, sim } = await startServiceWithSimulator({ mapping, clock, simulator: { now: clock.now }, env: await engineEnv(engine) });
      const to = user(18);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      await app.inject(shopifyRequest(order));
      const untracked = { tracking_company: null, tracking_number: null, tracking_numbers: [], tracking_url: null, tracking_urls: [] };
      // The second names its carrier only: what the message needs (the link) is still to come.
      const [first, second] = [
        shopifyFulfillment(order.id, untracked),
        shopifyFulfillment(order.id, { ...untracked, tracking_company: 'DHL' }),
      ];
      const waiting: number[] = [];
      for (const fulfillment of [first, second]) {
        const created = await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }));
        expect(created.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
        waiting.push(created.json().deliveryId as number);
      }
      const detail = async (id: number) => (await app.inject({ url: `/admin/deliveries/${id}`, headers: auth })).json();
      expect(await detail(waiting[0] as number)).toMatchObject({
        status: 'pending',
        waitReason: expect.stringMatching(/^waiting for its shipment/),
      });
      // The merchant adds the first parcel's tracking: its message goes with it.
      const url = 'https://track.example/TW18';
      const tracked = { ...first, tracking_number: 'TW18', tracking_numbers: ['TW18'], tracking_url: url, tracking_urls: [url] };
      expect((await app.inject(shopifyRequest(tracked, { topic: 'fulfillments/update' }))).json()).toMatchObject({ status: 'duplicate' });
      await waitFor(() => messages(sim, to).length === 2, { what: 'the confirmation and the first parcel, with its tracking' });
      expect(messages(sim, to)).toEqual(['rb2kYmMdW', `Shipped: ${url}`]);
      // The second parcel's tracking never comes: passed over once the wait is over, saying what it lacked.
      clock.offset += 5 * 3_600_000;
      await waitFor(async () => (await detail(waiting[1] as number)).status === 'skipped', {
        what: 'the second parcel skipped after the wait',
      });
      expect((await detail(waiting[1] as number)).lastError).toContain('needs shipment.trackingUrl');
      expect(messages(sim, to)).toHaveLength(2);
    },
  );

  /** A service whose out_for_delivery message is held an hour, and an order of `to` confirmed. */
  async function heldStage(to: string) {
    const clock = shiftedClock();
    const stageRule =
      '  - name: out-for-delivery\n    when: { event: out_for_delivery }\n    delay: 1h\n    send: { message: "Out for delivery: {{shipment.trackingUrl | \\"see your order page\\"}}" }\n';
    const mapping = `${RECIPIENTS}rules:\n  - name: confirmation\n    send: { intentId: rb2kYmMdW }\n${stageRule}`;
    const { app, sim } = await startServiceWithSimulator({ mapping, clock, simulator: { now: clock.now }, env: await engineEnv(engine) });
    const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
    await app.inject(shopifyRequest(order));
    await waitFor(() => messages(sim, to).length === 1, { what: 'the confirmation' });
    const url = `https://track.example/${to.slice(-4)}`;
    const tracking = { tracking_number: 'TW', tracking_numbers: ['TW'], tracking_url: url, tracking_urls: [url] };
    const untracked = { tracking_number: null, tracking_numbers: [], tracking_url: null, tracking_urls: [] };
    const fulfillment = shopifyFulfillment(order.id, { ...untracked, updated_at: '2026-12-01T15:00:00Z' });
    const stage = async () => {
      const held = await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'out_for_delivery'));
      expect(held.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
    };
    const goes = async () => {
      clock.offset = 60 * 60 * 1000 + 60_000;
      await waitFor(() => messages(sim, to).length === 2, { what: 'the stage, an hour on' });
      expect(messages(sim, to)).toEqual(['rb2kYmMdW', `Out for delivery: ${url}`]);
    };
    return { app, order, fulfillment, tracking, stage, goes };
  }

  test.skipIf(!available)(
    "a stage held (a delay) when its fulfillment's update adds the tracking: its message tells the tracking when it goes",
    async () => {
      const { app, fulfillment, tracking, stage, goes } = await heldStage(user(15));
      expect((await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }))).statusCode).toBe(202);
      await stage();
      const tracked = { ...fulfillment, ...tracking, updated_at: '2026-12-01T15:30:00Z' };
      expect((await app.inject(shopifyRequest(tracked, { topic: 'fulfillments/update' }))).json()).toMatchObject({ status: 'duplicate' });
      await goes();
    },
  );

  test.skipIf(!available)(
    'a stage held (a delay) that came before its fulfillment: the fulfillment, come with its tracking, is in the message when it goes',
    async () => {
      const { app, fulfillment, tracking, stage, goes } = await heldStage(user(16));
      await stage();
      const tracked = { ...fulfillment, ...tracking };
      expect((await app.inject(shopifyRequest(tracked, { topic: 'fulfillments/create' }))).statusCode).toBe(202);
      await goes();
    },
  );

  test.skipIf(!available)(
    "a held stage's tracking is not put back by an older update of its fulfillment redelivered after a newer one",
    async () => {
      const { app, fulfillment, tracking, stage, goes } = await heldStage(user(17));
      expect((await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }))).statusCode).toBe(202);
      await stage();
      const newer = { ...fulfillment, ...tracking, updated_at: '2026-12-01T15:45:00Z' };
      const old = 'https://track.example/old';
      const older = { ...fulfillment, tracking_number: 'OLD', tracking_url: old, tracking_urls: [old], updated_at: '2026-12-01T15:30:00Z' };
      for (const update of [newer, older])
        expect((await app.inject(shopifyRequest(update, { topic: 'fulfillments/update' }))).json()).toMatchObject({ status: 'duplicate' });
      await goes();
    },
  );
});
