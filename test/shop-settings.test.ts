// The shop connections' settings: defaults, a connection half set up named with what it lacks (with
// every other problem at once), and the admin token and consumer secrets never shown.
import { describe, expect, test } from 'vitest';
import { describeConfig, parseEnv } from '../src/config/env.ts';
import { startServiceWithSimulator } from './helpers/service.ts';

const minimal = { MANTAGO_BOT_ID: 'bot1', MANTAGO_API_TOKEN: 'tok.en.value', MANTAGO_API_SECRET: 'sec-value' };

describe('shop connection settings', () => {
  test('defaults: polling every 300 s, the current Admin API version, no connection', () => {
    const { config } = parseEnv(minimal);
    expect(config).toMatchObject({ RECONCILE_INTERVAL_S: 300, SHOPIFY_API_VERSION: '2026-10' });
    expect(config?.SHOPIFY_SHOP).toBeUndefined();
    expect(config?.PUBLIC_URL).toBeUndefined();
  });

  test('a connection half set up is named with what it lacks, listed with every other problem, secrets unshown', () => {
    const { problems } = parseEnv({
      ...minimal,
      PORT: 'eighty',
      SHOPIFY_ADMIN_TOKEN: 'shpat_secret_token_value',
      WOOCOMMERCE_URL: 'https://shop.example',
      WOOCOMMERCE_CONSUMER_SECRET: 'cs_secret_value',
      PUBLIC_URL: 'ftp://nope',
      RECONCILE_INTERVAL_S: '-1',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT is invalid/),
        expect.stringMatching(/^PUBLIC_URL is invalid: expected this service's public origin/),
        expect.stringMatching(/^RECONCILE_INTERVAL_S is invalid: expected seconds between polls/),
        'SHOPIFY_SHOP is required for a Shopify connection (SHOPIFY_ADMIN_TOKEN is set)',
        'WOOCOMMERCE_CONSUMER_KEY is required for a WooCommerce connection (WOOCOMMERCE_URL, WOOCOMMERCE_CONSUMER_SECRET are set)',
        expect.stringMatching(/^WOOCOMMERCE_WEBHOOK_SECRET is required with PUBLIC_URL/),
      ]),
    );
    expect(problems).toHaveLength(6);
    expect(problems.join('\n')).not.toContain('shpat_secret_token_value');
    expect(problems.join('\n')).not.toContain('cs_secret_value');
  });

  test('PUBLIC_URL with a connection needs the webhook secret of its source', () => {
    const { problems } = parseEnv({
      ...minimal,
      PUBLIC_URL: 'https://notify.example.com',
      SHOPIFY_SHOP: 'tea.myshopify.com',
      SHOPIFY_ADMIN_TOKEN: 'shpat_x',
      WOOCOMMERCE_URL: 'https://shop.example',
      WOOCOMMERCE_CONSUMER_KEY: 'ck_x',
      WOOCOMMERCE_CONSUMER_SECRET: 'cs_x',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^SHOPIFY_WEBHOOK_SECRET is required with PUBLIC_URL and a Shopify connection/),
      expect.stringMatching(/^WOOCOMMERCE_WEBHOOK_SECRET is required with PUBLIC_URL and a WooCommerce connection/),
    ]);
  });

  test('a bad shop domain is refused; the startup log shows the credentials as set', () => {
    expect(parseEnv({ ...minimal, SHOPIFY_SHOP: 'shop.example.com', SHOPIFY_ADMIN_TOKEN: 't' }).problems).toEqual([
      expect.stringMatching(/^SHOPIFY_SHOP is invalid: expected the shop's \*\.myshopify\.com domain \(got "shop\.example\.com"\)$/),
    ]);
    const { config } = parseEnv({
      ...minimal,
      SHOPIFY_SHOP: 'tea.myshopify.com',
      SHOPIFY_ADMIN_TOKEN: 'shpat_secret_token_value',
      WOOCOMMERCE_URL: 'https://shop.example',
      WOOCOMMERCE_CONSUMER_KEY: 'ck_key_value',
      WOOCOMMERCE_CONSUMER_SECRET: 'cs_secret_value',
    });
    const shown = describeConfig(config as NonNullable<typeof config>);
    expect(shown).toMatchObject({
      SHOPIFY_SHOP: 'tea.myshopify.com',
      SHOPIFY_ADMIN_TOKEN: 'set',
      WOOCOMMERCE_CONSUMER_KEY: 'set',
      WOOCOMMERCE_CONSUMER_SECRET: 'set',
    });
    expect(JSON.stringify(shown)).not.toMatch(/shpat_secret|cs_secret|ck_key/);
  });
});

describe('a shop API over plain http', () => {
  test("beyond this machine, startup warns that the shop's credentials go in clear (not showing them); a local stand-in is not warned of", async () => {
    const shops = {
      RECONCILE_INTERVAL_S: '0',
      SHOPIFY_SHOP: 'tea.myshopify.com',
      SHOPIFY_ADMIN_TOKEN: 'shpat_in_clear_value',
      SHOPIFY_ADMIN_URL: 'http://shopify-proxy.internal:8080',
      WOOCOMMERCE_URL: 'http://wp.example/shop',
      WOOCOMMERCE_CONSUMER_KEY: 'ck_in_clear_value',
      WOOCOMMERCE_CONSUMER_SECRET: 'cs_in_clear_value',
    };
    const { logs } = await startServiceWithSimulator({ env: shops });
    const warned = (name: string) => logs.filter((l) => l.includes('"level":40') && l.includes(`${name} is http://`));
    expect(warned('SHOPIFY_ADMIN_URL')).toEqual([
      expect.stringContaining('shopify-proxy.internal): the Admin API token goes out in clear'),
    ]);
    expect(warned('WOOCOMMERCE_URL')).toEqual([expect.stringContaining('WooCommerce takes them (HTTP Basic) only over https')]);
    for (const secret of ['shpat_in_clear_value', 'ck_in_clear_value', 'cs_in_clear_value']) expect(logs.join('\n')).not.toContain(secret);

    const local = await startServiceWithSimulator({
      env: { ...shops, SHOPIFY_ADMIN_URL: 'http://127.0.0.1:9', WOOCOMMERCE_URL: 'http://localhost:9/shop' },
    });
    expect(local.logs.filter((l) => l.includes(' is http://'))).toEqual([]);
  });
});
