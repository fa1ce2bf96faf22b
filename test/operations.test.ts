// What an operator watches and switches: /metrics, DRY_RUN, load shedding, the OpenAPI document.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { startSimulator } from '../simulator/simulator.ts';
import { spawnService } from './helpers/process.ts';
import { ADMIN_TOKEN, EXAMPLE_MAPPING, serviceEnv, startServiceWithSimulator, tempDir } from './helpers/service.ts';
import { sample } from './helpers/metrics.ts';
import { waitFor } from './helpers/wait.ts';
import { LINE_USER, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const setup = (env: Record<string, string> = {}) => startServiceWithSimulator({ env });

test('/metrics: the counters move for an accepted, a refused and a delivered order', async () => {
  const { app, sim } = await setup();
  const scrape = async () => {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    return response.body;
  };
  const before = await scrape();
  expect(before).toContain('process_cpu_user_seconds_total'); // default process metrics
  expect(sample(before, 'notifier_webhooks_total{source="shopify",outcome="accepted"}')).toBe(0);

  sim.set({ latencyMs: 300 }); // the order waits long enough to be seen pending
  expect((await app.inject(shopifyRequest(shopifyOrder()))).statusCode).toBe(202);
  expect((await app.inject(shopifyRequest(shopifyOrder(), { signature: 'forged' }))).statusCode).toBe(401);
  const pending = await scrape();
  expect(sample(pending, 'notifier_webhooks_total{source="shopify",outcome="accepted"}')).toBe(1);
  expect(sample(pending, 'notifier_webhooks_total{source="shopify",outcome="bad_signature"}')).toBe(1);
  expect(sample(pending, 'notifier_deliveries_pending')).toBe(1);
  expect(sample(pending, 'notifier_oldest_pending_delivery_age_seconds')).toBeGreaterThanOrEqual(0);

  await waitFor(() => sim.deliveredClientIds().includes(LINE_USER), { what: 'the delivery' });
  const after = await waitFor(
    async () => {
      const text = await scrape();
      return sample(text, 'notifier_deliveries_total{outcome="sent"}') === 1 ? text : undefined;
    },
    { what: 'the sent counter' },
  );
  expect(sample(after, 'notifier_deliveries_pending')).toBe(0);
  expect(sample(after, 'notifier_mantago_call_duration_seconds_count{endpoint="broadcast",outcome="ok"}')).toBe(1);
  expect(sample(after, 'notifier_delivery_latency_seconds_count')).toBe(1);
  expect(sample(after, 'notifier_credentials_usable')).toBe(1);
  expect(sample(after, 'notifier_credentials_expiry_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000);
  // No order or customer ids as labels.
  expect(after).not.toMatch(/order_?id=|customer|client_?id=/i);
});

test('two apps in one process each have their own metrics', async () => {
  const one = await setup();
  const two = await setup();
  await one.app.inject(shopifyRequest(shopifyOrder()));
  const text = (await two.app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(sample(text, 'notifier_webhooks_total{source="shopify",outcome="accepted"}')).toBe(0);
});

test('DRY_RUN: the order is accepted and recorded as handled, and MantaGO is never called', async () => {
  const { app, sim } = await setup({ DRY_RUN: 'true' });
  const accepted = (await app.inject(shopifyRequest(shopifyOrder()))).json();
  const delivery = await waitFor(
    async () => {
      const d = (
        await app.inject({
          method: 'GET',
          url: `/admin/deliveries/${accepted.deliveryId}`,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        })
      ).json();
      return d.status === 'sent' ? d : undefined;
    },
    { what: 'the dry-run delivery' },
  );
  expect(delivery.attemptLog).toMatchObject([{ outcome: 'dry_run' }]);
  const manual = await app.inject({
    method: 'POST',
    url: '/admin/broadcasts',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    payload: { platform: 'line', userIds: [LINE_USER], intentId: 'x' },
  });
  expect(manual.json()).toMatchObject({ status: 'sent', mantago: { reply: { message: expect.stringContaining('DRY_RUN') } } });
  const refresh = await app.inject({
    method: 'POST',
    url: '/admin/credentials/refresh',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(refresh.json()).toMatchObject({ outcome: 'unavailable', credentials: { dryRun: true } });
  expect(sim.broadcastCalls()).toHaveLength(0);
  expect(sim.refreshCalls()).toHaveLength(0);
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(sample(metrics, 'notifier_deliveries_total{outcome="dry_run"}')).toBe(2);
});

test('over a load threshold: webhooks get 503 with Retry-After, /readyz says why, /healthz and /metrics still answer', async () => {
  const { app, sim } = await setup({ LOAD_MAX_RSS_MB: '1', LOAD_RETRY_AFTER_S: '7' }); // every process is over 1 MB
  let accepted = 0; // until the first sample of the process's memory
  const shed = await waitFor(
    async () => {
      const response = await app.inject(shopifyRequest(shopifyOrder()));
      if (response.statusCode === 202) accepted++;
      return response.statusCode === 503 ? response : undefined;
    },
    { what: 'load shedding to start' },
  );
  expect(shed.headers['retry-after']).toBe('7');
  expect(shed.json()).toMatchObject({ code: 'OVERLOADED', message: expect.stringContaining('retry after 7 s') });
  expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  expect(ready.statusCode).toBe(503);
  expect(ready.json()).toMatchObject({ status: 'not_ready', checks: { load: 'rss', store: 'ok' } });
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(sample(metrics, 'notifier_webhooks_total{source="shopify",outcome="overloaded"}')).toBeGreaterThanOrEqual(1);
  // What was accepted before goes out; what was shed was never stored (the shop retries it).
  await waitFor(() => sim.deliveredClientIds().length === accepted, { what: 'the orders accepted before shedding' });
  const deliveries = await app.inject({
    method: 'GET',
    url: '/admin/deliveries?limit=500',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(deliveries.statusCode).toBe(503); // the admin API sheds load too
});

test('/openapi.json describes every route from its schemas, admin routes with the bearer token', async () => {
  const { app } = await setup();
  const response = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  const doc = response.json();
  expect(doc.openapi).toMatch(/^3\./);
  for (const path of [
    '/webhooks/shopify',
    '/webhooks/woocommerce',
    '/webhooks/orders',
    '/healthz',
    '/readyz',
    '/admin/broadcasts',
    '/admin/deliveries',
    '/admin/deliveries/{id}',
    '/admin/deliveries/{id}/retry',
    '/admin/credentials',
    '/admin/recipients/{key}',
    '/admin/recipients/import',
    '/admin/overview',
  ]) {
    expect(doc.paths, path).toHaveProperty([path]);
  }
  expect(doc.paths['/admin/deliveries'].get.security).toEqual([{ adminToken: [] }]);
  expect(doc.paths['/webhooks/orders'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('orderId');
});

test('memory shedding can fire under the start flags: by default it sheds at 90% of the heap the flags allow', async () => {
  const sim = await startSimulator();
  const dir = tempDir();
  writeFileSync(join(dir, 'mapping.yaml'), EXAMPLE_MAPPING);
  const flags = (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }
  ).scripts.start
    .split(' ')
    .filter((w) => w.startsWith('--'));
  const service = await spawnService(serviceEnv(sim, dir, { LOG_LEVEL: 'info' }), { command: [...flags, 'src/server.ts'] });
  try {
    const line = service.output.find((l) => l.includes('"msg":"load thresholds (0: off)"'));
    const logged = JSON.parse(line as string) as { loadThresholds: { heapUsedMb: number; rssMb: number }; heapLimitMb: number };
    const oldSpace = Number(flags.find((f) => f.startsWith('--max-old-space-size='))?.split('=')[1]);
    expect(logged.heapLimitMb).toBeGreaterThanOrEqual(oldSpace);
    expect(logged.heapLimitMb).toBeLessThan(oldSpace * 1.5); // the flag, not the host's memory, sets the limit
    expect(logged.loadThresholds.heapUsedMb).toBe(Math.floor(logged.heapLimitMb * 0.9));
    expect(logged.loadThresholds.rssMb).toBe(0);
  } finally {
    await service.stop('SIGKILL');
    await sim.close();
  }
});
