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
   * The refresh claim under a name of its own: taken to decide, it waits out a refresh under way
   * (this process's included) and keeps any new refresh of the old pair off until the decision is stored.
   */
  claims: RefreshClaim;
  /** The pair held now, after `reload` has picked up a newer stored one. */
  held(): StoredCredentials;
  reload(): Promise<void>;
  /** A pair seen in the store, or the rejection stored: it becomes the pair held. */
  seen(pair: StoredCredentials): void;
}

/** The pair of `generation` is an old one: renewed (a newer pair is held now) or rejected. */
export async function afterOldPair(generation: number, deps: OldPairDeps): Promise<Renewal> {
  const { claims, log } = deps;
  await deps.reload();
  const decided = (held: StoredCredentials) => held.generation > generation || held.state === 'rejected';
  if (!decided(deps.held())) {
    const taken = await claims.take(generation);
    if ('newer' in taken) deps.seen(taken.newer);
  }
  const held = deps.held();
  if (decided(held)) return held.state === 'ok' ? 'renewed' : 'rejected';
  const rejection: StoredCredentials = { ...held, state: 'rejected', lastError: OLD_PAIR_REASON };
  deps.seen(await deps.store.saveCredentials(rejection).catch(() => rejection));
  await claims.release(); // saving ended the claim; this is for a save that failed
  log.error({ generation }, 'MantaGO says the pair held is an old one, refreshed elsewhere: deliveries wait for a pair from the operator');
  const now = deps.held();
  return now.generation > generation && now.state === 'ok' ? 'renewed' : 'rejected';
}
