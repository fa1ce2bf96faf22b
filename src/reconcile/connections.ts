// The shop connections the settings enable: a source is connected when its shop and its API
// credentials are set (config/shop-settings.ts checks they come together).
import type { Config } from '../config/env.ts';
import type { ShopConnection } from './connection.ts';
import { shopifyConnection } from './shopify-connection.ts';
import { woocommerceConnection } from './woocommerce-connection.ts';

export function connectionsFrom(config: Config): ShopConnection[] {
  const connections: ShopConnection[] = [];
  if (config.SHOPIFY_SHOP && config.SHOPIFY_ADMIN_TOKEN) {
    connections.push(
      shopifyConnection({
        shop: config.SHOPIFY_SHOP,
        token: config.SHOPIFY_ADMIN_TOKEN,
        adminUrl: config.SHOPIFY_ADMIN_URL,
        apiVersion: config.SHOPIFY_API_VERSION,
      }),
    );
  }
  if (config.WOOCOMMERCE_URL && config.WOOCOMMERCE_CONSUMER_KEY && config.WOOCOMMERCE_CONSUMER_SECRET) {
    connections.push(
      woocommerceConnection({
        url: config.WOOCOMMERCE_URL,
        consumerKey: config.WOOCOMMERCE_CONSUMER_KEY,
        consumerSecret: config.WOOCOMMERCE_CONSUMER_SECRET,
        webhookSecret: config.WOOCOMMERCE_WEBHOOK_SECRET as string | undefined,
      }),
    );
  }
  return connections;
}
