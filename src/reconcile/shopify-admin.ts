// Shopify's GraphQL Admin API, as much as a shop connection needs: orders updated in a window
// (sorted by update time, paged by cursor), the app's webhook subscriptions, and creating one.
// Throttling (a THROTTLED error, with the bucket's state in extensions.cost) is a ShopCallError
// whose wait is the time the bucket needs to refill for the query.
import { ShopApi, ShopCallError } from './shop-call.ts';

/** Orders per page: about 500 of the bucket's points with the fields below (Shopify's single query limit is 1000). */
export const SHOPIFY_PAGE = 50;

const ORDER_FIELDS = `id legacyResourceId name createdAt updatedAt cancelledAt cancelReason email phone customerLocale currencyCode statusPageUrl
  totalPriceSet { shopMoney { amount currencyCode } }
  customAttributes { key value }
  customer { id legacyResourceId firstName lastName email phone }
  fulfillments { id legacyResourceId status createdAt updatedAt trackingInfo { company number url } }
  refunds { id legacyResourceId createdAt totalRefundedSet { shopMoney { amount currencyCode } } }`;

const ORDERS = `query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    nodes { ${ORDER_FIELDS} }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface Money {
  shopMoney: { amount: string; currencyCode: string };
}
export interface GraphqlOrder {
  id: string;
  legacyResourceId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  cancelledAt: string | null;
  cancelReason: string | null;
  email: string | null;
  phone: string | null;
  customerLocale: string | null;
  currencyCode: string;
  statusPageUrl: string | null;
  totalPriceSet: Money;
  customAttributes: { key: string; value: string | null }[];
  customer: {
    id: string;
    legacyResourceId: string;
    firstName: string | null;
    lastName: string | null;
    email: string | null;
    phone: string | null;
  } | null;
  fulfillments: {
    id: string;
    legacyResourceId: string;
    /** SUCCESS, or PENDING, OPEN, CANCELLED, ERROR, FAILURE. */
    status?: string | null;
    createdAt: string;
    updatedAt?: string | null;
    trackingInfo: { company: string | null; number: string | null; url: string | null }[];
  }[];
  refunds: { id: string; legacyResourceId: string; createdAt: string | null; totalRefundedSet: Money }[];
}

export interface ShopifySubscription {
  id: string;
  topic: string;
  address: string;
}

interface GraphqlReply<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
  extensions?: { cost?: { requestedQueryCost?: number; throttleStatus?: { currentlyAvailable: number; restoreRate: number } } };
}

/** GraphQL error codes that refuse the app rather than fail (shopify.dev, API response codes). */
const REFUSALS = new Set(['ACCESS_DENIED', 'SHOP_INACTIVE']);

/** Pages of 100 subscriptions: far more than an app ever has. */
const MAX_SUBSCRIPTION_PAGES = 20;

/** The first API version whose subscriptions have `uri` (before it: `callbackUrl`). */
const URI_SINCE = '2025-10';

export class ShopifyAdmin {
  private readonly api: ShopApi;
  private readonly addressField: 'uri' | 'callbackUrl';

  constructor(options: { adminUrl: string; apiVersion: string; token: string; timeoutMs?: number }) {
    this.api = new ShopApi(
      'Shopify',
      `${options.adminUrl.replace(/\/+$/, '')}/admin/api/${options.apiVersion}`,
      {
        'x-shopify-access-token': options.token,
      },
      { ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) },
    );
    this.addressField = options.apiVersion >= URI_SINCE ? 'uri' : 'callbackUrl';
  }

  async orders(query: string, after: string | undefined) {
    const data = await this.graphql<{ orders: { nodes: GraphqlOrder[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(
      ORDERS,
      { first: SHOPIFY_PAGE, after: after ?? null, query },
    );
    return data.orders;
  }

  /** Every subscription of the app (any address). */
  async subscriptions(): Promise<ShopifySubscription[]> {
    const found: ShopifySubscription[] = [];
    let after: string | null = null;
    for (let pages = 1; ; pages++) {
      const data: {
        webhookSubscriptions: { nodes: Record<string, string>[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      } = await this.graphql(
        `query Subs($after: String) { webhookSubscriptions(first: 100, after: $after) { nodes { id topic ${this.addressField} } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      const page = data.webhookSubscriptions;
      for (const node of page.nodes)
        found.push({ id: String(node.id), topic: String(node.topic), address: String(node[this.addressField]) });
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return found;
      // A cursor given again, or more pages than an app has subscriptions: the listing would never end.
      if (page.pageInfo.endCursor === after || page.nodes.length === 0 || pages >= MAX_SUBSCRIPTION_PAGES)
        throw new ShopCallError(
          'unreachable',
          'Shopify listed webhook subscriptions without end (the same cursor again, or an empty page)',
        );
      after = page.pageInfo.endCursor;
    }
  }

  /** A JSON subscription of `topic` to `address`; the user error Shopify gave, if any. */
  async createSubscription(topic: string, address: string): Promise<{ id?: string; error?: string }> {
    const data = await this.graphql<{
      webhookSubscriptionCreate: { webhookSubscription: { id: string } | null; userErrors: { message: string }[] } | null;
    }>(
      `mutation Create($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
        webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { webhookSubscription { id } userErrors { field message } }
      }`,
      { topic, sub: { [this.addressField]: address, format: 'JSON' } },
    );
    const made = data.webhookSubscriptionCreate;
    const error = this.api.redact(made?.userErrors?.map((e) => e.message).join('; ') ?? '');
    return made?.webhookSubscription ? { id: made.webhookSubscription.id } : { error: error || 'not created' };
  }

  close(): Promise<void> {
    return this.api.close();
  }

  private async graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const { body } = await this.api.call('POST', 'graphql.json', { query, variables });
    const reply = (body ?? {}) as GraphqlReply<T>;
    const errors = reply.errors ?? [];
    if (Array.isArray(errors) && errors.some((e) => e?.extensions?.code === 'THROTTLED')) {
      const cost = reply.extensions?.cost;
      const status = cost?.throttleStatus;
      const missing = Math.max(0, (cost?.requestedQueryCost ?? 0) - (status?.currentlyAvailable ?? 0));
      const waitMs = status && status.restoreRate > 0 ? Math.ceil((missing / status.restoreRate) * 1000) + 100 : undefined;
      throw new ShopCallError('throttled', 'Shopify throttled the query (THROTTLED)', waitMs);
    }
    // The token lacks a scope (read_orders), or the shop is closed or frozen: the operator's to mend,
    // as a refused token is; trying again changes nothing.
    const refusal = Array.isArray(errors) ? errors.find((e) => REFUSALS.has(String(e?.extensions?.code))) : undefined;
    if (refusal) {
      const code = String(refusal.extensions?.code);
      throw new ShopCallError(
        'unauthorized',
        `Shopify refused the query (${code}): ${this.api.redact(String(refusal.message)).slice(0, 300)}`,
      );
    }
    if (errors.length > 0 || !reply.data) {
      const message = (Array.isArray(errors) ? errors.map((e) => e?.message).join('; ') : String(errors)) || 'no data';
      throw new ShopCallError('unreachable', `Shopify answered with errors: ${this.api.redact(message).slice(0, 300)}`);
    }
    return reply.data;
  }
}
