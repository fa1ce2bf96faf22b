// The order as the service received it, normalized (the `order` of GET /admin/deliveries/:id):
// the fields an operator asks about first, then every field as JSON.
import { NONE, facts, h, text } from './dom.ts';

type Fields = Record<string, unknown>;

const asFields = (value: unknown): Fields => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Fields) : {});
const str = (value: unknown): string | undefined => (value === null || value === undefined || value === '' ? undefined : String(value));

export function orderSection(order: Fields | null | undefined): HTMLElement {
  const section = h(
    'section',
    { 'aria-labelledby': 'order-title', class: 'order' },
    h('h2', { id: 'order-title' }, 'Order as received (normalized)'),
  );
  if (!order) {
    section.append(h('p', { class: 'empty' }, 'The stored order is not available.'));
    return section;
  }
  const customer = asFields(order.customer);
  const name = [str(customer.firstName), str(customer.lastName)].filter(Boolean).join(' ');
  const statusUrl = str(order.statusUrl);
  const total = str(order.total);
  section.append(
    h(
      'div',
      { class: 'columns' },
      facts([
        ['Order id', text(order.orderId)],
        ['Order number', text(order.orderNumber)],
        ['Shop', text(order.shop)],
        ['Total', total ? `${total} ${str(order.currency) ?? ''}`.trim() : NONE],
        [
          'Status page',
          statusUrl && /^https?:\/\//i.test(statusUrl)
            ? h('a', { href: statusUrl, rel: 'noopener noreferrer', target: '_blank' }, statusUrl)
            : text(statusUrl),
        ],
      ]),
      h(
        'div',
        {},
        h('h3', {}, 'Customer'),
        facts([
          ['Customer id', text(customer.id)],
          ['Name', text(name)],
          ['Email', text(customer.email)],
          ['Phone', text(customer.phone)],
        ]),
      ),
    ),
  );
  const attributes = Object.entries(asFields(order.attributes));
  section.append(
    h('h3', {}, 'Attributes'),
    attributes.length === 0
      ? h('p', { class: 'empty' }, 'None (a chat id here would name the recipient).')
      : facts(attributes.map(([key, value]): [string, Node] => [key, h('code', {}, text(value))])),
    h('details', {}, h('summary', {}, 'Every field (JSON)'), h('pre', { class: 'json', tabindex: 0 }, JSON.stringify(order, null, 2))),
  );
  return section;
}
