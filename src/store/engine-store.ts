// The Store, once for both engines: each method is a store operation (operations/) run by the
// engine — on the SQLite thread, or on PostgreSQL's pool — with orders group-committed, and the
// workers woken after a commit that made a delivery due.
import type { Clock } from '../clock.ts';
import type { StoredCredentials } from '../domain/credentials.ts';
import type { AttemptResult, ClaimedDelivery, DeliveryStatus, IncomingOrder, RecordedOrder } from '../domain/delivery.ts';
import type { StoredOrder } from '../domain/order.ts';
import type { DirectoryEntry, Platform } from '../domain/recipient.ts';
import { credentialsCipher, type CredentialsCipher } from './credentials-cipher.ts';
import { GroupCommit } from './group-commit.ts';
import type { OperationArgs, OperationName, OperationResult } from './operations/index.ts';
import { PRUNE_CHUNK } from './operations/operator.ts';
import { newDeliveryRow } from './delivery-row.ts';
import type { OrderWrite } from './operations/deliveries.ts';
import type {
  BindJob,
  BindOutcome,
  DeliveryFilter,
  KeyClaim,
  KnownDelivery,
  OperatorView,
  QueueStats,
  Requeue,
  Resolved,
  Store,
  UnresolvedDelivery,
} from './store.ts';

/** What an engine provides: its operations' runner, and how its workers hear of due deliveries. */
export interface Engine {
  readonly name: 'sqlite' | 'postgres';
  /** Group commits that may run at once. */
  readonly commitConcurrency: number;
  run<K extends OperationName>(op: K, ...args: OperationArgs<K>): Promise<OperationResult<K>>;
  /** After a commit that made deliveries due: wake this process's workers (and, where the engine can, every replica's). */
  notifyDue(): Promise<void>;
  onDue(listener: () => void): () => void;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** The service's clock: what the store stamps where no caller gives it a time (the migrations' record). */
  clock?: Clock;
  /** Most orders waiting to be committed (INTAKE_QUEUE_MAX). */
  maxPendingOrders?: number;
  /** CREDENTIALS_ENCRYPTION_KEY, when set. */
  encryptionKey?: string;
}

/** Directory entries per transaction: a large import never holds the store for long. */
const RECIPIENT_CHUNK = 500;

export class EngineStore implements Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly operator: OperatorView;
  private readonly db: Engine;
  private readonly orders: GroupCommit<OrderWrite, RecordedOrder>;
  private readonly cipher: CredentialsCipher;
  private closed = false;

  constructor(engine: Engine, options: StoreOptions = {}) {
    this.db = engine;
    this.engine = engine.name;
    this.cipher = credentialsCipher(options.encryptionKey);
    this.orders = new GroupCommit((rows) => this.commitOrders(rows), {
      concurrency: engine.commitConcurrency,
      maxPending: options.maxPendingOrders ?? 5_000,
    });
    this.operator = new EngineOperatorView(engine);
  }

  recordOrder(incoming: IncomingOrder): Promise<RecordedOrder> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    const rows = [newDeliveryRow(incoming), ...(incoming.alongside ? [newDeliveryRow(incoming.alongside)] : [])];
    return this.orders.submit({
      rows,
      now: incoming.receivedAt,
      ...(incoming.withdraws && { withdraws: incoming.withdraws }),
    });
  }

  private async commitOrders(writes: OrderWrite[]): Promise<RecordedOrder[]> {
    const recorded = await this.db.run('recordOrders', writes);
    if (recorded.some((r) => r.outcome === 'accepted' && r.status === 'pending')) await this.db.notifyDue();
    return recorded;
  }

  claimBatch(owner: string, limit: number, leaseMs: number, now: number): Promise<ClaimedDelivery[]> {
    return this.db.run('claimBatch', owner, limit, leaseMs, now);
  }

  recordAttempts(owner: string, results: AttemptResult[], now: number): Promise<void> {
    if (results.length === 0) return Promise.resolve();
    return this.db.run('recordAttempts', owner, results, now);
  }

  leased(owner: string, ids: number[]): Promise<ClaimedDelivery[]> {
    return this.db.run('leased', owner, ids);
  }

  renewLease(owner: string, ids: number[], until: number): Promise<number> {
    return this.db.run('renewLease', owner, ids, until);
  }

  async release(owner: string, ids: number[], at: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.run('release', owner, ids, at);
    await this.db.notifyDue();
  }

  async findDelivery(dedupeKey: string): Promise<KnownDelivery | undefined> {
    const row = await this.db.run('findDelivery', dedupeKey);
    if (!row) return undefined;
    const known = row.platform !== null && row.client_id !== null;
    return {
      status: row.status as KnownDelivery['status'],
      ...(known && { recipient: { platform: row.platform as Platform, userId: String(row.client_id), via: String(row.recipient_via) } }),
      resolving: row.resolve_from !== null && row.status === 'pending',
      order: JSON.parse(String(row.order_json)) as StoredOrder | null,
    };
  }

  claimUnresolved(owner: string, limit: number, leaseMs: number, now: number): Promise<UnresolvedDelivery[]> {
    return this.db.run('claimUnresolved', owner, limit, leaseMs, now);
  }

  async resolveDeliveries(owner: string, decided: Resolved[], now: number): Promise<void> {
    if (decided.length === 0) return;
    await this.db.run('resolveDeliveries', owner, decided, now);
    if (decided.some((d) => d.plan.kind === 'send')) await this.db.notifyDue();
  }

  getMembers(lookupKey: string, now: number): Promise<string | undefined> {
    return this.db.run('getMembers', lookupKey, now);
  }

  putMembers(lookupKey: string, clientsJson: string, expiresAt: number): Promise<void> {
    return this.db.run('putMembers', lookupKey, clientsJson, expiresAt);
  }

  claimBinds(owner: string, limit: number, leaseMs: number, now: number): Promise<BindJob[]> {
    return this.db.run('claimBinds', owner, limit, leaseMs, now);
  }

  recordBind(
    job: Pick<BindJob, 'customerId' | 'clientId' | 'owner'>,
    outcome: BindOutcome,
    error: string | null,
    now: number,
  ): Promise<void> {
    return this.db.run('recordBind', job, outcome, error, now);
  }

  listBinds(customerId: string) {
    return this.db.run('listBinds', customerId);
  }

  nextDueAt(): Promise<number | undefined> {
    return this.db.run('nextDueAt');
  }

  onDeliveryDue(listener: () => void): () => void {
    return this.db.onDue(listener);
  }

  async loadCredentials(botId: string): Promise<StoredCredentials | undefined> {
    const stored = await this.db.run('loadCredentials', botId);
    return stored && this.cipher.open(stored);
  }

  async saveCredentials(next: StoredCredentials): Promise<StoredCredentials> {
    return this.cipher.open(await this.db.run('saveCredentials', this.cipher.seal(next)));
  }

  claimRefresh(botId: string, owner: string, generation: number, until: number, now: number): Promise<boolean> {
    return this.db.run('claimRefresh', botId, owner, generation, until, now);
  }

  releaseRefresh(botId: string, owner: string): Promise<void> {
    return this.db.run('releaseRefresh', botId, owner);
  }

  claimIdempotencyKey(key: string, fingerprint: string, now: number, expiredBefore: number): Promise<KeyClaim> {
    return this.db.run('claimIdempotencyKey', key, fingerprint, now, expiredBefore);
  }

  saveIdempotentResponse(key: string, statusCode: number, response: string): Promise<void> {
    return this.db.run('saveIdempotentResponse', key, statusCode, response);
  }

  ping(): Promise<void> {
    return this.db.run('ping');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.orders.drain(); // orders already answered for are committed before the store closes
    await this.db.close();
  }
}

