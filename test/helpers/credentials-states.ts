// Credentials states and events for the state machine's tests: a pair of generation 5 held in
// each state, and MantaGO's refresh answers.
import type { StoredCredentials } from '../../src/domain/credentials.ts';
import type { RefreshResult } from '../../src/mantago/client.ts';
import type { CredentialsEvent, CredentialsState } from '../../src/mantago/credentials-state.ts';

export const T = 1_000_000_000_000;
export const DAY = 24 * 60 * 60 * 1000;

export function pair(generation: number, more: Partial<StoredCredentials> = {}): StoredCredentials {
  return {
    botId: 'bot',
    apiToken: `token-${generation}`,
    apiSecret: `secret-${generation}`,
    generation,
    origin: 'env',
    envFingerprint: 'fp',
    obtainedAt: T - DAY,
    expiresAt: T + 29 * DAY,
    lastRefreshAt: null,
    state: 'ok',
    lastError: null,
    ...more,
  };
}

export const backoff = { since: T - 10_000, failures: 2, reason: 'HTTP 503: down', nextAttemptAt: T + 3_000 };
export const held = pair(5);
export const states: { [N in CredentialsState['name']]: Extract<CredentialsState, { name: N }> } = {
  usable: { name: 'usable', pair: held, answerLost: false },
  expired: { name: 'expired', pair: held, answerLost: false },
  refresh_failing: { name: 'refresh_failing', pair: held, backoff, answerLost: false },
  unsaved: {
    name: 'unsaved',
    pair: held,
    since: T - 1_000,
    failures: 1,
    reason: 'the store refused it: disk full',
    retryAt: T + 2_000,
    expired: false,
  },
  rejected: {
    name: 'rejected',
    pair: pair(5, { state: 'rejected', lastError: 'MantaGO refused to refresh the token (HTTP 401: no)' }),
    answerLost: false,
  },
};

export const ok = (n: number): RefreshResult => ({ kind: 'ok', apiToken: `token-${n}`, apiSecret: `secret-${n}`, durationMs: 5 });
export const timedOut: RefreshResult = {
  kind: 'unreachable',
  durationMs: 30_000,
  message: 'MantaGO did not answer in time',
  timeout: true,
};
export const unavailable: RefreshResult = { kind: 'refused', status: 503, durationMs: 5, message: 'down', retryAfterMs: undefined };
export const refusedExpired: RefreshResult = { kind: 'expired', status: 401, durationMs: 5, message: 'Token is invalid or expired' };
/** MantaGO's answer to a refresh asked at T, arriving at `now`. */
export const answered = (reply: RefreshResult, base: StoredCredentials = held, now = T + 50): CredentialsEvent => ({
  type: 'refresh_answered',
  base,
  reply,
  askedAt: T,
  now,
  random: 0.5,
});
export const later = T + 60_000; // past every backoff above
