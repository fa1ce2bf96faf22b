// What MantaGO's 120000 ("this pair is an old one") means for the pair held: another holder rotated
// it. The newer pair is taken up if the store has it, or once a refresh under way (another
// replica's, or this one's) stores it: MantaGO answers a refresh before the store has its pair,
// and calls made with the old pair meanwhile hear 120000. With none, the pair is rejected, saying
// why and how to recover; it is never refreshed, since MantaGO refuses that too.
import type { Logger } from 'pino';
import type { StoredCredentials } from '../domain/credentials.ts';
import type { CredentialsStore } from '../store/store.ts';
import type { RefreshClaim } from './refresh-claim.ts';
import { OLD_PAIR_REASON } from './refresh-policy.ts';
import type { Renewal } from './renewal.ts';

export interface OldPairDeps {
  store: Pick<CredentialsStore, 'saveCredentials'>;
  log: Logger;
  /**
   * The refresh claim under a name of its own for each generation: taken to decide, it waits out a
   * refresh under way (this process's included) and keeps any new refresh of the old pair off until
   * the decision is stored; giving it up never ends another decision's.
   */
  claimFor(generation: number): RefreshClaim;
  /** The pair held now, after `reload` has picked up a newer stored one. */
  held(): StoredCredentials;
  reload(): Promise<void>;
  /** This process's refresh under way, if any: its outcome is known before the store's. */
  refreshing(): Promise<unknown> | undefined;
  /** A pair seen in the store, or the rejection stored: it becomes the pair held. */
  seen(pair: StoredCredentials): void;
}

/** One decision per old generation at a time: every caller hearing 120000 for it meanwhile shares it. */
export class OldPairs {
  private readonly deciding = new Map<number, Promise<Renewal>>();
  private readonly deps: OldPairDeps;

  constructor(deps: OldPairDeps) {
    this.deps = deps;
  }

  /** The pair of `generation` is an old one: renewed (a newer pair is held now), rejected, or unavailable (undecided yet). */
  decide(generation: number): Promise<Renewal> {
    let decision = this.deciding.get(generation);
    if (!decision) {
      decision = this.afterOldPair(generation)
        .catch((error: unknown) => {
          // Said here, once: a caller past its deadline no longer hears it, and the next 120000 decides again.
          this.deps.log.warn(
            { err: error, generation },
            'could not decide on an old pair (120000): the store failed; nothing was rejected',
          );
          throw error;
        })
        .finally(() => this.deciding.delete(generation));
      this.deciding.set(generation, decision);
    }
    return decision;
  }

  private async afterOldPair(generation: number): Promise<Renewal> {
    const { log } = this.deps;
    const claims = this.deps.claimFor(generation);
    const decided = (held: StoredCredentials) => held.generation > generation || held.state === 'rejected';
    await this.deps.refreshing();
    await this.deps.reload();
    if (decided(this.deps.held())) return answer(this.deps.held(), generation);
    try {
      const taken = await claims.take(generation);
      if ('newer' in taken) this.deps.seen(taken.newer);
      // Another holder's refreshes of it went on for the whole wait: nothing to decide on yet.
      if ('busy' in taken) return 'unavailable';
      const held = this.deps.held();
      if (decided(held)) return answer(held, generation);
      const rejection: StoredCredentials = { ...held, state: 'rejected', lastError: OLD_PAIR_REASON };
      this.deps.seen(await this.deps.store.saveCredentials(rejection).catch(() => rejection));
      log.error(
        { generation },
        'MantaGO says the pair held is an old one, refreshed elsewhere: deliveries wait for a pair from the operator',
      );
      return answer(this.deps.held(), generation);
    } finally {
      await claims.release().catch(() => undefined); // a saved pair ended it already; never left behind
    }
  }
}

function answer(held: StoredCredentials, generation: number): Renewal {
  return held.generation > generation && held.state === 'ok' ? 'renewed' : 'rejected';
}
