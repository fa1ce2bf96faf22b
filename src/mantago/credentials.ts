// MantaGO's rotating credentials. Each bot has one token/secret pair and a refresh kills the old
// one, so: one refresh at a time (here, and through the store's refresh claim on every replica),
// a new pair kept and stored before anyone needs the old one again, refreshes that MantaGO could
// not answer retried with backoff (never once per delivery), and none once MantaGO refuses. What
// the state can become is decided in credentials-state.ts; this file carries it out.
import { settleBy, systemClock, type Clock } from '../clock.ts';
import type { ApiPair, CredentialsStatus, StoredCredentials } from '../domain/credentials.ts';
import {
  type CredentialsEvent,
  type CredentialsState,
  type Decision,
  healthOf,
  isUsable,
  nextAttemptAt,
  nextWake,
  refreshDue,
  stateOf,
  transition,
} from './credentials-state.ts';
import { WakeTimer } from './credentials-timer.ts';
import { RefreshClaim } from './refresh-claim.ts';
import { OldPairs } from './old-pair.ts';
import { startingPair } from './starting-pair.ts';
import { type ShutdownWindow, storeBeforeExit } from './store-at-stop.ts';
import { type CredentialsDeps, type CredentialsHealth, fingerprint, nextPair, type Renewal, type UsableCredentials } from './renewal.ts';

export class CredentialsManager {
  private readonly deps: CredentialsDeps;
  private readonly clock: Clock;
  private readonly claims: RefreshClaim;
  private readonly oldPairs: OldPairs;
  private state: CredentialsState | undefined;
  private refreshing: Promise<Renewal> | undefined;
  /** Shutting down: a refresh the exit could cut off is not begun (MantaGO would kill the pair held for one never stored). */
  private quiesced = false;
  /** Shutting down: the grace within which a pair not yet stored is tried again. */
  private shutdown: ShutdownWindow | undefined;
  private readonly timer: WakeTimer;
  private readonly changeListeners = new Set<() => void>();

  constructor(deps: CredentialsDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
    this.timer = new WakeTimer(this.clock);
    this.claims = new RefreshClaim(deps.store, deps.botId, deps.owner, deps.refreshTimeoutMs, this.clock);
    this.oldPairs = new OldPairs({
      store: deps.store,
      log: deps.log,
      claimFor: (generation) =>
        new RefreshClaim(deps.store, deps.botId, `${deps.owner}:old-pair:${generation}`, deps.refreshTimeoutMs, this.clock),
      held: () => this.stored(),
      reload: () => this.reload(),
      refreshing: () => this.refreshing,
      seen: (pair) => void this.apply({ type: 'pair_seen', pair }),
    });
  }

  /** Loads the pair to start with (starting-pair.ts says which). */
  async start(): Promise<void> {
    const { credentials, fromEnv } = await startingPair(this.deps, () => this.clock.now());
    this.enter(stateOf(credentials));
    const { generation, origin, state } = credentials;
    this.deps.log.info(
      { generation, origin, expiresAt: new Date(credentials.expiresAt).toISOString(), state },
      fromEnv ? 'using the MantaGO credentials from the environment' : 'using the stored MantaGO credentials',
    );
  }

  /** Shutdown began: no more refreshes (one would race the process's exit); one under way goes on, as do tries to store its pair. */
  quiesce(): void {
    this.quiesced = true;
    if (this.deps.shutdownGraceMs !== undefined) this.shutdown = { from: this.clock.now(), graceMs: this.deps.shutdownGraceMs };
    this.schedule();
  }

  /** A refresh under way ends and a pair not yet stored is stored, tried until the grace runs out: MantaGO killed the one before. */
  async stop(): Promise<void> {
    this.timer.stop();
    this.changeListeners.clear();
    await this.refreshing;
    await storeBeforeExit(() => this.storeUnsaved(), this.clock, this.shutdown, this.deps.log);
  }

  status(): CredentialsStatus {
    const { apiToken: _t, apiSecret: _s, envFingerprint: _f, ...status } = this.stored();
    return status;
  }

  health(): CredentialsHealth {
    return healthOf(this.loaded());
  }

  /** Whether a call now has a pair worth trying: not rejected, and not one MantaGO already called expired while no refresh comes through. */
  isUsable(): boolean {
    return isUsable(this.loaded());
  }

