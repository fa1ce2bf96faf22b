// The settings of shop connections (issue 23; the names are a contract): a source is connected when
// its shop and its API credentials are set; PUBLIC_URL makes the service keep the shop's webhooks
// pointing at it; RECONCILE_INTERVAL_S paces the polls. Spread into the environment schema (env.ts).
import Type, { type TSchema } from 'typebox';

const Url = (description: string) => Type.Optional(Type.String({ description, pattern: '^https?://[^\\s/]+(/[^\\s]*)?$' }));
const Secret = (description: string) => Type.Optional(Type.String({ description, minLength: 1 }));

/** The current stable Admin API version this service is written against. */
export const DEFAULT_SHOPIFY_API_VERSION = '2026-10';

export const SHOP_SETTINGS = {
  SHOPIFY_SHOP: Type.Optional(
    Type.String({ description: "the shop's *.myshopify.com domain", pattern: '^[A-Za-z0-9][A-Za-z0-9-]*\\.myshopify\\.com$' }),
  ),
  SHOPIFY_ADMIN_TOKEN: Secret(
    "the Admin API access token of the shop's custom app (shpat_…; scopes read_orders, read_fulfillments, read_all_orders)",
  ),
  SHOPIFY_ADMIN_URL: Url('origin of the Shopify Admin API, http(s)://host[:port]; default https://<SHOPIFY_SHOP>'),
  SHOPIFY_API_VERSION: Type.String({
    description: 'the Shopify Admin API version, YYYY-MM',
    pattern: '^\\d{4}-\\d{2}$',
    default: DEFAULT_SHOPIFY_API_VERSION,
  }),
  WOOCOMMERCE_URL: Url("the WooCommerce site's URL, http(s)://host[/path]; REST under its /wp-json/wc/v3/"),
  WOOCOMMERCE_CONSUMER_KEY: Secret('the WooCommerce REST API consumer key (ck_…, read/write)'),
  WOOCOMMERCE_CONSUMER_SECRET: Secret('the WooCommerce REST API consumer secret (cs_…)'),
  PUBLIC_URL: Url("this service's public origin, http(s)://host[:port]: the shop's webhooks are kept pointing at it"),
  RECONCILE_INTERVAL_S: Type.Integer({
    description: 'seconds between polls of a connected shop (0 turns polling off)',
    default: 300,
    minimum: 0,
    maximum: 86_400,
  }),
} satisfies Record<string, TSchema>;

/** Settings never shown, not even in configuration errors. */
export const SHOP_SECRET_NAMES = ['SHOPIFY_ADMIN_TOKEN', 'WOOCOMMERCE_CONSUMER_KEY', 'WOOCOMMERCE_CONSUMER_SECRET'];

/** The settings that must be set together, each group naming what it enables. */
const TOGETHER: { names: string[]; what: string }[] = [
  { names: ['SHOPIFY_SHOP', 'SHOPIFY_ADMIN_TOKEN'], what: 'a Shopify connection' },
  { names: ['WOOCOMMERCE_URL', 'WOOCOMMERCE_CONSUMER_KEY', 'WOOCOMMERCE_CONSUMER_SECRET'], what: 'a WooCommerce connection' },
];

/** Each problem by the setting it is about: a connection half set up is named, with what it lacks. */
export function shopSettingProblems(config: Record<string, unknown>): Map<string, string> {
  const problems = new Map<string, string>();
  for (const { names, what } of TOGETHER) {
    const set = names.filter((n) => config[n] !== undefined);
    if (set.length === 0 || set.length === names.length) continue;
    const missing = names.filter((n) => config[n] === undefined);
    for (const name of missing)
      problems.set(name, `${name} is required for ${what} (${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set)`);
  }
  // The webhooks kept at PUBLIC_URL must be ones this service takes: their source's secret set.
  const keeps = config.PUBLIC_URL !== undefined;
  if (keeps && config.SHOPIFY_SHOP !== undefined && config.SHOPIFY_WEBHOOK_SECRET === undefined)
    problems.set(
      'SHOPIFY_WEBHOOK_SECRET',
      "SHOPIFY_WEBHOOK_SECRET is required with PUBLIC_URL and a Shopify connection: the app's API secret key signs the webhooks kept there",
    );
  if (keeps && config.WOOCOMMERCE_URL !== undefined && config.WOOCOMMERCE_WEBHOOK_SECRET === undefined)
    problems.set(
      'WOOCOMMERCE_WEBHOOK_SECRET',
      'WOOCOMMERCE_WEBHOOK_SECRET is required with PUBLIC_URL and a WooCommerce connection: the webhooks the service creates are signed with it',
    );
  if (config.SHOPIFY_ADMIN_URL !== undefined && config.SHOPIFY_SHOP === undefined)
    problems.set('SHOPIFY_ADMIN_URL', 'SHOPIFY_ADMIN_URL needs SHOPIFY_SHOP and SHOPIFY_ADMIN_TOKEN (a Shopify connection)');
  return problems;
}
