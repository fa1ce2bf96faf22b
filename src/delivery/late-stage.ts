// Webhooks come in any order: a stage on the parcel's way (shipped, in transit, out for delivery)
// that comes after the parcel's delivered would tell the customer it is on its way again. The rule,
// once, for the intake and for the worker resolving an event that waited for its order.
import { isBeforeDelivery, type OrderEvent } from '../domain/order.ts';
import { anyRuleFor, type Rule } from '../mapping/rules.ts';
import type { KnownDelivery } from '../domain/delivery.ts';

/**
 * Whether an event may be late: a stage before the parcel's delivery; a shipment, the parcel's first
 * news, only when the customer hears of the delivery (rules for both).
 */
export function mayComeLate(event: OrderEvent, rules: readonly Rule[]): boolean {
  return isBeforeDelivery(event) && (event !== 'shipped' || (anyRuleFor(rules, 'shipped') && anyRuleFor(rules, 'delivered')));
}

/** Why such an event is not sent, once its parcel's delivered is stored (a shipment, unless that one sends nothing). */
export function lateReason(event: OrderEvent, delivered: Pick<KnownDelivery, 'status'> | undefined): string | undefined {
  if (!delivered || (event === 'shipped' && delivered.status === 'skipped')) return undefined;
  return `the parcel was delivered already: its ${event}, come after that, is not sent`;
}
