// The durable state of the service, behind one interface with a SQLite and a PostgreSQL engine.
// Times are milliseconds since the epoch throughout.
import type { DeliveryPlan } from '../mapping/plan.ts';
import type { Platform } from '../mapping/platform.ts';
import type { Order, Source } from '../sources/order.ts';

export type DeliveryStatus = 'pending' | 'sent' | 'dead' | 'skipped';

/** Where a delivery came from: a webhook source, or the operator's manual broadcast. */
export type DeliverySource = Source | 'admin';

/** What is kept of an order: everything but its line items, which no message uses. */
export type StoredOrder = Omit<Order, 'items' | 'source'> & { source: DeliverySource };

/** An order that passed verification, with what the mapping decided for it. */
export interface IncomingOrder {
  order: StoredOrder;
  topic: string | undefined;
  receivedAt: number;
  plan: DeliveryPlan;
  /** Deliveries with the same key may share one broadcast. */
  batchKey: string | undefined;
  /** Stored already claimed by this owner (a manual broadcast sends it at once, not the worker). */
  leasedTo?: { owner: string; until: number };
}

export type RecordedOrder = {
  outcome: 'accepted' | 'duplicate';
  deliveryId: number;
  status: DeliveryStatus;
};

/** A pending delivery a worker has leased: nobody else takes it until the lease runs out. */
export interface ClaimedDelivery {
  id: number;
  source: DeliverySource;
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
  /** Where its retry age counts from: when it arrived, or when the operator redrove it. */
  waitingSince: number;
}

/** `dry_run`: DRY_RUN was on, so everything happened except the call to MantaGO. */
export type AttemptOutcome = 'sent' | 'dry_run' | 'failed' | 'credentials_expired' | 'batch_refused';

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

/** A delivery as the operator sees it. */
export interface DeliveryRecord {
  id: number;
  source: string;
  shop: string;
  orderId: string;
  topic: string | null;
  status: DeliveryStatus;
  platform: string | null;
  clientId: string | null;
  recipientVia: string | null;
  rule: string | null;
  intentId: string | null;
  message: string | null;
  fbTag: string | null;
  name: string | null;
  attempts: number;
  receivedAt: number;
  /** Pending: when it is next due (while claimed, when the claim runs out). */
  nextAttemptAt: number | null;
  /** Pending and claimed by a worker right now. */
  inFlight: boolean;
  finishedAt: number | null;
  redrivenAt: number | null;
  /** Why it was skipped or died, or the last failure of a pending one. */
  lastError: string | null;
}

export interface AttemptRecord extends Omit<Attempt, 'deliveryId'> {
  /** When the retry it led to was due, if it led to one. */
  nextAttemptAt: number | null;
}

export interface DeliveryDetail extends DeliveryRecord {
  order: StoredOrder;
  attemptLog: AttemptRecord[];
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  source?: string;
  orderId?: string;
  limit: number;
  /** Only deliveries with a smaller id (the cursor of the page before). */
  beforeId?: number;
}

/** What asking to send a delivery again came to. */
export type Requeue = { done: true; delivery: DeliveryRecord } | { done: false; delivery: DeliveryRecord | undefined };

export interface QueueStats {
  pending: number;
  /** When the longest-waiting pending delivery started waiting. */
  oldestPendingSince: number | undefined;
  dead: number;
}

export interface DirectoryEntry {
  key: string;
  platform: Platform;
  userId: string;
  updatedAt: number;
}

/** What the operator can see and do, and the recipient directory; the same on every engine. */
export interface OperatorView {
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]>;
  getDelivery(id: number): Promise<DeliveryDetail | undefined>;
  /** The current status of each of these deliveries that exists, by id. */
  statuses(ids: number[]): Promise<Map<number, DeliveryStatus>>;
  /** A dead delivery starts over (attempts and age); a waiting one is due now. Not one being sent, sent or skipped. */
  requeue(id: number, now: number): Promise<Requeue>;
  /** Every dead delivery (of `source`, if given) starts over; how many did. */
  redriveDead(source: string | undefined, now: number): Promise<number>;
  queueStats(): Promise<QueueStats>;
  /** How many deliveries were sent at or after `since`. */
  countSentSince(since: number): Promise<number>;
  /** Deletes finished deliveries (with their attempts) that finished before the cut-offs; how many. */
  prune(cutoff: { finishedBefore: number; deadBefore: number }): Promise<number>;

  // The recipient directory: customer keys (customer:, email:, phone:) to chat users.
  putRecipients(entries: DirectoryEntry[]): Promise<void>;
  getRecipient(key: string): Promise<DirectoryEntry | undefined>;
  deleteRecipient(key: string): Promise<boolean>;
  /** The entry of the first of `keys` that has one. */
  findRecipient(keys: string[]): Promise<DirectoryEntry | undefined>;
}

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

  /** The operator's view and levers, and the recipient directory. */
  readonly operator: OperatorView;

  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
