// Events in an order other than the shop's, over HTTP on both engines with the simulator as MantaGO.
// Shopify sends an order's webhooks side by side (orders/create, fulfillments/create, a fulfillment
// event), and a fulfillment's body names only the order's id: such an event waits for its order,
// then goes to the order's customer with the order's details, once (nothing to one who opted out);
// one whose order never comes is skipped after the wait, saying so. A stage on the way that comes
// after its parcel's delivered is not sent, nor one that waited for its order while it came.
import { describe, expect, test } from 'vitest';
import type { MantagoSimulator } from '../simulator/simulator.ts';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { ADMIN_TOKEN, EXAMPLE_MAPPING, shiftedClock, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyFulfillment, shopifyOrder, shopifyRefund, shopifyRequest } from './helpers/webhooks.ts';

const RECIPIENTS = EXAMPLE_MAPPING.slice(0, EXAMPLE_MAPPING.indexOf('rules:'));
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const user = (i: number) => `U${(0x3ad000 + i).toString(16).padStart(32, '0')}`;
const messages = (sim: MantagoSimulator, to: string) =>
  sim.broadcasts.filter((b) => b.clientIds.includes(to)).map((b) => b.message ?? b.intentId);

const MAPPING = `${RECIPIENTS}rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
  - name: shipped
    when: { event: shipped }
    send: { message: "Order {{order.number}} shipped: {{shipment.trackingNumber}}" }
  - name: out-for-delivery
    when: { event: out_for_delivery }
    send: { message: "Order {{order.number}} is out for delivery ({{shipment.trackingNumber}})" }
`;

const stage = (orderId: number, fulfillmentId: number, status: string) =>
  shopifyRequest(
    { id: Math.floor(Math.random() * 1e9), fulfillment_id: fulfillmentId, order_id: orderId, status, happened_at: null },
    { topic: 'fulfillment_events/create' },
  );

