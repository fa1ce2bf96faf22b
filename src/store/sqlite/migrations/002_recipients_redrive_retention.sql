-- The recipient directory (customer key → chat user), a redriven delivery's fresh start for its
-- retry age, and an index for the operator's views of finished deliveries and for retention.
CREATE TABLE recipients (
  key        TEXT    PRIMARY KEY,
  platform   TEXT    NOT NULL CHECK (platform IN ('line', 'facebook')),
  user_id    TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
);

ALTER TABLE deliveries ADD COLUMN redriven_at INTEGER;

-- Pending rows stay out of it, so taking orders in costs nothing more.
CREATE INDEX deliveries_finished ON deliveries (status, finished_at) WHERE status <> 'pending';
