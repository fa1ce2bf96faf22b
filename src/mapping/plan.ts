// For one order: who gets which message, or why nobody does. Decided when the order arrives,
// so what was planned is recorded with it and the worker only sends.
import type { DeliveryPlan } from '../domain/delivery.ts';
import type { Order } from '../domain/order.ts';
import type { Mapping } from './mapping-file.ts';
import { findRecipient, type DirectoryLookup } from './recipients.ts';
import { chooseContent } from './rules.ts';

const NAME_LIMIT = 100;

export async function planDelivery(order: Order, mapping: Mapping, directory?: DirectoryLookup): Promise<DeliveryPlan> {
  const found = await findRecipient(order, mapping.recipients, directory);
  if ('reason' in found) return { kind: 'skip', reason: found.reason };
  const chosen = chooseContent(mapping.rules, order, found.recipient.platform);
  if ('reason' in chosen) return { kind: 'skip', reason: chosen.reason };
  // MantaGO shows a broadcast's name in its dashboard: the rule and the order make it findable.
  const name = `${chosen.rule} ${order.orderNumber ?? order.orderId}`.slice(0, NAME_LIMIT);
  return { kind: 'send', recipient: found.recipient, rule: chosen.rule, content: chosen.content, name };
}
