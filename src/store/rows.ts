// Rows as both engines store them, besides deliveries (delivery-row.ts): the columns of an
// attempt and of the credentials, and the mapping of stored rows back to domain records.
import type { StoredCredentials } from '../domain/credentials.ts';
import type { AttemptRecord } from '../domain/delivery.ts';
import type { DirectoryEntry, Platform } from '../domain/recipient.ts';
import type { Column, Param, Row } from './runner.ts';

const text = (name: string): Column => ({ name, type: 'text' });
const bigint = (name: string): Column => ({ name, type: 'bigint' });
const int = (name: string): Column => ({ name, type: 'int' });

export const ATTEMPT_COLUMNS: readonly Column[] = [
  bigint('delivery_id'),
  bigint('started_at'),
  int('duration_ms'),
  text('outcome'),
  int('http_status'),
  text('error'),
  bigint('next_attempt_at'),
  int('batch_size'),
];

const textOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));
const timeOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

export function toAttemptRecord(row: Row): AttemptRecord {
  return {
    startedAt: Number(row.started_at),
    durationMs: Number(row.duration_ms),
    outcome: row.outcome as AttemptRecord['outcome'],
    httpStatus: row.http_status === null ? null : Number(row.http_status),
    error: textOrNull(row.error),
    nextAttemptAt: timeOrNull(row.next_attempt_at),
    batchSize: Number(row.batch_size),
  };
}

export function toDirectoryEntry(row: Row): DirectoryEntry {
  return { key: String(row.key), platform: row.platform as Platform, userId: String(row.user_id), updatedAt: Number(row.updated_at) };
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

export function credentialsRow(c: StoredCredentials): Param[] {
  return [
    c.botId,
    c.apiToken,
    c.apiSecret,
    c.generation,
    c.origin,
    c.envFingerprint,
    c.obtainedAt,
    c.expiresAt,
    c.lastRefreshAt,
    c.state,
    c.lastError,
  ];
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
    lastRefreshAt: timeOrNull(row.last_refresh_at),
    state: row.state as StoredCredentials['state'],
    lastError: textOrNull(row.last_error),
  };
}
