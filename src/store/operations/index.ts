// Every store operation by name: what the SQLite thread serves and the PostgreSQL engine calls.
import * as credentials from './credentials.ts';
import * as deliveries from './deliveries.ts';
import * as idempotency from './idempotency.ts';
import * as members from './members.ts';
import * as operator from './operator.ts';
import * as resolution from './resolution.ts';

export const OPERATIONS = {
  recordOrders: deliveries.recordOrders,
  findDelivery: deliveries.findDelivery,
  claimBatch: deliveries.claimBatch,
  claimUnresolved: resolution.claimUnresolved,
  resolveDeliveries: resolution.resolveDeliveries,
  getMembers: members.getMembers,
  putMembers: members.putMembers,
  claimBinds: members.claimBinds,
  recordBind: members.recordBind,
  listBinds: members.listBinds,
  recordAttempts: deliveries.recordAttempts,
  leased: deliveries.leased,
  renewLease: deliveries.renewLease,
  release: deliveries.release,
  nextDueAt: deliveries.nextDueAt,
  listDeliveries: operator.listDeliveries,
  getDelivery: operator.getDelivery,
  statuses: operator.statuses,
  requeue: operator.requeue,
  redriveDead: operator.redriveDead,
  queueStats: operator.queueStats,
  countSentSince: operator.countSentSince,
  pruneChunk: operator.pruneChunk,
  putRecipients: operator.putRecipients,
  deleteRecipient: operator.deleteRecipient,
  findRecipient: operator.findRecipient,
  claimIdempotencyKey: idempotency.claimIdempotencyKey,
  saveIdempotentResponse: idempotency.saveIdempotentResponse,
  pruneIdempotencyKeys: idempotency.pruneIdempotencyKeys,
  loadCredentials: credentials.loadCredentials,
  saveCredentials: credentials.saveCredentials,
  claimRefresh: credentials.claimRefresh,
  releaseRefresh: credentials.releaseRefresh,
  ping: async (db: import('../runner.ts').Runner) => void (await db.all('SELECT 1')),
};

export type Operations = typeof OPERATIONS;
export type OperationName = keyof Operations;
type Rest<F> = F extends (db: never, ...args: infer A) => unknown ? A : never;
export type OperationArgs<K extends OperationName> = Rest<Operations[K]>;
export type OperationResult<K extends OperationName> = Awaited<ReturnType<Operations[K]>>;
