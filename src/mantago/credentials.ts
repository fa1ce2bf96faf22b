// MantaGO's rotating credentials. Each bot has one token/secret pair and a refresh kills the old
// one, so: one refresh at a time (here, and through the store's refresh claim on every replica),
// a new pair kept and stored before anyone needs the old one again, refreshes that MantaGO could
// not answer retried with backoff (never once per delivery), and none once MantaGO refuses.
import { settleBy, systemClock, type Clock } from '../clock.ts';
import {
  type ApiPair,
  type CredentialsOrigin,
  type CredentialsStatus,
  type StoredCredentials,
  UnreadablePairError,
} from '../domain/credentials.ts';
import { RefreshClaim } from './refresh-claim.ts';
import { type FailingRefresh, failedRefresh, refreshFailure } from './refresh-policy.ts';
import { UnsavedPair } from './unsaved-pair.ts';
import {
  type CredentialsDeps,
  type CredentialsHealth,
  fingerprint,
  nextPair,
  type Renewal,
  refreshAt,
  type UsableCredentials,
} from './renewal.ts';

/** Timers cannot wait longer than ~24.8 days; a longer wait is re-armed. */
const MAX_TIMER_MS = 6 * 60 * 60 * 1000;

export class CredentialsManager {
  private readonly deps: CredentialsDeps;
  private readonly clock: Clock;
  private readonly claims: RefreshClaim;
  private current: StoredCredentials | undefined;
  /** The generation MantaGO reported expired, until a newer pair comes. */
  private expiredGeneration: number | undefined;
  private failing: FailingRefresh | undefined;
  /** The last refresh got no answer in time: MantaGO may have rotated the pair anyway. */
  private lastRefreshTimedOut = false;
  private readonly unsaved: UnsavedPair;
  private refreshing: Promise<Renewal> | undefined;
  private cancelTimer: (() => void) | undefined;
  private stopped = false;
  private readonly changeListeners = new Set<() => void>();

  constructor(deps: CredentialsDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
    this.unsaved = new UnsavedPair((c) => deps.store.saveCredentials(c), deps.log, deps.random);
    this.claims = new RefreshClaim(deps.store, deps.botId, deps.owner, deps.refreshTimeoutMs, this.clock);
  }

  /**
   * Loads the stored pair in preference to the environment's: after a rotation the environment's
   * pair is dead. If the operator changed the environment's pair since, theirs wins.
   */
  async start(): Promise<void> {
    const { store, botId, envPair, log } = this.deps;
    const envFingerprint = fingerprint(botId, envPair);
    const stored = await this.readable(store.loadCredentials(botId), envFingerprint);
    const fromEnv = !stored || stored.envFingerprint !== envFingerprint;
    const credentials = fromEnv ? await store.saveCredentials(this.successor(stored, envPair, 'env', envFingerprint)) : stored;
    this.adopt(credentials);
    const { generation, origin, state } = credentials;
    log.info(
      { generation, origin, expiresAt: new Date(credentials.expiresAt).toISOString(), state },
      fromEnv ? 'using the MantaGO credentials from the environment' : 'using the stored MantaGO credentials',
    );
  }

  /** The stored pair; unreadable (a lost key), what is stored beside it, so a new environment pair replaces it. */
  private async readable(loading: Promise<StoredCredentials | undefined>, envFingerprint: string) {
    try {
      return await loading;
    } catch (error) {
      if (!(error instanceof UnreadablePairError)) throw error;
      if (error.stored.envFingerprint !== envFingerprint) return { ...error.stored, apiToken: '', apiSecret: '' };
      throw new Error(`${error.message}; or put the dashboard's current pair in MANTAGO_API_TOKEN and MANTAGO_API_SECRET`);
    }
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.changeListeners.clear();
  }

  status(): CredentialsStatus {
    const { apiToken: _t, apiSecret: _s, envFingerprint: _f, ...status } = this.stored();
    return status;
  }

