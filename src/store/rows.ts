// Rows as both engines store them: the columns of a new delivery, in insert order, and the
// mapping of stored rows back to what the rest of the service works with.
import type { ClaimedDelivery, IncomingOrder, StoredCredentials } from './store.ts';

export type Row = Record<string, unknown>;

export const DELIVERY_COLUMNS = [
  'source',
  'shop',
  'order_id',
  'topic',
  'received_at',
  'order_json',
  'status',
  'platform',
  'client_id',
  'recipient_via',
  'rule',
  'intent_id',
  'message',
  'fb_tag',
  'broadcast_name',
  'batch_key',
  'next_attempt_at',
  'lease_owner',
  'finished_at',
  'last_error',
] as const;

export type DeliveryRow = (string | number | null)[];

export function deliveryRow({ order, topic, receivedAt, plan, batchKey, leasedTo }: IncomingOrder): DeliveryRow {
  const send = plan.kind === 'send' ? plan : undefined;
  return [
    order.source,
    order.shop,
    order.orderId,
    topic ?? null,
    receivedAt,
    JSON.stringify(order),
    send ? 'pending' : 'skipped',
    send?.recipient.platform ?? null,
    send?.recipient.userId ?? null,
    send?.recipient.via ?? null,
    send?.rule ?? null,
    send?.content.intentId ?? null,
    send?.content.message ?? null,
    send?.content.fbTag ?? null,
    send?.name ?? null,
    batchKey ?? null,
    send ? (leasedTo?.until ?? receivedAt) : null,
    send ? (leasedTo?.owner ?? null) : null,
    send ? null : receivedAt,
    plan.kind === 'skip' ? plan.reason : null,
  ];
}

/** The columns a claim reads. */
export const CLAIMED_COLUMNS = 'id, source, order_id, received_at, redriven_at, platform, client_id, rule, intent_id, message, fb_tag, broadcast_name, attempts';

export function toClaimed(row: Row): ClaimedDelivery {
  return {
    id: Number(row.id),
    source: row.source as ClaimedDelivery['source'],
    orderId: String(row.order_id),
    platform: row.platform as ClaimedDelivery['platform'],
    clientId: String(row.client_id),
    rule: String(row.rule),
    intentId: (row.intent_id as string | null) ?? null,
    message: (row.message as string | null) ?? null,
    fbTag: (row.fb_tag as string | null) ?? null,
    name: String(row.broadcast_name),
    attempts: Number(row.attempts),
    receivedAt: Number(row.received_at),
    waitingSince: Number(row.redriven_at ?? row.received_at),
  };
}

export const CREDENTIALS_COLUMNS = [
  'bot_id',
  'api_token',
  'api_secret',
  'generation',
  'origin',
  'env_fingerprint',
  'obtained_at',
  'expires_at',
  'last_refresh_at',
  'state',
  'last_error',
] as const;

export function credentialsRow(c: StoredCredentials): (string | number | null)[] {
  return [c.botId, c.apiToken, c.apiSecret, c.generation, c.origin, c.envFingerprint, c.obtainedAt, c.expiresAt, c.lastRefreshAt, c.state, c.lastError];
}

/** Insert-or-replace of the one credentials row per bot; `$n` or `?` placeholders per engine. */
export function upsertCredentialsSql(placeholder: (i: number) => string): string {
  const values = CREDENTIALS_COLUMNS.map((_, i) => placeholder(i + 1)).join(', ');
  const updates = CREDENTIALS_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ');
  return `INSERT INTO credentials (${CREDENTIALS_COLUMNS.join(', ')}) VALUES (${values}) ON CONFLICT (bot_id) DO UPDATE SET ${updates}`;
}

export function toCredentials(row: Row): StoredCredentials {
  return {
    botId: String(row.bot_id),
    apiToken: String(row.api_token),
    apiSecret: String(row.api_secret),
    generation: Number(row.generation),
    origin: row.origin as StoredCredentials['origin'],
    envFingerprint: String(row.env_fingerprint),
    obtainedAt: Number(row.obtained_at),
    expiresAt: Number(row.expires_at),
    lastRefreshAt: row.last_refresh_at === null ? null : Number(row.last_refresh_at),
    state: row.state as StoredCredentials['state'],
    lastError: (row.last_error as string | null) ?? null,
  };
}
