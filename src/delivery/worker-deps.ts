// What the delivery worker is given: its settings, and the seams it works through (the store's
// queue, MantaGO, the credentials, the stages besides sending), each an interface a test can fake.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { ClaimedDelivery, SendEnding } from '../domain/delivery.ts';
import type { BroadcastRequest } from '../mantago/api.ts';
import type { CallResult } from '../mantago/client.ts';
import type { Renewal, UsableCredentials } from '../mantago/renewal.ts';
import type { TagJob } from '../domain/tagging.ts';
import type { BindJob, DeliveryQueue, UnresolvedDelivery } from '../store/store.ts';
import type { BotCheck } from '../mantago/bot-check.ts';
import type { BotGate } from './bot-pause.ts';
import type { Lease, LeaseTerms } from './lease.ts';
import type { RetryPolicy } from './retry-policy.ts';

export interface WorkerOptions extends LeaseTerms {
  batchMaxRecipients: number;
  maxConcurrency: number;
  pollMs: number;
  policy: RetryPolicy;
  /**
   * Once stopping, how long an outcome MantaGO acted on is still written while the store is down
   * (most of the shutdown's grace): given up, the lease brings the delivery back to be sent again.
   */
  recordAfterStopMs: number;
}

/** MantaGO, as the worker calls it. */
export interface Broadcaster {
  /** `startBy`: the call must start by then or not at all (the lease it runs under). */
  broadcast(apiToken: string, request: BroadcastRequest, options?: { startBy?: number }): Promise<CallResult>;
  /** Until when calls are held back after a 429 (0 when they are not). */
  pausedUntil(): number;
}

/** The credentials, as the worker uses them (the CredentialsManager). */
export interface CredentialsSource {
  isUsable(): boolean;
  reload(): Promise<void>;
  get(options?: { waitUntil?: number }): Promise<UsableCredentials | undefined>;
  expired(generation: number, options?: { waitUntil?: number }): Promise<Renewal>;
  /** MantaGO said the pair of `generation` is an old one (120000): adopt a newer stored pair (waiting for one being stored), or reject it. */
  superseded(generation: number, options?: { waitUntil?: number }): Promise<Renewal>;
  /** When the next refresh will be tried, while refreshes fail. */
  nextRefreshAt(): number | undefined;
  onUsable(listener: () => void): () => void;
}

/** Work the worker claims besides sends. */
export interface Stage<W> {
  claim(owner: string, limit: number, leaseMs: number, now: number): Promise<W[]>;
}

export interface WorkerDeps {
  /** Who holds this worker's leases (and its refresh claims): one per process. */
  owner?: string;
  store: DeliveryQueue;
  client: Broadcaster;
  credentials: CredentialsSource;
  /** Whether MantaGO takes the bot: while it refuses, nothing is sent but the probe. */
  bot?: BotGate;
  /** The bot check (one client of the list): the probe when no delivery waits. */
  checkBot?: () => Promise<BotCheck>;
  log: Logger;
  options: WorkerOptions;
  /** Told of every delivery that reached an end, for metrics. */
  onFinished?: (outcome: SendEnding, deliveries: ClaimedDelivery[]) => void;
  /** Finds the recipients the intake could not (MantaGO member lookups), before any send. */
  resolver?: Stage<UnresolvedDelivery> & { resolve(owner: string, batch: UnresolvedDelivery[], lease: Lease): Promise<void> };
  /** Makes the MantaGO binds sent deliveries asked for, when there is nothing to send. */
  binder?: Stage<BindJob> & { bind(jobs: BindJob[], lease: Lease): Promise<void> };
  /** Puts the MantaGO tags the rules ask for on their users (tagging.ts), after the sends. */
  tagger?: Stage<TagJob> & { tag(jobs: TagJob[], lease: Lease): Promise<void> };
  clock?: Clock;
  /** Jitter for retries: one draw per call. */
  random?: () => number;
}
