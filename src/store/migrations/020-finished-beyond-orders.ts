// The finished deliveries that are not an order's placed or shipped ones (ORDER_RETENTION_DAYS keeps
// those longer): retention prunes them, and finds the told endings among them, by this index, not by
// reading past every placed and shipped delivery still kept. SQLite uses a partial index only where
// the query repeats its WHERE terms (migration 007): store/operations/operator.ts repeats this one.
import type { Migration } from './index.ts';

export const m020: Migration = {
  version: 20,
  name: 'finished_beyond_orders',
  sql() {
    return `CREATE INDEX deliveries_finished_beyond_orders ON deliveries (status, finished_at)
  WHERE finished_at IS NOT NULL AND coalesce(event, '') NOT IN ('placed', 'shipped');`;
  },
};
