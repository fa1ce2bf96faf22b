// Tag jobs, written once for both engines: queued with their order event (once per event, user,
// tag and add/remove), claimed under a lease, each try recorded with where the job goes; the ids of
// the tags the mapping names. The operator's view and retries: tag-operator.ts.
import { type TagJob, type TagJobStatus, type Tagging, type TagTryRecord, tagKey, tagOfKey } from '../../domain/tagging.ts';
import { oneOf, type Param, type Row, type Runner } from '../runner.ts';
import { JOB_OPTED_OUT_COLUMN, NOT_TAGGED_OPTED_OUT, optedOutRow } from './opt-outs.ts';

const CLAIMABLE_AT = 'coalesce(lease_until, next_attempt_at)';

/**
 * Jobs of one user and tag go one at a time, in the order queued, so the user's tag ends as the
 * latest event says (a refund's `remove` is not undone by the placed event's `add` retried after
 * it): `a` and `b` are two aliases of tag_jobs, the same user and tag.
 */
export const sameUserAndTag = (a: string, b: string) =>
  `${a}.client_id = ${b}.client_id AND ${a}.tag = ${b}.tag AND ${a}.platform = ${b}.platform`;
/** Why a job superseded by a later one of its user and tag is done without (another) call. */
export const superseded = (deliveryId: unknown, action: unknown) =>
  `superseded: delivery ${deliveryId}'s job, queued after it, ${action === 'add' ? 'puts this tag on' : 'takes this tag off'} the user`;
/**
 * Locks the jobs `where` picks that may still be tried, in the order queued (on PostgreSQL:
 * `forUpdate`; SQLite's write transaction is the lock already): the retried job's own row, or every
 * pending or dead job of the user and the tags being queued, in one statement, so two transactions
 * queueing one user's tags never each wait for the other. A job's retry (or the operator's, of a
 * dead one: tag-operator.ts) and a later job's queueing, each in its own transaction, then see each
 * other: the retry never misses the later job, nor the later job the retry it could supersede.
 */
const lockTriable = (db: Runner, where: string, params: Param[], statuses: readonly TagJobStatus[] = ['pending']) =>
  db.all(`SELECT job.id FROM tag_jobs job WHERE ${where} AND job.status ${oneOf(statuses)} ORDER BY job.id${db.dialect.forUpdate}`, params);

/**
 * The tag jobs of a newly stored (or newly resolved) delivery; one already there is left as it is.
 * An earlier job of the same user and tag not under way (waiting for its first try or a retry) is
 * superseded: done, never made.
 */
export async function queueTags(db: Runner, deliveryId: number, tagging: Tagging, now: number): Promise<void> {
  const { platform, userId } = tagging.recipient;
  const keys = tagging.ops.map((op) => tagKey(op.tag));
  const tags = db.dialect.inList('job.tag', keys, 'text');
  await lockTriable(db, `job.client_id = ? AND job.platform = ? AND ${tags.sql}`, [userId, platform, tags.param], ['pending', 'dead']);
  for (const [i, op] of tagging.ops.entries()) {
    const tag = keys[i] as string;
    const { changes } = await db.run(
      `INSERT INTO tag_jobs (delivery_id, platform, client_id, action, tag, tag_id, status, attempts, created_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
       ON CONFLICT (delivery_id, client_id, tag, action) DO NOTHING`,
      [deliveryId, platform, userId, op.action, tag, 'id' in op.tag ? op.tag.id : null, now, now],
    );
    if (changes === 0) continue;
    // Another job of the same delivery (one rule adds a tag, another takes it off) is not superseded: both go, in order.
    await db.run(
      `UPDATE tag_jobs SET status = 'tagged', next_attempt_at = NULL, finished_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL
       WHERE status = 'pending' AND client_id = ? AND tag = ? AND platform = ? AND (lease_until IS NULL OR lease_until <= ?)
         AND delivery_id <> ? AND id < (SELECT id FROM tag_jobs WHERE delivery_id = ? AND client_id = ? AND tag = ? AND action = ?)`,
      [now, superseded(deliveryId, op.action), userId, tag, platform, now, deliveryId, deliveryId, userId, tag, op.action],
    );
  }
}

export function claimTags(db: Runner, owner: string, limit: number, leaseMs: number, now: number): Promise<TagJob[]> {
  return db.transaction(async (tx) => {
    const rows = await tx.all(
      `SELECT id, delivery_id, platform, client_id, action, tag, attempts, coalesce(redriven_at, created_at) AS waiting_since,
              ${JOB_OPTED_OUT_COLUMN} FROM tag_jobs
       WHERE status = 'pending' AND ${CLAIMABLE_AT} <= ?
         AND NOT EXISTS (SELECT 1 FROM tag_jobs earlier WHERE earlier.status = 'pending' AND ${sameUserAndTag('earlier', 'tag_jobs')} AND earlier.id < tag_jobs.id)
       ORDER BY ${CLAIMABLE_AT}, id LIMIT ?${tx.dialect.skipLocked}`,
      [now, limit],
    );
    if (rows.length === 0) return [];
    // A customer who opted out since the job was queued (a retry, a redrive): done, never made.
    const optedOut = rows.filter(optedOutRow).map((r) => Number(r.id));
    if (optedOut.length > 0) {
      const ended = tx.dialect.inList('id', optedOut, 'bigint');
      await tx.run(
        `UPDATE tag_jobs SET status = 'tagged', finished_at = ?, last_error = ?, next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL
         WHERE ${ended.sql}`,
        [now, NOT_TAGGED_OPTED_OUT, ended.param],
      );
    }
    const claimed = rows.filter((r) => !optedOutRow(r));
    if (claimed.length === 0) return [];
    const ids = tx.dialect.inList(
      'id',
      claimed.map((r) => Number(r.id)),
      'bigint',
    );
    await tx.run(`UPDATE tag_jobs SET lease_owner = ?, lease_until = ? WHERE ${ids.sql}`, [owner, now + leaseMs, ids.param]);
    return claimed.map((r) => ({
      id: Number(r.id),
      deliveryId: Number(r.delivery_id),
      platform: String(r.platform),
      clientId: String(r.client_id),
      action: r.action as TagJob['action'],
      tag: tagOfKey(String(r.tag)),
      attempts: Number(r.attempts),
      waitingSince: Number(r.waiting_since),
      owner,
    }));
  });
}

