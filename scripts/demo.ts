// `npm run demo`: the MantaGO simulator and the service (node src/server.ts) on temporary storage,
// one signed sample Shopify order, what MantaGO received, an order whose webhook was lost found by
// reconciliation in a stand-in Shopify shop, and curl lines to try more.
// PORT (3000) and SIMULATOR_PORT (4010) move them; `--once` exits after the first order.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startShopifyShop } from '../simulator/shops/shopify.ts';
import { startSimulator } from '../simulator/simulator.ts';
import { hmacSha256Base64 } from '../src/sources/signature.ts';
import { DEMO } from './demo-settings.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const once = process.argv.includes('--once');
const port = Number(process.env.PORT ?? 3000);
const simulatorPort = Number(process.env.SIMULATOR_PORT ?? 4010);
const base = `http://localhost:${port}`;

const sim = await startSimulator({ port: simulatorPort, botId: DEMO.botId });
// The shop connection: a stand-in Shopify shop whose Admin API the service reads (its webhooks signed with the demo's secret).
const shop = await startShopifyShop({ shop: 'demo.myshopify.com', webhookSecret: DEMO.shopifySecret });
const dir = mkdtempSync(join(tmpdir(), 'notifier-demo-'));
const logFile = join(dir, 'service.log');
const log = createWriteStream(logFile);
const service = spawn(process.execPath, ['src/server.ts'], {
  cwd: root,
  env: {
    PATH: process.env.PATH,
    PORT: String(port),
    HOST: '127.0.0.1',
    ...sim.serviceEnv(),
    ...shop.serviceEnv(),
    DATABASE_URL: join(dir, 'notifier.db'),
    MAPPING_FILE: join(root, 'config/mapping.yaml'),
    SHOPIFY_WEBHOOK_SECRET: DEMO.shopifySecret,
    WOOCOMMERCE_WEBHOOK_SECRET: DEMO.wooSecret,
    WEBHOOK_SECRET: DEMO.standardSecret,
    ADMIN_TOKEN: DEMO.adminToken,
    LOG_LEVEL: 'info',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
service.stdout.pipe(log);
service.stderr.pipe(log);
let serviceExited = false;
service.once('exit', (code) => {
  serviceExited = true;
  if (!stopping) {
    process.stderr.write(`the service exited (${code}); its log is ${logFile}\n`);
    void shutdown(1);
  }
});

let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => undefined); // the first shutdown says how the demo ends
  stopping = true;
  if (!serviceExited) {
    service.kill('SIGTERM');
    await new Promise((resolve) => service.once('exit', resolve));
  }
  await sim.close();
  await shop.close();
  log.end();
  if (code === 0) rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));
// A step that failed (a call that timed out, a refused connection) ends the demo saying so, its log kept.
process.on('uncaughtException', (error) => {
  process.stderr.write(`the demo stopped: ${error.message}; the service log is ${logFile}\n`);
  void shutdown(1);
});
/** Every call the demo makes has a deadline: a step that hangs fails, and says which. */
const CALL_MS = 15_000;

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(check()).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      process.stderr.write(`timed out waiting for ${what}; the service log is ${logFile}\n`);
      return shutdown(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

await until('the service to be ready', async () =>
  (await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(CALL_MS) })).ok ? true : undefined,
);

const order = {
  id: 1001,
  admin_graphql_api_id: 'gid://shopify/Order/1001',
  name: '#1001',
  total_price: '1280.00',
  currency: 'TWD',
  email: 'mei@example.com',
  order_status_url: 'https://demo.myshopify.com/orders/1001',
  customer: { id: 7001, first_name: 'Mei', last_name: 'Lin', email: 'mei@example.com' },
  note_attributes: [{ name: 'line_uid', value: 'U4af4980629ab33c3c2f0c1d9d2a1b2c3' }],
  line_items: [{ title: 'Oolong tea', quantity: 2, price: '640.00' }],
};
/** Posts a signed Shopify webhook of `topic`; the answer's status and body. */
async function shopify(topic: string, payload: unknown): Promise<string> {
  const body = JSON.stringify(payload);
  const answer = await fetch(`${base}/webhooks/shopify`, {
    method: 'POST',
    signal: AbortSignal.timeout(CALL_MS),
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': 'demo.myshopify.com',
      'x-shopify-hmac-sha256': hmacSha256Base64(DEMO.shopifySecret, body),
    },
    body,
  });
  return `HTTP ${answer.status} ${await answer.text()}`;
}
const show = (broadcast: unknown) => JSON.stringify(broadcast, null, 2).replace(/^/gm, '   ');

