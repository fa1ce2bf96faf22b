// The durable state of the service, behind one interface with a SQLite and a PostgreSQL engine.
// Times are milliseconds since the epoch throughout.
import type { DeliveryPlan } from '../mapping/plan.ts';
import type { Platform } from '../mapping/platform.ts';
import type { Order, Source } from '../sources/order.ts';

export type DeliveryStatus = 'pending' | 'sent' | 'dead' | 'skipped';

/** What is kept of an order: everything but its line items, which no message uses. */
export type StoredOrder = Omit<Order, 'items'>;

/** An order that passed verification, with what the mapping decided for it. */
export interface IncomingOrder {
  order: StoredOrder;
  topic: string | undefined;
  receivedAt: number;
  plan: DeliveryPlan;
  /** Deliveries with the same key may share one broadcast. */
  batchKey: string | undefined;
}

export type RecordedOrder = {
  outcome: 'accepted' | 'duplicate';
  deliveryId: number;
  status: DeliveryStatus;
};

/** A pending delivery a worker has leased: nobody else takes it until the lease runs out. */
export interface ClaimedDelivery {
  id: number;
  source: Source;
  orderId: string;
  platform: Platform;
  clientId: string;
  rule: string;
  intentId: string | null;
  message: string | null;
  fbTag: string | null;
  name: string;
  attempts: number;
  receivedAt: number;
}

export type AttemptOutcome = 'sent' | 'failed' | 'credentials_expired' | 'batch_refused';

/** One call's result for one delivery: written once, never updated. */
export interface Attempt {
  deliveryId: number;
  startedAt: number;
  durationMs: number;
  outcome: AttemptOutcome;
  httpStatus: number | null;
  error: string | null;
  batchSize: number;
}

/** What becomes of the delivery after an attempt. */
export type Transition =
  | { to: 'sent' }
  | { to: 'retry'; at: number; counted: boolean }
  | { to: 'dead'; reason: string }
  /** The same claim goes on at once (credentials refreshed, a refused batch split): the lease stays. */
  | { to: 'in_flight' };

export interface AttemptResult {
  attempt: Attempt;
  then: Transition;
}

export type CredentialsState = 'ok' | 'rejected';
export type CredentialsOrigin = 'env' | 'refresh' | 'admin';

export interface StoredCredentials {
  botId: string;
  apiToken: string;
  apiSecret: string;
  /** Goes up by one with every new pair, so a stale holder can tell it is stale. */
  generation: number;
  origin: CredentialsOrigin;
  /** Hash of the pair last given in the environment: a different one means the operator changed it. */
  envFingerprint: string;
  obtainedAt: number;
  expiresAt: number;
  lastRefreshAt: number | null;
  state: CredentialsState;
  lastError: string | null;
}

/**
 * Runs `work` while no other refresh of this bot's credentials can run, anywhere.
 * `work` sees the stored pair as it is now; whatever it returns in `save` is stored before the
 * lock is released, so a rotated pair is durable before anybody uses it.
 */
export type CredentialsLockWork<T> = (current: StoredCredentials | undefined) => Promise<{ save?: StoredCredentials; result: T }>;

export interface Store {
  readonly engine: 'sqlite' | 'postgres';

  /** Stores the order with its delivery, or finds the one already stored for the same source, shop and order id. */
  recordOrder(incoming: IncomingOrder): Promise<RecordedOrder>;
  /** Leases up to `limit` due deliveries that can share one broadcast (the same batch key). */
  claimBatch(owner: string, limit: number, leaseMs: number, now: number): Promise<ClaimedDelivery[]>;
  /** Records the attempts and moves each delivery on, in one transaction. */
  recordAttempts(owner: string, results: AttemptResult[]): Promise<void>;
  /** Extends a lease still held by `owner`, for work that takes several calls. */
  renewLease(owner: string, ids: number[], until: number): Promise<void>;
  /** Gives claimed deliveries back without an attempt, due at `at`. */
  release(owner: string, ids: number[], at: number): Promise<void>;
  /** When the next pending delivery falls due (a running lease counts as due when it ends). */
  nextDueAt(): Promise<number | undefined>;
  /** Calls `listener` after a commit that made a delivery due (on any replica, where the engine can tell). */
  onDeliveryDue(listener: () => void): () => void;

  loadCredentials(botId: string): Promise<StoredCredentials | undefined>;
  withCredentialsLock<T>(botId: string, work: CredentialsLockWork<T>): Promise<T>;

  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
