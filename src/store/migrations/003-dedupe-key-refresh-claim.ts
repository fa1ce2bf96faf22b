// One column says which webhooks are the same (dedupe_key, computed by the intake) instead of the
// fixed (source, shop, order id), so an order can have more than one message; and a claim on the
// credentials' one refresh (refresh_owner until refresh_until), so no transaction stays open
// across the call to MantaGO. SQLite cannot drop a UNIQUE constraint: the table is rebuilt
// (foreign keys are off while migrations run).
import { DELIVERY_STATUSES } from '../../domain/delivery.ts';
import { oneOf, types, type Migration } from './index.ts';

const COLUMNS = `source, shop, order_id, topic, received_at, order_json, status, platform, client_id, recipient_via, rule, intent_id,
  message, fb_tag, broadcast_name, batch_key, attempts, next_attempt_at, lease_owner, finished_at, last_error, redriven_at`;

export const m003: Migration = {
  version: 3,
  name: 'dedupe_key_refresh_claim',
  sql(engine) {
    const t = types(engine);
    const claim = `
ALTER TABLE credentials ADD COLUMN refresh_owner TEXT;
ALTER TABLE credentials ADD COLUMN refresh_until ${t.bigint};`;
    if (engine === 'postgres') {
      return `
ALTER TABLE deliveries ADD COLUMN dedupe_key TEXT;
UPDATE deliveries SET dedupe_key = source || chr(31) || shop || chr(31) || order_id;
ALTER TABLE deliveries ALTER COLUMN dedupe_key SET NOT NULL;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_dedupe_key UNIQUE (dedupe_key);
ALTER TABLE deliveries DROP CONSTRAINT deliveries_source_shop_order_id_key;
CREATE INDEX deliveries_order ON deliveries (order_id);${claim}`;
    }
    return `
CREATE TABLE deliveries_new (
  id              ${t.id},
  dedupe_key      TEXT    NOT NULL UNIQUE,
  source          TEXT    NOT NULL,
  shop            TEXT    NOT NULL,
  order_id        TEXT    NOT NULL,
  topic           TEXT,
  received_at     ${t.bigint} NOT NULL,
  order_json      TEXT    NOT NULL,
  status          TEXT    NOT NULL CHECK (status ${oneOf(DELIVERY_STATUSES)}),
  platform        TEXT,
  client_id       TEXT,
  recipient_via   TEXT,
  rule            TEXT,
  intent_id       TEXT,
  message         TEXT,
  fb_tag          TEXT,
  broadcast_name  TEXT,
  batch_key       TEXT,
  attempts        INTEGER NOT NULL DEFAULT 0,
  -- while pending: when it is due; a claim moves it to the end of the lease, so a lease that
  -- runs out makes the delivery due again without anyone having to notice.
  next_attempt_at ${t.bigint},
  lease_owner     TEXT,
  finished_at     ${t.bigint},
  last_error      TEXT,
  redriven_at     ${t.bigint}
);
INSERT INTO deliveries_new (id, dedupe_key, ${COLUMNS})
  SELECT id, source || char(31) || shop || char(31) || order_id, ${COLUMNS} FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_batch ON deliveries (batch_key, next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_finished ON deliveries (status, finished_at) WHERE status <> 'pending';
CREATE INDEX deliveries_order ON deliveries (order_id);${claim}`;
  },
};
