// The tags of an order first seen at a later status (WooCommerce's completed): which user they go to,
// and in what order. (A placed event stored skipped beside a later one keeps its own: the store queues them.)
import type { DeliveryPlan } from '../domain/delivery.ts';
import type { Order } from '../domain/order.ts';
import type { Mapping } from '../mapping/mapping-file.ts';
import { chooseTags } from '../mapping/tags.ts';

/**
 * The plan of an order first seen at a later status, which tags its user for that status too (after
 * the placed rule's tags): the event spent with it tags nobody. Only where the user is known.
 */
export function withTagsOf<P extends DeliveryPlan>(plan: P, spent: Order, mapping: Mapping): P {
  if (plan.kind === 'resolve') return plan;
  const recipient = plan.kind === 'send' ? plan.recipient : plan.tagging?.recipient;
  const ops = recipient ? chooseTags(mapping.rules, spent, recipient.platform) : [];
  if (!recipient || ops.length === 0) return plan;
  return { ...plan, tagging: { recipient, ops: [...(plan.tagging?.ops ?? []), ...ops] } };
}

/** The plan of a spent shipment revived (intake.ts): its tags went with its order's placed message, at first sight. */
export function withoutTags(plan: DeliveryPlan): DeliveryPlan {
  if (plan.kind === 'resolve' || !plan.tagging) return plan;
  const { tagging: _spent, ...untagged } = plan;
  return untagged;
}
