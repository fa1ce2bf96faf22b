// WooCommerce orders first seen at a later status (their processing webhook lost or late, a poll
// that read the order completed first): the placed message goes, the shipment is spent, and is
// announced once the order is seen in processing before a completion (a late processing, or the shop
// moving the order back and completing it again, in whichever order, at once on two webhooks).
// Without a placed message to send, the completion is announced at once.
import { describe, expect, test } from 'vitest';
import { EXAMPLE_MAPPING, SHIPPED_MAPPING, shiftedClock, startServiceWithSimulator } from './helpers/service.ts';
import { ADMIN_AUTH, type App, deliveryOf, messagesTo, settledDelivery } from './helpers/admin.ts';
import { waitFor } from './helpers/wait.ts';
import { wooOrder, wooRequest } from './helpers/webhooks.ts';

const RECIPIENTS = EXAMPLE_MAPPING.slice(0, EXAMPLE_MAPPING.indexOf('rules:'));
const SPENT = 'the order was first seen at this status: its placed message is the one sent';
const user = (i: number) => `U${(0x1ed9e0 + i).toString(16).padStart(32, '0')}`;

describe('WooCommerce: a completed webhook that overtook its processing one (or a poll that read the order completed first)', () => {
  const mapping = `${RECIPIENTS}rules:\n  - name: confirmation\n    send: { intentId: rb2kYmMdW }\n  - name: shipped\n    when: { event: shipped }\n    send: { intentId: shipMod01 }\n`;
  const TRACKED = '{ message: "Shipped with {{shipment.company | \\"us\\"}}: {{shipment.trackingNumber | \\"no tracking\\"}}" }';
  const at = (minute: number) => `2026-03-02T10:${String(minute).padStart(2, '0')}:00`;
  const shipments = async (app: App, order: { id: number }) =>
    (await app.inject({ method: 'GET', url: `/admin/deliveries?order=${order.id}&event=shipped`, headers: ADMIN_AUTH })).json().deliveries;

  test('the confirmation goes at once; the processing, older than the completion, then brings the shipment (with the tracking since added), once', async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping: mapping.replace('{ intentId: shipMod01 }', TRACKED) });
    const order = wooOrder({ date_created_gmt: at(0), meta_data: [{ id: 1, key: 'line_uid', value: user(50) }] });
    const completed = await app.inject(wooRequest({ ...order, status: 'completed', date_modified_gmt: at(5) }));
    expect(await settledDelivery(app, completed.json().deliveryId)).toMatchObject({ status: 'sent', event: 'placed' });
    expect(await shipments(app, order)).toMatchObject([{ status: 'skipped' }]);
    // The tracking comes with a later update of the completed order.
    const tracking = { id: 2, key: '_wc_shipment_tracking_items', value: [{ tracking_number: 'TW123', tracking_provider: 'DHL' }] };
    const tracked = { ...order, status: 'completed', date_modified_gmt: at(6), meta_data: [...order.meta_data, tracking] };
    expect((await app.inject(wooRequest(tracked))).json()).toMatchObject({ status: 'duplicate' });

    const processing = await app.inject(wooRequest({ ...order, date_modified_gmt: at(1) }));
    expect(processing.json()).toMatchObject({ status: 'duplicate', deliveryId: completed.json().deliveryId });
    const [shipment] = await shipments(app, order);
    expect(await settledDelivery(app, shipment.id)).toMatchObject({
      status: 'sent',
      event: 'shipped',
      clientId: user(50),
      rule: 'shipped',
    });
    // Redelivered, and the completion redelivered: nothing more.
    expect((await app.inject(wooRequest({ ...order, date_modified_gmt: at(1) }))).json()).toMatchObject({ status: 'duplicate' });
    expect((await app.inject(wooRequest({ ...order, status: 'completed', date_modified_gmt: at(5) }))).json()).toMatchObject({
      status: 'duplicate',
    });
    expect(await shipments(app, order)).toMatchObject([{ id: shipment.id, status: 'sent' }]);
    expect(messagesTo(sim, user(50)).map((b) => b.intentId ?? b.message)).toEqual(['rb2kYmMdW', 'Shipped with DHL: TW123']);
  });

  test("an order first seen completed is tagged for its shipment too, after its confirmation's tags", async () => {
    const tagged = mapping
      .replace('send: { intentId: rb2kYmMdW }', 'send: { intentId: rb2kYmMdW }\n    tag: { add: [{ name: awaiting }] }')
      .replace(
        'send: { intentId: shipMod01 }',
        'send: { intentId: shipMod01 }\n    tag: { remove: [{ name: awaiting }], add: [{ name: shipped }] }',
      );
    const { app, sim } = await startServiceWithSimulator({ mapping: tagged });
    const order = wooOrder({ status: 'completed', meta_data: [{ id: 1, key: 'line_uid', value: user(53) }] });
    const first = (await app.inject(wooRequest(order))).json();
    const done = await waitFor(
      async () => {
        const d = await deliveryOf(app, first.deliveryId);
        return d.status !== 'pending' && d.tagging.every((t: { status: string }) => t.status === 'tagged') ? d : undefined;
      },
      { what: 'the confirmation and its tags' },
    );
    // The confirmation's `awaiting` is put on, then the shipment's rule takes it off (jobs go as queued).
    const jobs = done.tagging.map((t: { action: string; tag: string }) => `${t.action} ${t.tag}`);
    expect(jobs.filter((j: string) => j.endsWith('awaiting'))).toEqual(['add name:awaiting', 'remove name:awaiting']);
    expect(jobs).toContain('add name:shipped');
    expect(sim.tags.tagsOf('line', user(53))).toEqual(['shipped']);
  });

  test('a processing that comes after the order was refunded announces no shipment', async () => {
    const refunded = '  - name: refunded\n    when: { event: refunded }\n    send: { message: "Refunded." }\n';
    const { app, sim } = await startServiceWithSimulator({ mapping: mapping + refunded });
    const order = wooOrder({ date_created_gmt: at(0), meta_data: [{ id: 1, key: 'line_uid', value: user(52) }] });
    const completed = await app.inject(wooRequest({ ...order, status: 'completed', date_modified_gmt: at(5) }));
    expect(await settledDelivery(app, completed.json().deliveryId)).toMatchObject({ status: 'sent' });
    const refund = await app.inject(wooRequest({ ...order, status: 'refunded', date_modified_gmt: at(7) }));
    expect(await settledDelivery(app, refund.json().deliveryId)).toMatchObject({ status: 'sent', event: 'refunded' });
    expect((await app.inject(wooRequest({ ...order, date_modified_gmt: at(1) }))).json()).toMatchObject({ status: 'duplicate' });
    expect(await shipments(app, order)).toMatchObject([{ status: 'skipped' }]);
    expect(messagesTo(sim, user(52)).map((b) => b.intentId ?? b.message)).toEqual(['rb2kYmMdW', 'Refunded.']);
  });

  test('a processing newer than the completion (the shop moved the order back) announces nothing; a completion after it does, once', async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping });
    const order = wooOrder({ date_created_gmt: at(0), meta_data: [{ id: 1, key: 'line_uid', value: user(51) }] });
    const completed = await app.inject(wooRequest({ ...order, status: 'completed', date_modified_gmt: at(5) }));
    expect(await settledDelivery(app, completed.json().deliveryId)).toMatchObject({ status: 'sent' });
    expect((await app.inject(wooRequest({ ...order, date_modified_gmt: at(9) }))).json()).toMatchObject({ status: 'duplicate' });
    expect(await shipments(app, order)).toMatchObject([{ status: 'skipped', lastError: SPENT }]);
    // The first completion once more (a poll that read the order before it was moved back): nothing.
    const stale = await app.inject(wooRequest({ ...order, status: 'completed', date_modified_gmt: at(5) }));
    expect(stale.json()).toMatchObject({ status: 'duplicate' });
    expect(await shipments(app, order)).toMatchObject([{ status: 'skipped', lastError: SPENT }]);
    // Completed again: the parcel goes now, and the customer hears it once.
    expect((await app.inject(wooRequest({ ...order, status: 'completed', date_modified_gmt: at(12) }))).json()).toMatchObject({
      status: 'duplicate',
    });
    const [shipment] = await shipments(app, order);
    expect(await settledDelivery(app, shipment.id)).toMatchObject({ status: 'sent', event: 'shipped', rule: 'shipped' });
    for (const [status, minute] of [
      ['completed', 12],
      ['processing', 1],
      ['processing', 9],
    ] as const)
      expect((await app.inject(wooRequest({ ...order, status, date_modified_gmt: at(minute) }))).json()).toMatchObject({
        status: 'duplicate',
      });
    expect(messagesTo(sim, user(51)).map((b) => b.intentId)).toEqual(['rb2kYmMdW', 'shipMod01']);
  });

  test('the completion after the move back coming first, or both at once: the shipment is announced once', async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping });
    const orders = [54, 55, 56, 57, 58].map((i) =>
      wooOrder({ date_created_gmt: at(0), meta_data: [{ id: 1, key: 'line_uid', value: user(i) }] }),
    );
    for (const order of orders) await app.inject(wooRequest({ ...order, status: 'completed', date_modified_gmt: at(5) }));
    const [overtaken, ...together] = orders as [ReturnType<typeof wooOrder>, ...ReturnType<typeof wooOrder>[]];
    await app.inject(wooRequest({ ...overtaken, status: 'completed', date_modified_gmt: at(12) }));
    await app.inject(wooRequest({ ...overtaken, date_modified_gmt: at(9) }));
    await Promise.all(
      together.flatMap((order) => [
        app.inject(wooRequest({ ...order, date_modified_gmt: at(9) })),
        app.inject(wooRequest({ ...order, status: 'completed', date_modified_gmt: at(12) })),
      ]),
    );
    for (const [i, order] of orders.entries()) {
      const shipped = await shipments(app, order);
      expect(shipped).toHaveLength(1);
      expect(await settledDelivery(app, shipped[0].id)).toMatchObject({ status: 'sent', event: 'shipped' });
      expect(messagesTo(sim, user(54 + i)).map((b) => b.intentId)).toEqual(['rb2kYmMdW', 'shipMod01']);
    }
  });

  test('first seen completed with no placed message to send (no rule matches it, or too old): the shipment is announced', async () => {
    const shipped = '  - name: shipped\n    when: { event: shipped }\n    send: { intentId: shipMod01 }\n';
    const bigSpenders = `${RECIPIENTS}rules:\n  - name: big spenders\n    when: { minTotal: 5000 }\n    send: { intentId: rb2kYmMdW }\n${shipped}`;
    const { app, sim } = await startServiceWithSimulator({ mapping: bigSpenders });
    const small = wooOrder({ total: '880.00', date_created_gmt: at(0), meta_data: [{ id: 1, key: 'line_uid', value: user(60) }] });
    const first = await app.inject(wooRequest({ ...small, status: 'completed', date_modified_gmt: at(5) }));
    expect(first.statusCode).toBe(202);
    expect(await settledDelivery(app, first.json().deliveryId)).toMatchObject({ status: 'sent', event: 'shipped', rule: 'shipped' });
    // Its placed event is kept, skipped: the processing come late is a duplicate, not a confirmation.
    expect((await app.inject(wooRequest({ ...small, date_modified_gmt: at(1) }))).json()).toMatchObject({
      status: 'duplicate',
      delivery: 'skipped',
    });
    expect(messagesTo(sim, user(60)).map((b) => b.intentId)).toEqual(['shipMod01']);

    // Placed two days before it is first seen, completed a minute before: a confirmation that old is not sent.
    const clock = shiftedClock();
    clock.offset = Date.parse('2026-03-04T10:06:00Z') - Date.now();
    const fresh = `${RECIPIENTS}rules:\n  - name: confirmation\n    maxAge: 6h\n    send: { intentId: rb2kYmMdW }\n    tag: { add: [{ name: buyer }] }\n${shipped}`;
    const late = await startServiceWithSimulator({ mapping: fresh, clock });
    const old = wooOrder({ date_created_gmt: at(0), meta_data: [{ id: 1, key: 'line_uid', value: user(61) }] });
    const completed = await late.app.inject(wooRequest({ ...old, status: 'completed', date_modified_gmt: '2026-03-04T10:05:00' }));
    expect(await settledDelivery(late.app, completed.json().deliveryId)).toMatchObject({ status: 'sent', event: 'shipped' });
    const [placed] = (await late.app.inject({ url: `/admin/deliveries?order=${old.id}&event=placed`, headers: ADMIN_AUTH })).json()
      .deliveries;
    expect(placed).toMatchObject({ status: 'skipped', lastError: 'older than 6h' });
    expect(messagesTo(late.sim, user(61)).map((b) => b.intentId)).toEqual(['shipMod01']);
    // The confirmation's tags still go (a rule too old to message still tags), with the shipment's delivery.
    await waitFor(async () => late.sim.tags.tagsOf('line', user(61)).includes('buyer'), { what: "the confirmation rule's tag" });
  });

  test('moved back and completed again: the shipment tells of the order as completed last', async () => {
    const told = mapping.replace('send: { intentId: shipMod01 }', 'send: { message: "Shipped: {{order.total}}" }');
    const { app, sim } = await startServiceWithSimulator({ mapping: told });
    const order = wooOrder({ date_created_gmt: at(0), total: '880.00', meta_data: [{ id: 1, key: 'line_uid', value: user(62) }] });
    await app.inject(wooRequest({ ...order, status: 'completed', date_modified_gmt: at(5) }));
    await app.inject(wooRequest({ ...order, total: '990.00', date_modified_gmt: at(9) }));
    await app.inject(wooRequest({ ...order, total: '990.00', status: 'completed', date_modified_gmt: at(12) }));
    const [shipment] = await shipments(app, order);
    expect(await settledDelivery(app, shipment.id)).toMatchObject({ status: 'sent', event: 'shipped' });
    expect(messagesTo(sim, user(62)).map((b) => b.intentId ?? b.message)).toEqual(['rb2kYmMdW', 'Shipped: 990.00']);
  });

  test('first seen completed, too old for its placed message, and no rule for the shipment: kept skipped, its user still tagged', async () => {
    const clock = shiftedClock();
    clock.offset = Date.parse('2026-03-04T10:06:00Z') - Date.now();
    const tagsOnly = `${RECIPIENTS}rules:\n  - name: confirmation\n    maxAge: 6h\n    send: { intentId: rb2kYmMdW }\n    tag: { add: [{ name: buyer }] }\n`;
    const { app, sim } = await startServiceWithSimulator({ mapping: tagsOnly, clock });
    const old = wooOrder({ date_created_gmt: at(0), meta_data: [{ id: 1, key: 'line_uid', value: user(63) }] });
    const first = await app.inject(wooRequest({ ...old, status: 'completed', date_modified_gmt: '2026-03-04T10:05:00' }));
    expect([first.statusCode, first.json()]).toMatchObject([202, { status: 'accepted', delivery: 'skipped', reason: 'older than 6h' }]);
    await waitFor(async () => sim.tags.tagsOf('line', user(63)).includes('buyer'), { what: "the placed rule's tag" });
    expect(messagesTo(sim, user(63))).toEqual([]);
  });

  test("first seen completed, too old for its placed message, its customer found by MantaGO's member lookup: the shipment goes to them", async () => {
    const clock = shiftedClock();
    clock.offset = Date.parse('2026-03-04T10:06:00Z') - Date.now();
    const members = SHIPPED_MAPPING.slice(0, SHIPPED_MAPPING.indexOf('rules:'));
    const rules =
      'rules:\n  - name: confirmation\n    maxAge: 6h\n    send: { intentId: rb2kYmMdW }\n  - name: shipped\n    when: { event: shipped }\n    send: { intentId: shipMod01 }\n';
    const { app, sim } = await startServiceWithSimulator({ mapping: members + rules, clock });
    sim.addClient({ clientId: user(64), platform: 'line', customerId: '8164' });
    const old = wooOrder({ customer_id: 8164, date_created_gmt: at(0), meta_data: [] });
    const first = await app.inject(wooRequest({ ...old, status: 'completed', date_modified_gmt: '2026-03-04T10:05:00' }));
    expect(await settledDelivery(app, first.json().deliveryId)).toMatchObject({
      status: 'skipped',
      event: 'placed',
      lastError: 'older than 6h',
    });
    const [shipment] = await shipments(app, old);
    expect(await settledDelivery(app, shipment.id)).toMatchObject({ status: 'sent', event: 'shipped', clientId: user(64) });
    expect(messagesTo(sim, user(64)).map((b) => b.intentId)).toEqual(['shipMod01']);
  });

  test('a site moved from http:// to https:// between the order placed and completed: the completion is its shipment, not a second confirmation', async () => {
    const { app, sim } = await startServiceWithSimulator({ mapping });
    const order = wooOrder({ date_created_gmt: at(0), meta_data: [{ id: 1, key: 'line_uid', value: user(65) }] });
    const links = (scheme: string) => ({
      _links: { self: [{ href: `${scheme}://tea.example/wp-json/wc/v3/orders/${order.id}` }] },
      payment_url: `${scheme}://tea.example/checkout/order-pay/${order.id}/?pay_for_order=true&key=k`,
    });
    const placed = await app.inject(wooRequest({ ...order, ...links('http'), date_modified_gmt: at(1) }));
    expect(await settledDelivery(app, placed.json().deliveryId)).toMatchObject({ status: 'sent', event: 'placed' });
    const completed = await app.inject(wooRequest({ ...order, ...links('https'), status: 'completed', date_modified_gmt: at(5) }));
    expect(await settledDelivery(app, completed.json().deliveryId)).toMatchObject({ status: 'sent', event: 'shipped' });
    expect((await app.inject(wooRequest({ ...order, ...links('http'), date_modified_gmt: at(1) }))).json()).toMatchObject({
      status: 'duplicate',
      deliveryId: placed.json().deliveryId,
    });
    expect(messagesTo(sim, user(65)).map((b) => b.intentId)).toEqual(['rb2kYmMdW', 'shipMod01']);
  });

  test('an order completed over the retention ago, edited (its order.updated webhook), the store older than it: no second confirmation nor shipment; one older than the store is news', async () => {
    const clock = shiftedClock();
    const { app, sim } = await startServiceWithSimulator({ mapping, clock });
    const storeMadeAt = clock.now();
    clock.offset += 40 * 86_400_000; // its deliveries pruned with the retention (30 days) since
    const gmt = (ms: number) => new Date(ms).toISOString().slice(0, 19);
    const edited = (i: number, placedAt: number) =>
      wooRequest(
        wooOrder({
          status: 'completed',
          date_created_gmt: gmt(placedAt),
          date_completed_gmt: gmt(placedAt + 86_400_000),
          date_modified_gmt: gmt(clock.now()), // a note, a partial refund: WooCommerce sends order.updated
          meta_data: [{ id: 1, key: 'line_uid', value: user(66 + i) }],
        }),
        { topic: 'order.updated' },
      );
    const OLD = 'older than the retention (30d): whether its message went is no longer known';
    const pruned = await app.inject(edited(0, storeMadeAt + 86_400_000));
    expect(pruned.json()).toMatchObject({ status: 'accepted', delivery: 'skipped', reason: OLD });
    const beforeTheStore = await app.inject(edited(1, storeMadeAt - 2 * 86_400_000));
    expect(await settledDelivery(app, beforeTheStore.json().deliveryId)).toMatchObject({ status: 'sent', event: 'placed' });
    expect(messagesTo(sim, user(66))).toEqual([]);
    expect(messagesTo(sim, user(67)).map((b) => b.intentId)).toEqual(['rb2kYmMdW']);
  });
});
