// The recipient directory (customer key → chat user), a redriven delivery's fresh start for its
// retry age, and an index for the operator's views of finished deliveries and for retention.
import { oneOf, types, type Migration } from './index.ts';
import { PLATFORMS } from '../../domain/recipient.ts';

export const m002: Migration = {
  version: 2,
  name: 'recipients_redrive_retention',
  sql(engine) {
    const t = types(engine);
    return `
CREATE TABLE recipients (
  key        TEXT    PRIMARY KEY,
  platform   TEXT    NOT NULL CHECK (platform ${oneOf(PLATFORMS)}),
  user_id    TEXT    NOT NULL,
  updated_at ${t.bigint} NOT NULL
);

ALTER TABLE deliveries ADD COLUMN redriven_at ${t.bigint};

-- Pending rows stay out of it, so taking orders in costs nothing more.
CREATE INDEX deliveries_finished ON deliveries (status, finished_at) WHERE status <> 'pending';`;
  },
};
