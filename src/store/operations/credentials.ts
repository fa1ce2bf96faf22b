// The bot's current MantaGO pair, one row per bot, and the claim on its one refresh.
import type { StoredCredentials } from '../../domain/credentials.ts';
import { CREDENTIALS_COLUMNS, credentialsRow, toCredentials } from '../rows.ts';
import type { Runner } from '../runner.ts';

export async function loadCredentials(db: Runner, botId: string): Promise<StoredCredentials | undefined> {
  const [row] = await db.all(`SELECT ${CREDENTIALS_COLUMNS.join(', ')} FROM credentials WHERE bot_id = ?`, [botId]);
  return row ? toCredentials(row) : undefined;
}

/** Insert or replace, unless the row holds a newer generation; a saved pair ends any refresh claim. */
export async function saveCredentials(db: Runner, next: StoredCredentials): Promise<StoredCredentials> {
  const updates = CREDENTIALS_COLUMNS.slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  await db.run(
    `INSERT INTO credentials (${CREDENTIALS_COLUMNS.join(', ')}) VALUES (${CREDENTIALS_COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (bot_id) DO UPDATE SET ${updates}, refresh_owner = NULL, refresh_until = NULL
     WHERE credentials.generation <= excluded.generation`,
    credentialsRow(next),
  );
  return (await loadCredentials(db, next.botId)) as StoredCredentials;
}

export async function claimRefresh(
  db: Runner,
  botId: string,
  owner: string,
  generation: number,
  until: number,
  now: number,
): Promise<boolean> {
  const { changes } = await db.run(
    `UPDATE credentials SET refresh_owner = ?, refresh_until = ?
     WHERE bot_id = ? AND generation = ? AND (refresh_owner IS NULL OR refresh_owner = ? OR refresh_until < ?)`,
    [owner, until, botId, generation, owner, now],
  );
  return changes === 1;
}

export async function releaseRefresh(db: Runner, botId: string, owner: string): Promise<void> {
  await db.run(`UPDATE credentials SET refresh_owner = NULL, refresh_until = NULL WHERE bot_id = ? AND refresh_owner = ?`, [botId, owner]);
}
