// The operator's tag jobs, written once for both engines: a delivery's jobs, the list (the dead
// ones, for the alert on notifier_tag_jobs_dead_total), and trying a dead job again. A dead job is
// tried again only while no job of its user and tag came after it: the later one decides the tag,
// and the earlier one tried after it would undo it (a refund's `remove buyer` undone by a placed
// event's `add buyer`). Such a job is ended `tagged`, superseded, as queueing ends one (tags.ts).
// A dead row is locked first, and queueing locks it too (lockTriable): a later job queued on another
// replica meanwhile either is seen here, or finds the retried job pending and supersedes it.
import type { TagAttempt, TagJobRecord, TagJobStatus, TagRetryOutcome } from '../../domain/tagging.ts';
import type { Param, Row, Runner } from '../runner.ts';
import { sameUserAndTag, superseded } from './tags.ts';

const JOB_COLUMNS = 'id, delivery_id, action, tag, tag_id, platform, client_id, status, attempts, next_attempt_at, finished_at, last_error';
const orNull = (value: unknown) => (value === null ? null : Number(value));

/** Jobs as the operator sees them, each with every try. */
async function withTries(db: Runner, jobs: Row[]): Promise<TagJobRecord[]> {
  if (jobs.length === 0) return [];
  const ids = db.dialect.inList(
    'job_id',
    jobs.map((j) => Number(j.id)),
    'bigint',
  );
  const tries = await db.all(
    `SELECT job_id, started_at, duration_ms, outcome, http_status, error FROM tag_attempts WHERE ${ids.sql} ORDER BY id`,
    [ids.param],
  );
  return jobs.map((j) => ({
    id: Number(j.id),
    deliveryId: Number(j.delivery_id),
    action: j.action as TagJobRecord['action'],
    tag: String(j.tag),
    tagId: j.tag_id === null ? null : String(j.tag_id),
    platform: String(j.platform),
    clientId: String(j.client_id),
    status: j.status as TagJobStatus,
    attempts: Number(j.attempts),
    nextAttemptAt: orNull(j.next_attempt_at),
    finishedAt: orNull(j.finished_at),
    lastError: j.last_error === null ? null : String(j.last_error),
    attemptLog: tries
      .filter((t) => Number(t.job_id) === Number(j.id))
      .map((t) => ({
        startedAt: Number(t.started_at),
        durationMs: Number(t.duration_ms),
        outcome: t.outcome as TagAttempt['outcome'],
        httpStatus: orNull(t.http_status),
        error: t.error === null ? null : String(t.error),
      })),
  }));
}

/** A delivery's tag jobs with every try. */
export async function tagJobsOf(db: Runner, deliveryId: number): Promise<TagJobRecord[]> {
  return withTries(db, await db.all(`SELECT ${JOB_COLUMNS} FROM tag_jobs WHERE delivery_id = ? ORDER BY id`, [deliveryId]));
}

/** Tag jobs newest first, of one status if given; `beforeId` pages on. */
export async function listTagJobs(
  db: Runner,
  filter: { status?: TagJobStatus; limit: number; beforeId?: number },
): Promise<TagJobRecord[]> {
  const where: string[] = [];
  const params: Param[] = [];
  if (filter.status) {
    where.push('status = ?');
    params.push(filter.status);
  }
  if (filter.beforeId !== undefined) {
    where.push('id < ?');
    params.push(filter.beforeId);
  }
  const rows = await db.all(
    `SELECT ${JOB_COLUMNS} FROM tag_jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    [...params, filter.limit],
  );
  return withTries(db, rows);
}

/** The first job of job `id`'s user and tag queued after it (any status, any delivery), if any. */
async function firstJobAfter(db: Runner, id: number): Promise<Row | undefined> {
  const [later] = await db.all(
    `SELECT later.delivery_id, later.action FROM tag_jobs later WHERE later.id = (
       SELECT min(newer.id) FROM tag_jobs job JOIN tag_jobs newer ON ${sameUserAndTag('newer', 'job')} AND newer.id > job.id
       WHERE job.id = ?)`,
    [id],
  );
  return later;
}

/**
 * A dead job (its row locked by the caller) tried again: superseded when a later job of its user and
 * tag decides, else started over (attempts from 0, due now).
 */
async function retryDead(tx: Runner, id: number, now: number): Promise<'requeued' | 'superseded'> {
  const by = await firstJobAfter(tx, id);
  if (by) {
    await tx.run(
      `UPDATE tag_jobs SET status = 'tagged', finished_at = ?, last_error = ?, next_attempt_at = NULL WHERE id = ? AND status = 'dead'`,
      [now, superseded(by.delivery_id, by.action), id],
    );
    return 'superseded';
  }
  await tx.run(
    `UPDATE tag_jobs SET status = 'pending', attempts = 0, next_attempt_at = ?, redriven_at = ?, finished_at = NULL, lease_owner = NULL, lease_until = NULL
     WHERE id = ? AND status = 'dead'`,
    [now, now, id],
  );
  return 'requeued';
}

/** One job tried again (see TagRetryOutcome), and the job as it stands then; undefined when there is no such job. */
export function retryTagJob(db: Runner, id: number, now: number): Promise<{ outcome: TagRetryOutcome; job: TagJobRecord } | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.all(`SELECT status, lease_until FROM tag_jobs WHERE id = ?${tx.dialect.forUpdate}`, [id]);
    if (!row) return undefined;
    let outcome: TagRetryOutcome;
    if (row.status === 'tagged') outcome = 'tagged';
    else if (row.status === 'pending') {
      const { changes } = await tx.run(
        'UPDATE tag_jobs SET next_attempt_at = ? WHERE id = ? AND status = ? AND (lease_until IS NULL OR lease_until <= ?)',
        [now, id, 'pending', now],
      );
      outcome = changes > 0 ? 'requeued' : 'in_flight';
    } else outcome = await retryDead(tx, id, now);
    const [job] = await withTries(tx, await tx.all(`SELECT ${JOB_COLUMNS} FROM tag_jobs WHERE id = ?`, [id]));
    return job && { outcome, job };
  });
}

/** The dead jobs one redrive takes: a request answers in a few seconds however many there are. */
export const REDRIVE_BATCH = 1_000;

/**
 * The oldest dead jobs (REDRIVE_BATCH) tried again, but those a later job of their user and tag
 * decides (ended superseded); how many dead remain, for the next redrive. One job a transaction,
 * its row locked as a retry locks it: queueing locks a user's jobs, and many rows locked here at
 * once could wait on it in a circle (a deadlock on PostgreSQL).
 */
export async function redriveDeadTags(
  db: Runner,
  now: number,
  batch = REDRIVE_BATCH,
): Promise<{ redriven: number; superseded: number; remaining: number }> {
  const dead = await db.all(`SELECT id FROM tag_jobs WHERE status = 'dead' ORDER BY id LIMIT ?`, [batch]);
  const done = { redriven: 0, superseded: 0 };
  for (const { id } of dead) {
    const outcome = await db.transaction(async (tx) => {
      const [still] = await tx.all(`SELECT id FROM tag_jobs WHERE id = ? AND status = 'dead'${tx.dialect.forUpdate}`, [Number(id)]);
      return still ? retryDead(tx, Number(id), now) : undefined;
    });
    if (outcome === 'requeued') done.redriven++;
    else if (outcome === 'superseded') done.superseded++;
  }
  const [left] = await db.all(`SELECT count(*) AS remaining FROM tag_jobs WHERE status = 'dead'`);
  return { ...done, remaining: Number(left?.remaining ?? 0) };
}
