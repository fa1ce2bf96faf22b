// MantaGO's rotating credentials. Each bot has one token/secret pair and a refresh kills the old
// one, so: one refresh at a time (here and, through the store's lock, on every replica), the new
// pair stored before anyone uses it, and no refresh loop once MantaGO refuses to refresh.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { CredentialsOrigin, Store, StoredCredentials } from '../store/store.ts';
import type { MantagoClient } from './client.ts';
import { tokenExpiry } from './token-expiry.ts';

export interface ApiPair {
  apiToken: string;
  apiSecret: string;
}
export interface UsableCredentials extends ApiPair {
  generation: number;
}
/** What the operator may see: never the token or the secret. */
export type CredentialsStatus = Omit<StoredCredentials, 'apiToken' | 'apiSecret' | 'envFingerprint'>;
/** The outcome of asking for a newer pair after MantaGO rejected `generation`. */
export type Renewal = 'renewed' | 'unavailable' | 'rejected';
/** How one refresh ended, for metrics: `adopted` means another replica (or the operator) had stored a newer pair. */
export type RefreshOutcome = Renewal | 'adopted';

const DAY_MS = 24 * 60 * 60 * 1000;
/** setTimeout cannot wait longer than ~24.8 days; a longer wait is re-armed. */
const MAX_TIMER_MS = 6 * 60 * 60 * 1000;
/** After a refresh MantaGO could not answer, an early (proactive) refresh waits this long to try again. */
const PROACTIVE_RETRY_MS = 60_000;

export function fingerprint(botId: string, pair: ApiPair): string {
  return createHash('sha256').update(`${botId}\n${pair.apiToken}\n${pair.apiSecret}`).digest('hex');
}

export class CredentialsManager {
  private readonly botId: string;
  private readonly envPair: ApiPair;
  private readonly store: Store;
  private readonly client: MantagoClient;
  private readonly log: Logger;
  private current: StoredCredentials | undefined;
  private refreshing: Promise<Renewal> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private quietUntil = 0;
  private stopped = false;
  private readonly changeListeners = new Set<() => void>();

  private readonly dryRun: boolean;
  private readonly onRefresh: ((outcome: RefreshOutcome) => void) | undefined;

  constructor(deps: {
    botId: string;
    envPair: ApiPair;
    store: Store;
    client: MantagoClient;
    log: Logger;
    /** DRY_RUN: MantaGO is never called, so the pair is never refreshed either. */
    dryRun?: boolean;
    onRefresh?: (outcome: RefreshOutcome) => void;
  }) {
    this.dryRun = deps.dryRun ?? false;
    this.onRefresh = deps.onRefresh;
    this.botId = deps.botId;
    this.envPair = deps.envPair;
    this.store = deps.store;
    this.client = deps.client;
    this.log = deps.log;
  }

