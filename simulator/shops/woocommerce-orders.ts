// The stand-in site's orders as WooCommerce's REST API v3 shows them (the body of GET orders and
// of its order.* webhooks), and `GET orders`' filters, sort and pages. The site's timezone is UTC,
// so each date and its `_gmt` twin agree; WooCommerce writes both without a zone ("2026-12-01T09:00:00").
import { randomBytes } from 'node:crypto';

export interface WooAddress {
  first_name: string;
  last_name: string;
  company: string;
  address_1: string;
  address_2: string;
  city: string;
  state: string;
  postcode: string;
  country: string;
  email?: string;
  phone: string;
}

export interface WooOrderInput {
  /** Default `processing` (a paid order). */
  status?: string;
  currency?: string;
  /** Defaults to the sum of the line items. */
  total?: string;
  customerId?: number;
  billing?: Partial<WooAddress>;
  /** Order meta, e.g. `{ line_uid: 'U…' }`. */
  meta?: Record<string, unknown>;
  lineItems?: { name: string; quantity: number; price: number; sku?: string }[];
}

export interface WooOrderRecord {
  id: number;
  orderKey: string;
  status: string;
  currency: string;
  total: string;
  customerId: number;
  billing: WooAddress;
  meta: { id: number; key: string; value: unknown }[];
  lineItems: { id: number; name: string; quantity: number; price: number; sku: string }[];
  refunds: { id: number; reason: string; amount: string }[];
  /** Whole seconds, as MySQL's DATETIME holds them. */
  createdAt: number;
  modifiedAt: number;
  /** When it was paid: set as it first becomes processing or completed, and kept after (a cancel, a refund). */
  paidAt: number | null;
  /** When it last became completed: set on each move to completed, kept after (an edit, a refund). */
  completedAt: number | null;
}

/** The statuses that set `date_paid` when an order first reaches one, as WooCommerce does. */
export const PAID_STATUSES = ['processing', 'completed'];

/** A WooCommerce date: to the second, no zone. */
export const wooDate = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);

const EMPTY_ADDRESS: WooAddress = {
  first_name: '',
  last_name: '',
  company: '',
  address_1: '',
  address_2: '',
  city: '',
  state: '',
  postcode: '',
  country: 'TW',
  phone: '',
};

export function buildWooOrder(input: WooOrderInput, at: number, next: () => number): WooOrderRecord {
  const id = next();
  const items = input.lineItems ?? [{ name: 'Green tea', quantity: 1, price: 880, sku: 'TEA-2' }];
  const lineItems = items.map((item) => ({ id: next(), sku: '', ...item }));
  return {
    id,
    orderKey: `wc_order_${randomBytes(7).toString('base64url')}`,
    status: input.status ?? 'processing',
    currency: input.currency ?? 'TWD',
    total: input.total ?? lineItems.reduce((sum, i) => sum + i.price * i.quantity, 0).toFixed(2),
    customerId: input.customerId ?? 0,
    billing: {
      ...EMPTY_ADDRESS,
      first_name: 'Ken',
      last_name: 'Wu',
      email: 'ken@example.com',
      phone: '+886 912-345-678',
      ...input.billing,
    },
    meta: Object.entries(input.meta ?? {}).map(([key, value]) => ({ id: next(), key, value })),
    lineItems,
    refunds: [],
    createdAt: at,
    modifiedAt: at,
    paidAt: PAID_STATUSES.includes(input.status ?? 'processing') ? at : null,
    completedAt: input.status === 'completed' ? at : null,
  };
}

