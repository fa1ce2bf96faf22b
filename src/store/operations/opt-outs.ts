// Customers who asked the shop for no more chat messages, by directory key (customer:<id>,
// email:<address>, phone:<digits>): every event of theirs is stored skipped, never sent. An opt-out
// also skips what was already waiting for them (by the shop customer id or e-mail the deliveries
// carry). Written once for both engines.
import { OPTED_OUT_REASON } from '../../domain/recipient.ts';
import type { Row, Runner } from '../runner.ts';
import { SKIPPED } from './delivery-ends.ts';

/** The column of the deliveries that holds each kind of key's value, where there is one. */
const DELIVERY_COLUMN: Record<string, string> = { customer: 'customer_id', email: 'customer_email' };

/** Opts `key` out at `now`; its customer's pending deliveries that no worker holds are skipped. How many. */
export function putOptOut(db: Runner, key: string, now: number): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO recipient_opt_outs (key, updated_at) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at`,
      [key, now],
    );
    const [kind, ...rest] = key.split(':');
    const column = DELIVERY_COLUMN[kind ?? ''];
    if (!column) return 0;
    const { changes } = await tx.run(
      `UPDATE deliveries SET ${SKIPPED} WHERE ${column} = ? AND status = 'pending' AND (lease_owner IS NULL OR lease_until <= ?)`,
      [now, OPTED_OUT_REASON, rest.join(':'), now],
    );
    return changes;
  });
}

/**
 * Of the deliveries just stored (each with its customer's keys), those whose customer opted out:
 * one lookup for a whole group commit. Their ids.
 */
export async function ofOptedOut(tx: Runner, stored: { id: number; keys: string[] }[]): Promise<Set<number>> {
  const keys = [...new Set(stored.flatMap((s) => s.keys))];
  if (keys.length === 0) return new Set();
  const list = tx.dialect.inList('key', keys, 'text');
  const optedOut = new Set((await tx.all(`SELECT key FROM recipient_opt_outs WHERE ${list.sql}`, [list.param])).map((r) => String(r.key)));
  return new Set(stored.filter((s) => s.keys.some((key) => optedOut.has(key))).map((s) => s.id));
}

/** Skips deliveries just stored pending whose customer opted out, in the transaction that stored them. */
export async function skipOptedOut(tx: Runner, ids: readonly number[], now: number): Promise<void> {
  if (ids.length === 0) return;
  const idList = tx.dialect.inList('id', ids, 'bigint');
  await tx.run(`UPDATE deliveries SET ${SKIPPED} WHERE ${idList.sql}`, [now, OPTED_OUT_REASON, idList.param]);
}

/** Whether the customer of the delivery row `d` (`''`: the row being read) opted out, by the keys its columns hold. */
const optedOutOf = (d: string) =>
  `EXISTS (SELECT 1 FROM recipient_opt_outs o WHERE o.key IN (${Object.entries(DELIVERY_COLUMN)
    .map(([kind, column]) => `'${kind}:' || ${d}${column}`)
    .join(', ')}))`;

/**
 * Whether a delivery's customer opted out: a column the claim reads with each row (an index probe,
 * not a statement of its own: every claim pays it). Read back with `optedOutRow`.
 */
export const OPTED_OUT_COLUMN = `${optedOutOf('')} AS opted_out`;

/** Whether a tag job's customer (its delivery's) opted out: a column the tag claim reads with each job. */
export const JOB_OPTED_OUT_COLUMN = `EXISTS (SELECT 1 FROM deliveries d WHERE d.id = tag_jobs.delivery_id AND ${optedOutOf('d.')}) AS opted_out`;

/** A row read with either column: whether its customer opted out (SQLite says 1, PostgreSQL true). */
export const optedOutRow = (row: Row): boolean => Number(row.opted_out) === 1;

/** Why a tag job ends without a call: a customer who opted out is never tagged (a retry, a redrive since). */
export const NOT_TAGGED_OPTED_OUT = 'not tagged: its customer opted out';

/**
 * Deliveries among `rows` (about to be claimed, read with OPTED_OUT_COLUMN) whose customer opted out
 * since they were stored: a retry after a call in flight when the opt-out came, a dead one the
 * operator redrives. Skipped now rather than sent. Their ids.
 */
export async function skipOptedOutOnClaim(tx: Runner, rows: readonly Row[], now: number): Promise<Set<number>> {
  const optedOut = rows.filter(optedOutRow).map((r) => Number(r.id));
  await skipOptedOut(tx, optedOut, now);
  return new Set(optedOut);
}

/** Lifts `key`'s opt-out: whether it had one. */
export async function liftOptOut(db: Runner, key: string): Promise<boolean> {
  return (await db.run('DELETE FROM recipient_opt_outs WHERE key = ?', [key])).changes > 0;
}

/** Which of `keys` are opted out, and since when. */
export async function optedOut(db: Runner, keys: string[]): Promise<Map<string, number>> {
  if (keys.length === 0) return new Map();
  const list = db.dialect.inList('key', keys, 'text');
  const rows = await db.all(`SELECT key, updated_at FROM recipient_opt_outs WHERE ${list.sql}`, [list.param]);
  return new Map(rows.map((r) => [String(r.key), Number(r.updated_at)]));
}

/** Which of these chat users are bound in the directory to a key that opted out. */
export async function optedOutUsers(db: Runner, userIds: string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const list = db.dialect.inList('r.user_id', userIds, 'text');
  const rows = await db.all(
    `SELECT DISTINCT r.user_id FROM recipients r JOIN recipient_opt_outs o ON o.key = r.key WHERE ${list.sql} ORDER BY r.user_id`,
    [list.param],
  );
  return rows.map((r) => String(r.user_id));
}
