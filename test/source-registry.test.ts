// A new webhook source is one definition plus one registry line: this test registers a fake one
// (a shop signing its body with an HMAC in X-Tiny-Signature) and drives it over HTTP like the others.
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import Type from 'typebox';
import { startSimulator } from '../simulator/simulator.ts';
import { buildApp } from '../src/app.ts';
import { loadSettings } from '../src/config/settings.ts';
import { createLogger } from '../src/logger.ts';
import { SOURCES } from '../src/sources/registry.ts';
import { hmacVerifier } from '../src/sources/signature.ts';
import { byTopic, payloadKind, type WebhookSource } from '../src/sources/source.ts';
import { ADMIN_TOKEN, EXAMPLE_MAPPING, serviceEnv, tempDir } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { LINE_USER } from './helpers/webhooks.ts';

const TINY_SECRET = 'tiny-shop-secret';

const PAID = payloadKind<{ ref: string; amount: string; chat: string }>({
  schema: Type.Object({ ref: Type.String({ minLength: 1 }), amount: Type.String(), chat: Type.String() }),
  normalize: (p) => ({
    order: {
      source: 'tinyshop',
      event: 'placed',
      orderId: p.ref,
      shop: 'tiny',
      total: p.amount,
      currency: 'TWD',
      customer: {},
      attributes: { line_uid: p.chat },
      items: [],
    },
    scope: 'tiny',
  }),
});

/** Everything a source is: the whole of what a new file under src/sources/ would hold. */
const tinyShop: WebhookSource = {
  name: 'tinyshop',
  path: '/webhooks/tinyshop',
  secret: { name: 'TINYSHOP_SECRET', schema: Type.String({ minLength: 8, description: "Tiny Shop's webhook secret" }) },
  topicHeader: 'x-tiny-topic',
  verifier: (secret) => hmacVerifier(secret, 'X-Tiny-Signature'),
  payloadKind: byTopic(
    'x-tiny-topic',
    {
      'order.paid': PAID,
    },
    'order.paid',
  ),
  payloadKinds: [PAID],
};

async function start(withSecret: boolean) {
  const sim = await startSimulator();
  const dir = tempDir();
  writeFileSync(join(dir, 'mapping.yaml'), EXAMPLE_MAPPING);
  // In the test's process, as startService's: a stall of the runner on a busy machine is not the service's load.
  const settings = loadSettings(serviceEnv(sim, dir, { LOAD_MAX_EVENT_LOOP_DELAY_MS: '0' }));
  // The environment schema is built from the registry; registering the source puts its secret there.
  const config = withSecret ? { ...settings.config, TINYSHOP_SECRET: TINY_SECRET } : settings.config;
  const app = await buildApp({ ...settings, config }, { logger: createLogger('silent'), sources: [...SOURCES, tinyShop] });
  await app.ready();
  onTestFinished(async () => {
    await app.close();
    await sim.close();
  });
  return { app, sim };
}

const signed = (body: string, topic = 'order.paid') => ({
  method: 'POST' as const,
  url: '/webhooks/tinyshop',
  headers: {
    'content-type': 'application/json',
    'x-tiny-topic': topic,
    'x-tiny-signature': createHmac('sha256', TINY_SECRET).update(body).digest('base64'),
  },
  payload: body,
});

test('a registered source gets its route, signature check, payload validation, dedupe and delivery', async () => {
  const { app, sim } = await start(true);
  const body = JSON.stringify({ ref: 'T-1', amount: '90', chat: LINE_USER });
  const accepted = await app.inject(signed(body));
  expect(accepted.statusCode).toBe(202);
  expect((await app.inject(signed(body))).json()).toMatchObject({ status: 'duplicate' });
  await waitFor(() => sim.deliveredClientIds().includes(LINE_USER), { what: 'the delivery' });
  expect(sim.deliveredClientIds()).toEqual([LINE_USER]);

  const forged = await app.inject({ ...signed(body), headers: { ...signed(body).headers, 'x-tiny-signature': 'AAAA' } });
  expect(forged.statusCode).toBe(401);
  expect(forged.json()).toMatchObject({ code: 'SIGNATURE_INVALID' });
  const invalid = await app.inject(signed(JSON.stringify({ ref: '', amount: '1', chat: LINE_USER })));
  expect(invalid.statusCode).toBe(400);
  expect(invalid.json().message).toMatch(/ref/);
  expect((await app.inject(signed(body, 'order.viewed'))).json()).toMatchObject({ status: 'ignored' });

  const overview = await app.inject({ method: 'GET', url: '/admin/overview', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(overview.json().sources).toContainEqual(expect.objectContaining({ name: 'tinyshop', enabled: true }));
});

test('a registered source without its secret answers 404 naming the setting', async () => {
  const { app } = await start(false);
  const answer = await app.inject(signed('{}'));
  expect(answer.statusCode).toBe(404);
  expect(answer.json()).toMatchObject({ code: 'SOURCE_DISABLED', message: expect.stringContaining('TINYSHOP_SECRET') });
});
