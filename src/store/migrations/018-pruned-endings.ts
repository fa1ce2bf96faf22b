// An order's cancellation or refund, told and then pruned by retention: its key is kept (a year), so
// the order edited again is not news. WooCommerce dates those events by the order's last change,
// which every edit moves, so their age cannot tell an old ending from a new one.
import { type Migration, types } from './index.ts';

export const m018: Migration = {
  version: 18,
  name: 'pruned_endings',
  sql(engine) {
    const t = types(engine);
    return `
CREATE TABLE pruned_endings (
  dedupe_key TEXT    PRIMARY KEY,
  pruned_at  ${t.bigint} NOT NULL
);
CREATE INDEX pruned_endings_by_time ON pruned_endings (pruned_at);`;
  },
};
