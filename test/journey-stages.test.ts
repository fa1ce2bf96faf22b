// The journey to the doorstep over HTTP, on both engines, with the simulator as MantaGO: a
// fulfillment's delivery stages (Shopify's fulfillment events, the normalized order), one message
// per (shipment, stage) to the order's recipient with the tracking details; a review request held a
// week after delivery, sent once or withdrawn by a refund; a rule per customer language.
import { describe, expect, test } from 'vitest';
import type { MantagoSimulator } from '../simulator/simulator.ts';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { ADMIN_TOKEN, EXAMPLE_MAPPING, shiftedClock, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import {
  normalizedOrder,
  shopifyFulfillment,
  shopifyOrder,
  shopifyRefund,
  shopifyRequest,
  standardRequest,
  wooOrder,
  wooRequest,
} from './helpers/webhooks.ts';

const RECIPIENTS = EXAMPLE_MAPPING.slice(0, EXAMPLE_MAPPING.indexOf('rules:'));
const DAY = 24 * 60 * 60 * 1000;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const user = (i: number) => `U${(0x20d000 + i).toString(16).padStart(32, '0')}`;
const messages = (sim: MantagoSimulator, to: string) =>
  sim.broadcasts.filter((b) => b.clientIds.includes(to)).map((b) => b.message ?? b.intentId);

const STAGES = `${RECIPIENTS}rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
  - name: out-for-delivery
    when: { event: out_for_delivery }
    send:
      message: "Order {{order.number}} is out for delivery with {{shipment.company}} ({{shipment.trackingNumber}}): {{shipment.trackingUrl}}"
  - name: delivered
    when: { event: delivered }
    send:
      message: "Order {{order.number}} {{shipment.status}} in {{shipment.city | \\"your town\\"}}."
`;

const REVIEW = `${RECIPIENTS}rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
  - name: review-request
    when: { event: delivered }
    delay: 7d
    withdrawnBy: [refunded, cancelled]
    send:
      message: "How was order {{order.number}}? Tell us: {{order.statusUrl}}"
`;

const PICKUP = `${RECIPIENTS}rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
  - name: pickup-zh
    when: { event: ready_for_pickup, locale: zh-TW }
    send: { message: "訂單 {{order.number}} 已送達門市，請取貨。" }
  - name: pickup
    when: { event: ready_for_pickup }
    send: { message: "Order {{order.number}} is ready for pickup." }
`;

const BY_LANGUAGE = `${RECIPIENTS}rules:
  - name: confirmation-zh-ja
    when: { locale: [zh, ja] }
    send: { message: "{{customer.locale}}: 訂單 {{order.number}} 已成立" }
  - name: confirmation
    send: { message: "Order {{order.number}} is confirmed" }
`;

const fulfillmentEvent = (orderId: number, fulfillmentId: number, status: string, extra: Record<string, unknown> = {}) =>
  shopifyRequest(
    { id: Math.floor(Math.random() * 1e9), fulfillment_id: fulfillmentId, order_id: orderId, status, happened_at: null, ...extra },
    { topic: 'fulfillment_events/create' },
  );

describe.each(SERVICE_ENGINES)('$engine', ({ engine, available }) => {
  test.skipIf(!available)(
    "Shopify: a fulfillment's out_for_delivery then delivered each send once to the order's recipient, with the tracking details; a repeat sends nothing; an unknown status is ignored",
    async () => {
      const { app, sim } = await startServiceWithSimulator({ mapping: STAGES, env: await engineEnv(engine) });
      const to = user(1);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      expect((await app.inject(shopifyRequest(order))).statusCode).toBe(202);
      const fulfillment = shopifyFulfillment(order.id, { tracking_url: 'https://track.example/TW9', tracking_number: 'TW9' });
      // No rule for shipped: the fulfillment is kept for its stages' tracking details, and sends nothing.
      expect((await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }))).statusCode).toBe(202);

      const out = await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'out_for_delivery', { city: 'Taipei' }));
      expect(out.statusCode).toBe(202);
      const again = await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'out_for_delivery'));
      expect(again.json()).toMatchObject({ status: 'duplicate', deliveryId: out.json().deliveryId });
      expect((await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'delivered', { city: 'Taipei' }))).statusCode).toBe(202);
      const unknown = await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'label_printed'));
      expect(unknown.statusCode).toBe(200);
      expect(unknown.json()).toMatchObject({ status: 'ignored', reason: expect.stringContaining('label_printed') });

      await waitFor(() => messages(sim, to).length === 3, { what: 'the confirmation and two stages' });
      expect(messages(sim, to)).toEqual([
        'rb2kYmMdW',
        `Order ${order.name} is out for delivery with Taiwan Post (TW9): https://track.example/TW9`,
        `Order ${order.name} delivered in Taipei.`,
      ]);
      const detail = (await app.inject({ method: 'GET', url: `/admin/deliveries/${out.json().deliveryId}`, headers: auth })).json();
      expect(detail).toMatchObject({
        event: 'out_for_delivery',
        rule: 'out-for-delivery',
        recipientVia: expect.stringContaining('placed message'),
      });
    },
  );

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
    'the normalized order: delivered names its shipment, sends once per shipment, and without a shipment is a 400 saying so',
    async () => {
      const { app, sim } = await startServiceWithSimulator({ mapping: STAGES, env: await engineEnv(engine) });
      const to = user(2);
      const order = normalizedOrder({ attributes: { line_uid: to } });
      expect((await app.inject(standardRequest(order))).statusCode).toBe(202);
      const delivered = (id: string) => standardRequest({ ...order, event: 'delivered', shipment: { id, city: 'Tainan' } });
      expect((await app.inject(delivered('S1'))).statusCode).toBe(202);
      expect((await app.inject(delivered('S1'))).json()).toMatchObject({ status: 'duplicate' });
      expect((await app.inject(delivered('S2'))).statusCode).toBe(202);
      const bare = await app.inject(standardRequest({ ...order, event: 'delivered' }));
      expect(bare.statusCode).toBe(400);
      expect(bare.json().message).toContain('shipment is required for a delivered event');
      await waitFor(() => messages(sim, to).length === 3, { what: 'one message per shipment' });
      expect(messages(sim, to).slice(1)).toEqual([
        `Order ${order.orderNumber} delivered in Tainan.`,
        `Order ${order.orderNumber} delivered in Tainan.`,
      ]);
    },
  );

  test.skipIf(!available)(
    'a review request held 7 days goes once after delivery (its first attempt failing is retried, not dead of age); with a refund in between it is withdrawn with that reason',
    async () => {
      const clock = shiftedClock();
      const { app, sim } = await startServiceWithSimulator({
        mapping: REVIEW,
        clock,
        simulator: { now: clock.now },
        env: await engineEnv(engine),
      });
      const [kept, refunded] = [user(3), user(4)];
      // The normalized order's customer keeps the review; a Shopify customer's is refunded meanwhile.
      const order = normalizedOrder({ orderId: `rv-${kept.slice(-4)}`, attributes: { line_uid: kept } });
      expect((await app.inject(standardRequest(order))).statusCode).toBe(202);
      const delivered = await app.inject(standardRequest({ ...order, event: 'delivered', shipment: { id: 'S1' } }));
      expect(delivered.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
      const shopify = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: refunded }] });
      expect((await app.inject(shopifyRequest(shopify))).statusCode).toBe(202);
      const fulfillment = shopifyFulfillment(shopify.id);
      expect((await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }))).statusCode).toBe(202);
      const shopifyDelivered = await app.inject(fulfillmentEvent(shopify.id, fulfillment.id, 'delivered'));
      expect(shopifyDelivered.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
      const reviews = [delivered.json().deliveryId as number, shopifyDelivered.json().deliveryId as number];
      const review = async (id: number) => (await app.inject({ method: 'GET', url: `/admin/deliveries/${id}`, headers: auth })).json();
      const held = await review(reviews[0] as number);
      expect(held).toMatchObject({ status: 'pending', waitReason: 'delay 7d' });
      expect(Date.parse(held.nextAttemptAt) - Date.parse(held.receivedAt)).toBe(7 * DAY);

      // A refund (no rule of its own) withdraws the Shopify order's request.
      expect((await app.inject(shopifyRequest(shopifyRefund(shopify.id), { topic: 'refunds/create' }))).statusCode).toBe(202);
      expect(await review(reviews[1] as number)).toMatchObject({
        status: 'skipped',
        lastError: 'order refunded before the message went out',
      });

      await waitFor(() => messages(sim, kept).length === 1 && messages(sim, refunded).length === 1, { what: 'the confirmations' });
      // Its first attempt fails: its retries' age counts from when it fell due, not from a week before.
      sim.set({ fail: { status: 503, count: 1 } });
      clock.offset = 7 * DAY + 60_000;
      await waitFor(async () => (await review(reviews[0] as number)).status === 'sent', { what: 'the review request, a week on' });
      expect(await review(reviews[0] as number)).toMatchObject({ attempts: 2 });
      expect(messages(sim, kept)).toEqual(['rb2kYmMdW', `How was order A-1001? Tell us: https://shop.example/orders/A-1001`]);
      expect(messages(sim, refunded)).toEqual(['rb2kYmMdW']);
      expect(await review(reviews[1] as number)).toMatchObject({ status: 'skipped' });
    },
  );

  test.skipIf(!available)(
    "a stage held (a delay, quiet hours) when its parcel's delivered comes is withdrawn, not sent after it; another parcel's stage still goes",
    async () => {
      const clock = shiftedClock();
      const held = STAGES.replace('when: { event: out_for_delivery }', 'when: { event: out_for_delivery }\n    delay: 1h');
      const { app, sim } = await startServiceWithSimulator({
        mapping: held,
        clock,
        simulator: { now: clock.now },
        env: await engineEnv(engine),
      });
      const to = user(12);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      await app.inject(shopifyRequest(order));
      const [first, second] = [shopifyFulfillment(order.id), shopifyFulfillment(order.id)];
      const stages: number[] = [];
      for (const fulfillment of [first, second]) {
        await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }));
        const out = await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'out_for_delivery'));
        expect(out.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
        stages.push(out.json().deliveryId);
      }
      expect((await app.inject(fulfillmentEvent(order.id, first.id, 'delivered', { city: 'Taipei' }))).statusCode).toBe(202);
      await waitFor(() => messages(sim, to).length === 2, { what: 'the confirmation and the delivery' });
      clock.offset = 60 * 60 * 1000 + 60_000;
      const stage = async (id: number | undefined) =>
        (await app.inject({ method: 'GET', url: `/admin/deliveries/${id}`, headers: auth })).json();
      await waitFor(async () => (await stage(stages[1])).status === 'sent', { what: "the second parcel's stage, an hour on" });
      await waitFor(async () => (await stage(stages[0])).status !== 'pending', { what: "the first parcel's stage, decided" });
      expect(await stage(stages[0])).toMatchObject({ status: 'skipped', lastError: 'order delivered before the message went out' });
      expect(messages(sim, to)).toEqual([
        'rb2kYmMdW',
        `Order ${order.name} delivered in Taipei.`,
        `Order ${order.name} is out for delivery with Taiwan Post (TW${second.id}): https://track.example/TW${second.id}`,
      ]);
    },
  );

  test.skipIf(!available)(
    "ready_for_pickup with a rule for zh-TW and an English default: each customer gets their language's text",
    async () => {
      const { app, sim } = await startServiceWithSimulator({ mapping: PICKUP, env: await engineEnv(engine) });
      const [zh, en, zhNormalized] = [user(5), user(6), user(7)];
      const taiwanese = shopifyOrder({ customer_locale: 'zh-TW', note_attributes: [{ name: 'line_uid', value: zh }] });
      const english = shopifyOrder({ customer_locale: 'en', note_attributes: [{ name: 'line_uid', value: en }] });
      for (const order of [taiwanese, english]) {
        expect((await app.inject(shopifyRequest(order))).statusCode).toBe(202);
        const fulfillment = shopifyFulfillment(order.id);
        expect((await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }))).statusCode).toBe(202);
        expect((await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'ready_for_pickup'))).statusCode).toBe(202);
      }
      const order = normalizedOrder({ customer: { id: 'c-zh', locale: 'zh-TW' }, attributes: { line_uid: zhNormalized } });
      expect((await app.inject(standardRequest(order))).statusCode).toBe(202);
      expect((await app.inject(standardRequest({ ...order, event: 'ready_for_pickup', shipment: { id: 'P1' } }))).statusCode).toBe(202);

      await waitFor(() => [zh, en, zhNormalized].every((to) => messages(sim, to).length === 2), { what: 'the pickup messages' });
      // Each customer's two messages (the confirmation, the pickup) may be claimed in either order.
      expect(messages(sim, zh)).toContain(`訂單 ${taiwanese.name} 已送達門市，請取貨。`);
      expect(messages(sim, en)).toContain(`Order ${english.name} is ready for pickup.`);
      expect(messages(sim, zhNormalized)).toContain(`訂單 ${order.orderNumber} 已送達門市，請取貨。`);
    },
  );

  test.skipIf(!available)(
    "a language's rule matches its region variants and is one of a list; WooCommerce's order meta names the language",
    async () => {
      const { app, sim } = await startServiceWithSimulator({ mapping: BY_LANGUAGE, env: await engineEnv(engine) });
      const [hk, jp, en] = [user(8), user(9), user(10)];
      const meta = (to: string, language?: string) => [
        { id: 1, key: 'line_uid', value: to },
        ...(language ? [{ id: 2, key: 'wpml_language', value: language }] : []),
      ];
      const orders = [
        wooOrder({ meta_data: meta(hk, 'zh-hant') }),
        wooOrder({ meta_data: meta(jp, 'ja') }),
        wooOrder({ meta_data: meta(en) }),
      ];
      for (const order of orders) expect((await app.inject(wooRequest(order))).statusCode).toBe(202);
      const hkOrder = normalizedOrder({ customer: { locale: 'zh_HK' }, attributes: { line_uid: hk } });
      expect((await app.inject(standardRequest(hkOrder))).statusCode).toBe(202);
      await waitFor(() => messages(sim, hk).length === 2 && messages(sim, jp).length === 1 && messages(sim, en).length === 1);
      expect(messages(sim, hk)).toEqual([`zh-hant: 訂單 ${orders[0]?.number} 已成立`, `zh_HK: 訂單 ${hkOrder.orderNumber} 已成立`]);
      expect(messages(sim, jp)).toEqual([`ja: 訂單 ${orders[1]?.number} 已成立`]);
      expect(messages(sim, en)).toEqual([`Order ${orders[2]?.number} is confirmed`]);
    },
  );
});
