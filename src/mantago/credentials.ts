// MantaGO's rotating credentials. Each bot has one token/secret pair and a refresh kills the old
// one, so: one refresh at a time (here, and through the store's refresh claim on every replica),
// the new pair stored before anyone uses it, and no refresh loop once MantaGO refuses to refresh.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.ts';
import type { ApiPair, CredentialsOrigin, CredentialsStatus, StoredCredentials } from '../domain/credentials.ts';
import type { CredentialsStore } from '../store/store.ts';
import type { RefreshResult } from './client.ts';
import { tokenExpiry } from './token-expiry.ts';

export interface UsableCredentials extends ApiPair {
  generation: number;
}
/** The outcome of asking for a newer pair after MantaGO rejected `generation`. */
export type Renewal = 'renewed' | 'unavailable' | 'rejected';
/** How one refresh ended, for metrics: `adopted` means another replica (or the operator) had stored a newer pair. */
export type RefreshOutcome = Renewal | 'adopted';

/** The one call the manager makes: the token endpoint. */
export interface TokenRefresher {
  refreshToken(apiToken: string, apiSecret: string): Promise<RefreshResult>;
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
  onRefresh?: (outcome: RefreshOutcome) => void;
  clock?: Clock;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** setTimeout cannot wait longer than ~24.8 days; a longer wait is re-armed. */
const MAX_TIMER_MS = 6 * 60 * 60 * 1000;
/** After a refresh MantaGO could not answer, an early (proactive) refresh waits this long to try again. */
const PROACTIVE_RETRY_MS = 60_000;
/** While another replica holds the refresh claim, how often to look for the pair it stores. */
const CLAIM_POLL_MS = 100;
const CLAIM_MARGIN_MS = 5_000;

export function fingerprint(botId: string, pair: ApiPair): string {
  return createHash('sha256').update(`${botId}\n${pair.apiToken}\n${pair.apiSecret}`).digest('hex');
}

export class CredentialsManager {
  private readonly deps: CredentialsDeps;
  private readonly clock: Clock;
  private current: StoredCredentials | undefined;
  private refreshing: Promise<Renewal> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private quietUntil = 0;
  private stopped = false;
  private readonly changeListeners = new Set<() => void>();

  constructor(deps: CredentialsDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
  }

