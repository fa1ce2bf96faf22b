// For one order event: who gets which message and when, or why nobody does, or that the worker
// must finish deciding (a MantaGO member lookup never runs in the webhook's answer path).
import { AWAITING_MEMBER_LOOKUP, type DeliveryPlan, type DeliveryStatus } from '../domain/delivery.ts';
import { isBare, type Order } from '../domain/order.ts';
import type { Recipient } from '../domain/recipient.ts';
import { formatDuration } from './durations.ts';
import type { Mapping } from './mapping-file.ts';
import { quietUntil } from './quiet-hours.ts';
import { type Lookups, resolveRecipient } from './recipients.ts';
import { anyWithdrawnBy, chooseContent, type Rule, withdrawnByOf } from './rules.ts';
import { chooseTags } from './tags.ts';

const NAME_LIMIT = 100;

/** Why an event that came before its order waits. */
export const AWAITING_ORDER = 'waiting for its order: this event came before the order it belongs to';
/** A stage's fields its fulfillment brings (the stage itself says its status, city, message and estimate). */
const FROM_FULFILLMENT = ['shipment.trackingNumber', 'shipment.trackingUrl', 'shipment.company'];
/** Why a stage on the parcel's way that came before its shipment, and whose message needs its tracking, waits. */
export const AWAITING_SHIPMENT = "waiting for its shipment's tracking, which its message needs: not come yet with its fulfillment";

/** What the store knows of the order's placed delivery, for its later events. */
export interface PlacedDelivery {
  status: DeliveryStatus;
  /** Who it went (or goes) to; none while it waits for the worker to resolve it, or once skipped. */
  recipient?: Recipient;
  resolving: boolean;
}

export interface PlanContext {
  lookups: Lookups;
  /** For an event after `placed`: the order's placed delivery, whose recipient gets this one too. */
  placed?: PlacedDelivery;
  /**
   * An event that came before its order (no placed delivery yet) and says nothing of its customer
   * waits for the order, rather than being skipped for want of a recipient: Shopify sends an
   * order's webhooks side by side, and retries a failed one for hours.
   */
  awaitOrder?: boolean;
  /**
   * A stage whose shipment's tracking is not stored yet (its fulfillment's webhook comes later, or
   * is retried, or its tracking comes with an update), and whose message needs it, waits for it
   * rather than being skipped.
   */
  awaitShipment?: boolean;
  /** When the order event arrived: a rule's delay counts from here. */
  receivedAt: number;
  now: number;
  /**
   * Events that happened before `since` are no news (RETENTION_DAYS): a delivery of theirs may have
   * been pruned, so whether its message went is no longer known (an old order the shop changed,
   * re-read by a poll or sent again by its webhook) — for a webhook's, only those that happened
   * once the store was made (`from`): an order older than the store is as new as the shop says.
   */
  news?: { since: number; retention: string; from?: number };
}

/**
 * When a retry of a message of the rule named `rule`, due `at`, may go: at the end of the quiet
 * hours if it falls inside them, for a rule that keeps them (a retry after an outage at night waits
 * for the morning as the message itself would have).
 */
export function retryTime(mapping: Mapping): (rule: string, at: number) => number {
  const window = mapping.quietHours;
  if (!window) return (_rule, at) => at;
  const keeping = new Set(mapping.rules.filter((r) => r.quietHours).map((r) => r.name));
  return (rule, at) => (keeping.has(rule) ? (quietUntil(window, at) ?? at) : at);
}

/** When a message for `rule` is due, and why it waits if it does: its delay, then the quiet hours. */
export function schedule(rule: Rule, mapping: Mapping, receivedAt: number, now: number): { dueAt: number; holdReason?: string } {
  const delayed = receivedAt + (rule.delayMs ?? 0);
  const dueAt = Math.max(now, delayed);
  const quiet = mapping.quietHours && rule.quietHours ? quietUntil(mapping.quietHours, dueAt) : undefined;
  if (quiet !== undefined) return { dueAt: quiet, holdReason: `quiet hours (${mapping.quietHours?.label})` };
  if (delayed > now) return { dueAt, holdReason: `delay ${formatDuration(rule.delayMs as number)}` };
  return { dueAt };
}

