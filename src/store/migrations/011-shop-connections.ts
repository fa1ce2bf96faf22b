// Shop connections (issue 23): one row per connected source, shared by every replica: the
// watermark a poll reads from (the shop's updated time, advanced only after a page's events are
// stored), when the connection was first made (no history before it unless asked), the lease of
// the one replica polling, when the next poll is due, and what the last poll and the last webhook
// check came to (for GET /admin/shops on any replica).
import { POLL_OUTCOMES } from '../../reconcile/outcomes.ts';
import { oneOf, types, type Migration } from './index.ts';

export const m011: Migration = {
  version: 11,
  name: 'shop_connections',
  sql(engine) {
    const t = types(engine);
    return `
CREATE TABLE shop_connections (
  source          TEXT    PRIMARY KEY,
  connected_at    ${t.bigint} NOT NULL,
  watermark       ${t.bigint} NOT NULL,
  next_poll_at    ${t.bigint} NOT NULL,
  lease_owner     TEXT,
  lease_until     ${t.bigint},
  last_poll_at    ${t.bigint},
  last_outcome    TEXT CHECK (last_outcome ${oneOf(POLL_OUTCOMES)}),
  last_error      TEXT,
  last_orders     INTEGER NOT NULL DEFAULT 0,
  last_recovered  INTEGER NOT NULL DEFAULT 0,
  -- the shop's webhooks as the last check found them, with the last repair of each (JSON)
  webhooks_json   TEXT
);`;
  },
};
