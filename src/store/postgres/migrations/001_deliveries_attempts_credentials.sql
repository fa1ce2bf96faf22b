-- One row per order received (source, shop and order id are the dedupe key), which is also the
-- order's one delivery; one write-once row per attempt; and the bot's current credentials.
-- Times are milliseconds since the epoch, as in the SQLite engine.
CREATE TABLE deliveries (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source          TEXT    NOT NULL,
  shop            TEXT    NOT NULL,
  order_id        TEXT    NOT NULL,
  topic           TEXT,
  received_at     BIGINT  NOT NULL,
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
  -- while pending: when it is due; a claim moves it to the end of the lease, so a lease that
  -- runs out (its replica died) makes the delivery due again for every replica.
  next_attempt_at BIGINT,
  lease_owner     TEXT,
  finished_at     BIGINT,
  last_error      TEXT,
  UNIQUE (source, shop, order_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_batch ON deliveries (batch_key, next_attempt_at) WHERE status = 'pending';

CREATE TABLE attempts (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id     BIGINT  NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  started_at      BIGINT  NOT NULL,
  duration_ms     INTEGER NOT NULL,
  outcome         TEXT    NOT NULL,
  http_status     INTEGER,
  error           TEXT,
  next_attempt_at BIGINT,
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
  obtained_at     BIGINT  NOT NULL,
  expires_at      BIGINT  NOT NULL,
  last_refresh_at BIGINT,
  state           TEXT    NOT NULL,
  last_error      TEXT
);
