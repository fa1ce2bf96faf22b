// The one refresh of a generation across every replica: a claim row in the store, not a lock, so
// no transaction stays open across the call to MantaGO. A replica that finds another's claim
// waits for the pair it stores (or for its claim to run out) within the claim's own time.
import type { Clock } from '../clock.ts';
import type { StoredCredentials } from '../domain/credentials.ts';
import type { CredentialsStore } from '../store/store.ts';

/** How often to look for the pair another replica is fetching. */
const POLL_MS = 100;
/** A claim outlasts the refresh call by this much: the answer still has to be stored. */
const MARGIN_MS = 5_000;
/**
 * The refresh call starts within this of its claim, or not at all: waiting for a call slot (or out
 * a 429's pause) past it, it would outlast the claim, and another replica would refresh too.
 */
const START_WITHIN_MS = 5_000;

/**
 * `startBy`: the latest the refresh call may start, within the claim; `restored`: the store held an
 * older pair than the one in use (a restore, a failover to a lagging standby), and has it again.
 */
export type Claimed = { claimed: StoredCredentials; startBy: number; restored?: true } | { newer: StoredCredentials } | { busy: true };

export class RefreshClaim {
  private readonly store: CredentialsStore;
  private readonly botId: string;
  private readonly owner: string;
  private readonly refreshTimeoutMs: number;
  private readonly clock: Clock;

  constructor(store: CredentialsStore, botId: string, owner: string, refreshTimeoutMs: number, clock: Clock) {
    this.store = store;
    this.botId = botId;
    this.owner = owner;
    this.refreshTimeoutMs = refreshTimeoutMs;
    this.clock = clock;
  }

  /**
   * The stored pair of `generation`, claimed for this process; or a newer one stored meanwhile; or
   * busy elsewhere. `held`: the pair in use, stored again should the store have gone back before it
   * (no claim of its generation could ever be taken then, nor a newer pair seen).
   */
  async take(generation: number, held?: StoredCredentials): Promise<Claimed> {
    const giveUpAt = this.clock.now() + START_WITHIN_MS + this.refreshTimeoutMs + 2 * MARGIN_MS;
    let restored = false;
    for (;;) {
      const now = this.clock.now();
      const until = now + START_WITHIN_MS + this.refreshTimeoutMs + MARGIN_MS;
      const claimed = await this.store.claimRefresh(this.botId, this.owner, generation, until, now);
      // Read after claiming, never before: a save between a read and the claim (a replica storing the
      // pair as rejected, which ends any claim) would have us refresh the pair as it was before it.
      const stored = await this.store.loadCredentials(this.botId);
      if (!stored) throw new Error('no credentials are stored for this bot');
      if (stored.generation > generation) return { newer: stored };
      if (claimed) return { claimed: stored, startBy: now + START_WITHIN_MS, ...(restored && { restored }) };
      if (stored.generation < generation && held?.generation === generation && !restored) {
        await this.store.saveCredentials(held);
        restored = true;
        continue;
      }
      if (now > giveUpAt) return { busy: true };
      await this.clock.sleep(POLL_MS);
    }
  }

  /** Gives the claim up without a new pair (a saved pair ends it by itself). */
  release(): Promise<void> {
    return this.store.releaseRefresh(this.botId, this.owner);
  }
}
