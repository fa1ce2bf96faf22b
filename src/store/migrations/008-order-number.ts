// The order's number as the shop shows it (Shopify's "#1004", WooCommerce's number), beside its
// id: operators and customers quote the number, so the admin list and the console find an order
// by either. Filled in for the orders stored before, from their stored order.
import type { Migration } from './index.ts';

export const m008: Migration = {
  version: 8,
  name: 'order_number',
  sql(engine) {
    // PostgreSQL's json operators refuse a \u0000 escape, which a stored order may hold: a pattern
    // reads the field instead (with no '?' in it: the PostgreSQL runner numbers those as parameters).
    const stored =
      engine === 'sqlite' ? `json_extract(order_json, '$.orderNumber')` : `substring(order_json from '"orderNumber":"([^"]*)"')`;
    return `
ALTER TABLE deliveries ADD COLUMN order_number TEXT;
UPDATE deliveries SET order_number = ${stored} WHERE order_json LIKE '%"orderNumber":%';
CREATE INDEX deliveries_order_number ON deliveries (order_number);`;
  },
};
