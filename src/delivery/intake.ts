// An order that passed verification: decide who gets what, and store it with its delivery.
// The caller answers the shop only after this resolves, so an acknowledged order is durable.
import type { IncomingOrder, RecordedOrder } from '../domain/delivery.ts';
import type { Order } from '../domain/order.ts';
import type { Mapping } from '../mapping/mapping-file.ts';
import { planDelivery } from '../mapping/plan.ts';
import type { DirectoryLookup } from '../mapping/recipients.ts';
import { batchKey } from './batching.ts';

export type IntakeResult = RecordedOrder & { reason?: string };
export type Intake = (order: Order, topic: string | undefined) => Promise<IntakeResult>;

/** Webhooks with the same key are the same order: one message, however often the shop sends it. */
export function dedupeKey(source: string, shop: string, orderId: string): string {
  return [source, shop, orderId].join('\u001f');
}

export function createIntake(deps: {
  store: { recordOrder(incoming: IncomingOrder): Promise<RecordedOrder> };
  mapping: Mapping;
  directory?: DirectoryLookup;
}): Intake {
  return async (order, topic) => {
    const plan = await planDelivery(order, deps.mapping, deps.directory);
    const { items: _items, ...kept } = order;
    const recorded = await deps.store.recordOrder({
      dedupeKey: dedupeKey(order.source, order.shop, order.orderId),
      source: order.source,
      shop: order.shop,
      orderId: order.orderId,
      order: kept,
      topic,
      receivedAt: Date.now(),
      plan,
      batchKey: plan.kind === 'send' ? batchKey(plan.recipient.platform, plan.content) : undefined,
    });
    return plan.kind === 'skip' && recorded.outcome === 'accepted' ? { ...recorded, reason: plan.reason } : recorded;
  };
}
