// Shopify's order ids are global, so its dedupe key no longer holds the shop (which came from an
// unsigned header): the orders stored before are keyed the same way, so their redeliveries stay
// duplicates. Where the old key let one order in twice (another shop header), the first keeps it.
import type { Migration } from './index.ts';

export const m004: Migration = {
  version: 4,
  name: 'shopify_global_order_ids',
  sql(engine) {
    const sep = engine === 'sqlite' ? 'char(31)' : 'chr(31)';
    return `
UPDATE deliveries SET dedupe_key = 'shopify' || ${sep} || ${sep} || order_id
  WHERE source = 'shopify' AND id IN (SELECT min(id) FROM deliveries WHERE source = 'shopify' GROUP BY order_id);`;
  },
};
