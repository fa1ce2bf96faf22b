// MantaGO's member binding, as the resolver asks it: the bot's users bound to a shop's customer id.
// Answers are cached in the store (every replica shares them): a repeat customer costs no call, and
// lookups of one customer at the same moment share one call. A lookup never renews the
// credentials in a loop: a 1004 renews once (as a broadcast does), else the lookup waits for them.
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import type { BoundClient, Platform } from '../domain/recipient.ts';
import type { ResolutionQueue } from '../store/store.ts';
import type { CallResult, ClientsResult } from './client.ts';
import type { Renewal, UsableCredentials } from './renewal.ts';

/** A lookup MantaGO did not answer with a list: what it answered, for the state machine. */
export class LookupFailed extends Error {
  override readonly name = 'LookupFailed';
  readonly result: Exclude<CallResult, { kind: 'ok' }> | { kind: 'credentials'; renewal: 'unavailable' | 'rejected' };
  constructor(result: LookupFailed['result']) {
    super('message' in result ? result.message : `MantaGO credentials ${result.renewal}`);
    this.result = result;
  }
}

export interface MemberDirectoryDeps {
  client: {
    listClients(
      apiToken: string,
      apiSecret: string,
      query: { customerId: string; platform?: string; next?: string },
      startBy?: number,
    ): Promise<ClientsResult>;
  };
  credentials: {
    get(options?: { waitUntil?: number }): Promise<UsableCredentials | undefined>;
    expired(generation: number, options?: { waitUntil?: number }): Promise<Renewal>;
    /** An old pair (120000): the newer stored one, or rejected. */
    superseded(generation: number, options?: { waitUntil?: number }): Promise<Renewal>;
  };
  store: Pick<ResolutionQueue, 'getMembers' | 'putMembers'>;
  /** How long an answer that found users is kept (MANTAGO_MEMBER_CACHE_S); one that found none, or only blocked ones, less. */
  cacheMs: number;
  /** MantaGO answered a lookup: the bot exists and may use the API (bot-status.ts). */
  onAnswered?: () => void;
  /** DRY_RUN: MantaGO is never asked; a member lookup finds nobody, saying why. */
  dryRun?: boolean;
  clock?: Clock;
}

/** The most pages of 100 clients one lookup reads. */
const MAX_PAGES = 10;
/** Not-found and blocked answers are kept this long at most: a customer may link their account any minute. */
const MISS_CACHE_MS = 5 * 60_000;

export class MemberDirectory {
  private readonly deps: MemberDirectoryDeps;
  private readonly clock: Clock;
  private readonly inFlight = new Map<string, Promise<BoundClient[]>>();

  constructor(deps: MemberDirectoryDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
  }

  /** The users bound to `customerId`; `fresh` asks MantaGO even when the answer is cached (the operator's resolve). */
  async lookup(
    customerId: string,
    platform: Platform | undefined,
    options: { fresh?: boolean; startBy?: number } = {},
  ): Promise<{ clients: BoundClient[]; cached: boolean; notAsked?: string }> {
    if (this.deps.dryRun) return { clients: [], cached: false, notAsked: 'DRY_RUN is on' };
    const key = `${platform ?? '*'}\u001f${customerId}`;
    if (!options.fresh) {
      const cached = await this.deps.store.getMembers(key, this.clock.now());
      if (cached !== undefined) return { clients: JSON.parse(cached) as BoundClient[], cached: true };
    }
    let asking = this.inFlight.get(key);
    if (!asking) {
      asking = this.ask(key, customerId, platform, options.startBy).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, asking);
    }
    return { clients: await asking, cached: false };
  }

  private async ask(key: string, customerId: string, platform: Platform | undefined, startBy: number | undefined): Promise<BoundClient[]> {
    const clients: BoundClient[] = [];
    let next: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await this.page(customerId, platform, next, startBy);
      clients.push(...result.clients.map((c) => ({ clientId: c.clientId, platform: c.platform, isBlock: c.isBlock === true })));
      next = result.next;
      if (!next) break;
    }
    const found = clients.some((c) => !c.isBlock && (c.platform === 'line' || c.platform === 'facebook'));
    const ttl = found ? this.deps.cacheMs : Math.min(this.deps.cacheMs, MISS_CACHE_MS);
    await this.deps.store.putMembers(key, JSON.stringify(clients), this.clock.now() + ttl);
    return clients;
  }

  /** One page, renewing the credentials once if MantaGO says they expired (or re-reading them, for an old pair). */
  private async page(customerId: string, platform: Platform | undefined, next: string | undefined, startBy: number | undefined) {
    const query = { customerId, ...(platform && { platform }), ...(next && { next }) };
    for (let renewals = 0; ; renewals++) {
      const pair = await this.deps.credentials.get({ ...(startBy !== undefined && { waitUntil: startBy }) });
      if (!pair) throw new LookupFailed({ kind: 'credentials', renewal: 'rejected' });
      const result = await this.deps.client.listClients(pair.apiToken, pair.apiSecret, query, startBy);
      if (result.kind === 'ok') {
        this.deps.onAnswered?.();
        return result;
      }
      if (result.kind !== 'expired' && result.kind !== 'superseded') throw new LookupFailed(result);
      // An old pair (120000) is re-read from the store, never refreshed.
      const { credentials } = this.deps;
      const bound = { ...(startBy !== undefined && { waitUntil: startBy }) };
      const renew = () =>
        result.kind === 'superseded' ? credentials.superseded(pair.generation, bound) : credentials.expired(pair.generation, bound);
      const renewal = renewals === 0 ? await renew() : 'unavailable';
      if (renewal !== 'renewed') throw new LookupFailed({ kind: 'credentials', renewal });
    }
  }
}
