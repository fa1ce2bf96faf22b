// The pending tag jobs of one user and tag, in the order queued: jobs of a user and tag go one at a
// time, and a later one supersedes an earlier one not under way (operations/tags.ts).
import type { Migration } from './index.ts';

export const m014: Migration = {
  version: 14,
  name: 'tag_jobs_by_user_and_tag',
  sql: () => `CREATE INDEX tag_jobs_user_tag ON tag_jobs (client_id, tag, platform, id) WHERE status = 'pending';`,
};
