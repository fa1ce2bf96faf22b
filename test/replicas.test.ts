// Two service processes on one PostgreSQL and the simulator, as a scaled-out deployment runs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { startSimulator, type MantagoSimulator } from '../simulator/simulator.ts';
import { freshSchema, postgresServer } from './helpers/postgres.ts';
import { spawnService, type ServiceProcess } from './helpers/process.ts';
import { EXAMPLE_MAPPING, serviceEnv, tempDir } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const server = await postgresServer();
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

const lineUser = (i: number) => `U${(0x5ca1e0000 + i).toString(16).padStart(32, '0')}`;
const timesDelivered = (sim: MantagoSimulator, i: number) => sim.deliveredClientIds().filter((id) => id === lineUser(i)).length;

async function deployment(sim: MantagoSimulator, env: Record<string, string>) {
  const schema = await freshSchema(server as string);
  const dir = tempDir();
  writeFileSync(join(dir, 'mapping.yaml'), EXAMPLE_MAPPING);
  const shared = serviceEnv(sim, dir, { DATABASE_URL: schema.url, LOG_LEVEL: 'info', DELIVERY_POLL_MS: '200', ...env });
  const replicas = await Promise.all([spawnService(shared), spawnService(shared)]);
  cleanup.push(() => schema.drop(), ...replicas.map((r) => () => r.stop('SIGKILL')));
  return { replicas, schema };
}

async function post(replica: ServiceProcess, i: number): Promise<number> {
  const id = 9_000_000 + i;
  const request = shopifyRequest(
    shopifyOrder({
      id,
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#${id}`,
      note_attributes: [{ name: 'line_uid', value: lineUser(i) }],
    }),
  );
  const response = await fetch(`${replica.url}${request.url}`, {
    method: 'POST',
    headers: request.headers as Record<string, string>,
    body: request.payload as string,
  });
  await response.body?.cancel();
  return response.status;
}

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

describe.skipIf(!server)('two replicas on one PostgreSQL', () => {
  test('500 orders over both, a third sent to both, a forced expiry mid-way: each delivered once, one refresh in all', async () => {
    const sim = await startSimulator({ latencyMs: 20 });
    cleanup.push(() => sim.close());
    const { replicas } = await deployment(sim, { BATCH_MAX_RECIPIENTS: '20', MANTAGO_MAX_CONCURRENCY: '4', MANTAGO_MAX_RPS: '500' });
    const [a, b] = replicas as [ServiceProcess, ServiceProcess];
    const orders = Array.from({ length: 500 }, (_, i) => i);
    const answers: number[] = [];
    await inParallel(orders, 20, async (i) => {
      if (i === 250) sim.expireToken();
      const [first, other] = i % 2 ? [a, b] : [b, a];
      const sends = [post(first, i)];
      if (i % 3 === 0) sends.push(post(other, i)); // the shop redelivers to the other replica at once
      answers.push(...(await Promise.all(sends)));
    });
    expect(answers.filter((s) => s === 202)).toHaveLength(500);
    expect(answers.filter((s) => s === 200)).toHaveLength(167);

    await waitFor(() => orders.every((i) => timesDelivered(sim, i) >= 1), { what: 'all 500 orders', timeoutMs: 30_000 });
    expect(orders.map((i) => timesDelivered(sim, i))).toEqual(orders.map(() => 1));
    expect(sim.deliveredClientIds()).toHaveLength(500);
    expect(sim.refreshCalls()).toHaveLength(1);
    expect(sim.broadcastCalls().filter((c) => c.error === 'Token is invalid or expired').length).toBeGreaterThan(0);
    // Both replicas really did deliver: the work was shared.
    for (const replica of [a, b]) expect(replica.output.some((line) => line.includes('"msg":"broadcast sent"'))).toBe(true);
  });

  test('a replica killed with SIGKILL while holding claimed work: the survivor delivers it after the lease, once', async () => {
    const sim = await startSimulator({ latencyMs: 1_000 }); // claims stay in flight long enough to kill one
    cleanup.push(() => sim.close());
    const { replicas, schema } = await deployment(sim, {
      BATCH_MAX_RECIPIENTS: '3',
      MANTAGO_MAX_CONCURRENCY: '2',
      MANTAGO_TIMEOUT_MS: '3000',
      DELIVERY_LEASE_MS: '6000',
    });
    const [victim, survivor] = replicas as [ServiceProcess, ServiceProcess];
    const orders = Array.from({ length: 30 }, (_, i) => i);
    for (const i of orders) expect(await post(i % 2 ? victim : survivor, i)).toBe(202);

    const db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    cleanup.push(() => db.end());
    const heldByVictim = async () =>
      Number(
        (
          await db.query(`SELECT count(*) AS n FROM deliveries WHERE status = 'pending' AND lease_owner LIKE $1`, [
            `%:${victim.child.pid}:%`,
          ])
        ).rows[0].n,
      );
    await waitFor(async () => (await heldByVictim()) > 0, { what: 'the victim to hold claimed work' });
    victim.child.kill('SIGKILL');
    await victim.exited;
    const orphaned = await heldByVictim();
    expect(orphaned).toBeGreaterThan(0);
    sim.set({ latencyMs: 0 });

    await waitFor(() => orders.every((i) => timesDelivered(sim, i) >= 1), {
      what: 'every order, the orphaned ones after their lease',
      timeoutMs: 20_000,
    });
    expect(orders.map((i) => timesDelivered(sim, i))).toEqual(orders.map(() => 1));
    expect(await heldByVictim()).toBe(0);
    expect(survivor.child.exitCode).toBe(null);
  });
});