  /** Called when a newer usable pair is adopted, so paused work can go on. */
  onUsable(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** The pair to call with (none while rejected); a refresh due ahead of expiry is waited for until `waitUntil` at most. */
  async get(options: { waitUntil?: number } = {}): Promise<UsableCredentials | undefined> {
    if (this.stored().state !== 'ok') return undefined;
    if (!this.deps.dryRun && refreshDue(this.loaded(), this.clock.now()))
      await settleBy(this.clock, this.refresh('the token expires soon'), options.waitUntil, 'unavailable');
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
    const decision = this.apply({ type: 'expiry_reported', generation, now: this.clock.now(), random: this.random() });
    if (decision.do === 'retry_later')
      this.deps.log.warn({ generation, nextRefreshAt: this.nextRefreshAt() }, `${decision.detail}: the next refresh waits (backing off)`);
    if (decision.do !== 'refresh') return decision.answer;
    return settleBy(this.clock, this.refresh('MantaGO reported the token invalid or expired'), options.waitUntil, 'unavailable');
  }

  /** MantaGO said the pair of `generation` is an old one (120000): see old-pair.ts; waited for until `waitUntil` at most. */
  superseded(generation: number, options: { waitUntil?: number } = {}): Promise<Renewal> {
    if (this.deps.dryRun) return Promise.resolve('unavailable');
    return settleBy(this.clock, this.oldPairs.decide(generation), options.waitUntil, 'unavailable');
  }

  /** When the next refresh will be tried, while refreshes fail. */
  nextRefreshAt(): number | undefined {
    return nextAttemptAt(this.loaded());
  }

  /** Picks up a pair another replica or the operator stored. */
  async reload(): Promise<void> {
    const stored = await this.deps.store.loadCredentials(this.deps.botId);
    // Only a newer one: the same generation's row is the pair held, as this process stored it.
    if (stored && stored.generation > this.stored().generation) this.apply({ type: 'pair_seen', pair: stored });
  }

  /** A pair copied from MantaGO's dashboard: replaces whatever is stored, and clears a rejected state. */
  async install(pair: ApiPair): Promise<CredentialsStatus> {
    const { store, botId, envPair, log } = this.deps;
    const held = this.state?.pair;
    const stored = (await store.loadCredentials(botId)) ?? held;
    const base = stored && held && held.generation > stored.generation ? held : stored;
    const installed = await store.saveCredentials(
      nextPair(botId, this.clock.now(), base, pair, 'admin', stored?.envFingerprint ?? fingerprint(botId, envPair)),
    );
    this.apply({ type: 'pair_seen', pair: installed }); // newer than any held: an unsaved pair is moot
    log.info({ generation: installed.generation }, 'installed MantaGO credentials given by the operator');
    return this.status();
  }

  /** Refreshes now, whatever the token's expiry (the operator asked). */
  forceRefresh(): Promise<Renewal> {
    if (this.deps.dryRun) return Promise.resolve('unavailable');
    return this.refresh('the operator asked for a refresh', true);
  }

  private refresh(reason: string, evenIfRejected = false): Promise<Renewal> {
    if (this.quiesced && !this.refreshing) return Promise.resolve('unavailable'); // the work waits for the next process
    this.refreshing ??= this.rotate(reason, evenIfRejected)
      .catch((error: unknown) => {
        this.deps.log.error({ err: error }, 'MantaGO token refresh failed unexpectedly');
        return this.notMade('the refresh failed on our side (the log has why)');
      })
      .finally(() => {
        this.refreshing = undefined;
        this.schedule(); // a timer that fired meanwhile only joined this refresh: arm it for the state it left
      });
    return this.refreshing;
  }

  private async rotate(reason: string, evenIfRejected: boolean): Promise<Renewal> {
    const { client, onRefresh } = this.deps;
    if (!(await this.storeUnsaved())) return this.notMade('the last new pair is not stored yet');
    const claimed = await this.claims.take(this.stored().generation, this.stored());
    if ('restored' in claimed)
      this.deps.log.error(
        { generation: claimed.claimed.generation },
        'the store had gone back to an older MantaGO pair: the one in use is stored again',
      );
    if ('newer' in claimed || 'busy' in claimed) {
      onRefresh?.('adopted');
      if ('busy' in claimed) return this.notMade('another replica is refreshing and has not stored a new pair yet');
      return this.apply({ type: 'pair_seen', pair: claimed.newer }).answer;
    }
    const base = claimed.claimed;
    if (base.state === 'rejected' && !evenIfRejected) {
      await this.claims.release();
      return this.apply({ type: 'pair_seen', pair: base }).answer;
    }
    const askedAt = this.clock.now();
    const reply = await client.refreshToken(base.apiToken, base.apiSecret, claimed.startBy);
    const decision = this.apply({ type: 'refresh_answered', base, reply, askedAt, now: this.clock.now(), random: this.random() });
    await this.carryOut(decision, reason);
    return decision.answer;
  }

  /** What a refresh's answer asks for: the claim, the store, the metrics and the log. */
  private async carryOut(decision: Decision, reason: string): Promise<void> {
    const { log, onRefresh } = this.deps;
    switch (decision.do) {
      case 'store_pair': {
        onRefresh?.('renewed');
        const { generation, expiresAt } = this.stored();
        log.info({ reason, generation, expiresAt: new Date(expiresAt).toISOString() }, 'MantaGO credentials renewed');
        // In use already: MantaGO killed the old pair. Stored now, or again until it is.
        await this.storeUnsaved();
        return;
      }
      case 'retry_later':
        onRefresh?.('unavailable');
        await this.claims.release();
        log.warn({ reason, error: decision.detail }, 'MantaGO token refresh failed; will try again later');
        return;
      case 'store_rejection': {
        onRefresh?.('rejected');
        const { rejection } = decision;
        this.apply({ type: 'pair_seen', pair: await this.deps.store.saveCredentials(rejection).catch(() => rejection) });
        log.error(
          { reason, error: rejection.lastError },
          'MantaGO credentials rejected: deliveries wait for new credentials from the operator',
        );
        return;
      }
      case 'drop_answer':
        onRefresh?.('adopted');
        await this.claims.release();
        return;
    }
  }

  /** A refresh that came to nothing without MantaGO's say: try again later. */
  private notMade(reason: string): Renewal {
    return this.apply({ type: 'refresh_not_made', reason, now: this.clock.now(), random: this.random() }).answer;
  }

  /** Stores the pair in use if it waits to be; whether it is stored now. */
  private async storeUnsaved(): Promise<boolean> {
    const held = this.loaded();
    if (held.name !== 'unsaved') return true;
    const now = this.clock.now();
    let kept: StoredCredentials;
    try {
      kept = await this.deps.store.saveCredentials(held.pair);
      if (kept.generation < held.pair.generation) throw new Error('the store kept an older pair');
    } catch (error) {
      this.apply({ type: 'unsaved_refused', error: (error as Error).message, now, random: this.random() });
      this.deps.log.error(
        { err: error, generation: held.pair.generation },
        'could not store the new MantaGO credentials; using them, and storing them again shortly',
      );
      return false;
    }
    this.apply({ type: 'unsaved_stored', kept });
    return true;
  }

  private random = (): number => (this.deps.random ?? Math.random)();

  private loaded(): CredentialsState {
    if (!this.state) throw new Error('credentials are not loaded yet: call start() first');
    return this.state;
  }

  private stored(): StoredCredentials {
    return this.loaded().pair;
  }

  /** Every change of state goes through here: the transition, then the timer and the listeners once. */
  private apply(event: CredentialsEvent): Decision {
    const { state, decision } = transition(this.loaded(), event);
    if (state !== this.state) this.enter(state);
    return decision;
  }

  private enter(next: CredentialsState): void {
    const before = this.state;
    this.state = next;
    this.schedule();
    const newerOrBack = !before || next.pair.generation > before.pair.generation || !isUsable(before);
    if (isUsable(next) && newerOrBack) for (const listener of this.changeListeners) listener();
  }

  /** One timer: store an unsaved pair again, retry a failing refresh, or refresh ahead of expiry (none in a dry run). */
  private schedule(): void {
    const wake = this.deps.dryRun ? undefined : nextWake(this.loaded());
    this.timer.set(this.quiesced && wake?.task !== 'store' ? undefined : wake, (wake) =>
      wake.task === 'store' ? void this.storeUnsaved() : void this.refresh(wake.reason),
    );
  }
}