describe.each(SERVICE_ENGINES)('$engine', ({ engine, available }) => {
  test.skipIf(!available)(
    "an order's webhooks side by side, or its fulfillment and a stage before it: each message once, to the order's customer, with its details",
    async () => {
      const { app, sim } = await startServiceWithSimulator({ mapping: MAPPING, env: await engineEnv(engine) });
      const together = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(1) }] });
      const f1 = shopifyFulfillment(together.id, { tracking_number: 'TW1', tracking_numbers: ['TW1'] });
      const answers = await Promise.all([
        app.inject(shopifyRequest(together)),
        app.inject(shopifyRequest(f1, { topic: 'fulfillments/create' })),
        app.inject(stage(together.id, f1.id, 'out_for_delivery')),
      ]);
      expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202]);

      const late = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(2) }] });
      const f2 = shopifyFulfillment(late.id, { tracking_number: 'TW2', tracking_numbers: ['TW2'] });
      const shipped = await app.inject(shopifyRequest(f2, { topic: 'fulfillments/create' }));
      expect(shipped.statusCode).toBe(202);
      expect(shipped.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
      const waiting = (await app.inject({ method: 'GET', url: `/admin/deliveries/${shipped.json().deliveryId}`, headers: auth })).json();
      expect(waiting).toMatchObject({
        status: 'pending',
        waitReason: 'waiting for its order: this event came before the order it belongs to',
      });
      expect((await app.inject(stage(late.id, f2.id, 'out_for_delivery'))).statusCode).toBe(202);
      expect((await app.inject(shopifyRequest(late))).statusCode).toBe(202);

      const expected = (order: typeof together, tracking: string) => [
        'rb2kYmMdW',
        `Order ${order.name} shipped: ${tracking}`,
        `Order ${order.name} is out for delivery (${tracking})`,
      ];
      for (const [order, to, tracking] of [
        [together, user(1), 'TW1'],
        [late, user(2), 'TW2'],
      ] as const) {
        await waitFor(() => messages(sim, to).length >= 3, { what: `the three messages of order ${order.id}` });
        expect([...messages(sim, to)].sort()).toEqual(expected(order, tracking).sort());
      }
    },
  );

  test.skipIf(!available)('an event whose order never comes waits four hours for it, then is skipped saying so', async () => {
    const clock = shiftedClock();
    const { app, sim } = await startServiceWithSimulator({ mapping: MAPPING, env: await engineEnv(engine), clock });
    const shipped = await app.inject(shopifyRequest(shopifyFulfillment(987_654_321), { topic: 'fulfillments/create' }));
    expect(shipped.statusCode).toBe(202);
    const id = shipped.json().deliveryId as number;
    const detail = async () => (await app.inject({ method: 'GET', url: `/admin/deliveries/${id}`, headers: auth })).json();
    clock.offset += 3 * 3_600_000;
    const shifted = clock.now();
    // Three hours on, looked at again (its next look moves past now) and still waiting for its order.
    const again = await waitFor(
      async () => {
        const d = await detail();
        return Date.parse(d.nextAttemptAt ?? '') > shifted || d.status !== 'pending' ? d : undefined;
      },
      { what: 'the delivery looked at again' },
    );
    expect(again).toMatchObject({ status: 'pending', waitReason: 'waiting for its order: this event came before the order it belongs to' });
    clock.offset += 3_600_000 + 120_000;
    const skipped = await waitFor(
      async () => {
        const d = await detail();
        return d.status === 'skipped' ? d : undefined;
      },
      { what: 'the delivery skipped once the wait is over' },
    );
    expect(skipped.lastError).toMatch(/^its order never came within 4 hours: no chat user for this customer/);
    expect(sim.broadcastCalls()).toEqual([]);
  });

  test.skipIf(!available)('a customer who opted out gets nothing of an event that waited for their order', async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping: MAPPING, env: await engineEnv(engine) });
    const order = shopifyOrder({
      customer: { id: 99_001, email: 'quiet@example.com' },
      note_attributes: [{ name: 'line_uid', value: user(3) }],
    });
    const optOut = await app.inject({ method: 'PUT', url: '/admin/recipients/customer:99001', headers: auth, payload: { optOut: true } });
    expect(optOut.statusCode).toBe(200);
    const shipped = await app.inject(shopifyRequest(shopifyFulfillment(order.id), { topic: 'fulfillments/create' }));
    expect(shipped.json()).toMatchObject({ delivery: 'pending' });
    expect((await app.inject(shopifyRequest(order))).json()).toMatchObject({ delivery: 'skipped', reason: 'opted out' });
    const id = shipped.json().deliveryId as number;
    const settled = await waitFor(
      async () => {
        const d = (await app.inject({ method: 'GET', url: `/admin/deliveries/${id}`, headers: auth })).json();
        return d.status === 'pending' ? undefined : d;
      },
      { what: 'the waiting delivery decided' },
    );
    expect(settled).toMatchObject({ status: 'skipped', lastError: 'opted out' });
    expect(sim.broadcasts.filter((b) => b.clientIds.includes(user(3)))).toEqual([]);
  });

  test.skipIf(!available)(
    'with no rule for delivered, a delivered is still kept, so an out_for_delivery that comes after it is not sent',
    async () => {
      const mapping = `${RECIPIENTS}rules:\n  - name: out-for-delivery\n    when: { event: out_for_delivery }\n    send: { message: "On its way" }\n`;
      const { app, sim } = await startServiceWithSimulator({ mapping, env: await engineEnv(engine) });
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(4) }] });
      await app.inject(shopifyRequest(order));
      const fulfillment = shopifyFulfillment(order.id);
      await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }));
      expect((await app.inject(stage(order.id, fulfillment.id, 'delivered'))).json()).toMatchObject({
        status: 'accepted',
        delivery: 'skipped',
        reason: 'no rule sends a message for delivered events',
      });
      expect((await app.inject(stage(order.id, fulfillment.id, 'out_for_delivery'))).json()).toMatchObject({
        delivery: 'skipped',
        reason: 'the parcel was delivered already: its out_for_delivery, come after that, is not sent',
      });
      expect(sim.broadcasts.filter((b) => b.clientIds.includes(user(4)))).toEqual([]);
    },
  );

  test.skipIf(!available)(
    'a stage that waited for its order while its parcel was delivered: not sent once the order comes, the others are',
    async () => {
      const { app, sim } = await startServiceWithSimulator({ mapping: MAPPING, env: await engineEnv(engine) });
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(5) }] });
      const fulfillment = shopifyFulfillment(order.id, { tracking_number: 'TW5', tracking_numbers: ['TW5'] });
      await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }));
      const stale = (await app.inject(stage(order.id, fulfillment.id, 'out_for_delivery'))).json();
      expect(stale).toMatchObject({ status: 'accepted', delivery: 'pending' });
      await app.inject(stage(order.id, fulfillment.id, 'delivered'));
      await app.inject(shopifyRequest(order));
      const decided = await waitFor(
        async () => {
          const d = (await app.inject({ method: 'GET', url: `/admin/deliveries/${stale.deliveryId}`, headers: auth })).json();
          return d.status === 'pending' ? undefined : d;
        },
        { what: 'the waiting stage decided' },
      );
      expect(decided).toMatchObject({
        status: 'skipped',
        lastError: 'the parcel was delivered already: its out_for_delivery, come after that, is not sent',
      });
      await waitFor(() => messages(sim, user(5)).length === 2, { what: 'the confirmation and the shipment' });
      expect([...messages(sim, user(5))].sort()).toEqual(['rb2kYmMdW', `Order ${order.name} shipped: TW5`].sort());
    },
  );

  test.skipIf(!available)(
    'an order shipped and refunded weeks after it was placed, past RETENTION_DAYS: its shipment and refund still go to its customer',
    async () => {
      const clock = shiftedClock();
      const mapping = `${MAPPING}  - name: refunded
    when: { event: refunded }
    send: { message: "Order {{order.number}} was refunded" }
`;
      const { app, sim } = await startServiceWithSimulator({ mapping, env: await engineEnv(engine), clock });
      const deliveries = async (orderId: number): Promise<{ event: string; status: string }[]> =>
        (await app.inject({ url: `/admin/deliveries?order=${orderId}`, headers: auth })).json().deliveries;
      /** An order refunded now: once its refund's delivery is gone, retention has run past it. */
      const witness = async (i: number) => {
        const other = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(50 + i) }] });
        await app.inject(shopifyRequest(other));
        await app.inject(shopifyRequest(shopifyRefund(other.id), { topic: 'refunds/create' }));
        // Recorded sent (retention counts from that time), not only at MantaGO.
        const told = async () => (await deliveries(other.id)).filter((d) => d.status === 'sent').length === 2;
        await waitFor(told, { what: 'the witness order told' });
        return async () =>
          waitFor(async () => !(await deliveries(other.id)).some((d) => d.event === 'refunded'), { what: 'retention to run' });
      };
      const to = user(40);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      expect((await app.inject(shopifyRequest(order))).statusCode).toBe(202);
      await waitFor(() => messages(sim, to).length === 1, { what: 'the confirmation' });
      let pruned = await witness(1);
      clock.offset += 40 * 86_400_000; // a pre-order, made to order: retention (30 days) has run since
      await pruned();
      const shipped = await app.inject(shopifyRequest(shopifyFulfillment(order.id), { topic: 'fulfillments/create' }));
      expect(shipped.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
      await waitFor(() => messages(sim, to).length === 2, { what: 'the shipment, to the order’s customer' });
      pruned = await witness(2);
      clock.offset += 60 * 86_400_000;
      await pruned();
      const refund = shopifyRequest(shopifyRefund(order.id), { topic: 'refunds/create' });
      expect((await app.inject(refund)).json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
      await waitFor(() => messages(sim, to).length === 3, { what: 'the refund, to the order’s customer' });
    },
  );
});
