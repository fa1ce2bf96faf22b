// What a renewal of MantaGO's pair is about: the pair in use, how asking for a newer one went,
// where the credentials stand, what the credentials manager needs, when a refresh is due, and the
// pair that follows a stored one.
import { createHash } from 'node:crypto';
import type { ApiPair, CredentialsOrigin, StoredCredentials } from '../domain/credentials.ts';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { CredentialsStore } from '../store/store.ts';
import type { RefreshResult } from './client.ts';
import { tokenExpiry } from './token-expiry.ts';

export interface UsableCredentials extends ApiPair {
  generation: number;
}
/** The outcome of asking for a newer pair after MantaGO rejected `generation`. */
export const RENEWALS = ['renewed', 'unavailable', 'rejected'] as const;
export type Renewal = (typeof RENEWALS)[number];
/** How one refresh ended, for metrics: `adopted` means another replica (or the operator) had stored a newer pair. */
export type RefreshOutcome = Renewal | 'adopted';

/** The states of CredentialsHealth, named once: its variants, the schemas and readiness read them. */
export const CREDENTIALS_STATES = ['ok', 'rejected', 'refresh_failing', 'unsaved'] as const;
/** One state of CREDENTIALS_STATES (a state not listed there is `never`, so no variant can hold it). */
type State<S extends (typeof CREDENTIALS_STATES)[number]> = S;
/** Where the credentials stand for delivery, beyond the stored state: what readiness and the operator see. */
export type CredentialsHealth =
  | { state: State<'ok'> }
  | { state: State<'rejected'>; reason: string }
  /** MantaGO said the pair expired and no refresh has come through yet. */
  | { state: State<'refresh_failing'>; since: number; reason: string; nextAttemptAt: number }
  /** A new pair is in use but could not be stored yet: it is stored again until it is. */
  | { state: State<'unsaved'>; since: number; reason: string };

/** The one call the manager makes: the token endpoint. */
export interface TokenRefresher {
  /** `startBy`: the latest the call may start (else `not_started`), so it ends within the refresh claim. */
  refreshToken(apiToken: string, apiSecret: string, startBy?: number): Promise<RefreshResult>;
}

export interface CredentialsDeps {
  botId: string;
  envPair: ApiPair;
  store: CredentialsStore;
  client: TokenRefresher;
  log: Logger;
  /** Who claims a refresh in the store: this process. */
  owner: string;
  /** The longest a refresh call may take: a claim on the refresh lasts a little longer. */
  refreshTimeoutMs: number;
  /** DRY_RUN: MantaGO is never called, so the pair is never refreshed either. */
  dryRun?: boolean;
  /** SHUTDOWN_GRACE_MS: within it a pair not yet stored is tried again at shutdown (once only, unless given). */
  shutdownGraceMs?: number;
  onRefresh?: (outcome: RefreshOutcome) => void;
  clock?: Clock;
  random?: () => number;
}

export function fingerprint(botId: string, pair: ApiPair): string {
  return createHash('sha256').update(`${botId}\n${pair.apiToken}\n${pair.apiSecret}`).digest('hex');
}

/** The pair that follows `stored` (the next generation), as obtained now. */
export function nextPair(
  botId: string,
  now: number,
  stored: StoredCredentials | undefined,
  pair: ApiPair,
  origin: CredentialsOrigin,
  envFingerprint: string,
): StoredCredentials {
  return {
    botId: botId,
    apiToken: pair.apiToken,
    apiSecret: pair.apiSecret,
    generation: (stored?.generation ?? 0) + 1,
    origin,
    envFingerprint,
    obtainedAt: now,
    expiresAt: tokenExpiry(pair.apiToken, now),
    lastRefreshAt: stored?.lastRefreshAt ?? null,
    state: 'ok',
    lastError: null,
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A day ahead of expiry, or a tenth of the token's life if that is shorter. */
export function refreshAt(c: StoredCredentials): number {
  return c.expiresAt - Math.min(DAY_MS, (c.expiresAt - c.obtainedAt) / 10);
}
