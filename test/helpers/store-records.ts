// Deliveries and attempts as the store suite records them: an incoming order with a plan, an attempt.
import { batchKey } from '../../src/delivery/batching.ts';
import type { AttemptResult, ClaimedDelivery, DeliveryPlan, IncomingOrder } from '../../src/domain/delivery.ts';
import type { Order } from '../../src/domain/order.ts';
import type { TagOp, Tagging } from '../../src/domain/tagging.ts';
import { incomingOrder } from './orders.ts';

let sequence = 0;
export function incoming(
  overrides: { shop?: string; orderId?: string; orderNumber?: string; intentId?: string; userId?: string; skip?: boolean } = {},
): IncomingOrder {
  const orderId = overrides.orderId ?? `o${++sequence}`;
  const order: Order = {
    source: 'shopify',
    event: 'placed',
    orderId,
    ...(overrides.orderNumber && { orderNumber: overrides.orderNumber }),
    shop: overrides.shop ?? 'shop',
    total: '10',
    currency: 'TWD',
    customer: {},
    attributes: {},
    items: [],
  };
  const content = { intentId: overrides.intentId ?? 'moduleA' };
  const plan: DeliveryPlan = overrides.skip
    ? { kind: 'skip', reason: 'nobody' }
    : {
        kind: 'send',
        recipient: { platform: 'line', userId: overrides.userId ?? `U${String(sequence).padStart(32, '0')}`, via: 'test' },
        rule: 'r',
        content,
        name: `r ${orderId}`,
        withdrawnBy: ['cancelled'], // a placed rule's default
      };
  const { items: _items, ...stored } = order;
  return incomingOrder(stored, {
    topic: 'orders/create',
    receivedAt: Date.now(),
    plan,
    batchKey: overrides.skip ? undefined : batchKey('line', content),
  });
}

/** An order whose plan tags its user (on line) with `ops`, as the intake hands it to the store. */
export function taggedIncoming(orderId: string, userId: string, ops: TagOp[], skip = false): IncomingOrder {
  const order = incoming({ orderId, userId, skip });
  const tagging: Tagging = { recipient: { platform: 'line', userId, via: 'test' }, ops };
  return { ...order, plan: { ...order.plan, tagging } as IncomingOrder['plan'] };
}

export const attempt = (
  d: ClaimedDelivery,
  transition: AttemptResult['transition'],
  outcome: AttemptResult['attempt']['outcome'] = 'failed',
): AttemptResult => ({
  attempt: { deliveryId: d.id, startedAt: Date.now(), durationMs: 3, outcome, httpStatus: 503, error: 'down', batchSize: 1 },
  transition,
});
