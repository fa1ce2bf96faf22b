// One row per order received (source, shop and order id were the dedupe key), which is also the
// order's one delivery; one write-once row per attempt; and the bot's current credentials.
// As first released; later migrations change it.
import { types, type Migration } from './index.ts';

export const m001: Migration = {
  version: 1,
  name: 'deliveries_attempts_credentials',
  sql(engine) {
    const t = types(engine);
    return `
CREATE TABLE deliveries (
  id              ${t.id},
  source          TEXT    NOT NULL,
  shop            TEXT    NOT NULL,
  order_id        TEXT    NOT NULL,
  topic           TEXT,
  received_at     ${t.bigint} NOT NULL,
  order_json      TEXT    NOT NULL,
  status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'dead', 'skipped')),
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
  next_attempt_at ${t.bigint},
  lease_owner     TEXT,
  finished_at     ${t.bigint},
  last_error      TEXT,
  UNIQUE (source, shop, order_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_batch ON deliveries (batch_key, next_attempt_at) WHERE status = 'pending';

CREATE TABLE attempts (
  id              ${t.id},
  delivery_id     ${t.ref} NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  started_at      ${t.bigint} NOT NULL,
  duration_ms     INTEGER NOT NULL,
  outcome         TEXT    NOT NULL,
  http_status     INTEGER,
  error           TEXT,
  next_attempt_at ${t.bigint},
  batch_size      INTEGER NOT NULL
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, id);

CREATE TABLE credentials (
  bot_id          TEXT    PRIMARY KEY,
  api_token       TEXT    NOT NULL,
  api_secret      TEXT    NOT NULL,
  generation      INTEGER NOT NULL,
  origin          TEXT    NOT NULL,
  env_fingerprint TEXT    NOT NULL,
  obtained_at     ${t.bigint} NOT NULL,
  expires_at      ${t.bigint} NOT NULL,
  last_refresh_at ${t.bigint},
  state           TEXT    NOT NULL,
  last_error      TEXT
);`;
  },
};
