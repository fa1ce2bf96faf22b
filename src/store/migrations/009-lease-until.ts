// A lease's end in a column of its own (lease_until), so that next_attempt_at means only when a
// delivery is due. Deliveries leased at the upgrade keep their lease: next_attempt_at held its end,
// which becomes lease_until (and stays their due time, already past once the lease runs out).
// The claim indexes order by when a delivery can be claimed, coalesce(lease_until, next_attempt_at)
// (the claims' own expression): a running lease stays out of their range, as before.
import { types, type Migration } from './index.ts';

const CLAIMABLE_AT = '(coalesce(lease_until, next_attempt_at))';

export const m009: Migration = {
  version: 9,
  name: 'lease_until',
  sql(engine) {
    const t = types(engine);
    return `
ALTER TABLE deliveries ADD COLUMN lease_until ${t.bigint};
UPDATE deliveries SET lease_until = next_attempt_at WHERE status = 'pending' AND lease_owner IS NOT NULL;
DROP INDEX deliveries_due;
DROP INDEX deliveries_batch;
DROP INDEX deliveries_unresolved;
CREATE INDEX deliveries_due ON deliveries (${CLAIMABLE_AT}) WHERE status = 'pending';
CREATE INDEX deliveries_batch ON deliveries (batch_key, ${CLAIMABLE_AT}) WHERE status = 'pending';
CREATE INDEX deliveries_unresolved ON deliveries (${CLAIMABLE_AT}) WHERE status = 'pending' AND resolve_from IS NOT NULL;`;
  },
};
