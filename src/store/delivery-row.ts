// The columns of a new delivery row, in the order both engines insert them. Built where the
// order arrives, as flat values, so the SQLite thread receives it cheaply.
import type { IncomingOrder } from './store.ts';

export const DELIVERY_COLUMNS = [
  'source',
  'shop',
  'order_id',
  'topic',
  'received_at',
  'order_json',
  'status',
  'platform',
  'client_id',
  'recipient_via',
  'rule',
  'intent_id',
  'message',
  'fb_tag',
  'broadcast_name',
  'batch_key',
  'next_attempt_at',
  'finished_at',
  'last_error',
] as const;

export type DeliveryRow = (string | number | null)[];

export function deliveryRow({ order, topic, receivedAt, plan, batchKey }: IncomingOrder): DeliveryRow {
  const send = plan.kind === 'send' ? plan : undefined;
  return [
    order.source,
    order.shop,
    order.orderId,
    topic ?? null,
    receivedAt,
    JSON.stringify(order),
    send ? 'pending' : 'skipped',
    send?.recipient.platform ?? null,
    send?.recipient.userId ?? null,
    send?.recipient.via ?? null,
    send?.rule ?? null,
    send?.content.intentId ?? null,
    send?.content.message ?? null,
    send?.content.fbTag ?? null,
    send?.name ?? null,
    batchKey ?? null,
    send ? receivedAt : null,
    send ? null : receivedAt,
    plan.kind === 'skip' ? plan.reason : null,
  ];
}
