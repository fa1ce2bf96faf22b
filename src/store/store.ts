// The durable state of the service, behind one interface on domain types, with a SQLite and a
// PostgreSQL engine. Times are milliseconds since the epoch throughout, each given by the caller
// (its injected clock). Each method is an operation declared in operations/index.ts, or one of the
// few written out in engine-store.ts.
import type { StoredCredentials } from '../domain/credentials.ts';
import type {
  AttemptResult,
  ClaimedDelivery,
  DeliveryDetail,
  DeliveryRecord,
  DeliveryStatus,
  IncomingOrder,
  KnownDelivery,
  RecordedOrder,
} from '../domain/delivery.ts';
import type { Content } from '../domain/content.ts';
import type { OrderEvent, Shipment, ShipmentUpdate, SpentShipmentNews, StoredOrder } from '../domain/order.ts';
import type { BindOutcome, BindStatus, DirectoryEntry } from '../domain/recipient.ts';
import type { BindJob } from './operations/members.ts';
import type { Resolved, UnresolvedDelivery } from './operations/resolution.ts';
import type { KeyClaim } from './operations/idempotency.ts';
import type { PollRecord, ShopConnectionRow } from './operations/shops.ts';
import type { TagJob, TagJobRecord, TagJobStatus, TagRetryOutcome, TagTryRecord } from '../domain/tagging.ts';

export type { KeyClaim } from './operations/idempotency.ts';
export type { BindJob } from './operations/members.ts';
export type { Resolved, UnresolvedDelivery } from './operations/resolution.ts';
export type { PollRecord, ShopConnectionRow } from './operations/shops.ts';

export interface DeliveryFilter {
  status?: DeliveryStatus;
  source?: string;
  orderId?: string;
  event?: OrderEvent;
  /** The customer's shop id, or e-mail (any case). */
  customer?: string;
  limit: number;
  /** Only deliveries with a smaller id (the cursor of the page before). */
  beforeId?: number;
}

/** What asking to send a delivery again came to. */
export type Requeue = { done: true; delivery: DeliveryRecord } | { done: false; delivery: DeliveryRecord | undefined };

export interface QueueStats {
  pending: number;
  /** Since when the longest-waiting pending delivery has been due (a held one waits from the end of its hold). */
  oldestPendingSince: number | undefined;
  dead: number;
  /** Dead tag jobs (users whose tag is not what the mapping says), until tried again or pruned with their delivery. */
  deadTagJobs: number;
}

/** What the operator can see and do, and the recipient directory; the same on every engine. */
export interface OperatorView {
  /** `now` tells which are in flight (a lease still running). */
  listDeliveries(filter: DeliveryFilter, now: number): Promise<DeliveryRecord[]>;
  getDelivery(id: number, now: number): Promise<DeliveryDetail | undefined>;
  /** The current status of each of these deliveries that exists, by id. */
  statuses(ids: number[]): Promise<Map<number, DeliveryStatus>>;
  /** A dead delivery starts over (attempts and age); a waiting one is due now. Not one being sent, sent or skipped. */
  requeue(id: number, now: number): Promise<Requeue>;
  /** Every dead delivery (of `source`, if given) starts over; how many did. */
  redriveDead(source: string | undefined, now: number): Promise<number>;
  /** Tag jobs newest first, of one status if given; `beforeId` pages on. */
  listTagJobs(filter: { status?: TagJobStatus; limit: number; beforeId?: number }): Promise<TagJobRecord[]>;
  /** Tries one tag job again (a dead one starts over unless a later job of its user and tag decides the tag); undefined: no such job. */
  retryTagJob(id: number, now: number): Promise<{ outcome: TagRetryOutcome; job: TagJobRecord } | undefined>;
  /** The oldest dead tag jobs (a thousand) tried again, but those a later job of their user and tag decides (ended superseded); how many dead remain. */
  redriveDeadTags(now: number, batch?: number): Promise<{ redriven: number; superseded: number; remaining: number }>;
  queueStats(now: number): Promise<QueueStats>;
  /** How many deliveries were sent at or after `since`. */
  countSentSince(since: number): Promise<number>;
  /** Deletes finished deliveries (with their attempts) that finished before the cut-offs, and idempotency keys older than `keysBefore`; how many deliveries. */
  /** `endings`: order endings' keys are kept past their deliveries, until `forgetBefore` (keepPrunedEndings). */
  prune(cutoff: {
    finishedBefore: number;
    deadBefore: number;
    /** An order's placed and shipped deliveries go only when finished before this too (none given: finishedBefore). */
    ordersBefore?: number;
    keysBefore?: number;
    endings?: { now: number; forgetBefore: number };
    /** MantaGO's cached member answers expired by then go too. */
    membersAt?: number;
  }): Promise<number>;

