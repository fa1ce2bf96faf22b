// A WooCommerce site's orders are keyed by its address with either scheme as https (siteScope in
// sources/woocommerce.ts), so a site moved from http:// to https:// keeps its orders: the orders
// stored before under http:// are keyed so too, and their later events find them. Where both were
// stored (the site moved before this), the https one keeps the key.
import type { Migration } from './index.ts';

const HTTP = 'http://';

export const m016: Migration = {
  version: 16,
  name: 'woocommerce_site_scheme',
  sql(engine) {
    const sep = engine === 'sqlite' ? 'char(31)' : 'chr(31)';
    const prefix = `'woocommerce' || ${sep} || '${HTTP}'`;
    const length = 'woocommerce'.length + 1 + HTTP.length;
    const rekeyed = (column: string) => `'woocommerce' || ${sep} || 'https://' || substr(${column}, ${length + 1})`;
    const isHttp = (column: string) => `substr(${column}, 1, ${length}) = ${prefix}`;
    return `
UPDATE deliveries SET dedupe_key = ${rekeyed('dedupe_key')}
  WHERE source = 'woocommerce' AND ${isHttp('dedupe_key')}
    AND NOT EXISTS (SELECT 1 FROM deliveries taken WHERE taken.dedupe_key = ${rekeyed('deliveries.dedupe_key')});
UPDATE deliveries SET order_key = ${rekeyed('order_key')} WHERE source = 'woocommerce' AND ${isHttp('order_key')};`;
  },
};
