// deliveries_finished over the same rows, by a condition SQLite can see its queries meet. SQLite
// uses a partial index only where the query repeats the index's WHERE terms (or, for
// `x IS NOT NULL`, compares x): to its planner `status = 'sent'` does not imply
// `status <> 'pending'`, so the overview's count of the last hour's sent and retention's pruning
// read every finished row through deliveries_status_id instead, longer as the store grows (215 and
// 257 ms at 1,000,000 deliveries, on the thread every webhook waits for). Exactly the deliveries no
// longer pending have finished_at set, and both queries compare it; PostgreSQL, which proved the
// old condition, proves this one too.
import type { Migration } from './index.ts';

export const m007: Migration = {
  version: 7,
  name: 'finished_index_by_finished_at',
  sql() {
    return `
DROP INDEX deliveries_finished;
CREATE INDEX deliveries_finished ON deliveries (status, finished_at) WHERE finished_at IS NOT NULL;`;
  },
};