const placed = await shopify('orders/create', order);
const confirmation = await until('MantaGO to receive the confirmation', () => sim.broadcasts[0]);
// The journey: the order ships. A Shopify fulfillment carries only the order's id: its customer is the one of the order.
const fulfillment = {
  id: 4001,
  order_id: 1001,
  tracking_number: 'TW123456789',
  tracking_url: 'https://track.example/TW123456789',
  tracking_company: 'Taiwan Post',
};
const shipped = await shopify('fulfillments/create', fulfillment);
const shipment = await until('MantaGO to receive the shipment message', () => sim.broadcasts[1]);
// No storefront work: the shop bound its member 7010 to a LINE user in MantaGO; an order of theirs carries no chat id at all.
sim.addClient({ clientId: DEMO.memberLineUser, customerId: '7010', clientName: 'Yu' });
const member = {
  ...order,
  id: 1010,
  admin_graphql_api_id: 'gid://shopify/Order/1010',
  name: '#1010',
  customer: { id: 7010, first_name: 'Yu' },
  note_attributes: [],
};
const memberOrder = await shopify('orders/create', member);
const throughMantago = await until('MantaGO to receive the member order', () => sim.broadcasts[2]);
// The shop takes an order whose webhook never reaches the service (no subscription: lost); one pass over the window finds it.
await until('the shop connection', async () => {
  const shops = (await (
    await fetch(`${base}/admin/shops`, { headers: { authorization: `Bearer ${DEMO.adminToken}` }, signal: AbortSignal.timeout(CALL_MS) })
  ).json()) as {
    shops: { lastPoll: unknown }[];
  };
  return shops.shops[0]?.lastPoll ? true : undefined;
});
const since = new Date(Date.now() - 60_000).toISOString();
shop.createOrder({ total: '5600.00', customer: { firstName: 'Lin' }, customAttributes: { line_uid: 'U0123456789abcdef0123456789abcdef' } });
const reconcile = await fetch(`${base}/admin/reconcile`, {
  method: 'POST',
  signal: AbortSignal.timeout(CALL_MS),
  headers: { authorization: `Bearer ${DEMO.adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ source: 'shopify', since }),
});
const reconciled = `HTTP ${reconcile.status} ${await reconcile.text()}`;
const recovered = await until('MantaGO to receive the reconciled order', () => sim.broadcasts[3]);

process.stdout.write(`
MantaGO order notifier demo
  service            ${base}   (log: ${logFile})
  operator console   ${base}/console   (sign in with the admin token ${DEMO.adminToken})
  MantaGO simulator  ${sim.url}

1. A signed Shopify orders/create webhook for order #1001 (LINE user in note_attributes):
   POST /webhooks/shopify  ->  ${placed}
   What MantaGO received (rule "default" of config/mapping.yaml):
${show(confirmation)}

2. Its shipment (fulfillments/create, with a tracking URL): the same customer, rule "shipped":
   POST /webhooks/shopify  ->  ${shipped}
${show(shipment)}

3. Order #1010 of member 7010, whom the shop bound to a LINE user in MantaGO (no chat id in the order):
   POST /webhooks/shopify  ->  ${memberOrder}
   Found through MantaGO's member binding (recipients: - mantago: { customerId: "{{customer.id}}" }):
${show(throughMantago)}

4. Order #1001 of the connected Shopify shop (a stand-in at ${shop.url}), whose webhook never came:
   POST /admin/reconcile {"source":"shopify","since":"<a minute ago>"}  ->  ${reconciled}
   (the service also polls the shop every RECONCILE_INTERVAL_S, 300 s by default). What MantaGO received:
${show(recovered)}

5. Try more (in another terminal; README.md explains each):
${DEMO.curlLines(base, sim.url).replace(/^/gm, '   ')}
`);

if (once) await shutdown(0);
process.stdout.write('Running until Ctrl-C.\n');