  /**
   * Loads the stored pair in preference to the environment's: after a rotation the environment's
   * pair is dead. If the operator changed the environment's pair since, theirs wins.
   */
  async start(): Promise<void> {
    const { store, botId, envPair, log } = this.deps;
    const envFingerprint = fingerprint(botId, envPair);
    const stored = await store.loadCredentials(botId);
    const fromEnv = !stored || stored.envFingerprint !== envFingerprint;
    const credentials = fromEnv ? await store.saveCredentials(this.newPair(stored, envPair, 'env', envFingerprint)) : stored;
    this.adopt(credentials);
    log.info(
      {
        generation: credentials.generation,
        origin: credentials.origin,
        expiresAt: new Date(credentials.expiresAt).toISOString(),
        state: credentials.state,
      },
      fromEnv ? 'using the MantaGO credentials from the environment' : 'using the stored MantaGO credentials',
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.changeListeners.clear();
  }

  status(): CredentialsStatus {
    const { apiToken: _t, apiSecret: _s, envFingerprint: _f, ...status } = this.stored();
    return status;
  }

  isUsable(): boolean {
    return this.stored().state === 'ok';
  }

  /** Called when a newer usable pair is adopted, so paused work can go on. */
  onUsable(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** The pair to call with, refreshed first when the token is close to its expiry; none while rejected. */
  async get(): Promise<UsableCredentials | undefined> {
    const stored = this.stored();
    if (stored.state !== 'ok') return undefined;
    const now = this.clock.now();
    if (!this.deps.dryRun && now >= refreshAt(stored) && now >= this.quietUntil)
      await this.refresh(stored.generation, 'the token expires soon');
    const usable = this.stored();
    return usable.state === 'ok' ? { apiToken: usable.apiToken, apiSecret: usable.apiSecret, generation: usable.generation } : undefined;
  }

  /**
   * MantaGO said the pair of `generation` is invalid or expired. Concurrent callers share one
   * refresh; a caller whose pair was already replaced gets the newer one without any call.
   */
  async expired(generation: number): Promise<Renewal> {
    const stored = this.stored();
    if (stored.generation > generation) return stored.state === 'ok' ? 'renewed' : 'rejected';
    return this.refresh(generation, 'MantaGO reported the token invalid or expired');
  }

  /** Picks up a pair another replica or the operator stored. */
  async reload(): Promise<void> {
    const stored = await this.deps.store.loadCredentials(this.deps.botId);
    if (stored && stored.generation > this.stored().generation) this.adopt(stored);
  }

  /** A pair copied from MantaGO's dashboard: replaces whatever is stored, and clears a rejected state. */
  async install(pair: ApiPair): Promise<CredentialsStatus> {
    const { store, botId, envPair, log } = this.deps;
    const stored = (await store.loadCredentials(botId)) ?? this.current;
    const installed = await store.saveCredentials(
      this.newPair(stored, pair, 'admin', stored?.envFingerprint ?? fingerprint(botId, envPair)),
    );
    this.adopt(installed);
    log.info({ generation: installed.generation }, 'installed MantaGO credentials given by the operator');
    return this.status();
  }

  /** Refreshes now, whatever the token's expiry (the operator asked). */
  forceRefresh(): Promise<Renewal> {
    if (this.deps.dryRun) return Promise.resolve('unavailable');
    return this.refresh(this.stored().generation, 'the operator asked for a refresh', true);
  }

  private refresh(generation: number, reason: string, evenIfRejected = false): Promise<Renewal> {
    this.refreshing ??= this.rotate(generation, reason, evenIfRejected).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * The stored pair of `generation`, claimed for this process's refresh; or, when another replica
   * or the operator stored a newer pair meanwhile, that one.
   */
  private async claim(generation: number): Promise<{ claimed: StoredCredentials } | { newer: StoredCredentials }> {
    const { store, botId, owner, refreshTimeoutMs } = this.deps;
    const giveUpAt = this.clock.now() + refreshTimeoutMs + 2 * CLAIM_MARGIN_MS;
    for (;;) {
      const stored = (await store.loadCredentials(botId)) ?? this.stored();
      if (stored.generation > generation) return { newer: stored };
      const now = this.clock.now();
      if (await store.claimRefresh(botId, owner, generation, now + refreshTimeoutMs + CLAIM_MARGIN_MS, now)) return { claimed: stored };
      // Another replica is refreshing: its pair (or its claim running out) comes within the claim's time.
      if (now > giveUpAt) return { newer: stored };
      await this.clock.sleep(CLAIM_POLL_MS);
    }
  }

  private async rotate(generation: number, reason: string, evenIfRejected: boolean): Promise<Renewal> {
    const { store, botId, owner, client, log, onRefresh } = this.deps;
    const claimed = await this.claim(generation);
    let outcome: { credentials: StoredCredentials; renewal: Renewal; called: boolean };
    if ('newer' in claimed) {
      outcome = {
        credentials: claimed.newer,
        renewal: claimed.newer.state === 'ok' && claimed.newer.generation > generation ? 'renewed' : 'unavailable',
        called: false,
      };
      if (claimed.newer.state === 'rejected') outcome.renewal = 'rejected';
    } else if (claimed.claimed.state === 'rejected' && !evenIfRejected) {
      await store.releaseRefresh(botId, owner);
      outcome = { credentials: claimed.claimed, renewal: 'rejected', called: false };
    } else {
      const base = claimed.claimed;
      const now = this.clock.now();
      const reply = await client.refreshToken(base.apiToken, base.apiSecret);
      if (reply.kind === 'ok') {
        const next = { ...this.newPair(base, reply, 'refresh', base.envFingerprint), lastRefreshAt: now };
        outcome = { credentials: await store.saveCredentials(next), renewal: 'renewed', called: true };
      } else {
        const transient = reply.kind === 'unreachable' || (reply.kind === 'refused' && (reply.status === 429 || reply.status >= 500));
        const detail = reply.kind === 'unreachable' ? reply.message : `HTTP ${reply.status}: ${reply.message}`;
        if (transient) {
          log.warn({ reason, error: detail }, 'MantaGO token refresh failed; will try again later');
          await store.releaseRefresh(botId, owner);
          outcome = { credentials: base, renewal: 'unavailable', called: true };
        } else {
          const rejected: StoredCredentials = {
            ...base,
            state: 'rejected',
            lastRefreshAt: now,
            lastError: `MantaGO refused to refresh the token (${detail})`,
          };
          outcome = { credentials: await store.saveCredentials(rejected), renewal: 'rejected', called: true };
        }
      }
    }
    onRefresh?.(outcome.called ? outcome.renewal : 'adopted');
    if (outcome.renewal === 'unavailable') this.quietUntil = this.clock.now() + PROACTIVE_RETRY_MS;
    this.adopt(outcome.credentials);
    if (outcome.renewal === 'renewed') {
      log.info(
        { reason, generation: outcome.credentials.generation, expiresAt: new Date(outcome.credentials.expiresAt).toISOString() },
        'MantaGO credentials renewed',
      );
    } else if (outcome.renewal === 'rejected') {
      log.error(
        { reason, error: outcome.credentials.lastError },
        'MantaGO credentials rejected: deliveries wait for new credentials from the operator',
      );
    }
    return outcome.renewal;
  }

  private newPair(
    stored: StoredCredentials | undefined,
    pair: ApiPair,
    origin: CredentialsOrigin,
    envFingerprint: string,
  ): StoredCredentials {
    const now = this.clock.now();
    return {
      botId: this.deps.botId,
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

  private stored(): StoredCredentials {
    if (!this.current) throw new Error('credentials are not loaded yet: call start() first');
    return this.current;
  }

  private adopt(credentials: StoredCredentials): void {
    const wasUsable = this.current?.state === 'ok';
    const newer = !this.current || credentials.generation > this.current.generation;
    if (this.current && credentials.generation < this.current.generation) return; // never go back to an older pair
    this.current = credentials;
    this.schedule();
    if (credentials.state === 'ok' && (newer || !wasUsable)) for (const listener of this.changeListeners) listener();
  }

  /** Refreshes ahead of expiry even when no order comes to trigger it. */
  private schedule(): void {
    clearTimeout(this.timer);
    const stored = this.stored();
    if (stored.state !== 'ok' || this.stopped || this.deps.dryRun) return;
    const now = this.clock.now();
    const wait = Math.max(0, refreshAt(stored) - now, this.quietUntil - now);
    this.timer = setTimeout(
      () => {
        if (wait > MAX_TIMER_MS) return this.schedule();
        this.get()
          .catch((error: unknown) => this.deps.log.error({ err: error }, 'proactive MantaGO token refresh failed'))
          .finally(() => this.schedule());
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    this.timer.unref();
  }
}

/** A day ahead of expiry, or a tenth of the token's life if that is shorter. */
function refreshAt(c: StoredCredentials): number {
  return c.expiresAt - Math.min(DAY_MS, (c.expiresAt - c.obtainedAt) / 10);
}
