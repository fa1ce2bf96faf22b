// A customer who asked for no more chat messages, over HTTP on both engines: every event of theirs
// (Shopify, WooCommerce, the normalized order) is stored skipped "opted out" and nothing is sent;
// a message already held for them is skipped too; lifting the opt-out restores messages for later
// events; the import sets it by a column; a manual broadcast still goes, and names the opted out.
import { describe, expect, test } from 'vitest';
import type { MantagoSimulator } from '../simulator/simulator.ts';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { JOURNEY_RULES } from './helpers/journey.ts';
import { deadByRefusal } from './helpers/refused.ts';
import { ADMIN_TOKEN, EXAMPLE_MAPPING, startServiceWithSimulator } from './helpers/service.ts';
import { sample } from './helpers/metrics.ts';
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
const AT_ONCE = `${RECIPIENTS}${JOURNEY_RULES.trimStart().replace(/^ {4}delay: 10m.*\n/m, '')}`;
const HELD = `${RECIPIENTS}${JOURNEY_RULES.trimStart()}`;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const user = (i: number) => `U${(0x0b7000 + i).toString(16).padStart(32, '0')}`;
const sentTo = (sim: MantagoSimulator, to: string) => sim.broadcasts.filter((b) => b.clientIds.includes(to));
const OPTED_OUT = { status: 'accepted', delivery: 'skipped', reason: 'opted out' };

async function setup(mapping: string, env: Record<string, string>) {
  const service = await startServiceWithSimulator({ mapping, env });
  const admin = async (method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const answer = await service.app.inject({
      method,
      url: `/admin${url}`,
      headers: { ...auth, ...headers },
      ...(payload !== undefined && { payload: payload as string }),
    });
    return { status: answer.statusCode, body: answer.body ? answer.json() : undefined };
  };
  const delivery = async (id: number) => (await admin('GET', `/deliveries/${id}`)).body;
  return { ...service, admin, delivery };
}

