// A scaled-out deployment for the tests: service processes on one PostgreSQL schema, the
// simulator as MantaGO, and the shop's side (posting signed orders to one replica or another).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { MantagoSimulator } from '../../simulator/simulator.ts';
import { freshSchema } from './postgres.ts';
import { spawnService, type ServiceProcess } from './process.ts';
import { EXAMPLE_MAPPING, serviceEnv, tempDir } from './service.ts';
import { shopifyOrder, shopifyRequest } from './webhooks.ts';

export interface Deployment {
  replicas: ServiceProcess[];
  env: Record<string, string | undefined>;
  db: pg.Client;
  /** Starts one more replica with the same settings (a restart). */
  start(): Promise<ServiceProcess>;
  /** Deliveries leased to a replica's worker right now. */
  heldBy(replica: ServiceProcess): Promise<number>;
  close(): Promise<void>;
}

export async function deployment(server: string, sim: MantagoSimulator, env: Record<string, string>, replicas = 2): Promise<Deployment> {
  const schema = await freshSchema(server);
  const dir = tempDir();
  writeFileSync(join(dir, 'mapping.yaml'), EXAMPLE_MAPPING);
  const shared = serviceEnv(sim, dir, { DATABASE_URL: schema.url, LOG_LEVEL: 'info', DELIVERY_POLL_MS: '200', ...env });
  const started = await Promise.all(Array.from({ length: replicas }, () => spawnService(shared)));
  const db = new pg.Client({ connectionString: schema.url });
  await db.connect();
  return {
    replicas: started,
    env: shared,
    db,
    async start() {
      const replica = await spawnService(shared);
      started.push(replica);
      return replica;
    },
    async heldBy(replica) {
      const { rows } = await db.query(`SELECT count(*) AS n FROM deliveries WHERE status = 'pending' AND lease_owner LIKE $1`, [
        `%:${replica.child.pid}:%`,
      ]);
      return Number(rows[0].n);
    },
    async close() {
      for (const replica of started) await replica.stop('SIGKILL');
      await db.end();
      await schema.drop();
    },
  };
}

/** A distinct LINE user per order number, so the simulator can count each order's messages. */
export const orderUser = (i: number) => `U${(0x5ca1e0000 + i).toString(16).padStart(32, '0')}`;

/** The shop posting order `i` (its own user) to `replica`; the HTTP status it got. */
export async function postOrder(replica: ServiceProcess, i: number): Promise<number> {
  const id = 9_000_000 + i;
  const request = shopifyRequest(
    shopifyOrder({
      id,
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#${id}`,
      note_attributes: [{ name: 'line_uid', value: orderUser(i) }],
    }),
  );
  // A shop tries again after a 503 (the service shedding load on a busy machine), as Shopify does:
  // the answer that counts is the one its retries end with.
  for (;;) {
    const response = await fetch(`${replica.url}${request.url}`, {
      method: 'POST',
      headers: request.headers as Record<string, string>,
      body: request.payload as string,
    });
    await response.body?.cancel();
    if (response.status !== 503) return response.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `work` over `items`, `width` at a time. */
export async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}
