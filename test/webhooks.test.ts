// What a shop sees when it calls our webhooks, and what its customer then gets from MantaGO.
import { describe, expect, test } from 'vitest';
import type { MantagoSimulator } from '../simulator/simulator.ts';
import { ADMIN_TOKEN, serviceForFile, type TestService } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import {
  LINE_USER,
  LINE_USER_2,
  MESSENGER_USER,
  nextOrderId,
  normalizedOrder,
  shopifyFulfillment,
  shopifyOrder,
  shopifyRequest,
  standardRequest,
  wooOrder,
  wooRequest,
} from './helpers/webhooks.ts';

let sim: MantagoSimulator;
let service: TestService;
serviceForFile((started) => ({ sim, service } = started));

const broadcastsNamed = (name: string) => sim.broadcasts.filter((b) => b.name === name);

describe('each source: a valid signature is accepted, a bad one refused', () => {
  test('Shopify', async () => {
    const order = shopifyOrder();
    const ok = await service.app.inject(shopifyRequest(order));
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
    await waitFor(() => broadcastsNamed(`default #${order.id}`).length === 1, { what: 'the Shopify order broadcast' });
    expect(broadcastsNamed(`default #${order.id}`)[0]).toMatchObject({ platform: 'line', clientIds: [LINE_USER], intentId: 'rb2kYmMdW' });

    const bad = await service.app.inject(shopifyRequest(shopifyOrder(), { secret: 'not-the-secret' }));
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toMatchObject({ code: 'SIGNATURE_INVALID', message: 'X-Shopify-Hmac-Sha256 does not match the body' });
  });

  test('WooCommerce', async () => {
    const order = wooOrder();
    const ok = await service.app.inject(wooRequest(order));
    expect(ok.statusCode).toBe(202);
    await waitFor(() => broadcastsNamed(`default ${order.number}`).length === 1, { what: 'the WooCommerce order broadcast' });

    const bad = await service.app.inject(wooRequest(wooOrder(), { signature: 'AAAA' }));
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe('SIGNATURE_INVALID');
    const unsigned = await service.app.inject({ ...wooRequest(wooOrder()), headers: { 'content-type': 'application/json' } });
    expect(unsigned.statusCode).toBe(401);
    expect(unsigned.json().message).toBe('missing X-WC-Webhook-Signature header');
  });

  test('Standard Webhooks (any shop)', async () => {
    const order = normalizedOrder();
    const ok = await service.app.inject(standardRequest(order));
    expect(ok.statusCode).toBe(202);
    await waitFor(() => broadcastsNamed('default A-1001').some((b) => b.clientIds[0] === LINE_USER), {
      what: 'the normalized order broadcast',
    });

    const bad = await service.app.inject(
      standardRequest(normalizedOrder(), { secret: `whsec_${Buffer.from('another-secret-entirely-32-bytes').toString('base64')}` }),
    );
    expect(bad.statusCode).toBe(401);
    expect(bad.json().message).toBe('webhook-signature does not match the body');
  });

  test('a body changed after signing is refused, even by one byte', async () => {
    const request = shopifyRequest(shopifyOrder({ total_price: '10.00' }));
    const tampered = { ...request, payload: (request.payload as string).replace('"10.00"', '"99.00"') };
    expect((await service.app.inject(tampered)).statusCode).toBe(401);
  });
});

test('a Standard Webhooks timestamp older than 5 minutes is refused', async () => {
  const stale = await service.app.inject(standardRequest(normalizedOrder(), { timestamp: new Date(Date.now() - 6 * 60_000) }));
  expect(stale.statusCode).toBe(401);
  expect(stale.json()).toMatchObject({ code: 'SIGNATURE_INVALID', message: 'webhook-timestamp is more than 5 minutes old' });
  const future = await service.app.inject(standardRequest(normalizedOrder(), { timestamp: new Date(Date.now() + 6 * 60_000) }));
  expect(future.statusCode).toBe(401);
});