  // The recipient directory: customer keys (customer:, email:, phone:) to chat users.
  putRecipients(entries: DirectoryEntry[]): Promise<void>;
  getRecipient(key: string): Promise<DirectoryEntry | undefined>;
  deleteRecipient(key: string): Promise<boolean>;
  /** The entry of the first of `keys` that has one. */
  findRecipient(keys: string[]): Promise<DirectoryEntry | undefined>;
  // Opt-outs (operations/opt-outs.ts): keys whose customer gets no message.
  /** Opts `key` out; its customer's waiting deliveries are skipped: how many. */
  putOptOut(key: string, now: number): Promise<number>;
  /** Whether `key` had an opt-out, now lifted. */
  liftOptOut(key: string): Promise<boolean>;
  /** Which of these chat users the directory binds to an opted-out key. */
  optedOutUsers(userIds: string[]): Promise<string[]>;
}

/** The work queue the delivery worker drains. */
export interface DeliveryQueue {
  /**
   * Leases up to `limit` due deliveries that can share one broadcast (the same batch key), none of
   * `notIds` (this process's own, still under way: delivery/held.ts).
   */
  claimBatch(owner: string, limit: number, leaseMs: number, now: number, notIds?: readonly number[]): Promise<ClaimedDelivery[]>;
  /**
   * Records the attempts and moves each delivery on, in one transaction; `now` stamps the ones
   * finished. `again`: the same write after one whose end was not heard (the store may have taken
   * it): attempts already there are not written twice.
   */
  recordAttempts(owner: string, results: AttemptResult[], now: number, again?: boolean): Promise<void>;
  /** The deliveries of `ids` that `owner` holds (stored already leased to it), as a claim returns them. */
  leased(owner: string, ids: number[]): Promise<ClaimedDelivery[]>;
  /** Extends a lease still held by `owner`, for work that takes several calls. */
  renewLease(owner: string, ids: number[], until: number): Promise<number>;
  /**
   * Gives claimed deliveries back without an attempt, due at `at`; with none, due when they were (a
   * hand-back: the quiet hours judge by when a message fell due, not when it was given back).
   */
  release(owner: string, ids: number[], at: number | undefined): Promise<void>;
  /** When the next pending delivery falls due (a running lease counts as due when it ends). */
  nextDueAt(): Promise<number | undefined>;
  /** Calls `listener` after a commit that made a delivery due (on any replica, where the engine can tell). */
  onDeliveryDue(listener: () => void): () => void;
}

/** Where MantaGO's current pair lives, shared by every replica. */
export interface CredentialsStore {
  loadCredentials(botId: string): Promise<StoredCredentials | undefined>;
  /** Stores `next` unless a newer generation is stored already; what is stored afterwards. */
  saveCredentials(next: StoredCredentials): Promise<StoredCredentials>;
  /**
   * Claims the one refresh of `generation` until `until` (true when `owner` holds it): a claim, not
   * a lock, so no transaction stays open across the call to MantaGO. Saving a pair ends it.
   */
  claimRefresh(botId: string, owner: string, generation: number, until: number, now: number): Promise<boolean>;
  /** Ends `owner`'s claim without a new pair (MantaGO did not answer). */
  releaseRefresh(botId: string, owner: string): Promise<void>;
}