export async function planDelivery(order: Order, mapping: Mapping, context: PlanContext): Promise<DeliveryPlan> {
  const { news } = context;
  if (news && order.occurredAt !== undefined && order.occurredAt < news.since && order.occurredAt >= (news.from ?? 0))
    return { kind: 'skip', reason: `older than the retention (${news.retention}): whether its message went is no longer known` };
  let recipient: Recipient | undefined;
  let bindCustomerId: string | undefined;
  if (order.event !== 'placed' && context.placed?.recipient) {
    // The customer got the order's first message there: its later messages follow.
    recipient = { ...context.placed.recipient, via: `the order's placed message (${context.placed.recipient.via})` };
  } else if (order.event !== 'placed' && context.placed?.resolving) {
    return resolveLater(order, mapping, "waiting for the order's placed message to find its recipient");
  } else {
    const { resolution } = await resolveRecipient(order, mapping.recipients, context.lookups);
    if ('skip' in resolution) {
      // Nobody found in an event that says nothing of its customer, and its order not seen yet: it waits for it.
      if (order.event !== 'placed' && !context.placed && context.awaitOrder && isBare(order))
        return resolveLater(order, mapping, AWAITING_ORDER);
      return { kind: 'skip', reason: resolution.skip };
    }
    if ('defer' in resolution) return resolveLater(order, mapping, AWAITING_MEMBER_LOOKUP);
    recipient = resolution.recipient;
    bindCustomerId = resolution.bindCustomerId;
  }
  const ops = chooseTags(mapping.rules, order, recipient.platform);
  const tagging = ops.length > 0 ? { tagging: { recipient, ops } } : {};
  const chosen = chooseContent(mapping.rules, order, recipient.platform);
  if ('reason' in chosen) {
    if (context.awaitShipment && chosen.missing.some((field) => FROM_FULFILLMENT.includes(field)))
      return resolveLater(order, mapping, AWAITING_SHIPMENT);
    return { kind: 'skip', reason: ops.length > 0 ? `tags only: ${chosen.reason}` : chosen.reason, ...tagging };
  }
  const { maxAgeMs } = chosen.rule;
  // Too old for a message, not for the facts: the user is still tagged. Counted to now: an event that
  // waited for its order (or its recipient) is that much older when it would go.
  if (maxAgeMs !== undefined && order.occurredAt !== undefined && Math.max(context.receivedAt, context.now) - order.occurredAt > maxAgeMs)
    return { kind: 'skip', reason: `older than ${formatDuration(maxAgeMs)}`, ...tagging };
  // MantaGO shows a broadcast's name in its dashboard: the rule and the order make it findable.
  const name = `${chosen.rule.name} ${order.orderNumber ?? order.orderId}`.slice(0, NAME_LIMIT);
  const { dueAt, holdReason } = schedule(chosen.rule, mapping, context.receivedAt, context.now);
  const withdrawnBy = withdrawnByOf(chosen.rule, order.event);
  return {
    kind: 'send',
    recipient,
    rule: chosen.rule.name,
    content: chosen.content,
    name,
    dueAt,
    ...(holdReason && { holdReason }),
    ...(bindCustomerId && { bindCustomerId }),
    ...(withdrawnBy.length > 0 && { withdrawnBy }),
    ...tagging,
  };
}

function resolveLater(order: Order, mapping: Mapping, reason: string): DeliveryPlan {
  const withdrawnBy = anyWithdrawnBy(mapping.rules, order.event);
  return { kind: 'resolve', reason, ...(withdrawnBy.length > 0 && { withdrawnBy }) };
}
