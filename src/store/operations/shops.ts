// Shop connections: per source, the watermark a poll reads from, the lease of the one replica
// polling it, when the next poll is due, and what the last one came to.
import type { PollOutcome } from '../../reconcile/outcomes.ts';
import type { Runner } from '../runner.ts';

export interface ShopConnectionRow {
  source: string;
  connectedAt: number;
  watermark: number;
  nextPollAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastPollAt: number | null;
  lastOutcome: PollOutcome | null;
  lastError: string | null;
  lastOrders: number;
  lastRecovered: number;
  webhooksJson: string | null;
}

/** What a finished (or stopped) poll leaves behind. */
export interface PollRecord {
  outcome: PollOutcome;
  error: string | null;
  orders: number;
  recovered: number;
  nextPollAt: number;
}

const COLUMNS =
  'source, connected_at, watermark, next_poll_at, lease_owner, lease_until, last_poll_at, last_outcome, last_error, last_orders, last_recovered, webhooks_json';
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toRow(r: Record<string, unknown>): ShopConnectionRow {
  return {
    source: String(r.source),
    connectedAt: Number(r.connected_at),
    watermark: Number(r.watermark),
    nextPollAt: Number(r.next_poll_at),
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseUntil: num(r.lease_until),
    lastPollAt: num(r.last_poll_at),
    lastOutcome: (r.last_outcome as PollOutcome | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    lastOrders: Number(r.last_orders),
    lastRecovered: Number(r.last_recovered),
    webhooksJson: (r.webhooks_json as string | null) ?? null,
  };
}

/** The source's row, made on its first start with the watermark at `now`: no history is read unless asked. */
export async function openShopConnection(db: Runner, source: string, now: number): Promise<ShopConnectionRow> {
  await db.run(
    'INSERT INTO shop_connections (source, connected_at, watermark, next_poll_at) VALUES (?, ?, ?, ?) ON CONFLICT (source) DO NOTHING',
    [source, now, now, now],
  );
  const [row] = await db.all(`SELECT ${COLUMNS} FROM shop_connections WHERE source = ?`, [source]);
  return toRow(row as Record<string, unknown>);
}

export async function listShopConnections(db: Runner): Promise<ShopConnectionRow[]> {
  return (await db.all(`SELECT ${COLUMNS} FROM shop_connections ORDER BY source`)).map(toRow);
}

/**
 * Claims (or renews) the source's poll until `until`: true when `owner` holds it. A poll that is not
 * due yet is not claimed (`due` false: a renewal or an asked-for pass), so replicas poll once between them.
 */
export async function claimShopPoll(db: Runner, source: string, owner: string, until: number, now: number, due: boolean): Promise<boolean> {
  const { changes } = await db.run(
    `UPDATE shop_connections SET lease_owner = ?, lease_until = ?
     WHERE source = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?) AND (? = 0 OR next_poll_at <= ?)`,
    [owner, until, source, owner, now, due ? 1 : 0, now],
  );
  return changes === 1;
}

/** Moves the watermark on (never back), while `owner` holds the poll. */
export async function advanceWatermark(db: Runner, source: string, owner: string, watermark: number): Promise<boolean> {
  const { changes } = await db.run(
    'UPDATE shop_connections SET watermark = CASE WHEN watermark < ? THEN ? ELSE watermark END WHERE source = ? AND lease_owner = ?',
    [watermark, watermark, source, owner],
  );
  return changes === 1;
}

/** Records what the poll came to and when the next is due, and lets the lease go. */
export async function finishShopPoll(db: Runner, source: string, owner: string, record: PollRecord, now: number): Promise<void> {
  await db.run(
    `UPDATE shop_connections SET lease_owner = NULL, lease_until = NULL, last_poll_at = ?, last_outcome = ?, last_error = ?,
       last_orders = ?, last_recovered = ?, next_poll_at = ?
     WHERE source = ? AND lease_owner = ?`,
    [now, record.outcome, record.error, record.orders, record.recovered, record.nextPollAt, source, owner],
  );
}

/** The shop's webhooks as the last check found them (JSON). */
export async function saveShopWebhooks(db: Runner, source: string, webhooksJson: string): Promise<void> {
  await db.run('UPDATE shop_connections SET webhooks_json = ? WHERE source = ?', [webhooksJson, source]);
}