/** Deliveries whose recipient the worker finds (MantaGO member lookups), and the binds it makes after. */
export interface ResolutionQueue {
  findDelivery(dedupeKey: string): Promise<KnownDelivery | undefined>;
  /** Whether this order ending (cancelled, refunded) was told and then pruned by retention. */
  prunedEnding(dedupeKey: string): Promise<boolean>;
  /** A shipment's later details (a fulfillment's update adding tracking), kept with its shipped event; whether anything changed. */
  updateShipment(dedupeKey: string, shipment: Shipment): Promise<ShipmentUpdate>;
  /** Notes the order times seen of a shipment spent at its order's first sight (skipped for `reason`); the order after, if it still is. */
  noteSpentShipment(dedupeKey: string, reason: string, news: SpentShipmentNews): Promise<StoredOrder | undefined>;
  /** A pending delivery's message told anew under the same rule (its tracking came later), unless a claim holds it; whether it was. */
  refreshMessage(dedupeKey: string, rule: string, message: { content: Content; batchKey: string }, now: number): Promise<boolean>;
  claimUnresolved(owner: string, limit: number, leaseMs: number, now: number): Promise<UnresolvedDelivery[]>;
  resolveDeliveries(owner: string, decided: Resolved[], now: number): Promise<void>;
  /** MantaGO's last answer for a member lookup key, while fresh. */
  getMembers(lookupKey: string, now: number): Promise<string | undefined>;
  putMembers(lookupKey: string, clientsJson: string, expiresAt: number): Promise<void>;
  claimBinds(owner: string, limit: number, leaseMs: number, now: number): Promise<BindJob[]>;
  recordBind(
    job: Pick<BindJob, 'customerId' | 'clientId' | 'owner'>,
    outcome: BindOutcome,
    error: string | null,
    now: number,
  ): Promise<void>;
  listBinds(customerId: string): Promise<{ clientId: string; status: BindStatus; attempts: number; lastError: string | null }[]>;
  /** Which of `keys` opted out of chat messages, and since when. */
  optedOut(keys: string[]): Promise<Map<string, number>>;
}

/** Tag jobs (stored with their order event), and the ids of the tags the mapping names. */
export interface TagQueue {
  claimTags(owner: string, limit: number, leaseMs: number, now: number): Promise<TagJob[]>;
  recordTagTry(job: Pick<TagJob, 'id' | 'owner'>, record: TagTryRecord, now: number): Promise<void>;
  /** A delivery's tag jobs with every try. */
  tagJobsOf(deliveryId: number): Promise<TagJobRecord[]>;
  getTagId(name: string): Promise<string | undefined>;
  putTagId(name: string, tagId: string, now: number): Promise<void>;
  forgetTagId(name: string, tagId: string): Promise<void>;
  releaseTagName(name: string, owner: string): Promise<void>;
  /** Claims the one creation of the tag named `name` until `until` (a claim, not a lock); true when `owner` holds it. */
  claimTagName(name: string, owner: string, until: number, now: number): Promise<boolean>;
}

/** Idempotency keys of operator requests (POST /admin/broadcasts). */
export interface IdempotencyStore {
  /** Claims `key` for a request with `fingerprint`; a key older than `expiredBefore` counts as never used. */
  claimIdempotencyKey(key: string, fingerprint: string, now: number, expiredBefore: number): Promise<KeyClaim>;
  saveIdempotentResponse(key: string, statusCode: number, response: string): Promise<void>;
}

/** Shop connections (operations/shops.ts): the watermark, the one replica polling, the last poll. */
export interface ShopConnectionStore {
  openShopConnection(source: string, now: number): Promise<ShopConnectionRow>;
  listShopConnections(): Promise<ShopConnectionRow[]>;
  claimShopPoll(source: string, owner: string, until: number, now: number, due: boolean): Promise<boolean>;
  advanceWatermark(source: string, owner: string, watermark: number): Promise<boolean>;
  finishShopPoll(source: string, owner: string, record: PollRecord, now: number): Promise<void>;
  saveShopWebhooks(source: string, webhooksJson: string): Promise<void>;
}

export interface Store extends DeliveryQueue, ResolutionQueue, TagQueue, CredentialsStore, IdempotencyStore, ShopConnectionStore {
  readonly engine: 'sqlite' | 'postgres';
  /** Stores the order with its delivery, or finds the one already stored for the same order. */
  recordOrder(incoming: IncomingOrder): Promise<RecordedOrder>;
  /** The operator's view and levers, and the recipient directory. */
  readonly operator: OperatorView;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  /** Throws when the store cannot write (a full disk, an I/O error, a standby): a write of its own, one row. */
  heartbeat(): Promise<void>;
  /** When the store was made (its first migration): nothing that happened before can have been pruned from it. */
  createdAt(): Promise<number | undefined>;
  close(): Promise<void>;
}
