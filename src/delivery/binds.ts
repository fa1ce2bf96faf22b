// `bind: true`: once a message reached a user, the shop's id for the customer is bound to that user
// in MantaGO, so the next order finds them through the member lookup. Once per (customer id, user),
// tried a few times and recorded; where a bind goes is bind-outcome.ts's to decide. It never
// affects the delivery, which was sent already.
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.ts';
import type { BotStatus } from '../mantago/bot-status.ts';
import type { CallResult } from '../mantago/client.ts';
import type { Renewal, UsableCredentials } from '../mantago/renewal.ts';
import type { BindJob, ResolutionQueue } from '../store/store.ts';
import { afterBindTry, type BindTurn } from './bind-outcome.ts';
import type { Lease } from './lease.ts';

export interface BinderDeps {
  store: Pick<ResolutionQueue, 'recordBind' | 'claimBinds'>;
  client: {
    bindCustomer(apiToken: string, apiSecret: string, clientId: string, customerId: string, startBy?: number): Promise<CallResult>;
  };
  credentials: {
    get(): Promise<UsableCredentials | undefined>;
    expired(generation: number, options?: { waitUntil?: number }): Promise<Renewal>;
    superseded(generation: number, options?: { waitUntil?: number }): Promise<Renewal>;
    nextRefreshAt(): number | undefined;
  };
  /** Told of binds refused for the bot (1002, 5001) and of accepted ones. */
  bot?: Pick<BotStatus, 'refused' | 'accepted' | 'probeAt'>;
  log: Logger;
  clock?: Clock;
}

export class Binder {
  private readonly deps: BinderDeps;
  private readonly clock: Clock;

  constructor(deps: BinderDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
  }

  claim(owner: string, limit: number, leaseMs: number, now: number): Promise<BindJob[]> {
    return this.deps.store.claimBinds(owner, Math.min(limit, 20), leaseMs, now);
  }

  /** One job after another, each call starting within the claim's lease; what the lease cannot cover goes back. */
  async bind(jobs: BindJob[], lease: Pick<Lease, 'latestStart'>): Promise<void> {
    for (const job of jobs) await this.one(job, lease.latestStart());
  }

  private async one(job: BindJob, startBy: number): Promise<void> {
    const { store, credentials, log, bot } = this.deps;
    const turn = await this.turn(job, startBy);
    const step = afterBindTry(turn, job.attempts, this.clock.now(), { refreshAt: credentials.nextRefreshAt(), probeAt: bot?.probeAt() });
    if (turn.kind === 'ok') {
      bot?.accepted(false);
      log.info({ platform: job.platform }, 'bound a customer to their chat user in MantaGO');
    } else if (step.bot) bot?.refused(step.bot);
    else if (step.outcome.status === 'failed' || (step.outcome.status === 'pending' && step.outcome.counted))
      log.warn(
        {
          attempts: job.attempts + 1,
          error: step.error,
          givenUp: step.outcome.status === 'failed',
          refusedForCustomer: step.refusedForCustomer ?? false,
        },
        'binding a customer in MantaGO failed; the delivery was not affected',
      );
    await store.recordBind(job, step.outcome, step.error, this.clock.now());
  }

  /** The call, if it can be made within the claim: renewed once if MantaGO says the pair expired or is an old one. */
  private async turn(job: BindJob, startBy: number): Promise<BindTurn> {
    const { client, credentials } = this.deps;
    if (this.clock.now() > startBy) return { kind: 'too_late' };
    const pair = await credentials.get();
    if (!pair) return { kind: 'no_credentials', error: 'MantaGO rejected the credentials' };
    const result = await client.bindCustomer(pair.apiToken, pair.apiSecret, job.clientId, job.customerId, startBy);
    if (result.kind !== 'expired' && result.kind !== 'superseded') return result;
    // An old pair (120000) is re-read from the store, never refreshed; either wait ends with the claim's start-by.
    const bound = { waitUntil: startBy };
    const renewal = await (result.kind === 'superseded'
      ? credentials.superseded(pair.generation, bound)
      : credentials.expired(pair.generation, bound));
    const renewed = renewal === 'renewed' ? await credentials.get() : undefined;
    if (!renewed) return { kind: 'no_credentials', error: `MantaGO credentials ${renewal}` };
    return client.bindCustomer(renewed.apiToken, renewed.apiSecret, job.clientId, job.customerId, startBy);
  }
}
