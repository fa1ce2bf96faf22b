// A service connected to the shop stand-ins (simulator/shops/), on either store engine: the shop's
// settings from its serviceEnv(), PUBLIC_URL on a port the service listens on when asked, and the
// webhooks a shop lost sent late, signed as the shop signs them.
import { createServer } from 'node:net';
import type { InjectOptions } from 'fastify';
import { type ShopifyShop, type ShopifyShopOptions, startShopifyShop } from '../../simulator/shops/shopify.ts';
import { type MantagoSimulator, startSimulator } from '../../simulator/simulator.ts';
import { hmacSha256Base64 } from '../../src/sources/signature.ts';
import { freshSchema, postgresServer } from './postgres.ts';
import { ADMIN_TOKEN, shiftedClock, startService, tempDir } from './service.ts';

const server = await postgresServer();
export const SHOP_ENGINES = [
  { engine: 'sqlite' as const, available: true },
  { engine: 'postgres' as const, available: server !== undefined },
];

/** The DATABASE_URL of a fresh store on `engine`, and how to drop it. */
export async function storeUrl(engine: 'sqlite' | 'postgres', dir: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (engine === 'sqlite') return { url: `${dir}/notifier.db`, drop: async () => undefined };
  return freshSchema(server as string);
}

/** A Shopify stand-in, the simulator as MantaGO, and a fresh store on `engine` in a directory of its own; `cleanup` closes them. */
export async function shopifyAndSimulator(
  engine: 'sqlite' | 'postgres',
  cleanup: (() => Promise<void>)[],
  options: ShopifyShopOptions = {},
) {
  const shop = await startShopifyShop(options);
  const sim = await startSimulator();
  const dir = tempDir();
  const store = await storeUrl(engine, dir);
  cleanup.push(
    async () => shop.close(),
    async () => sim.close(),
    store.drop,
  );
  return { shop, sim, dir, store };
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** A LINE user per order, so the simulator's broadcasts tell each order's messages apart. */
export const shopUser = (i: number) => `U${(0x5b0900 + i).toString(16).padStart(32, '0')}`;

export interface ConnectedService {
  app: Awaited<ReturnType<typeof startService>>['app'];
  logs: string[];
  url: string | undefined;
}

/** The service on `env` (and the store at `dir`), listening on `port` if given; the same clock across restarts. */
export async function startConnected(
  sim: MantagoSimulator,
  options: { env: Record<string, string>; dir: string; clock: ReturnType<typeof shiftedClock>; port?: number; mapping?: string },
): Promise<ConnectedService> {
  const { app, logs } = await startService(sim, {
    env: { LOG_LEVEL: 'info', ...options.env },
    dir: options.dir,
    clock: options.clock,
    ...(options.mapping && { mapping: options.mapping }),
  });
  if (options.port !== undefined) await app.listen({ port: options.port, host: '127.0.0.1' });
  return { app, logs, url: options.port === undefined ? undefined : `http://127.0.0.1:${options.port}` };
}

/** The webhooks the shop lost, as it would have sent them (signed with its app secret), for a late arrival. */
export function lostShopifyWebhooks(shop: ShopifyShop): InjectOptions[] {
  return shop.deliveries
    .filter((d) => d.outcome === 'lost')
    .map((d) => ({
      method: 'POST',
      url: '/webhooks/shopify',
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': d.topic,
        'x-shopify-hmac-sha256': hmacSha256Base64(shop.webhookSecret, d.body),
        'x-shopify-shop-domain': shop.shop,
        'x-shopify-webhook-id': d.webhookId,
      },
      payload: d.body,
    }));
}

export { shiftedClock, tempDir };