class EngineOperatorView implements OperatorView {
  private readonly db: Engine;

  constructor(db: Engine) {
    this.db = db;
  }

  listDeliveries(filter: DeliveryFilter, now: number) {
    return this.db.run('listDeliveries', filter, now);
  }

  getDelivery(id: number, now: number) {
    return this.db.run('getDelivery', id, now);
  }

  async statuses(ids: number[]): Promise<Map<number, DeliveryStatus>> {
    return new Map(await this.db.run('statuses', ids));
  }

  async requeue(id: number, now: number): Promise<Requeue> {
    const { done, delivery } = await this.db.run('requeue', id, now);
    if (done) await this.db.notifyDue();
    return done && delivery ? { done: true, delivery } : { done: false, delivery };
  }

  async redriveDead(source: string | undefined, now: number): Promise<number> {
    const count = await this.db.run('redriveDead', source, now);
    if (count > 0) await this.db.notifyDue();
    return count;
  }

  queueStats(): Promise<QueueStats> {
    return this.db.run('queueStats');
  }

  countSentSince(since: number): Promise<number> {
    return this.db.run('countSentSince', since);
  }

  async prune(cutoff: { finishedBefore: number; deadBefore: number; keysBefore?: number }): Promise<number> {
    if (cutoff.keysBefore !== undefined) await this.db.run('pruneIdempotencyKeys', cutoff.keysBefore);
    let total = 0;
    for (;;) {
      const deleted = await this.db.run('pruneChunk', cutoff);
      total += deleted;
      if (deleted < PRUNE_CHUNK) return total;
    }
  }

  async putRecipients(entries: DirectoryEntry[]): Promise<void> {
    // In chunks: the orders that arrive meanwhile are committed between them.
    for (let i = 0; i < entries.length; i += RECIPIENT_CHUNK) await this.db.run('putRecipients', entries.slice(i, i + RECIPIENT_CHUNK));
  }

  getRecipient(key: string): Promise<DirectoryEntry | undefined> {
    return this.findRecipient([key]);
  }

  deleteRecipient(key: string): Promise<boolean> {
    return this.db.run('deleteRecipient', key);
  }

  findRecipient(keys: string[]): Promise<DirectoryEntry | undefined> {
    return this.db.run('findRecipient', keys);
  }
}
