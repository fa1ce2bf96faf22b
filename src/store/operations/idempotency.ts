// Idempotency keys: the first request with a key claims it; a repeat within its lifetime gets the
// first answer back, or is told the first is still under way, or that the key was used for another request.
import { StoreUnavailableError } from '../errors.ts';
import type { Row, Runner } from '../runner.ts';

export type KeyClaim =
  /** A key never used, or used before its lifetime: a new request since `claimedAt` (now). */
  | { state: 'new'; claimedAt: number }
  | { state: 'replay'; statusCode: number; response: string }
  | { state: 'in_progress'; since: number }
  | { state: 'mismatch' };

/** Claims `key` for a request with `fingerprint`; a key older than `expiredBefore` counts as never used. */
export function claimIdempotencyKey(db: Runner, key: string, fingerprint: string, now: number, expiredBefore: number): Promise<KeyClaim> {
  return db.transaction(async (tx) => {
    // A key is new only once its row is stored: an expired row that retention deleted between these
    // statements (PostgreSQL) leaves nothing to renew or read, and the key is inserted again.
    for (let tries = 0; ; tries++) {
      const inserted = await tx.run(
        'INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
        [key, fingerprint, now],
      );
      if (inserted.changes === 1) return { state: 'new', claimedAt: now } as const;
      const renewed = await tx.run(
        'UPDATE idempotency_keys SET fingerprint = ?, status_code = NULL, response_json = NULL, created_at = ? WHERE key = ? AND created_at < ?',
        [fingerprint, now, key, expiredBefore],
      );
      if (renewed.changes === 1) return { state: 'new', claimedAt: now } as const;
      const [row] = await tx.all('SELECT fingerprint, status_code, response_json, created_at FROM idempotency_keys WHERE key = ?', [key]);
      if (row) return known(row, fingerprint);
      if (tries === 2) throw new StoreUnavailableError('busy', 'an idempotency key could neither be stored nor read; try again');
    }
  });
}

/** What the stored key says to a request with `fingerprint`. */
function known(row: Row, fingerprint: string): KeyClaim {
  if (row.fingerprint !== fingerprint) return { state: 'mismatch' } as const;
  if (row.status_code === null) return { state: 'in_progress', since: Number(row.created_at) } as const;
  return { state: 'replay', statusCode: Number(row.status_code), response: String(row.response_json) } as const;
}

export async function saveIdempotentResponse(db: Runner, key: string, statusCode: number, response: string): Promise<void> {
  await db.run('UPDATE idempotency_keys SET status_code = ?, response_json = ? WHERE key = ?', [statusCode, response, key]);
}

export async function pruneIdempotencyKeys(db: Runner, before: number): Promise<number> {
  return (await db.run('DELETE FROM idempotency_keys WHERE created_at < ?', [before])).changes;
}
