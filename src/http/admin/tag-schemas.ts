// Tag jobs as the admin API shows them (GET /admin/deliveries/{id}, GET /admin/tag-jobs): each tag
// put on or taken off its user, where it stands, and every try.
import Type, { type Static } from 'typebox';
import { TAG_ACTIONS, TAG_ATTEMPT_OUTCOMES, TAG_JOB_STATUSES, type TagJobRecord } from '../../domain/tagging.ts';

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const Text = Type.Union([Type.String(), Type.Null()]);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const TagJobSchema = Type.Object({
  id: Type.Integer(),
  deliveryId: Type.Integer({ description: "the order event's delivery it was queued with" }),
  action: Type.Enum([...TAG_ACTIONS]),
  tag: Type.String({ description: 'id:<tag id> or name:<tag name>, as the mapping gives it' }),
  tagId: Type.Union([Type.String(), Type.Null()], { description: "the tag's id in MantaGO, once known" }),
  platform: Type.String(),
  clientId: Type.String(),
  status: Type.Enum([...TAG_JOB_STATUSES]),
  attempts: Type.Integer(),
  nextAttemptAt: Time,
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when it reached its end (tagged or dead)' }),
  lastError: Type.Union([Type.String(), Type.Null()], {
    description:
      "dead: MantaGO's reason; pending: the last failure; tagged: why no (further) call was needed (a later job of the user and tag superseded it)",
  }),
  attemptLog: Type.Array(
    Type.Object({
      startedAt: Type.String({ format: 'date-time' }),
      durationMs: Type.Integer(),
      outcome: Type.Enum([...TAG_ATTEMPT_OUTCOMES]),
      httpStatus: Type.Union([Type.Integer(), Type.Null()]),
      error: Text,
    }),
  ),
});

export const tagJobView = (job: TagJobRecord): Static<typeof TagJobSchema> => ({
  ...job,
  nextAttemptAt: iso(job.nextAttemptAt),
  finishedAt: iso(job.finishedAt),
  attemptLog: job.attemptLog.map((a) => ({ ...a, startedAt: iso(a.startedAt) as string })),
});