describe.each(SERVICE_ENGINES)('$engine', ({ engine, available }) => {
  test.skipIf(!available)(
    "an opted-out customer's order, shipment and refund are all skipped 'opted out'; lifting it restores messages for later events",
    async () => {
      const { app, sim, admin, delivery } = await setup(AT_ONCE, await engineEnv(engine));
      const to = user(1);
      expect(await admin('PUT', '/recipients/customer:88001', { optOut: true })).toMatchObject({
        status: 200,
        body: { key: 'customer:88001', optOut: true, optedOutAt: expect.any(String) },
      });
      const order = shopifyOrder({ customer: { id: 88001, first_name: 'Mei' }, note_attributes: [{ name: 'line_uid', value: to }] });
      const answers = [];
      for (const request of [
        shopifyRequest(order),
        shopifyRequest(shopifyFulfillment(order.id), { topic: 'fulfillments/create' }),
        shopifyRequest(shopifyRefund(order.id), { topic: 'refunds/create' }),
      ]) {
        const answer = await app.inject(request);
        expect(answer.json()).toMatchObject(OPTED_OUT);
        answers.push(answer.json().deliveryId as number);
      }
      for (const id of answers) expect(await delivery(id)).toMatchObject({ status: 'skipped', lastError: 'opted out' });
      expect((await admin('GET', '/recipients/resolve?customer=88001')).body).toMatchObject({ skipped: 'opted out (customer:88001)' });

      // The normalized order and WooCommerce, by e-mail and by phone.
      expect(await admin('PUT', '/recipients/email:optout@example.com', { optOut: true })).toMatchObject({ status: 200 });
      expect(await admin('PUT', '/recipients/phone:886911000222', { optOut: true })).toMatchObject({ status: 200 });
      const normalized = normalizedOrder({ customer: { email: 'OptOut@example.com' }, attributes: { line_uid: to } });
      expect((await app.inject(standardRequest(normalized))).json()).toMatchObject(OPTED_OUT);
      const woo = wooOrder({
        billing: { email: 'w@example.com', phone: '+886 911-000-222' },
        meta_data: [{ id: 1, key: 'line_uid', value: to }],
      });
      expect((await app.inject(wooRequest(woo))).json()).toMatchObject(OPTED_OUT);

      // Removing the key's binding alone keeps the opt-out (404 when there is no binding to remove).
      expect(await admin('DELETE', '/recipients/customer:88001/binding')).toMatchObject({
        status: 404,
        body: { code: 'NOT_FOUND', message: 'customer:88001 is not bound' },
      });
      expect(await admin('PUT', '/recipients/customer:88001', { platform: 'line', userId: to })).toMatchObject({ status: 200 });
      expect((await admin('DELETE', '/recipients/customer:88001/binding')).status).toBe(204);
      expect((await admin('GET', '/recipients/customer:88001')).body).toEqual({
        key: 'customer:88001',
        optOut: true,
        optedOutAt: expect.any(String),
      });
      expect((await admin('DELETE', '/recipients/customer:88001')).status).toBe(204);
      expect((await admin('GET', '/recipients/customer:88001')).status).toBe(404);
      const later = await app.inject(shopifyRequest(shopifyFulfillment(order.id), { topic: 'fulfillments/create' }));
      expect(later.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
      await waitFor(() => sentTo(sim, to).length === 1, { what: 'the later shipment message' });
      expect(sentTo(sim, to)[0]?.message).toContain(`Order ${order.name} is on its way`);
    },
  );

  test.skipIf(!available)('a message held for a customer who then opts out is skipped, never sent', async () => {
    const { app, admin, delivery } = await setup(HELD, await engineEnv(engine));
    const order = normalizedOrder({ customer: { id: 'c-held' }, attributes: { line_uid: user(2) } });
    const placed = await app.inject(standardRequest(order));
    expect(placed.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
    expect(await admin('PUT', '/recipients/customer:c-held', { optOut: true })).toMatchObject({ status: 200 });
    expect(await delivery(placed.json().deliveryId)).toMatchObject({ status: 'skipped', lastError: 'opted out' });
    expect(sample((await app.inject({ method: 'GET', url: '/metrics' })).body, 'notifier_deliveries_total{outcome="skipped"}')).toBe(1);
  });

  test.skipIf(!available)(
    'a customer who opts out while their message is in flight, or after it died, never gets it: the retry and the redrive skip it',
    async () => {
      const { app, sim, admin, delivery } = await setup(AT_ONCE, await engineEnv(engine));
      // In flight when the customer opts out: MantaGO lets the call go undone, and its retry is skipped.
      const inFlight = user(5);
      sim.set({ hold: true });
      const order = normalizedOrder({ customer: { id: 'c-in-flight' }, attributes: { line_uid: inFlight } });
      const placed = (await app.inject(standardRequest(order))).json();
      await waitFor(() => sim.heldCalls === 1, { what: 'the broadcast to be in flight' });
      expect(await admin('PUT', '/recipients/customer:c-in-flight', { optOut: true })).toMatchObject({ status: 200 });
      sim.failHeldCalls();
      await waitFor(async () => (await delivery(placed.deliveryId)).status !== 'pending', { what: 'the retry to be decided' });
      expect(await delivery(placed.deliveryId)).toMatchObject({ status: 'skipped', lastError: 'opted out' });

      // Dead (MantaGO refused the user), then opted out by e-mail: the operator's redrive skips it.
      const dead = user(6);
      sim.set({ refusedClientIds: [dead] });
      const refused = normalizedOrder({ customer: { email: 'Gone@example.com' }, attributes: { line_uid: dead } });
      const { id: refusedId } = await deadByRefusal(app, sim, standardRequest(refused));
      sim.set({ refusedClientIds: [] });
      expect(await admin('PUT', '/recipients/email:gone@example.com', { optOut: true })).toMatchObject({ status: 200 });
      expect(await admin('POST', '/deliveries/redrive')).toMatchObject({ status: 200, body: { redriven: 1 } });
      await waitFor(async () => (await delivery(refusedId)).status !== 'pending', { what: 'the redriven delivery to be decided' });
      expect(await delivery(refusedId)).toMatchObject({ status: 'skipped', lastError: 'opted out' });
      expect([...sentTo(sim, inFlight), ...sentTo(sim, dead)]).toEqual([]);
      expect(sample((await app.inject({ method: 'GET', url: '/metrics' })).body, 'notifier_deliveries_total{outcome="skipped"}')).toBe(2);
    },
  );

  test.skipIf(!available)(
    'a dead tag job of a customer who opted out since is not made when the operator tries the dead ones again',
    async () => {
      const mapping = `${RECIPIENTS}rules:\n  - name: buyer\n    tag: { add: [ctLater] }\n  - name: default\n    send: { intentId: rb2kYmMdW }\n`;
      const { app, sim, admin, delivery } = await setup(mapping, await engineEnv(engine));
      const to = user(7);
      const order = normalizedOrder({ customer: { id: 'c-tagged' }, attributes: { line_uid: to } });
      const placed = (await app.inject(standardRequest(order))).json();
      // The tag is not in the bot yet: its job dies with MantaGO's reason, the message goes.
      await waitFor(async () => (await delivery(placed.deliveryId)).tagging?.[0]?.status === 'dead', { what: 'the tag job dead' });
      expect(await admin('PUT', '/recipients/customer:c-tagged', { optOut: true })).toMatchObject({ status: 200 });
      sim.tags.create('later', 'ctLater');
      const calls = sim.tagCalls().length;
      expect((await admin('POST', '/tag-jobs/redrive')).body).toMatchObject({ redriven: 1 });
      await waitFor(async () => (await delivery(placed.deliveryId)).tagging[0].status !== 'pending', { what: 'the redriven job decided' });
      expect((await delivery(placed.deliveryId)).tagging[0]).toMatchObject({
        status: 'tagged',
        lastError: 'not tagged: its customer opted out',
      });
      expect(sim.tagCalls().length).toBe(calls);
      expect(sim.tags.tagsOf('line', to)).toEqual([]);
    },
  );

  test.skipIf(!available)(
    'the import sets and lifts opt-outs by a column; a manual broadcast still goes and names the opted-out users',
    async () => {
      const { admin } = await setup(AT_ONCE, await engineEnv(engine));
      const [optedOut, other] = [user(3), user(4)];
      const csv = `key,platform,userId,optOut\ncustomer:91,line,${optedOut},true\nemail:quiet@example.com,,,true\ncustomer:92,line,${other},\ncustomer:93,line,${other},maybe\ncustomer:94,line,${other},constructor\n`;
      const imported = await admin('POST', '/recipients/import', csv, { 'content-type': 'text/csv' });
      expect(imported.body).toEqual({
        imported: 3,
        errors: [
          { line: 5, error: 'optOut must be true or false' },
          { line: 6, error: 'optOut must be true or false' }, // Object's own names are no answer either
        ],
      });
      expect((await admin('GET', '/recipients/customer:91')).body).toMatchObject({ userId: optedOut, optOut: true });
      expect((await admin('GET', '/recipients/email:quiet@example.com')).body).toEqual({
        key: 'email:quiet@example.com',
        optOut: true,
        optedOutAt: expect.any(String),
      });
      expect((await admin('GET', '/recipients/customer:92')).body).toMatchObject({ userId: other, optOut: false });
      const lifted = await admin('POST', '/recipients/import', '{"key":"email:quiet@example.com","optOut":false}', {
        'content-type': 'application/x-ndjson',
      });
      expect(lifted.body).toEqual({ imported: 1, errors: [] });
      expect((await admin('GET', '/recipients/email:quiet@example.com')).status).toBe(404);

      const sent = await admin('POST', '/broadcasts', { platform: 'line', userIds: [optedOut, other], intentId: 'rb2kYmMdW' });
      expect(sent).toMatchObject({ status: 200, body: { status: 'sent', optedOutUserIds: [optedOut] } });
    },
  );
});
