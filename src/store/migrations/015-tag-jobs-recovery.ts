// The operator's recovery of tag jobs (GET /admin/tag-jobs, their retry and redrive): the dead ones
// by a partial index of their own (the overview counts them), and a user's jobs of one tag in the
// order queued whatever their status, since a dead job is tried again only when no job of its user
// and tag came after it. That index takes the place of 014's pending-only one, which the claim and
// the queueing read as well: a job's status changes no longer touch it.
import type { Migration } from './index.ts';

export const m015: Migration = {
  version: 15,
  name: 'tag_jobs_recovery',
  sql: () => `DROP INDEX tag_jobs_user_tag;
CREATE INDEX tag_jobs_user_tag ON tag_jobs (client_id, tag, platform, id);
CREATE INDEX tag_jobs_dead ON tag_jobs (id) WHERE status = 'dead';`,
};
