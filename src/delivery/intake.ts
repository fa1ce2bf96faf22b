// An order that passed verification: decide who gets what, and store it with its delivery.
// The caller answers the shop only after this resolves, so an acknowledged order is durable; each
// store call has a deadline, so a wedged store answers 503 (and the shop retries) instead of hanging.
import type { IncomingOrder, RecordedOrder } from '../domain/delivery.ts';
import type { Order } from '../domain/order.ts';
import type { Mapping } from '../mapping/mapping-file.ts';
import { planDelivery } from '../mapping/plan.ts';
import type { DirectoryLookup } from '../mapping/recipients.ts';
import { withDeadline } from '../store/errors.ts';
import { batchKey } from './batching.ts';

export type IntakeResult = RecordedOrder & { reason?: string };
/** `scope`: what makes the order id unique beyond its source, read from signed bytes (see the sources). */
export type Intake = (received: { order: Order; scope: string }, topic: string | undefined) => Promise<IntakeResult>;

/** Webhooks with the same key are the same order: one message, however often (or however altered) the shop sends it. */
export function dedupeKey(source: string, scope: string, orderId: string): string {
  return [source, scope, orderId].join('\u001f');
}

export function createIntake(deps: {
  store: { recordOrder(incoming: IncomingOrder): Promise<RecordedOrder> };
  mapping: Mapping;
  directory?: DirectoryLookup;
  /** The deadline of each store call (STORE_TIMEOUT_MS). */
  storeTimeoutMs: number;
}): Intake {
  const { storeTimeoutMs } = deps;
  const directory: DirectoryLookup | undefined =
    deps.directory && ((keys) => withDeadline((deps.directory as DirectoryLookup)(keys), storeTimeoutMs, 'look the customer up'));
  return async ({ order, scope }, topic) => {
    const plan = await planDelivery(order, deps.mapping, directory);
    const { items: _items, ...kept } = order;
    const incoming: IncomingOrder = {
      dedupeKey: dedupeKey(order.source, scope, order.orderId),
      source: order.source,
      shop: order.shop,
      orderId: order.orderId,
      order: kept,
      topic,
      receivedAt: Date.now(),
      plan,
      batchKey: plan.kind === 'send' ? batchKey(plan.recipient.platform, plan.content) : undefined,
    };
    const recorded = await withDeadline(deps.store.recordOrder(incoming), storeTimeoutMs, 'store the order');
    return plan.kind === 'skip' && recorded.outcome === 'accepted' ? { ...recorded, reason: plan.reason } : recorded;
  };
}
