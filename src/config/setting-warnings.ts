// What startup warns of rather than refuses: settings that work, but likely not as the operator
// meant. (A refusal would stop setups that are right: an http hop to a TLS proxy on the same pod.)
import type { Config } from './env.ts';

/** A host whose traffic stays on this machine: a stand-in's, where http carries no secret anywhere. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** A shop's API reached over plain http beyond this machine: `what` goes with every call, in clear. */
const SHOP_APIS = [
  { name: 'SHOPIFY_ADMIN_URL', what: 'the Admin API token goes out in clear on every poll' },
  {
    name: 'WOOCOMMERCE_URL',
    what: 'the consumer key and secret go out in clear on every poll, and WooCommerce takes them (HTTP Basic) only over https: it answers 401',
  },
] as const;

export function settingWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.DRY_RUN) warnings.push('DRY_RUN is on: deliveries are recorded but MantaGO is never called');
  if (config.SHUTDOWN_GRACE_MS < config.MANTAGO_REFRESH_TIMEOUT_MS + 2_000)
    warnings.push('SHUTDOWN_GRACE_MS is shorter than a refresh may take: a shutdown during one can lose the pair MantaGO rotated to');
  for (const { name, what } of SHOP_APIS) {
    const url = config[name];
    if (typeof url !== 'string' || !url.startsWith('http://')) continue;
    const host = new URL(url).hostname;
    if (!LOOPBACK.test(host)) warnings.push(`${name} is http:// (${host}): ${what}; use https`);
  }
  return warnings;
}
