// The journey to the doorstep over HTTP, on both engines, with the simulator as MantaGO: a
// fulfillment's delivery stages (Shopify's fulfillment events, the normalized order), one message
// per (shipment, stage) to the order's recipient with the tracking details; a review request held a
// week after delivery, sent once or withdrawn by a refund; a rule per customer language.
import { describe, expect, test } from 'vitest';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { auth, BY_LANGUAGE, DAY, fulfillmentEvent, messages, PICKUP, REVIEW, STAGES, user } from './helpers/stages.ts';
import { shiftedClock, startServiceWithSimulator } from './helpers/service.ts';
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

describe.each(SERVICE_ENGINES)('$engine', ({ engine, available }) => {
  test.skipIf(!available)(
    'a stage come before its fulfillment (its webhook retried later), whose message needs the tracking, waits for it and goes with it',
    async () => {
      const { app, sim } = await startServiceWithSimulator({ mapping: STAGES, env: await engineEnv(engine) });
      const to = user(30);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      expect((await app.inject(shopifyRequest(order))).statusCode).toBe(202);
      const fulfillment = shopifyFulfillment(order.id, { tracking_url: 'https://track.example/TW30', tracking_number: 'TW30' });
      const out = await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'out_for_delivery'));
      expect(out.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
      await waitFor(() => messages(sim, to).length === 1, { what: 'the confirmation' });
      expect((await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }))).statusCode).toBe(202);
      await waitFor(() => messages(sim, to).length === 2, { what: 'the stage, with its tracking' });
      expect(messages(sim, to)[1]).toBe(`Order ${order.name} is out for delivery with Taiwan Post (TW30): https://track.example/TW30`);
    },
  );

  test.skipIf(!available)(
    "a fulfillment's tracking corrected (another carrier, no link): its stage tells the new carrier and number, never the old link",
    async () => {
      const mapping = STAGES.replace('): {{shipment.trackingUrl}}', '): {{shipment.trackingUrl | \\"no link yet\\"}}');
      const { app, sim } = await startServiceWithSimulator({ mapping, env: await engineEnv(engine) });
      const to = user(32);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      expect((await app.inject(shopifyRequest(order))).statusCode).toBe(202);
      const old = { tracking_company: 'UPS', tracking_number: '1ZOLD', tracking_url: 'https://ups.example/1ZOLD' };
      const fulfillment = shopifyFulfillment(order.id, {
        ...old,
        tracking_numbers: ['1ZOLD'],
        tracking_urls: ['https://ups.example/1ZOLD'],
      });
      expect((await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }))).statusCode).toBe(202);
      const corrected = {
        ...fulfillment,
        tracking_company: 'T-Cat',
        tracking_number: 'NEW9',
        tracking_numbers: ['NEW9'],
        tracking_url: null,
        tracking_urls: [],
        updated_at: new Date(Date.now() + 60_000).toISOString(),
      };
      expect((await app.inject(shopifyRequest(corrected, { topic: 'fulfillments/update' }))).statusCode).toBeLessThan(300);
      expect((await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'out_for_delivery'))).statusCode).toBe(202);
      await waitFor(() => messages(sim, to).length === 2, { what: 'the confirmation and the stage' });
      expect(messages(sim, to)[1]).toBe(`Order ${order.name} is out for delivery with T-Cat (NEW9): no link yet`);
    },
  );

  test.skipIf(!available)(
    'a stage waits for its tracking (a fulfillment first without it, then updated), not for what only the stage says (its city)',
    async () => {
      const mapping = STAGES.replace('{{shipment.city | \\"your town\\"}}', '{{shipment.city}}');
      const { app, sim } = await startServiceWithSimulator({ mapping, env: await engineEnv(engine) });
      const to = user(33);
      const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
      expect((await app.inject(shopifyRequest(order))).statusCode).toBe(202);
      const untracked = { tracking_company: null, tracking_number: null, tracking_numbers: [], tracking_url: null, tracking_urls: [] };
      const fulfillment = shopifyFulfillment(order.id, untracked);
      expect((await app.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }))).statusCode).toBe(202);
      // The delivered rule needs the city, which only the stage says: no waiting for it.
      const delivered = await app.inject(fulfillmentEvent(order.id, fulfillment.id + 1, 'delivered'));
      expect(delivered.json()).toMatchObject({ status: 'accepted', delivery: 'skipped', reason: expect.stringContaining('shipment.city') });
      const out = await app.inject(fulfillmentEvent(order.id, fulfillment.id, 'out_for_delivery'));
      expect(out.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
      await waitFor(() => messages(sim, to).length === 1, { what: 'the confirmation' });
      const tracked = { ...fulfillment, tracking_company: 'T-Cat', tracking_number: 'TC33', tracking_url: 'https://t-cat.example/TC33' };
      expect((await app.inject(shopifyRequest(tracked, { topic: 'fulfillments/update' }))).statusCode).toBeLessThan(300);
      await waitFor(() => messages(sim, to).length === 2, { what: 'the stage, with the tracking of the update' });
      expect(messages(sim, to)[1]).toBe(`Order ${order.name} is out for delivery with T-Cat (TC33): https://t-cat.example/TC33`);
    },
  );

  test.skipIf(!available)('a stage whose fulfillment never comes is skipped after the wait, saying what its message lacked', async () => {
    const clock = shiftedClock();
    const { app, sim } = await startServiceWithSimulator({ mapping: STAGES, env: await engineEnv(engine), clock });
    const to = user(31);
    const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
    expect((await app.inject(shopifyRequest(order))).statusCode).toBe(202);
    const out = (await app.inject(fulfillmentEvent(order.id, 4242, 'out_for_delivery'))).json();
    await waitFor(() => messages(sim, to).length === 1, { what: 'the confirmation' });
    clock.offset += 5 * 3_600_000;
    const detail = async () => (await app.inject({ url: `/admin/deliveries/${out.deliveryId}`, headers: auth })).json();
    await waitFor(async () => (await detail()).status === 'skipped', { what: 'the stage skipped after the wait' });
    expect((await detail()).lastError).toContain('needs shipment.company');
    expect(messages(sim, to)).toHaveLength(1);
  });

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
      // Tried twice; the failure not counted: MantaGO had accepted no broadcast for a week, as in an outage.
      expect((await review(reviews[0] as number)).attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'sent']);
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
