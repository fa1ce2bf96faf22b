// An order that passed verification: decide who gets what, and store it with its delivery.
// The caller answers the shop only after this resolves, so an acknowledged order is durable.
import type { Mapping } from '../mapping/mapping-file.ts';
import { planDelivery } from '../mapping/plan.ts';
import type { DirectoryLookup } from '../mapping/recipients.ts';
import type { Order } from '../sources/order.ts';
import type { RecordedOrder, Store } from '../store/store.ts';
import { batchKey } from './batching.ts';

export type IntakeResult = RecordedOrder & { reason?: string };
export type Intake = (order: Order, topic: string | undefined) => Promise<IntakeResult>;

export function createIntake(deps: { store: Store; mapping: Mapping; directory?: DirectoryLookup }): Intake {
  return async (order, topic) => {
    const plan = await planDelivery(order, deps.mapping, deps.directory);
    const { items: _items, ...kept } = order;
    const recorded = await deps.store.recordOrder({
      order: kept,
      topic,
      receivedAt: Date.now(),
      plan,
      batchKey: plan.kind === 'send' ? batchKey(plan.recipient.platform, plan.content) : undefined,
    });
    return plan.kind === 'skip' && recorded.outcome === 'accepted' ? { ...recorded, reason: plan.reason } : recorded;
  };
}