describe('one message per order', () => {
  test('a redelivered webhook answers 200 duplicate and sends once', async () => {
    const order = shopifyOrder();
    const request = shopifyRequest(order);
    const first = await service.app.inject(request);
    const again = await service.app.inject(request);
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'duplicate', deliveryId: first.json().deliveryId });
    await waitFor(() => broadcastsNamed(`default #${order.id}`).length === 1);
    // A third redelivery after it was sent is still a duplicate.
    expect((await service.app.inject(request)).json()).toMatchObject({ status: 'duplicate', delivery: 'sent' });
    expect(broadcastsNamed(`default #${order.id}`)).toHaveLength(1);
  });

  test('orders/create then orders/paid for the same order sends once', async () => {
    const order = shopifyOrder();
    expect((await service.app.inject(shopifyRequest(order, { topic: 'orders/create' }))).statusCode).toBe(202);
    expect((await service.app.inject(shopifyRequest({ ...order, financial_status: 'paid' }, { topic: 'orders/paid' }))).statusCode).toBe(
      200,
    );
    await waitFor(() => broadcastsNamed(`default #${order.id}`).length === 1);
    expect(broadcastsNamed(`default #${order.id}`)).toHaveLength(1);
  });

  test('concurrent duplicates send once', async () => {
    const order = shopifyOrder();
    const answers = await Promise.all(Array.from({ length: 10 }, () => service.app.inject(shopifyRequest(order))));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    await waitFor(() => broadcastsNamed(`default #${order.id}`).length === 1);
    expect(broadcastsNamed(`default #${order.id}`)).toHaveLength(1);
  });

  test('a signed body replayed with other unsigned headers is the same order: Shopify order ids are global', async () => {
    const order = shopifyOrder();
    const first = await service.app.inject(shopifyRequest(order, { shop: 'a.myshopify.com' }));
    expect(first.statusCode).toBe(202);
    const replayed = await service.app.inject(shopifyRequest(order, { shop: 'b.myshopify.com' }));
    expect(replayed.statusCode).toBe(200);
    expect(replayed.json()).toMatchObject({ status: 'duplicate', deliveryId: first.json().deliveryId });
    await waitFor(() => broadcastsNamed(`default #${order.id}`).length === 1);
    expect(broadcastsNamed(`default #${order.id}`)).toHaveLength(1);
  });

  test('WooCommerce: the site comes from signed fields, so another X-WC-Webhook-Source is the same order, and another site a different one', async () => {
    const order = wooOrder({ _links: { self: [{ href: 'https://tea.example/wp-json/wc/v3/orders/1' }] } });
    const first = await service.app.inject(wooRequest(order));
    expect(first.statusCode).toBe(202);
    const request = wooRequest(order);
    const replayed = await service.app.inject({
      ...request,
      headers: { ...request.headers, 'x-wc-webhook-source': 'https://elsewhere.example/' },
    });
    expect(replayed.json()).toMatchObject({ status: 'duplicate', deliveryId: first.json().deliveryId });
    const otherSite = { ...order, _links: { self: [{ href: 'https://coffee.example/wp-json/wc/v3/orders/1' }] } };
    expect((await service.app.inject(wooRequest(otherSite))).statusCode).toBe(202);
    // The same goes for payment_url, the other signed field that names the site.
    const byPaymentUrl = wooOrder({ payment_url: 'https://tea.example/checkout/order-pay/9/' });
    expect((await service.app.inject(wooRequest(byPaymentUrl))).statusCode).toBe(202);
    expect(
      (await service.app.inject(wooRequest({ ...byPaymentUrl, payment_url: 'https://coffee.example/checkout/order-pay/9/' }))).statusCode,
    ).toBe(202);
  });

  test('the same order id from two shops is two orders (the normalized order names its shop in the signed body)', async () => {
    const order = normalizedOrder({ shop: 'shop-a' });
    expect((await service.app.inject(standardRequest(order))).statusCode).toBe(202);
    expect((await service.app.inject(standardRequest({ ...order, shop: 'shop-b' }))).statusCode).toBe(202);
    expect((await service.app.inject(standardRequest(order))).json()).toMatchObject({ status: 'duplicate' });
  });

  test('WooCommerce: a pending order waits; processing sends the confirmation once; completed is its shipment, sent once', async () => {
    const order = wooOrder({ status: 'pending' });
    const pending = await service.app.inject(wooRequest(order, { topic: 'order.created' }));
    expect(pending.statusCode).toBe(200);
    expect(pending.json()).toMatchObject({ status: 'ignored' });
    expect((await service.app.inject(wooRequest({ ...order, status: 'processing' }))).statusCode).toBe(202);
    expect((await service.app.inject(wooRequest({ ...order, status: 'processing' }))).statusCode).toBe(200);
    expect((await service.app.inject(wooRequest({ ...order, status: 'completed' }))).statusCode).toBe(202);
    expect((await service.app.inject(wooRequest({ ...order, status: 'completed' }))).statusCode).toBe(200);
    await waitFor(() => broadcastsNamed(`default ${order.number}`).length === 1 && broadcastsNamed(`shipped ${order.number}`).length === 1);
    expect(broadcastsNamed(`default ${order.number}`)).toHaveLength(1);
    expect(broadcastsNamed(`shipped ${order.number}`)).toHaveLength(1);
  });
});

