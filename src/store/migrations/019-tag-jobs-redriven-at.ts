// When the operator last tried a dead tag job again: its age bound (RETRY_MAX_AGE_MS) counts from
// then, as a redriven delivery's does, not from when the job was stored days before.
import { type Migration, types } from './index.ts';

export const m019: Migration = {
  version: 19,
  name: 'tag_jobs_redriven_at',
  sql(engine) {
    return `ALTER TABLE tag_jobs ADD COLUMN redriven_at ${types(engine).bigint};`;
  },
};
