// A call's attempts, written once (write-once rows), and the transitions they lead to: the
// delivery moves on only while its lease's holder records them. Written once for both engines.
import type { AttemptResult, Transition } from '../../domain/delivery.ts';
import { ATTEMPT_COLUMNS } from '../rows.ts';
import type { Param, Runner } from '../runner.ts';
import { NO_LEASE } from './delivery-ends.ts';
import { queueBinds } from './members.ts';

/** Each transition as one statement over the deliveries that take it (grouped by their parameters). */
function transitionStatement(
  transition: Exclude<Transition, { to: 'in_flight' }>,
  error: string | null,
  now: number,
): { sql: string; params: Param[] } {
  switch (transition.to) {
    case 'sent':
      return {
        sql: `UPDATE deliveries SET status = 'sent', attempts = attempts + 1, finished_at = ?, next_attempt_at = NULL, ${NO_LEASE}, last_error = NULL
              WHERE status = 'pending'`,
        params: [now],
      };
    case 'dead':
      return {
        sql: `UPDATE deliveries SET status = 'dead', attempts = attempts + 1, finished_at = ?, next_attempt_at = NULL, ${NO_LEASE}, last_error = ?
              WHERE status = 'pending'`,
        params: [now, transition.reason],
      };
    case 'retry':
      return {
        sql: `UPDATE deliveries SET attempts = attempts + ?, next_attempt_at = ?, ${NO_LEASE}, last_error = ? WHERE status = 'pending'`,
        params: [transition.counted ? 1 : 0, transition.at, error],
      };
  }
}

/** Records every attempt (write-once rows) and moves each delivery `owner` still holds on, in one transaction. */
export async function recordAttempts(db: Runner, owner: string, results: AttemptResult[], now: number, again = false): Promise<void> {
  if (results.length === 0) return;
  await db.transaction(async (tx) => {
    // A delivery's moves below are guarded by its status and lease, so only the attempt rows could come twice.
    const written = again ? await attemptsWritten(tx, results) : undefined;
    await tx.dialect.insertAll(
      tx,
      'attempts',
      ATTEMPT_COLUMNS,
      (written ? results.filter(({ attempt: a }) => !written.has(`${a.deliveryId}:${a.startedAt}`)) : results).map(
        ({ attempt: a, transition: t }) => [
          a.deliveryId,
          a.startedAt,
          a.durationMs,
          a.outcome,
          a.httpStatus,
          a.error,
          t.to === 'retry' ? t.at : null,
          a.batchSize,
        ],
      ),
    );
    const groups = new Map<string, { statement: { sql: string; params: Param[] }; ids: number[] }>();
    for (const { attempt, transition } of results) {
      if (transition.to === 'in_flight') continue;
      const statement = transitionStatement(transition, attempt.error, now);
      const key = JSON.stringify([statement.sql, statement.params]);
      const group = groups.get(key) ?? { statement, ids: [] };
      group.ids.push(attempt.deliveryId);
      groups.set(key, group);
    }
    // The lease rule: only the lease's holder moves a delivery on. A stale holder's attempt stays
    // recorded (it happened), but the delivery is the current holder's to send or give up.
    for (const { statement, ids } of groups.values()) {
      const list = tx.dialect.inList('id', ids, 'bigint');
      await tx.run(`${statement.sql} AND ${list.sql} AND lease_owner = ?`, [...statement.params, list.param, owner]);
    }
    // A dry run's "send" binds nobody: the customer was never messaged, and MantaGO is not called.
    const sent = results.filter((r) => r.transition.to === 'sent' && r.attempt.outcome === 'sent').map((r) => r.attempt.deliveryId);
    if (sent.length > 0) await queueBinds(tx, sent, now);
  });
}

/** Which of these attempts the store holds already (an attempt is its delivery's call begun at that time), as `id:startedAt`. */
async function attemptsWritten(tx: Runner, results: AttemptResult[]): Promise<Set<string>> {
  const ids = results.map((r) => r.attempt.deliveryId);
  // A write whose COMMIT is still under way on the server holds its deliveries: waited for, its attempts are seen.
  const held = tx.dialect.inList('id', ids, 'bigint');
  await tx.all(`SELECT id FROM deliveries WHERE ${held.sql}${tx.dialect.forUpdate}`, [held.param]);
  const list = tx.dialect.inList('delivery_id', ids, 'bigint');
  const rows = await tx.all(`SELECT delivery_id, started_at FROM attempts WHERE ${list.sql}`, [list.param]);
  return new Set(rows.map((row) => `${Number(row.delivery_id)}:${Number(row.started_at)}`));
}
