// The Store, once for both engines, derived from the operations' declarations (operations/index.ts):
// each method runs its operation on the engine — on the SQLite thread, or on PostgreSQL's pool —
// and wakes the workers after a commit that made a delivery due. Written out here are only the
// methods that do more: orders group-committed, work in chunks, the credentials' cipher.
import type { Clock } from '../clock.ts';
import type { StoredCredentials } from '../domain/credentials.ts';
import { type IncomingOrder, type RecordedOrder, tagsOf } from '../domain/delivery.ts';
import type { DirectoryEntry } from '../domain/recipient.ts';
import { credentialsCipher } from './credentials-cipher.ts';
import { newDeliveryRow } from './delivery-row.ts';
import { GroupCommit } from './group-commit.ts';
import type { OrderWrite } from './operations/deliveries.ts';
import {
  type AnyOperation,
  OPERATIONS,
  OPERATOR_OPERATIONS,
  type OperationArgs,
  type OperationName,
  type OperationResult,
  STORE_OPERATIONS,
} from './operations/index.ts';
import { PRUNE_CHUNK } from './operations/operator.ts';
import type { Runner } from './runner.ts';
import type { OperatorView, Store } from './store.ts';

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
  /** Messages skipped after they were stored (withdrawn by an event, at their claim, or by an opt-out), for the metrics: how many. */
  onWithdrawn?: (count: number) => void;
}

/** Directory entries per transaction: a large import never holds the store for long. */
const RECIPIENT_CHUNK = 500;

/** Runs operation `name`, then wakes the workers if its declaration says the commit made a delivery due. */
async function call<K extends OperationName>(engine: Engine, name: K, args: OperationArgs<K>): Promise<OperationResult<K>> {
  const result = await engine.run(name, ...args);
  if ((OPERATIONS[name] as AnyOperation).wakes?.(result, ...args)) await engine.notifyDue();
  return result;
}

/** A method for each operation of `group`, with the operation's own parameters and result. */
type Methods<G> = {
  [K in keyof G]: G[K] extends { run: (db: Runner, ...args: infer A) => Promise<infer R> } ? (...args: A) => Promise<R> : never;
};

function methods<G extends Partial<Record<OperationName, unknown>>>(engine: Engine, group: G): Methods<G> {
  const made: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const name of Object.keys(group) as OperationName[]) made[name] = (...args) => call(engine, name, args as never);
  return made as Methods<G>;
}

export function engineStore(engine: Engine, options: StoreOptions = {}): Store {
  const cipher = credentialsCipher(options.encryptionKey);
  const withdrawn = (count: number) => {
    if (count > 0) options.onWithdrawn?.(count);
  };
  const orders = new GroupCommit<OrderWrite, RecordedOrder>(
    async (writes) => {
      const answers = await call(engine, 'recordOrders', [writes]);
      let count = 0;
      for (const answer of answers) count += answer.withdrawn ?? 0;
      withdrawn(count);
      return answers;
    },
    {
      concurrency: engine.commitConcurrency,
      maxPending: options.maxPendingOrders ?? 5_000,
    },
  );
  let closed = false;

  const operator: OperatorView = {
    ...methods(engine, OPERATOR_OPERATIONS),
    async putOptOut(key, now) {
      const skipped = await engine.run('putOptOut', key, now);
      withdrawn(skipped);
      return skipped;
    },
    async prune(cutoff) {
      if (cutoff.keysBefore !== undefined) await engine.run('pruneIdempotencyKeys', cutoff.keysBefore);
      if (cutoff.endings) await engine.run('keepPrunedEndings', cutoff.finishedBefore, cutoff.endings);
      if (cutoff.membersAt !== undefined) await engine.run('pruneMembers', cutoff.membersAt);
      let total = 0;
      for (;;) {
        const deleted = await engine.run('pruneChunk', cutoff);
        total += deleted;
        if (deleted < PRUNE_CHUNK) return total;
      }
    },
    async putRecipients(entries: DirectoryEntry[]) {
      // In chunks: the orders that arrive meanwhile are committed between them.
      for (let i = 0; i < entries.length; i += RECIPIENT_CHUNK) await engine.run('putRecipients', entries.slice(i, i + RECIPIENT_CHUNK));
    },
  };

  return {
    ...methods(engine, STORE_OPERATIONS),
    engine: engine.name,
    operator,
    async claimBatch(...args) {
      const claim = await call(engine, 'claimBatch', args);
      withdrawn(claim.skipped);
      return claim.claimed;
    },
    recordOrder(incoming: IncomingOrder): Promise<RecordedOrder> {
      if (closed) return Promise.reject(new Error('the store is closed'));
      const rows = [newDeliveryRow(incoming), ...(incoming.alongside ? [newDeliveryRow(incoming.alongside)] : [])];
      const withdraws = incoming.withdraws && { orderId: incoming.orderId, ...incoming.withdraws };
      const tagging = tagsOf(incoming.plan);
      const alongsideTagging = incoming.alongside && tagsOf(incoming.alongside.plan);
      return orders.submit({
        rows,
        now: incoming.receivedAt,
        ...(withdraws && { withdraws }),
        ...(incoming.optOutKeys && { optOutKeys: incoming.optOutKeys }),
        ...(tagging && { tagging }),
        ...(alongsideTagging && { alongsideTagging }),
        ...(incoming.replacesSkipped !== undefined && { replacesSkipped: incoming.replacesSkipped }),
        ...(incoming.replacesUnless && { replacesUnless: incoming.replacesUnless }),
      });
    },
    onDeliveryDue: (listener) => engine.onDue(listener),
    async loadCredentials(botId: string): Promise<StoredCredentials | undefined> {
      const stored = await engine.run('loadCredentials', botId);
      return stored && cipher.open(stored);
    },
    async saveCredentials(next: StoredCredentials): Promise<StoredCredentials> {
      return cipher.open(await engine.run('saveCredentials', cipher.seal(next)));
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await orders.drain(); // orders already answered for are committed before the store closes
      await engine.close();
    },
  };
}
