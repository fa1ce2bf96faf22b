// Calls to the Shopify stand-in as the service makes them: a GraphQL POST with the app's token.
import type { ShopifyShop } from '../../simulator/shops/shopify.ts';

export interface GraphqlReply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: T;
    errors?: { message: string; extensions?: Record<string, unknown> }[] | string;
    extensions?: {
      cost: {
        requestedQueryCost: number;
        actualQueryCost: number | null;
        throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
      };
    };
  };
}

export async function graphql<T = Record<string, unknown>>(
  shop: ShopifyShop,
  query: string,
  variables: Record<string, unknown> = {},
  options: { version?: string; token?: string | null } = {},
): Promise<GraphqlReply<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = options.token === undefined ? shop.accessToken : options.token;
  if (token !== null) headers['x-shopify-access-token'] = token;
  const response = await fetch(shop.graphqlUrl(options.version), { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphqlReply<T>['body'] };
}

/** The orders query the service's poll makes (issue 23's field list). */
export const ORDERS_QUERY = `query Orders($first: Int!, $after: String, $query: String, $sortKey: OrderSortKeys, $reverse: Boolean) {
  orders(first: $first, after: $after, sortKey: $sortKey, reverse: $reverse, query: $query) {
    edges { cursor node {
      id legacyResourceId name createdAt updatedAt cancelledAt cancelReason email phone customerLocale currencyCode statusPageUrl
      totalPriceSet { shopMoney { amount currencyCode } }
      customAttributes { key value }
      customer { id legacyResourceId firstName lastName email phone }
      fulfillments { id legacyResourceId createdAt trackingInfo { company number url } }
      refunds { id legacyResourceId createdAt totalRefundedSet { shopMoney { amount currencyCode } } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export interface OrderNode {
  id: string;
  legacyResourceId: string;
  name: string;
  updatedAt: string;
  cancelledAt: string | null;
  cancelReason: string | null;
  customAttributes: { key: string; value: string }[];
  customer: { id: string; firstName: string; email: string } | null;
  totalPriceSet: { shopMoney: { amount: string; currencyCode: string } };
  fulfillments: { id: string; createdAt: string; trackingInfo: { company: string; number: string; url: string }[] }[];
  refunds: { id: string; totalRefundedSet: { shopMoney: { amount: string } } }[];
}

export type OrdersPage = {
  orders: { edges: { cursor: string; node: OrderNode }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
};
