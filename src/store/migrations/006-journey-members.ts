// The post-purchase journey and MantaGO's member binding:
//  - deliveries: the order event each is for (none for a manual broadcast); why a pending one waits before its first attempt
//    (a delay, quiet hours); whether the worker must still find its recipient (a MantaGO member
//    lookup); a shop id to bind to the recipient once sent; the customer, for the operator's filter.
//  - mantago_members: MantaGO's answer for a customer id, cached, shared by every replica.
//  - mantago_binds: one bind per (customer id, user), tried a few times, recorded.
import { types, type Migration } from './index.ts';

export const m006: Migration = {
  version: 6,
  name: 'journey_members',
  sql(engine) {
    const t = types(engine);
    return `
ALTER TABLE deliveries ADD COLUMN event TEXT;
UPDATE deliveries SET event = 'placed' WHERE source <> 'admin';
ALTER TABLE deliveries ADD COLUMN hold_reason TEXT;
ALTER TABLE deliveries ADD COLUMN resolve_from INTEGER;
ALTER TABLE deliveries ADD COLUMN bind_customer_id TEXT;
ALTER TABLE deliveries ADD COLUMN customer_id TEXT;
ALTER TABLE deliveries ADD COLUMN customer_email TEXT;
CREATE INDEX deliveries_unresolved ON deliveries (next_attempt_at) WHERE status = 'pending' AND resolve_from IS NOT NULL;
CREATE INDEX deliveries_customer_id ON deliveries (customer_id);
CREATE INDEX deliveries_customer_email ON deliveries (customer_email);
-- The operator's lists by status, newest first (GET /admin/deliveries?status=dead), at any size.
CREATE INDEX deliveries_status_id ON deliveries (status, id);

CREATE TABLE mantago_members (
  lookup_key  TEXT    PRIMARY KEY,
  clients_json TEXT   NOT NULL,
  expires_at  ${t.bigint} NOT NULL
);

CREATE TABLE mantago_binds (
  customer_id     TEXT    NOT NULL,
  client_id       TEXT    NOT NULL,
  platform        TEXT    NOT NULL,
  status          TEXT    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at ${t.bigint},
  lease_owner     TEXT,
  last_error      TEXT,
  updated_at      ${t.bigint} NOT NULL,
  PRIMARY KEY (customer_id, client_id)
);
CREATE INDEX mantago_binds_due ON mantago_binds (next_attempt_at) WHERE status = 'pending';`;
  },
};
