// The operator's side of the store, shared by both engines: each engine only says how to run a
// query (and a group of statements in one transaction).
import * as q from './operator-queries.ts';
import type { Row } from './rows.ts';
import type { DeliveryDetail, DeliveryFilter, DeliveryStatus, DeliveryRecord, DirectoryEntry, OperatorView, QueueStats, Requeue, StoredOrder } from './store.ts';

export interface QueryRunner {
  all(query: q.Query): Promise<Row[]>;
  /** Runs the statement; how many rows it changed. */
  run(query: q.Query): Promise<number>;
  /** Runs every statement in one transaction. */
  runAll(queries: q.Query[]): Promise<void>;
}

export class OperatorStore implements OperatorView {
  private readonly db: QueryRunner;
  /** Told when deliveries became due, so workers (on every replica) wake. */
  private readonly onDue: () => Promise<void> | void;

  constructor(db: QueryRunner, onDue: () => Promise<void> | void) {
    this.db = db;
    this.onDue = onDue;
  }

  async listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]> {
    const now = Date.now();
    return (await this.db.all(q.listDeliveries(filter))).map((row) => q.toDeliveryRecord(row, now));
  }

  async getDelivery(id: number): Promise<DeliveryDetail | undefined> {
    const [row] = await this.db.all(q.deliveryById(id));
    if (!row) return undefined;
    const attempts = await this.db.all(q.attemptsOf(id));
    return { ...q.toDeliveryRecord(row), order: JSON.parse(String(row.order_json)) as StoredOrder, attemptLog: attempts.map(q.toAttemptRecord) };
  }

  async statuses(ids: number[]): Promise<Map<number, DeliveryStatus>> {
    if (ids.length === 0) return new Map();
    return new Map((await this.db.all(q.statusesOf(ids))).map((row) => [Number(row.id), row.status as DeliveryStatus]));
  }

  async requeue(id: number, now: number): Promise<Requeue> {
    const changed = await this.db.all(q.requeue(id, now));
    if (changed.length > 0) await this.onDue();
    const [row] = await this.db.all(q.deliveryById(id));
    const delivery = row ? q.toDeliveryRecord(row) : undefined;
    return changed.length > 0 && delivery ? { done: true, delivery } : { done: false, delivery };
  }

  async redriveDead(source: string | undefined, now: number): Promise<number> {
    const count = await this.db.run(q.redriveDead(source, now));
    if (count > 0) await this.onDue();
    return count;
  }

  async queueStats(): Promise<QueueStats> {
    const [row] = await this.db.all({ text: q.QUEUE_STATS, params: [] });
    return q.toQueueStats(row as Row);
  }

  async countSentSince(since: number): Promise<number> {
    const [row] = await this.db.all(q.sentSince(since));
    return Number(row?.sent ?? 0);
  }

  async prune(cutoff: { finishedBefore: number; deadBefore: number }): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.db.run(q.pruneChunk(cutoff));
      total += deleted;
      if (deleted < q.PRUNE_CHUNK) return total;
    }
  }

  async putRecipients(entries: DirectoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.runAll(entries.map((e) => ({ text: q.UPSERT_RECIPIENT, params: q.recipientParams(e) })));
  }

  getRecipient(key: string): Promise<DirectoryEntry | undefined> {
    return this.findRecipient([key]);
  }

  async deleteRecipient(key: string): Promise<boolean> {
    return (await this.db.run({ text: 'DELETE FROM recipients WHERE key = ?', params: [key] })) > 0;
  }

  async findRecipient(keys: string[]): Promise<DirectoryEntry | undefined> {
    if (keys.length === 0) return undefined;
    return q.firstByKey(keys, await this.db.all(q.findRecipients(keys)));
  }
}