describe('what shops really send is taken as meant', () => {
  test("Shopify: a fulfillment naming its order by a number past 2^53 (as Shopify's samples do) finds that order, not a rounded one", async () => {
    const exact = '820982911946154508';
    await service.app.inject(
      shopifyRequest(shopifyOrder({ id: Number(exact), admin_graphql_api_id: `gid://shopify/Order/${exact}`, name: '#2-53' })),
    );
    const stand = nextOrderId(); // written as the exact digits below: JSON.stringify would round them
    const body = JSON.stringify(shopifyFulfillment(stand)).replace(`"order_id":${stand}`, `"order_id":${exact}`);
    const shipped = await service.app.inject(shopifyRequest(body, { topic: 'fulfillments/create' }));
    expect(shipped.statusCode).toBe(202);
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const detail = (await service.app.inject({ url: `/admin/deliveries/${shipped.json().deliveryId}`, headers: auth })).json();
    expect(detail).toMatchObject({ orderId: exact, status: 'pending', waitReason: null });
    await waitFor(() => broadcastsNamed('shipped #2-53').length === 1, { what: "the shipment, to the order's customer" });
  });

  test('WooCommerce: an order of goods sold by weight (a decimal quantity) is taken', async () => {
    const order = wooOrder({ line_items: [{ name: 'Loose-leaf oolong (kg)', quantity: 1.5, price: 1200, sku: 'TEA-KG' }] });
    expect((await service.app.inject(wooRequest(order))).statusCode).toBe(202);
    await waitFor(() => broadcastsNamed(`default ${order.number}`).length === 1, { what: 'its confirmation' });
  });

  test('the normalized order: "" for an optional link or language is none, as for every optional text; decimal quantities are taken', async () => {
    const items = [{ name: 'Oolong (kg)', quantity: 0.5 }];
    for (const overrides of [
      { statusUrl: '', items },
      { customer: { id: 'c-9', email: 'ann@example.com', locale: '' } },
      { event: 'shipped', shipment: { id: 's-1', trackingNumber: 'TW1', trackingUrl: '' } },
    ]) {
      const answer = await service.app.inject(standardRequest(normalizedOrder(overrides)));
      expect(answer.statusCode, answer.body).toBe(202);
    }
    const link = await service.app.inject(standardRequest(normalizedOrder({ statusUrl: 'ftp://shop.example/1' })));
    expect(link.statusCode).toBe(400);
  });
});

