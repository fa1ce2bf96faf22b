// Tagging (issue 21): MantaGO client tags put on or taken off the user of an order event.
//  - tag_jobs: one per (delivery, user, tag, add/remove), stored with the order event and worked
//    through under a lease like a delivery; `tag` is `id:<tag id>` or `name:<tag name>`.
//  - tag_attempts: each try of a job, written once (the operator's GET /admin/deliveries/{id}).
//  - mantago_tag_names: the id MantaGO gave a tag the mapping names, shared by every replica; while
//    none is known, the replica creating the tag claims its name, so one create is made in all.
import { TAG_ACTIONS, TAG_ATTEMPT_OUTCOMES, TAG_JOB_STATUSES } from '../../domain/tagging.ts';
import { oneOf, types, type Migration } from './index.ts';

export const m013: Migration = {
  version: 13,
  name: 'tag_jobs',
  sql(engine) {
    const t = types(engine);
    return `
CREATE TABLE tag_jobs (
  id              ${t.id},
  delivery_id     ${t.ref} NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  platform        TEXT    NOT NULL,
  client_id       TEXT    NOT NULL,
  action          TEXT    NOT NULL CHECK (action ${oneOf(TAG_ACTIONS)}),
  tag             TEXT    NOT NULL,
  tag_id          TEXT,
  status          TEXT    NOT NULL CHECK (status ${oneOf(TAG_JOB_STATUSES)}),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      ${t.bigint} NOT NULL,
  next_attempt_at ${t.bigint},
  lease_owner     TEXT,
  lease_until     ${t.bigint},
  finished_at     ${t.bigint},
  last_error      TEXT,
  UNIQUE (delivery_id, client_id, tag, action)
);
CREATE INDEX tag_jobs_due ON tag_jobs ((coalesce(lease_until, next_attempt_at))) WHERE status = 'pending';

CREATE TABLE tag_attempts (
  id              ${t.id},
  job_id          ${t.ref} NOT NULL REFERENCES tag_jobs (id) ON DELETE CASCADE,
  started_at      ${t.bigint} NOT NULL,
  duration_ms     INTEGER NOT NULL,
  outcome         TEXT    NOT NULL CHECK (outcome ${oneOf(TAG_ATTEMPT_OUTCOMES)}),
  http_status     INTEGER,
  error           TEXT
);
CREATE INDEX tag_attempts_job ON tag_attempts (job_id, id);

CREATE TABLE mantago_tag_names (
  name            TEXT    PRIMARY KEY,
  tag_id          TEXT,
  claimed_by      TEXT,
  claimed_until   ${t.bigint},
  updated_at      ${t.bigint} NOT NULL
);`;
  },
};
