// Deliveries, newest first, with the admin API's filters and its cursor; redrive every dead one.
// Filters and cursor live in the hash (#/deliveries?status=dead&cursor=40): Back goes to the newer page.
import { ORDER_EVENTS } from '../domain/order.ts';
import { api, type Delivery, type DeliveryPage } from './api.ts';
import { NONE, badge, confirmDialog, h, notice, reason, text, time } from './dom.ts';
import type { Page } from './page.ts';

const STATUSES = ['pending', 'sent', 'dead', 'skipped'];
const SOURCES = ['shopify', 'woocommerce', 'orders', 'admin'];
/** Every order event, the delivery stages included: defined once, in the domain. */
const EVENTS: string[] = [...ORDER_EVENTS];
const FILTERS = ['status', 'source', 'event', 'order', 'customer'] as const;
const PAGE_SIZE = 25;

export const deliveriesPage: Page = ({ main, params }) => {
  const current = (name: string) => params.get(name) ?? '';
  const select = (name: string, label: string, options: string[]) =>
    h(
      'div',
      { class: 'field' },
      h('label', { for: `filter-${name}` }, label),
      h(
        'select',
        { id: `filter-${name}`, name },
        h('option', { value: '' }, 'any'),
        ...options.map((o) => h('option', { value: o, selected: o === current(name) }, o)),
      ),
    );
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Filter deliveries',
      novalidate: true,
      onsubmit: (event: Event) => applyFilters(event),
    },
    select('status', 'Status', STATUSES),
    select('source', 'Source', SOURCES),
    select('event', 'Event', EVENTS),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'filter-order' }, 'Order'),
      h('input', {
        id: 'filter-order',
        name: 'order',
        type: 'search',
        value: current('order'),
        maxlength: '200', // the admin API's bound for the filter
        autocomplete: 'off',
        spellcheck: 'false',
        'aria-describedby': 'filter-order-help',
      }),
      h('span', { id: 'filter-order-help', class: 'help' }, "The shop's order id or number, e.g. #1004"),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'filter-customer' }, 'Customer'),
      h('input', {
        id: 'filter-customer',
        name: 'customer',
        type: 'search',
        value: current('customer'),
        maxlength: '320',
        autocomplete: 'off',
        spellcheck: 'false',
        'aria-describedby': 'filter-customer-help',
      }),
      h('span', { id: 'filter-customer-help', class: 'help' }, "The shop's customer id or e-mail, exactly"),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary' }, 'Apply filters'),
      h('a', { class: 'button', href: '#/deliveries' }, 'Clear'),
    ),
  );
  const applyFilters = (event: Event) => {
    event.preventDefault();
    const data = new FormData(form);
    const query = new URLSearchParams();
    for (const name of FILTERS) {
      const value = String(data.get(name) ?? '').trim();
      if (value) query.set(name, value);
    }
    const hash = `#/deliveries${query.size > 0 ? `?${query}` : ''}`;
    // The same filters again fire no hashchange: read the list again here (the operator refreshing it).
    if (location.hash === hash) void load();
    else location.hash = hash;
  };

  const message = notice('status');
  const redrive = h('button', { type: 'button', class: 'button danger', onclick: () => void redriveDead() }, 'Redrive dead deliveries…');
  const results = h('div', { class: 'results', 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('div', { class: 'title-row' }, h('h1', { tabindex: -1 }, 'Deliveries'), redrive), form, message.element, results);

  const redriveDead = async () => {
    const source = current('source');
    const confirmed = await confirmDialog({
      title: 'Redrive dead deliveries?',
      body: `Every dead delivery${source ? ` from ${source}` : ''} is sent again, its attempts starting over. Customers MantaGO refused before may be refused again.`,
      confirm: 'Redrive all dead',
      danger: true,
    });
    if (!confirmed) return;
    redrive.disabled = true;
    try {
      const { redriven } = await api<{ redriven?: number }>(
        'POST',
        `/deliveries/redrive${source ? `?source=${encodeURIComponent(source)}` : ''}`,
      );
      message.show(`${redriven ?? 0} dead ${redriven === 1 ? 'delivery is' : 'deliveries are'} being sent again.`, 'ok');
      await load();
    } catch (error) {
      message.show(`Redrive failed: ${reason(error)}`, 'error');
    } finally {
      redrive.disabled = false;
    }
  };

  const load = async () => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const name of [...FILTERS, 'cursor']) if (current(name)) query.set(name, current(name));
    try {
      const page = await api<DeliveryPage>('GET', `/deliveries?${query}`);
      results.replaceChildren(...drawPage(page, params));
    } catch (error) {
      results.replaceChildren(h('p', { class: 'notice notice-alert', role: 'alert' }, `Could not load deliveries: ${reason(error)}`));
    } finally {
      results.setAttribute('aria-busy', 'false');
    }
  };
  void load();
};

function drawPage(page: DeliveryPage, params: URLSearchParams): Node[] {
  const deliveries = page.deliveries ?? [];
  const filtered = FILTERS.some((name) => params.get(name));
  if (deliveries.length === 0) return [h('p', { class: 'empty' }, filtered ? 'No deliveries match these filters.' : 'No deliveries yet.')];
  const columns = ['Delivery', 'Received', 'Source', 'Order', 'Status', 'Recipient', 'Rule', 'Attempts', 'Why'];
  const table = h(
    'table',
    { class: 'deliveries' },
    h('caption', { class: 'visually-hidden' }, 'Deliveries, newest first'),
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...deliveries.map(row)),
  );
  const older = new URLSearchParams(params);
  const newest = new URLSearchParams(params);
  newest.delete('cursor');
  if (page.nextCursor) older.set('cursor', String(page.nextCursor));
  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages of deliveries' },
    params.get('cursor') ? h('a', { class: 'button', href: `#/deliveries${newest.size > 0 ? `?${newest}` : ''}` }, '« Newest') : null,
    page.nextCursor
      ? h('a', { class: 'button', href: `#/deliveries?${older}`, rel: 'next' }, 'Older »')
      : h('span', { class: 'muted' }, 'No older deliveries.'),
  );
  return [table, pager];
}

function row(d: Delivery): HTMLTableRowElement {
  // One wrapper per cell: at phone width each cell is a label/value grid row.
  const cell = (label: string, ...content: (Node | string | null)[]) => h('td', { 'data-label': label }, h('div', {}, ...content));
  const why = d.status === 'skipped' || d.status === 'dead' || d.lastError ? d.lastError : (d.waitReason ?? null);
  return h(
    'tr',
    { 'data-delivery': d.id, 'data-status': text(d.status) },
    cell('Delivery', h('a', { href: `#/deliveries/${d.id}`, 'aria-label': `Delivery ${d.id}` }, `#${d.id}`)),
    cell('Received', time(d.receivedAt)),
    cell('Source', text(d.source), d.shop ? h('span', { class: 'muted block' }, d.shop) : null),
    cell(
      'Order',
      h('span', { 'data-field': 'orderId' }, text(d.orderNumber ?? d.orderId)),
      d.event ? h('span', { class: 'muted block' }, d.event) : null,
    ),
    cell('Status', badge(d.status), d.inFlight ? h('span', { class: 'muted block' }, 'sending now') : null),
    cell('Recipient', d.clientId ? h('span', {}, text(d.platform), h('code', { class: 'block' }, d.clientId)) : NONE),
    cell('Rule', text(d.rule)),
    cell('Attempts', text(d.attempts)),
    why ? cell('Why', h('span', { class: d.status === 'pending' ? 'muted' : 'why-text' }, why)) : h('td', { 'data-label': 'Why' }),
  );
}