test('a customer with no chat id is accepted and recorded as skipped, with the reason', async () => {
  const order = shopifyOrder({ note_attributes: [], email: 'nobody@example.com', customer: { id: 1, email: 'nobody@example.com' } });
  const answer = await service.app.inject(shopifyRequest(order));
  expect(answer.statusCode).toBe(202);
  expect(answer.json()).toMatchObject({ status: 'accepted', delivery: 'skipped' });
  expect(answer.json().reason).toMatch(
    /no chat user for this customer: no line_uid attribute; no messenger_psid attribute; no static entry/,
  );
  // Its redelivery says so too, and nothing ever reaches MantaGO for it.
  expect((await service.app.inject(shopifyRequest(order))).json()).toMatchObject({ status: 'duplicate', delivery: 'skipped' });
  expect(sim.broadcasts.some((b) => b.name?.endsWith(`#${order.id}`))).toBe(false);
});

describe('each rule picks the right module or text', () => {
  test('big-spender: a LINE customer over 5000 gets VIPmodule9', async () => {
    const order = shopifyOrder({ total_price: '5200.00' });
    await service.app.inject(shopifyRequest(order));
    const [sent] = await waitFor(() =>
      broadcastsNamed(`big-spender #${order.id}`).length ? broadcastsNamed(`big-spender #${order.id}`) : undefined,
    );
    expect(sent).toMatchObject({ platform: 'line', intentId: 'VIPmodule9', clientIds: [LINE_USER] });
  });

  test('messenger-text: a Messenger customer gets the rendered text with the fbTag', async () => {
    const order = shopifyOrder({ note_attributes: [{ name: 'messenger_psid', value: MESSENGER_USER }] });
    await service.app.inject(shopifyRequest(order));
    const [sent] = await waitFor(() =>
      broadcastsNamed(`messenger-text #${order.id}`).length ? broadcastsNamed(`messenger-text #${order.id}`) : undefined,
    );
    expect(sent).toMatchObject({
      platform: 'facebook',
      clientIds: [MESSENGER_USER],
      message: `Hi Mei, order #${order.id} is confirmed.`,
      fbTag: 'POST_PURCHASE_UPDATE',
    });
    expect(sent?.intentId).toBeUndefined();
  });

  test('default: everyone else gets rb2kYmMdW; a static entry finds a customer by e-mail', async () => {
    const order = shopifyOrder({
      note_attributes: [],
      email: 'VIP@example.com',
      customer: { id: 99, email: 'VIP@example.com', first_name: 'V' },
    });
    await service.app.inject(shopifyRequest(order));
    const [sent] = await waitFor(() =>
      broadcastsNamed(`default #${order.id}`).length ? broadcastsNamed(`default #${order.id}`) : undefined,
    );
    expect(sent).toMatchObject({ platform: 'line', intentId: 'rb2kYmMdW', clientIds: ['U4af4980629ab33c3c2f0c1d9d2a1b2c3'] });
  });

  test('an attribute that is not a valid user id is passed over for the next recipient source', async () => {
    const order = shopifyOrder({
      note_attributes: [
        { name: 'line_uid', value: 'not-a-line-id' },
        { name: 'messenger_psid', value: MESSENGER_USER },
      ],
    });
    await service.app.inject(shopifyRequest(order));
    await waitFor(() => broadcastsNamed(`messenger-text #${order.id}`).length === 1);
  });

  test('WooCommerce meta_data and the normalized order attributes are recipient sources too', async () => {
    const woo = wooOrder({ meta_data: [{ id: 1, key: 'line_uid', value: LINE_USER_2 }], total: '9000.00' });
    await service.app.inject(wooRequest(woo));
    const [sent] = await waitFor(() =>
      broadcastsNamed(`big-spender ${woo.number}`).length ? broadcastsNamed(`big-spender ${woo.number}`) : undefined,
    );
    expect(sent?.clientIds).toEqual([LINE_USER_2]);
  });
});
