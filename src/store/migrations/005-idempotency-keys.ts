// The Idempotency-Key of a manual broadcast (POST /admin/broadcasts): the first request's answer,
// kept for a day, so that the operator's retry answers it again and sends nothing more.
import { types, type Migration } from './index.ts';

export const m005: Migration = {
  version: 5,
  name: 'idempotency_keys',
  sql(engine) {
    const t = types(engine);
    return `
CREATE TABLE idempotency_keys (
  key           TEXT    PRIMARY KEY,
  -- a hash of the request: the same key with another request is refused
  fingerprint   TEXT    NOT NULL,
  -- null while the first request is under way
  status_code   INTEGER,
  response_json TEXT,
  created_at    ${t.bigint} NOT NULL
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);`;
  },
};