  health(): CredentialsHealth {
    const stored = this.stored();
    if (stored.state === 'rejected') return { state: 'rejected', reason: stored.lastError ?? 'MantaGO rejected the credentials' };
    const unsaved = this.unsaved.waiting;
    if (unsaved) return { state: 'unsaved', since: unsaved.since, reason: unsaved.reason };
    if (this.failing && this.expiredGeneration === stored.generation) return { state: 'refresh_failing', ...this.failing };
    return { state: 'ok' };
  }

  /** Whether a call now has a pair worth trying: not rejected, and not one MantaGO already called expired while no refresh comes through. */
  isUsable(): boolean {
    const { state } = this.health();
    return state !== 'rejected' && state !== 'refresh_failing';
  }

  /** Called when a newer usable pair is adopted, so paused work can go on. */
  onUsable(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** The pair to call with (none while rejected); a refresh due ahead of expiry is waited for until `waitUntil` at most. */
  async get(options: { waitUntil?: number } = {}): Promise<UsableCredentials | undefined> {
    const stored = this.stored();
    if (stored.state !== 'ok') return undefined;
    const now = this.clock.now();
    if (!this.deps.dryRun && now >= refreshAt(stored) && now >= (this.failing?.nextAttemptAt ?? 0))
      await settleBy(this.clock, this.refresh(stored.generation, 'the token expires soon'), options.waitUntil, 'unavailable');
    const usable = this.stored();
    return usable.state === 'ok' ? { apiToken: usable.apiToken, apiSecret: usable.apiSecret, generation: usable.generation } : undefined;
  }

  /**
   * MantaGO said the pair of `generation` is invalid or expired. Concurrent callers share one
   * refresh; a caller whose pair was already replaced gets the newer one without any call; while
   * refreshes fail, callers are told so at once until the next attempt is due. Waits for the
   * refresh until `waitUntil` at most (the caller's lease): then it is `unavailable` for them.
   */
  async expired(generation: number, options: { waitUntil?: number } = {}): Promise<Renewal> {
    if (this.deps.dryRun) return 'unavailable'; // a dry run never refreshes: that would rotate a pair a live deployment may use
    const stored = this.stored();
    if (stored.generation > generation) return stored.state === 'ok' ? 'renewed' : 'rejected';
    if (stored.state === 'rejected') return 'rejected';
    this.expiredGeneration = generation;
    if (this.failing && this.clock.now() < this.failing.nextAttemptAt) return 'unavailable';
    return settleBy(
      this.clock,
      this.refresh(generation, 'MantaGO reported the token invalid or expired'),
      options.waitUntil,
      'unavailable',
    );
  }

  /** When the next refresh will be tried, while refreshes fail. */
  nextRefreshAt(): number | undefined {
    return this.failing?.nextAttemptAt;
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
    const base = stored && this.current && this.current.generation > stored.generation ? this.current : stored;
    const installed = await store.saveCredentials(
      this.successor(base, pair, 'admin', stored?.envFingerprint ?? fingerprint(botId, envPair)),
    );
    this.unsaved.clear();
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
    this.refreshing ??= this.rotate(generation, reason, evenIfRejected)
      .catch((error: unknown) => {
        this.deps.log.error({ err: error }, 'MantaGO token refresh failed unexpectedly');
        return this.failed('the refresh failed on our side (the log has why)', false);
      })
      .finally(() => {
        this.refreshing = undefined;
        this.schedule();
      });
    return this.refreshing;
  }

  private async rotate(generation: number, reason: string, evenIfRejected: boolean): Promise<Renewal> {
    const { client, log, onRefresh } = this.deps;
    if (!(await this.flushUnsaved())) return this.failed('the last new pair is not stored yet', false);
    const claimed = await this.claims.take(this.current?.generation ?? generation);
    if ('newer' in claimed || 'busy' in claimed) {
      onRefresh?.('adopted');
      if ('busy' in claimed) return this.failed('another replica is refreshing and has not stored a new pair yet', false);
      this.adopt(claimed.newer);
      return claimed.newer.state === 'ok' ? 'renewed' : 'rejected';
    }
    const base = claimed.claimed;
    if (base.state === 'rejected' && !evenIfRejected) {
      await this.claims.release();
      this.adopt(base);
      return 'rejected';
    }
    const now = this.clock.now();
    const reply = await client.refreshToken(base.apiToken, base.apiSecret);
    if (reply.kind === 'ok') {
      onRefresh?.('renewed');
      this.lastRefreshTimedOut = false;
      this.failing = undefined;
      this.adopt({ ...this.successor(base, reply, 'refresh', base.envFingerprint), lastRefreshAt: now });
      log.info(
        { reason, generation: this.stored().generation, expiresAt: new Date(this.stored().expiresAt).toISOString() },
        'MantaGO credentials renewed',
      );
      // In use already: MantaGO killed the old pair. Stored now, or again until it is.
      this.unsaved.mark(now);
      await this.flushUnsaved();
      return 'renewed';
    }
    const failure = refreshFailure(reply, this.lastRefreshTimedOut);
    if (failure.retry) {
      onRefresh?.('unavailable');
      await this.claims.release();
      if (failure.timedOut) this.lastRefreshTimedOut = true;
      log.warn({ reason, error: failure.detail }, 'MantaGO token refresh failed; will try again later');
      return this.failed(failure.detail, true);
    }
    onRefresh?.('rejected');
    const { lastError } = failure;
    const rejected: StoredCredentials = { ...base, state: 'rejected', lastRefreshAt: now, lastError };
    this.adopt(await this.deps.store.saveCredentials(rejected).catch(() => rejected));
    log.error({ reason, error: lastError }, 'MantaGO credentials rejected: deliveries wait for new credentials from the operator');
    return 'rejected';
  }

  /** A refresh that came to nothing: try again later, later each time. */
  private failed(reason: string, calledMantago: boolean): Renewal {
    this.failing = failedRefresh(this.failing, reason, calledMantago, this.clock.now(), this.deps.random?.());
    return 'unavailable';
  }

  /** The pair that follows `base`, obtained now. */
  private successor(base: StoredCredentials | undefined, pair: ApiPair, origin: CredentialsOrigin, envFingerprint: string) {
    return nextPair(this.deps.botId, this.clock.now(), base, pair, origin, envFingerprint);
  }

  /** Stores the pair in use if it waits to be; whether it is now. */
  private async flushUnsaved(): Promise<boolean> {
    const { stored, newer } = await this.unsaved.flush(this.stored(), this.clock.now());
    if (newer) this.adopt(newer);
    return stored;
  }

  private stored(): StoredCredentials {
    if (!this.current) throw new Error('credentials are not loaded yet: call start() first');
    return this.current;
  }

  private adopt(credentials: StoredCredentials): void {
    if (this.current && credentials.generation < this.current.generation) return; // never back to an older pair
    const wasUsable = this.current !== undefined && this.isUsable();
    const newer = !this.current || credentials.generation > this.current.generation;
    this.current = credentials;
    if (newer) {
      this.expiredGeneration = undefined;
      this.failing = undefined;
    }
    this.schedule();
    if (this.isUsable() && (newer || !wasUsable)) for (const listener of this.changeListeners) listener();
  }

  /** One timer: store an unsaved pair again, retry a failing refresh, or refresh ahead of expiry. */
  private schedule(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const stored = this.stored();
    if (stored.state !== 'ok' || this.stopped || this.deps.dryRun) return;
    const now = this.clock.now();
    const unsaved = this.unsaved.waiting;
    const due = unsaved
      ? unsaved.retryAt
      : this.expiredGeneration === stored.generation
        ? (this.failing?.nextAttemptAt ?? now)
        : Math.max(refreshAt(stored), this.failing?.nextAttemptAt ?? 0);
    const wait = Math.max(0, due - now);
    this.cancelTimer = this.clock.setTimer(
      () => {
        if (wait > MAX_TIMER_MS) return this.schedule();
        if (this.unsaved.waiting) return void this.flushUnsaved().finally(() => this.schedule());
        void this.refresh(
          this.stored().generation,
          this.expiredGeneration === undefined ? 'the token expires soon' : 'retrying a refresh that failed',
        );
      },
      Math.min(wait, MAX_TIMER_MS),
    );
  }
}
