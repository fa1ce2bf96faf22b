// The process dies hard with accepted orders not yet sent, some of them in flight at MantaGO.
// After a restart every one of them is delivered, each exactly once.
import { afterEach, expect, test } from 'vitest';
import { startSimulator } from '../simulator/simulator.ts';
import { spawnService, type ServiceProcess } from './helpers/process.ts';
import { ADMIN_TOKEN, EXAMPLE_MAPPING, serviceEnv, tempDir } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const running: ServiceProcess[] = [];
afterEach(async () => {
  for (const service of running.splice(0)) await service.stop('SIGKILL');
});

/** Read through its log (info) and never shedding load: a loaded machine's 503 is not what these tests are about. */
const ENV = { LOG_LEVEL: 'info', LOAD_MAX_EVENT_LOOP_DELAY_MS: '0' };
const lineUser = (i: number) => `U${(0xdead00 + i).toString(16).padStart(32, '0')}`;

async function post(baseUrl: string, request: ReturnType<typeof shopifyRequest>) {
  return fetch(`${baseUrl}${request.url}`, {
    method: 'POST',
    headers: request.headers as Record<string, string>,
    body: request.payload as string,
  });
}

test('SIGKILL with accepted-but-unsent orders: all are delivered after restart, each exactly once', async () => {
  const sim = await startSimulator({ latencyMs: 60_000 }); // nothing completes before the kill
  const dir = tempDir();
  writeFileSync(join(dir, 'mapping.yaml'), EXAMPLE_MAPPING);
  const env = serviceEnv(sim, dir, { BATCH_MAX_RECIPIENTS: '3', ...ENV });

  const first = await spawnService(env);
  running.push(first);
  const orders = Array.from({ length: 20 }, (_, i) => i);
  for (const i of orders) {
    const answer = await post(first.url, shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: lineUser(i) }] })));
    expect(answer.status).toBe(202);
  }
  // Some of the work is claimed and in flight at MantaGO when the process dies.
  await waitFor(() => sim.maxConcurrentCalls() >= 1, { what: 'a broadcast in flight' });
  first.child.kill('SIGKILL');
  expect(await first.exited).toBe(null);

  sim.set({ latencyMs: 0 });
  const second = await spawnService(env);
  running.push(second);
  await waitFor(() => orders.every((i) => sim.deliveredClientIds().includes(lineUser(i))), {
    what: 'every accepted order',
    timeoutMs: 15_000,
  });
  const counts = orders.map((i) => sim.deliveredClientIds().filter((id) => id === lineUser(i)).length);
  expect(counts).toEqual(orders.map(() => 1));

  // The token, the secret and the signatures never reached the log of either process.
  const { apiToken, apiSecret } = sim.credentials();
  for (const line of [...first.output, ...second.output]) {
    expect(line).not.toContain(apiToken);
    expect(line).not.toContain(apiSecret);
  }
  await second.stop();
  await sim.close();
});

test("a message held by its rule's delay survives a SIGKILL and goes out once after the restart", async () => {
  const sim = await startSimulator();
  const dir = tempDir();
  const rules = EXAMPLE_MAPPING.slice(0, EXAMPLE_MAPPING.indexOf('rules:'));
  writeFileSync(join(dir, 'mapping.yaml'), `${rules}rules:\n  - name: confirmation\n    delay: 3s\n    send: { intentId: rb2kYmMdW }\n`);
  const env = serviceEnv(sim, dir, ENV);
  const first = await spawnService(env);
  running.push(first);
  const answer = await post(first.url, shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: lineUser(50) }] })));
  expect(answer.status).toBe(202);
  const { deliveryId } = (await answer.json()) as { deliveryId: string };
  const held = await fetch(`${first.url}/admin/deliveries/${deliveryId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(await held.json()).toMatchObject({ status: 'pending', waitReason: 'delay 3s' });
  first.child.kill('SIGKILL');
  expect(await first.exited).toBe(null);
  expect(sim.broadcasts).toEqual([]); // held, not sent, when the process died

  const second = await spawnService(env);
  running.push(second);
  await waitFor(() => sim.deliveredClientIds().includes(lineUser(50)), { what: 'the held message', timeoutMs: 15_000 });
  const sent = await waitFor(
    async () => {
      const delivery = await fetch(`${second.url}/admin/deliveries/${deliveryId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const body = (await delivery.json()) as { status: string };
      return body.status === 'sent' ? body : undefined;
    },
    { what: 'the service to record the send' },
  );
  expect(sent).toMatchObject({ status: 'sent' });
  expect(sim.deliveredClientIds()).toEqual([lineUser(50)]);
  await second.stop();
  await sim.close();
});

test('SIGTERM: stops accepting, finishes the send under way, and exits 0', async () => {
  const sim = await startSimulator({ latencyMs: 1_500 });
  const dir = tempDir();
  writeFileSync(join(dir, 'mapping.yaml'), EXAMPLE_MAPPING);
  const service = await spawnService(serviceEnv(sim, dir, ENV));
  running.push(service);
  expect(
    (await post(service.url, shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: lineUser(99) }] })))).status,
  ).toBe(202);
  await waitFor(() => sim.maxConcurrentCalls() >= 1, { what: 'the send to be under way' });
  service.child.kill('SIGTERM');
  expect(await service.exited).toBe(0);
  // The send under way was allowed to finish rather than cut off.
  expect(sim.deliveredClientIds()).toEqual([lineUser(99)]);
  expect(service.output.some((line) => line.includes('"msg":"shutting down"'))).toBe(true);
  await sim.close();
});
