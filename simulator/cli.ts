// `npm run simulator`: a local MantaGO to point the service at before a shop has credentials.
// SIMULATOR_PORT (4010), SIMULATOR_HOST (127.0.0.1), SIMULATOR_BOT_ID (simBot01), SIMULATOR_LATENCY_MS (0).
// With --shops, a Shopify shop and a WooCommerce site too (SHOPIFY_SIM_PORT 4020, WOOCOMMERCE_SIM_PORT 4030).
import { startShopifyShop } from './shops/shopify.ts';
import { startWooCommerceSite } from './shops/woocommerce.ts';
import { startSimulator } from './simulator.ts';

const simulator = await startSimulator({
  port: Number(process.env.SIMULATOR_PORT ?? 4010),
  host: process.env.SIMULATOR_HOST ?? '127.0.0.1',
  botId: process.env.SIMULATOR_BOT_ID ?? 'simBot01',
  latencyMs: Number(process.env.SIMULATOR_LATENCY_MS ?? 0),
});
const settings = Object.entries(simulator.serviceEnv())
  .map(([name, value]) => `  ${name}=${value}`)
  .join('\n');
process.stdout.write(`MantaGO simulator listening on ${simulator.url}

Point the service at it (these credentials are the simulator's own, made up at start):
${settings}

Look and flip switches:
  curl ${simulator.url}/__simulator/broadcasts
  curl ${simulator.url}/__simulator/state
  curl -X POST ${simulator.url}/__simulator/switches -H 'content-type: application/json' -d '{"latencyMs":200,"fail":{"status":503,"count":3}}'
  curl -X POST ${simulator.url}/__simulator/switches -H 'content-type: application/json' -d '{"notPublished":true}'   # 36000 on every broadcast
  curl -X POST ${simulator.url}/__simulator/expire     # the token answers 1004 until refreshed
  curl -X POST ${simulator.url}/__simulator/pair       # a new pair, as the dashboard would issue; the old one dies
`);

const closers = [() => simulator.close()];
if (process.argv.includes('--shops')) {
  const host = process.env.SIMULATOR_HOST ?? '127.0.0.1';
  const shop = await startShopifyShop({ port: Number(process.env.SHOPIFY_SIM_PORT ?? 4020), host });
  const site = await startWooCommerceSite({ port: Number(process.env.WOOCOMMERCE_SIM_PORT ?? 4030), host });
  closers.push(
    () => shop.close(),
    () => site.close(),
  );
  const env = Object.entries({ ...shop.serviceEnv(), ...site.serviceEnv() })
    .map(([name, value]) => `  ${name}=${value}`)
    .join('\n');
  process.stdout.write(`
Shop stand-ins: Shopify at ${shop.url}, WooCommerce at ${site.url}
${env}

Make orders happen, lose webhooks, look:
  curl -X POST ${shop.url}/__simulator/orders -H 'content-type: application/json' -d '{"customAttributes":{"line_uid":"U0123456789abcdef0123456789abcdef"}}'
  curl -X POST ${shop.url}/__simulator/switches -H 'content-type: application/json' -d '{"loseWebhooks":{"count":1}}'
  curl -X POST ${site.url}/__simulator/orders -H 'content-type: application/json' -d '{"meta":{"line_uid":"U0123456789abcdef0123456789abcdef"}}'
  curl -X POST ${site.url}/__simulator/orders/101/update -H 'content-type: application/json' -d '{"status":"completed"}'
  curl ${shop.url}/__simulator/deliveries; curl ${site.url}/__simulator/state
`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all(closers.map((close) => close())).then(() => process.exit(0));
  });
}