  /**
   * Loads the stored pair in preference to the environment's: after a rotation the environment's
   * pair is dead. If the operator changed the environment's pair since, theirs wins.
   */
  async start(): Promise<void> {
    const envFingerprint = fingerprint(this.botId, this.envPair);
    const { credentials, fromEnv } = await this.store.withCredentialsLock(this.botId, async (stored) => {
      if (stored && stored.envFingerprint === envFingerprint) return { result: { credentials: stored, fromEnv: false } };
      const adopted = this.newPair(stored, this.envPair, 'env', Date.now(), envFingerprint);
      return { save: adopted, result: { credentials: adopted, fromEnv: true } };
    });
    this.adopt(credentials);
    this.log.info(
      { generation: credentials.generation, origin: credentials.origin, expiresAt: new Date(credentials.expiresAt).toISOString(), state: credentials.state },
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
    const now = Date.now();
    if (!this.dryRun && now >= refreshAt(stored) && now >= this.quietUntil) await this.refresh(stored.generation, 'the token expires soon');
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
    const stored = await this.store.loadCredentials(this.botId);
    if (stored && stored.generation > this.stored().generation) this.adopt(stored);
  }

  /** A pair copied from MantaGO's dashboard: replaces whatever is stored, and clears a rejected state. */
  async install(pair: ApiPair): Promise<CredentialsStatus> {
    const installed = await this.store.withCredentialsLock(this.botId, async (stored) => {
      const next = this.newPair(stored, pair, 'admin', Date.now(), stored?.envFingerprint ?? fingerprint(this.botId, this.envPair));
      return { save: next, result: next };
    });
    this.adopt(installed);
    this.log.info({ generation: installed.generation }, 'installed MantaGO credentials given by the operator');
    return this.status();
  }

  /** Refreshes now, whatever the token's expiry (the operator asked). */
  forceRefresh(): Promise<Renewal> {
    if (this.dryRun) return Promise.resolve('unavailable');
    return this.refresh(this.stored().generation, 'the operator asked for a refresh', true);
  }

  private refresh(generation: number, reason: string, evenIfRejected = false): Promise<Renewal> {
    this.refreshing ??= this.rotate(generation, reason, evenIfRejected).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async rotate(generation: number, reason: string, evenIfRejected: boolean): Promise<Renewal> {
    const outcome = await this.store.withCredentialsLock<{ credentials: StoredCredentials; renewal: Renewal; called?: boolean }>(this.botId, async (stored) => {
      const base = stored ?? this.stored();
      // Someone (another replica, the operator) already stored a newer pair: use it, call nobody.
      if (base.generation > generation) return { result: { credentials: base, renewal: base.state === 'ok' ? 'renewed' : 'rejected' } };
      if (base.state === 'rejected' && !evenIfRejected) return { result: { credentials: base, renewal: 'rejected' } };
      const now = Date.now();
      const reply = await this.client.refreshToken(base.apiToken, base.apiSecret);
      if (reply.kind === 'ok') {
        const next = { ...this.newPair(base, reply, 'refresh', now, base.envFingerprint), lastRefreshAt: now };
        return { save: next, result: { credentials: next, renewal: 'renewed', called: true } };
      }
      const transient = reply.kind === 'unreachable' || (reply.kind === 'refused' && (reply.status === 429 || reply.status >= 500));
      const detail = reply.kind === 'unreachable' ? reply.message : `HTTP ${reply.status}: ${reply.message}`;
      if (transient) {
        this.log.warn({ reason, error: detail }, 'MantaGO token refresh failed; will try again later');
        return { result: { credentials: base, renewal: 'unavailable', called: true } };
      }
      const rejected: StoredCredentials = { ...base, state: 'rejected', lastRefreshAt: now, lastError: `MantaGO refused to refresh the token (${detail})` };
      return { save: rejected, result: { credentials: rejected, renewal: 'rejected', called: true } };
    });
    this.onRefresh?.(outcome.called ? outcome.renewal : 'adopted');
    if (outcome.renewal === 'unavailable') this.quietUntil = Date.now() + PROACTIVE_RETRY_MS;
    this.adopt(outcome.credentials);
    if (outcome.renewal === 'renewed') {
      this.log.info({ reason, generation: outcome.credentials.generation, expiresAt: new Date(outcome.credentials.expiresAt).toISOString() }, 'MantaGO credentials renewed');
    } else if (outcome.renewal === 'rejected') {
      this.log.error({ reason, error: outcome.credentials.lastError }, 'MantaGO credentials rejected: deliveries wait for new credentials from the operator');
    }
    return outcome.renewal;
  }

  private newPair(stored: StoredCredentials | undefined, pair: ApiPair, origin: CredentialsOrigin, now: number, envFingerprint: string): StoredCredentials {
    return {
      botId: this.botId,
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
    this.current = credentials;
    this.schedule();
    if (credentials.state === 'ok' && (newer || !wasUsable)) for (const listener of this.changeListeners) listener();
  }

  /** Refreshes ahead of expiry even when no order comes to trigger it. */
  private schedule(): void {
    clearTimeout(this.timer);
    const stored = this.stored();
    if (stored.state !== 'ok' || this.stopped || this.dryRun) return;
    const wait = Math.max(0, refreshAt(stored) - Date.now(), this.quietUntil - Date.now());
    this.timer = setTimeout(() => {
      if (wait > MAX_TIMER_MS) return this.schedule();
      this.get()
        .catch((error: unknown) => this.log.error({ err: error }, 'proactive MantaGO token refresh failed'))
        .finally(() => this.schedule());
    }, Math.min(wait, MAX_TIMER_MS));
    this.timer.unref();
  }
}

/** A day ahead of expiry, or a tenth of the token's life if that is shorter. */
function refreshAt(c: StoredCredentials): number {
  return c.expiresAt - Math.min(DAY_MS, (c.expiresAt - c.obtainedAt) / 10);
}
