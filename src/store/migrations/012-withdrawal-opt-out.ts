// Withdrawal by the rule, and the customers who opted out of chat messages:
//  - deliveries.withdrawn_by: the events of the same order that withdraw a pending delivery (its
//    rule's withdrawnBy: `,refunded,cancelled,`); order_key: that order's key (its placed dedupe
//    key). A placed delivery pending at the upgrade keeps what withdrew it before: a cancel.
//  - deliveries.held_until: when a held delivery (a delay, quiet hours) is first due; its retries'
//    age counts from there, so a review request held a week is not dead at its first failure.
//  - recipient_opt_outs: directory keys (customer:<id>, email:<address>, phone:<digits>) that get no message.
import { types, type Migration } from './index.ts';

export const m012: Migration = {
  version: 12,
  name: 'withdrawal_opt_out',
  sql(engine) {
    const t = types(engine);
    return `
ALTER TABLE deliveries ADD COLUMN withdrawn_by TEXT;
ALTER TABLE deliveries ADD COLUMN order_key TEXT;
ALTER TABLE deliveries ADD COLUMN held_until ${t.bigint};
UPDATE deliveries SET withdrawn_by = ',cancelled,', order_key = dedupe_key WHERE event = 'placed' AND status = 'pending';

CREATE TABLE recipient_opt_outs (
  key        TEXT    PRIMARY KEY,
  updated_at ${t.bigint} NOT NULL
);
-- A manual broadcast's answer names the opted-out among its users.
CREATE INDEX recipients_user_id ON recipients (user_id);`;
  },
};