/** The v3 order resource. */
export function wooOrderJson(order: WooOrderRecord, site: string) {
  const created = wooDate(order.createdAt);
  const modified = wooDate(order.modifiedAt);
  const paid = order.paidAt === null ? null : wooDate(order.paidAt);
  const completed = order.completedAt === null ? null : wooDate(order.completedAt);
  const { email: _email, ...shipping } = order.billing;
  return {
    id: order.id,
    parent_id: 0,
    status: order.status,
    currency: order.currency,
    version: '9.4.0',
    prices_include_tax: false,
    date_created: created,
    date_modified: modified,
    discount_total: '0.00',
    shipping_total: '0.00',
    total: order.total,
    total_tax: '0.00',
    customer_id: order.customerId,
    order_key: order.orderKey,
    billing: order.billing,
    shipping,
    payment_method: 'bacs',
    payment_method_title: 'Direct bank transfer',
    created_via: 'checkout',
    customer_note: '',
    date_completed: completed,
    date_paid: paid,
    number: String(order.id),
    meta_data: order.meta,
    line_items: order.lineItems.map((item) => ({
      id: item.id,
      name: item.name,
      quantity: item.quantity,
      subtotal: (item.price * item.quantity).toFixed(2),
      total: (item.price * item.quantity).toFixed(2),
      sku: item.sku,
      price: item.price,
      meta_data: [],
    })),
    refunds: order.refunds.map((r) => ({ id: r.id, reason: r.reason, total: `-${r.amount}` })),
    payment_url: `${site}/checkout/order-pay/${order.id}/?pay_for_order=true&key=${order.orderKey}`,
    date_created_gmt: created,
    date_modified_gmt: modified,
    date_completed_gmt: completed,
    date_paid_gmt: paid,
    currency_symbol: order.currency === 'TWD' ? 'NT$' : order.currency,
    _links: {
      self: [{ href: `${site}/wp-json/wc/v3/orders/${order.id}` }],
      collection: [{ href: `${site}/wp-json/wc/v3/orders` }],
      ...(order.customerId > 0 && { customer: [{ href: `${site}/wp-json/wc/v3/customers/${order.customerId}` }] }),
    },
  };
}

/** Why a parameter is refused, WooCommerce's way (400 rest_invalid_param). */
export class InvalidParam extends Error {
  readonly param: string;
  constructor(param: string, message: string) {
    super(message);
    this.param = param;
  }
}

/** A date parameter: ISO 8601; one without a zone is the site's time, UTC here. */
function dateParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const at = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? raw : `${raw}Z`);
  if (Number.isNaN(at)) throw new InvalidParam(name, `Invalid date.`);
  return at;
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new InvalidParam(name, `${name} must be between ${min} (inclusive) and ${max} (inclusive)`);
  return value;
}

const ORDER_BY: Record<string, (o: WooOrderRecord) => number> = {
  date: (o) => o.createdAt,
  modified: (o) => o.modifiedAt,
  id: (o) => o.id,
  include: (o) => o.id,
};

/** GET orders: filters (`modified_after` and `after` strictly after, `…_before` strictly before, `status`, `exclude` ids), sort, one page (or from `offset`, which overrides `page`, as WP_Query's does). */
export function listOrders(orders: WooOrderRecord[], params: URLSearchParams) {
  const perPage = intParam(params, 'per_page', 10, 1, 100);
  const page = intParam(params, 'page', 1, 1, Number.MAX_SAFE_INTEGER);
  const start = params.has('offset') ? intParam(params, 'offset', 0, 0, Number.MAX_SAFE_INTEGER) : (page - 1) * perPage;
  const orderby = params.get('orderby') ?? 'date';
  const key = ORDER_BY[orderby];
  if (!key) throw new InvalidParam('orderby', `orderby is not one of ${Object.keys(ORDER_BY).join(', ')}.`);
  const direction = params.get('order') ?? 'desc';
  if (direction !== 'asc' && direction !== 'desc') throw new InvalidParam('order', 'order is not one of asc, desc.');
  const bounds = {
    modifiedAfter: dateParam(params, 'modified_after'),
    modifiedBefore: dateParam(params, 'modified_before'),
    after: dateParam(params, 'after'),
    before: dateParam(params, 'before'),
  };
  const statuses = (params.get('status') ?? 'any').split(',');
  const excluded = new Set((params.get('exclude') ?? '').split(',').filter(Boolean).map(Number));
  const matching = orders.filter(
    (o) =>
      !excluded.has(o.id) &&
      (statuses.includes('any') || statuses.includes(o.status)) &&
      (bounds.modifiedAfter === undefined || o.modifiedAt > bounds.modifiedAfter) &&
      (bounds.modifiedBefore === undefined || o.modifiedAt < bounds.modifiedBefore) &&
      (bounds.after === undefined || o.createdAt > bounds.after) &&
      (bounds.before === undefined || o.createdAt < bounds.before),
  );
  const sign = direction === 'asc' ? 1 : -1;
  matching.sort((a, b) => sign * (key(a) - key(b) || a.id - b.id));
  return {
    page: matching.slice(start, start + perPage),
    total: matching.length,
    totalPages: Math.ceil(matching.length / perPage),
  };
}
