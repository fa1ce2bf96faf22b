// Every store operation, declared once: the function that runs it (on the SQLite thread, or on
// PostgreSQL's pool) and, where its commit can make a delivery due, when it wakes the workers.
// The engine store (engine-store.ts) is derived from these declarations, so adding a query is its
// function in one of these files, one line here, and its line in the Store interface (store.ts).
import type { Runner } from '../runner.ts';
import * as attempts from './attempts.ts';
import * as credentials from './credentials.ts';
import * as deliveries from './deliveries.ts';
import * as idempotency from './idempotency.ts';
import * as members from './members.ts';
import * as operator from './operator.ts';
import * as orderNews from './order-news.ts';
import * as optOuts from './opt-outs.ts';
import * as resolution from './resolution.ts';
import * as shops from './shops.ts';
import * as tagOperator from './tag-operator.ts';
import * as tags from './tags.ts';

export interface Operation<A extends unknown[], R> {
  run: (db: Runner, ...args: A) => Promise<R>;
  /** After the commit: whether it made a delivery due, so the workers are woken (on every replica, where the engine can). */
  wakes?: (result: R, ...args: A) => boolean;
}

const op = <A extends unknown[], R>(run: Operation<A, R>['run'], wakes?: Operation<A, R>['wakes']): Operation<A, R> =>
  wakes ? { run, wakes } : { run };

/** The Store's own methods, each one operation as it stands. */
export const STORE_OPERATIONS = {
  findDelivery: op(deliveries.findDelivery),
  updateShipment: op(orderNews.updateShipment),
  noteSpentShipment: op(orderNews.noteSpentShipment),
  refreshMessage: op(orderNews.refreshMessage),
  claimBatch: op(deliveries.claimBatch),
  recordAttempts: op(attempts.recordAttempts),
  leased: op(deliveries.leased),
  renewLease: op(deliveries.renewLease),
  release: op(deliveries.release, (_released, _owner, ids) => ids.length > 0),
  nextDueAt: op(deliveries.nextDueAt),
  claimUnresolved: op(resolution.claimUnresolved),
  resolveDeliveries: op(resolution.resolveDeliveries, (_resolved, _owner, decided) => decided.some((d) => d.plan.kind === 'send')),
  getMembers: op(members.getMembers),
  putMembers: op(members.putMembers),
  claimBinds: op(members.claimBinds),
  recordBind: op(members.recordBind),
  listBinds: op(members.listBinds),
  claimTags: op(tags.claimTags),
  recordTagTry: op(tags.recordTagTry),
  tagJobsOf: op(tagOperator.tagJobsOf),
  getTagId: op(tags.getTagId),
  putTagId: op(tags.putTagId),
  forgetTagId: op(tags.forgetTagId),
  releaseTagName: op(tags.releaseTagName),
  claimTagName: op(tags.claimTagName),
  claimRefresh: op(credentials.claimRefresh),
  releaseRefresh: op(credentials.releaseRefresh),
  claimIdempotencyKey: op(idempotency.claimIdempotencyKey),
  saveIdempotentResponse: op(idempotency.saveIdempotentResponse),
  optedOut: op(optOuts.optedOut),
  prunedEnding: op(operator.prunedEnding),
  ping: op(async (db: Runner) => void (await db.all('SELECT 1'))),
  // A write, not a read: a store that answers but cannot write (a full disk, a standby) takes no order.
  heartbeat: op(async (db: Runner) => {
    await db.run('INSERT INTO store_heartbeat (id, beats) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET beats = store_heartbeat.beats + 1');
  }),
  createdAt: op(async (db: Runner) => {
    const at = (await db.all('SELECT MIN(applied_at) AS at FROM schema_migrations'))[0]?.at;
    return at === null || at === undefined ? undefined : Number(at);
  }),
  openShopConnection: op(shops.openShopConnection),
  listShopConnections: op(shops.listShopConnections),
  claimShopPoll: op(shops.claimShopPoll),
  advanceWatermark: op(shops.advanceWatermark),
  finishShopPoll: op(shops.finishShopPoll),
  saveShopWebhooks: op(shops.saveShopWebhooks),
};

/** The operator's view (store.operator), each one operation as it stands. */
export const OPERATOR_OPERATIONS = {
  listDeliveries: op(operator.listDeliveries),
  getDelivery: op(operator.getDelivery),
  statuses: op(operator.statuses),
  requeue: op(operator.requeue, (requeued) => requeued.done),
  redriveDead: op(operator.redriveDead, (count) => count > 0),
  listTagJobs: op(tagOperator.listTagJobs),
  retryTagJob: op(tagOperator.retryTagJob),
  redriveDeadTags: op(tagOperator.redriveDeadTags),
  queueStats: op(operator.queueStats),
  countSentSince: op(operator.countSentSince),
  getRecipient: op(operator.getRecipient),
  deleteRecipient: op(operator.deleteRecipient),
  findRecipient: op(operator.findRecipient),
  putOptOut: op(optOuts.putOptOut),
  liftOptOut: op(optOuts.liftOptOut),
  optedOutUsers: op(optOuts.optedOutUsers),
};

/** Steps of the store's methods that do more than run one: the orders' group commit, work in chunks, the credentials' cipher. */
export const STEPS = {
  recordOrders: op(deliveries.recordOrders, (recorded, writes) =>
    recorded.some((r, i) => r.outcome === 'accepted' && (r.status === 'pending' || writes[i]?.tagging !== undefined)),
  ),
  pruneChunk: op(operator.pruneChunk),
  keepPrunedEndings: op(operator.keepPrunedEndings),
  pruneIdempotencyKeys: op(idempotency.pruneIdempotencyKeys),
  pruneMembers: op(members.pruneMembers),
  putRecipients: op(operator.putRecipients),
  loadCredentials: op(credentials.loadCredentials),
  saveCredentials: op(credentials.saveCredentials),
};

export const OPERATIONS = { ...STORE_OPERATIONS, ...OPERATOR_OPERATIONS, ...STEPS };

export type Operations = typeof OPERATIONS;
export type OperationName = keyof Operations;
type Run<K extends OperationName> = Operations[K]['run'];
export type OperationArgs<K extends OperationName> = Run<K> extends (db: Runner, ...args: infer A) => Promise<unknown> ? A : never;
export type OperationResult<K extends OperationName> = Awaited<ReturnType<Run<K>>>;
/** Any operation, as the engines call one by its name. */
export type AnyOperation = {
  run: (db: Runner, ...args: unknown[]) => Promise<unknown>;
  wakes?: (result: unknown, ...args: unknown[]) => boolean;
};