/** Another delivery's pending job of job `id`'s user and tag, queued after it, if any (its row locked first: lockTriable). */
async function laterJobOf(tx: Runner, id: number): Promise<Row | undefined> {
  await lockTriable(tx, 'job.id = ?', [id]);
  const [later] = await tx.all(
    `SELECT later.delivery_id, later.action FROM tag_jobs job JOIN tag_jobs later ON ${sameUserAndTag('later', 'job')}
     WHERE job.id = ? AND later.status = 'pending' AND later.id > job.id AND later.delivery_id <> job.delivery_id
     ORDER BY later.id LIMIT 1`,
    [id],
  );
  return later;
}

/**
 * Records a try (write-once) and moves the job on, if `owner` still holds it (the lease rule). A try
 * that would be retried while a later job of the same user and tag waits ends the job: the later one decides.
 */
export async function recordTagTry(db: Runner, job: Pick<TagJob, 'id' | 'owner'>, tried: TagTryRecord, now: number): Promise<void> {
  await db.transaction(async (tx) => {
    const later = tried.status === 'pending' ? await laterJobOf(tx, job.id) : undefined;
    const record: TagTryRecord = later
      ? { ...tried, status: 'tagged', nextAttemptAt: null, error: superseded(later.delivery_id, later.action) }
      : tried;
    const { changes } = await tx.run(
      `UPDATE tag_jobs SET status = ?, attempts = attempts + ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL,
         last_error = ?, tag_id = coalesce(?, tag_id), finished_at = ?
       WHERE id = ? AND status = 'pending' AND lease_owner = ?`,
      [
        record.status,
        record.counted ? 1 : 0,
        record.nextAttemptAt,
        record.error,
        record.tagId ?? null,
        record.status === 'pending' ? null : now,
        job.id,
        job.owner,
      ],
    );
    const a = record.attempt;
    if (changes === 0 || !a) return;
    await tx.run('INSERT INTO tag_attempts (job_id, started_at, duration_ms, outcome, http_status, error) VALUES (?, ?, ?, ?, ?, ?)', [
      job.id,
      a.startedAt,
      a.durationMs,
      a.outcome,
      a.httpStatus,
      a.error,
    ]);
  });
}

export async function getTagId(db: Runner, name: string): Promise<string | undefined> {
  const [row] = await db.all('SELECT tag_id FROM mantago_tag_names WHERE name = ? AND tag_id IS NOT NULL', [name]);
  return row ? String(row.tag_id) : undefined;
}

/** Lets `owner`'s claim on a tag's creation go (the create certainly failed): the next try claims it afresh. */
export async function releaseTagName(db: Runner, name: string, owner: string): Promise<void> {
  await db.run(
    'UPDATE mantago_tag_names SET claimed_by = NULL, claimed_until = NULL WHERE name = ? AND claimed_by = ? AND tag_id IS NULL',
    [name, owner],
  );
}

/** Forgets a tag's id MantaGO no longer knows (deleted in the dashboard): the name is looked up again. */
export async function forgetTagId(db: Runner, name: string, tagId: string): Promise<void> {
  await db.run('UPDATE mantago_tag_names SET tag_id = NULL WHERE name = ? AND tag_id = ?', [name, tagId]);
}

/** Remembers a tag's id; a claim on its name ends with it. */
export async function putTagId(db: Runner, name: string, tagId: string, now: number): Promise<void> {
  await db.run(
    `INSERT INTO mantago_tag_names (name, tag_id, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET tag_id = excluded.tag_id, claimed_by = NULL, claimed_until = NULL, updated_at = excluded.updated_at`,
    [name, tagId, now],
  );
}

/**
 * Claims the creation of the tag named `name` until `until` (true when `owner` holds it): a claim,
 * not a lock, so no transaction stays open across the calls to MantaGO. Another replica's running
 * claim, or a known id, keeps it.
 */
export async function claimTagName(db: Runner, name: string, owner: string, until: number, now: number): Promise<boolean> {
  const { changes } = await db.run(
    `INSERT INTO mantago_tag_names (name, tag_id, claimed_by, claimed_until, updated_at) VALUES (?, NULL, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until, updated_at = excluded.updated_at
     WHERE mantago_tag_names.tag_id IS NULL AND (mantago_tag_names.claimed_until IS NULL OR mantago_tag_names.claimed_until <= ?)`,
    [name, owner, until, now, now],
  );
  return changes > 0;
}
