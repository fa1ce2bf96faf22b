// Message templates: `{{order.number}}`, with an optional fallback `{{customer.firstName | "there"}}`.
// Compiled when the mapping file loads, so an unknown variable stops startup instead of
// putting a blank into a customer's message.
import type { Order } from '../domain/order.ts';

export const TEMPLATE_VARIABLES = [
  'order.id',
  'order.number',
  'order.total',
  'order.currency',
  'order.statusUrl',
  'order.shop',
  'order.source',
  'customer.id',
  'customer.email',
  'customer.phone',
  'customer.firstName',
  'customer.lastName',
  'customer.locale',
  'event',
  'shipment.trackingNumber',
  'shipment.trackingUrl',
  'shipment.company',
  'shipment.status',
  'shipment.estimatedDeliveryAt',
  'shipment.city',
  'shipment.message',
  'order.cancelReason',
  'refund.amount',
  'refund.currency',
] as const;
/** `attributes.<name>` reads one of the order's attributes (note attributes, meta data). */
const ATTRIBUTE_PREFIX = 'attributes.';

type Part = string | { variable: string; fallback: string | undefined };
export interface Template {
  readonly source: string;
  readonly parts: readonly Part[];
}
export type Rendered = { text: string } | { missing: string };

const PLACEHOLDER = /\{\{\s*([^}|]*?)\s*(?:\|\s*"([^"]*)"\s*)?\}\}/g;

/** Compiles a template, or returns what is wrong with it. */
export function compileTemplate(source: string): Template | { error: string } {
  const parts: Part[] = [];
  let last = 0;
  const unknown = new Set<string>();
  for (const match of source.matchAll(PLACEHOLDER)) {
    const variable = match[1] ?? '';
    if (!isKnownVariable(variable)) unknown.add(`{{${variable}}}`);
    if (match.index > last) parts.push(source.slice(last, match.index));
    parts.push({ variable, fallback: match[2] });
    last = match.index + match[0].length;
  }
  // Every one at once: the operator mends the template in one go.
  if (unknown.size > 0)
    return { error: `unknown template variable ${[...unknown].join(', ')}; known: ${TEMPLATE_VARIABLES.join(', ')}, attributes.<name>` };
  const rest = source.slice(last);
  if (rest.includes('{{') || rest.includes('}}') || parts.some((p) => typeof p === 'string' && (p.includes('{{') || p.includes('}}')))) {
    return { error: 'unbalanced {{ }} in template; write a variable as {{order.number}} or {{customer.firstName | "fallback"}}' };
  }
  if (rest) parts.push(rest);
  return { source, parts };
}

function isKnownVariable(variable: string): boolean {
  if ((TEMPLATE_VARIABLES as readonly string[]).includes(variable)) return true;
  return variable.startsWith(ATTRIBUTE_PREFIX) && variable.length > ATTRIBUTE_PREFIX.length;
}

/** Renders for one order; a variable with no value and no fallback makes the whole template unusable. */
export function renderTemplate(template: Template, order: Order): Rendered {
  let text = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    // Spaces alone are no value (a name of "   " would leave a blank in the message); around one, they are dropped.
    const value = lookup(order, part.variable)?.trim();
    if (value !== undefined && value !== '') text += value;
    else if (part.fallback !== undefined) text += part.fallback;
    else return { missing: part.variable };
  }
  return { text };
}

function lookup(order: Order, variable: string): string | undefined {
  if (variable.startsWith(ATTRIBUTE_PREFIX)) {
    // The order's own attributes only: `constructor` or `toString` of a plain object is no attribute of it.
    const name = variable.slice(ATTRIBUTE_PREFIX.length);
    const value = order.attributes && Object.hasOwn(order.attributes, name) ? order.attributes[name] : undefined;
    return value === undefined ? undefined : String(value);
  }
  switch (variable as (typeof TEMPLATE_VARIABLES)[number]) {
    case 'order.id':
      return order.orderId;
    case 'order.number':
      return order.orderNumber ?? order.orderId;
    case 'order.total':
      return order.total;
    case 'order.currency':
      return order.currency;
    case 'order.statusUrl':
      return order.statusUrl;
    case 'order.shop':
      return order.shop;
    case 'order.source':
      return order.source;
    case 'customer.id':
      return order.customer.id;
    case 'customer.email':
      return order.customer.email;
    case 'customer.phone':
      return order.customer.phone;
    case 'customer.firstName':
      return order.customer.firstName;
    case 'customer.lastName':
      return order.customer.lastName;
    case 'customer.locale':
      return order.customer.locale;
    case 'event':
      return order.event;
    case 'shipment.trackingNumber':
      return order.shipment?.trackingNumber;
    case 'shipment.trackingUrl':
      return order.shipment?.trackingUrl;
    case 'shipment.company':
      return order.shipment?.company;
    case 'shipment.status':
      return order.shipment?.status;
    case 'shipment.estimatedDeliveryAt':
      return order.shipment?.estimatedDeliveryAt;
    case 'shipment.city':
      return order.shipment?.city;
    case 'shipment.message':
      return order.shipment?.message;
    case 'order.cancelReason':
      return order.cancelReason;
    case 'refund.amount':
      return order.refund?.amount;
    case 'refund.currency':
      return order.refund?.currency;
  }
}
