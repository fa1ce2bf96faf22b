// MantaGO's member bindings as the service keeps them: a cache of who is bound to a customer id
// (shared by every replica), and the binds to make once a message went out.
import type { BindOutcome, BindStatus } from '../../domain/recipient.ts';
import type { Runner } from '../runner.ts';

export async function getMembers(db: Runner, lookupKey: string, now: number): Promise<string | undefined> {
  const [row] = await db.all('SELECT clients_json FROM mantago_members WHERE lookup_key = ? AND expires_at > ?', [lookupKey, now]);
  return row ? String(row.clients_json) : undefined;
}

export async function putMembers(db: Runner, lookupKey: string, clientsJson: string, expiresAt: number): Promise<void> {
  await db.run(
    `INSERT INTO mantago_members (lookup_key, clients_json, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (lookup_key) DO UPDATE SET clients_json = excluded.clients_json, expires_at = excluded.expires_at`,
    [lookupKey, clientsJson, expiresAt],
  );
}

/** MantaGO's answers past their time: never read again, so not kept (retention's hourly pass). */
export async function pruneMembers(db: Runner, now: number): Promise<number> {
  return (await db.run('DELETE FROM mantago_members WHERE expires_at <= ?', [now])).changes;
}

/** One bind to make: the shop's id for a customer, and the user it goes to. */
export interface BindJob {
  customerId: string;
  clientId: string;
  platform: string;
  attempts: number;
  /** The claim it was taken under: only that claim records how it went. */
  owner: string;
}

/** After these deliveries were sent: a bind for each that asks for one, once per (customer id, user). */
export async function queueBinds(db: Runner, ids: readonly number[], now: number): Promise<void> {
  const list = db.dialect.inList('id', ids, 'bigint');
  await db.run(
    `INSERT INTO mantago_binds (customer_id, client_id, platform, status, attempts, next_attempt_at, updated_at)
     SELECT bind_customer_id, client_id, platform, 'pending', 0, ?, ? FROM deliveries WHERE ${list.sql} AND bind_customer_id IS NOT NULL AND status = 'sent'
     ON CONFLICT (customer_id, client_id) DO NOTHING`,
    [now, now, list.param],
  );
}

export function claimBinds(db: Runner, owner: string, limit: number, leaseMs: number, now: number): Promise<BindJob[]> {
  return db.transaction(async (tx) => {
    const rows = await tx.all(
      `SELECT customer_id, client_id, platform, attempts FROM mantago_binds WHERE status = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at LIMIT ?${tx.dialect.skipLocked}`,
      [now, limit],
    );
    for (const row of rows) {
      await tx.run('UPDATE mantago_binds SET lease_owner = ?, next_attempt_at = ? WHERE customer_id = ? AND client_id = ?', [
        owner,
        now + leaseMs,
        row.customer_id as string,
        row.client_id as string,
      ]);
    }
    return rows.map((r) => ({
      customerId: String(r.customer_id),
      clientId: String(r.client_id),
      platform: String(r.platform),
      attempts: Number(r.attempts),
      owner,
    }));
  });
}

/** How a bind went: bound, to be tried again at `retryAt` (counted or not), or given up. */
export async function recordBind(
  db: Runner,
  job: Pick<BindJob, 'customerId' | 'clientId' | 'owner'>,
  outcome: BindOutcome,
  error: string | null,
  now: number,
): Promise<void> {
  await db.run(
    `UPDATE mantago_binds SET status = ?, attempts = attempts + ?, next_attempt_at = ?, lease_owner = NULL, last_error = ?, updated_at = ?
     WHERE customer_id = ? AND client_id = ? AND lease_owner = ?`,
    [
      outcome.status,
      outcome.status === 'pending' && !outcome.counted ? 0 : 1,
      outcome.status === 'pending' ? outcome.retryAt : null,
      error,
      now,
      job.customerId,
      job.clientId,
      job.owner,
    ],
  );
}

export async function listBinds(
  db: Runner,
  customerId: string,
): Promise<{ clientId: string; status: BindStatus; attempts: number; lastError: string | null }[]> {
  const rows = await db.all('SELECT client_id, status, attempts, last_error FROM mantago_binds WHERE customer_id = ? ORDER BY client_id', [
    customerId,
  ]);
  return rows.map((r) => ({
    clientId: String(r.client_id),
    status: String(r.status) as BindStatus,
    attempts: Number(r.attempts),
    lastError: r.last_error === null ? null : String(r.last_error),
  }));
}
