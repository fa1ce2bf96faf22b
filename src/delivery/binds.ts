// `bind: true`: once a message reached a user, the shop's id for the customer is bound to that user
// in MantaGO, so the next order finds them through the member lookup. Once per (customer id, user),
// tried a few times and recorded; it never affects the delivery, which was sent already.
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.ts';
import { botRefusalOf } from '../mantago/bot-state.ts';
import type { BotStatus } from '../mantago/bot-status.ts';
import type { CallResult } from '../mantago/client.ts';
import { isCode } from '../mantago/error-codes.ts';
import type { Renewal, UsableCredentials } from '../mantago/renewal.ts';
import type { BindJob, BindOutcome, ResolutionQueue } from '../store/store.ts';
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

/** Attempts before a bind is given up (and recorded as failed). */
export const MAX_BIND_ATTEMPTS = 3;
const RETRY_MS = 30_000;

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
    const { store, client, credentials, log } = this.deps;
    const now = this.clock.now();
    const wait = (): BindOutcome => ({ status: 'pending', retryAt: credentials.nextRefreshAt() ?? now + RETRY_MS, counted: false });
    // The claim ran out before this one's turn: it goes back as it was, for the next claim.
    if (now > startBy) return store.recordBind(job, { status: 'pending', retryAt: now, counted: false }, null, this.clock.now());
    const pair = await credentials.get();
    if (!pair) return store.recordBind(job, wait(), 'MantaGO rejected the credentials', this.clock.now());
    let result = await client.bindCustomer(pair.apiToken, pair.apiSecret, job.clientId, job.customerId, startBy);
    if (result.kind === 'expired' || result.kind === 'superseded') {
      // An old pair (120000) is re-read from the store, never refreshed; either wait ends with the claim's start-by.
      const bound = { waitUntil: startBy };
      const renewal = await (result.kind === 'superseded'
        ? credentials.superseded(pair.generation, bound)
        : credentials.expired(pair.generation, bound));
      const renewed = renewal === 'renewed' ? await credentials.get() : undefined;
      if (!renewed) return store.recordBind(job, wait(), `MantaGO credentials ${renewal}`, this.clock.now());
      result = await client.bindCustomer(renewed.apiToken, renewed.apiSecret, job.clientId, job.customerId, startBy);
    }
    if (result.kind === 'ok') {
      this.deps.bot?.accepted(false);
      log.info({ platform: job.platform }, 'bound a customer to their chat user in MantaGO');
      return store.recordBind(job, { status: 'bound' }, null, this.clock.now());
    }
    if (result.kind === 'not_started')
      return store.recordBind(job, { status: 'pending', retryAt: now + RETRY_MS, counted: false }, result.message, this.clock.now());
    if (result.kind === 'refused' && result.status === 429) {
      // Rate limited: not the bind's fault, so not one of its tries.
      const retryAt = this.clock.now() + Math.max(result.retryAfterMs ?? 0, RETRY_MS);
      return store.recordBind(
        job,
        { status: 'pending', retryAt, counted: false },
        `MantaGO answered HTTP 429: ${result.message}`,
        this.clock.now(),
      );
    }
    const error = 'status' in result ? `MantaGO answered HTTP ${result.status}: ${result.message}` : result.message;
    // The bot refused (1002, 5001): not the bind's fault, so not one of its tries; it waits for the bot.
    const bot = result.kind === 'refused' ? botRefusalOf(result.code, result.message) : undefined;
    if (bot) {
      this.deps.bot?.refused(bot);
      const retryAt = this.deps.bot?.probeAt() ?? now + RETRY_MS;
      return store.recordBind(job, { status: 'pending', retryAt, counted: false }, error, this.clock.now());
    }
    // 60001 is the customer's (MantaGO would not bind them): counted, and given up after a few tries like any other refusal.
    const customers = result.kind === 'refused' && isCode(result.code, 'BIND_FAILED');
    const attempts = job.attempts + 1;
    const outcome: BindOutcome =
      attempts >= MAX_BIND_ATTEMPTS
        ? { status: 'failed' }
        : { status: 'pending', retryAt: now + RETRY_MS * 2 ** (attempts - 1), counted: true };
    log.warn(
      { attempts, error, givenUp: outcome.status === 'failed', refusedForCustomer: customers },
      'binding a customer in MantaGO failed; the delivery was not affected',
    );
    await store.recordBind(job, outcome, error, this.clock.now());
  }
}
