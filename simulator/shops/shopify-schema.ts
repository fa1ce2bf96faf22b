// The subset of Shopify's GraphQL Admin API schema the service reads and writes, in SDL, with
// Shopify's own type, field and argument names so that a query valid here is valid there.
// WebhookSubscription's `uri` (and the input's) exists from 2025-10 on; before it the address is
// `callbackUrl` (and `endpoint`), which is what an older API version lets a client ask for. Shopify
// keeps those two, deprecated, beside `uri` in newer versions; the stand-in leaves them out there,
// so a client still on the deprecated fields is caught by its tests rather than by a later version.
import { buildSchema, type GraphQLSchema } from 'graphql';

/** The first API version whose webhook subscriptions have `uri`. */
export const URI_SINCE = '2025-10';
export const hasUri = (version: string) => version >= URI_SINCE;

export const WEBHOOK_TOPICS = [
  'APP_UNINSTALLED',
  'FULFILLMENTS_CREATE',
  'FULFILLMENTS_UPDATE',
  'FULFILLMENT_EVENTS_CREATE',
  'ORDERS_CANCELLED',
  'ORDERS_CREATE',
  'ORDERS_FULFILLED',
  'ORDERS_PAID',
  'ORDERS_UPDATED',
  'REFUNDS_CREATE',
] as const;

// A short list of ISO 4217 codes: Shopify's CurrencyCode enum is the full list.
export const CURRENCY_CODES = [
  'AUD',
  'CAD',
  'CNY',
  'EUR',
  'GBP',
  'HKD',
  'IDR',
  'JPY',
  'KRW',
  'MYR',
  'PHP',
  'SGD',
  'THB',
  'TWD',
  'USD',
  'VND',
];

function sdl(withUri: boolean): string {
  const address = withUri ? 'uri: String!' : 'callbackUrl: URL!\n  endpoint: WebhookSubscriptionEndpoint!';
  const inputAddress = withUri ? 'uri: String' : 'callbackUrl: URL';
  return `
scalar DateTime
scalar Decimal
scalar URL
scalar UnsignedInt64

enum CurrencyCode { ${CURRENCY_CODES.join(' ')} }
enum OrderCancelReason { CUSTOMER DECLINED FRAUD INVENTORY OTHER STAFF }
enum OrderDisplayFinancialStatus { AUTHORIZED EXPIRED PAID PARTIALLY_PAID PARTIALLY_REFUNDED PENDING REFUNDED VOIDED }
enum FulfillmentStatus { CANCELLED ERROR FAILURE SUCCESS }
enum OrderSortKeys { CREATED_AT CUSTOMER_NAME ID ORDER_NUMBER PROCESSED_AT RELEVANCE TOTAL_PRICE UPDATED_AT }
enum WebhookSubscriptionTopic { ${WEBHOOK_TOPICS.join(' ')} }
enum WebhookSubscriptionFormat { JSON XML }

interface Node { id: ID! }

type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type MoneyV2 { amount: Decimal! currencyCode: CurrencyCode! }
type MoneyBag { shopMoney: MoneyV2! presentmentMoney: MoneyV2! }
type Attribute { key: String! value: String }

type Customer implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  firstName: String
  lastName: String
  displayName: String!
  email: String
  phone: String
}

type FulfillmentTrackingInfo { company: String number: String url: URL }

type Fulfillment implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  status: FulfillmentStatus!
  createdAt: DateTime!
  updatedAt: DateTime!
  trackingInfo(first: Int): [FulfillmentTrackingInfo!]!
}

type Refund implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  createdAt: DateTime
  note: String
  totalRefundedSet: MoneyBag!
}

type Order implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  createdAt: DateTime!
  updatedAt: DateTime!
  processedAt: DateTime!
  cancelledAt: DateTime
  cancelReason: OrderCancelReason
  closed: Boolean!
  email: String
  phone: String
  customerLocale: String
  currencyCode: CurrencyCode!
  displayFinancialStatus: OrderDisplayFinancialStatus
  statusPageUrl: URL!
  totalPriceSet: MoneyBag!
  customAttributes: [Attribute!]!
  customer: Customer
  fulfillments(first: Int): [Fulfillment!]!
  refunds(first: Int): [Refund!]!
}

type OrderEdge { cursor: String! node: Order! }
type OrderConnection { edges: [OrderEdge!]! nodes: [Order!]! pageInfo: PageInfo! }

type WebhookHttpEndpoint { callbackUrl: URL! }
union WebhookSubscriptionEndpoint = WebhookHttpEndpoint

type ApiVersion { handle: String! displayName: String! supported: Boolean! }

type WebhookSubscription implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  topic: WebhookSubscriptionTopic!
  format: WebhookSubscriptionFormat!
  ${address}
  filter: String
  includeFields: [String!]!
  apiVersion: ApiVersion!
  createdAt: DateTime!
  updatedAt: DateTime!
}
type WebhookSubscriptionEdge { cursor: String! node: WebhookSubscription! }
type WebhookSubscriptionConnection { edges: [WebhookSubscriptionEdge!]! nodes: [WebhookSubscription!]! pageInfo: PageInfo! }

input WebhookSubscriptionInput {
  ${inputAddress}
  format: WebhookSubscriptionFormat
}

type UserError { field: [String!] message: String! }
type WebhookSubscriptionCreatePayload { webhookSubscription: WebhookSubscription userErrors: [UserError!]! }
type WebhookSubscriptionDeletePayload { deletedWebhookSubscriptionId: ID userErrors: [UserError!]! }

type QueryRoot {
  order(id: ID!): Order
  orders(first: Int, after: String, last: Int, before: String, sortKey: OrderSortKeys = ID, reverse: Boolean = false, query: String): OrderConnection!
  webhookSubscriptions(first: Int, after: String, last: Int, before: String, topics: [WebhookSubscriptionTopic!]): WebhookSubscriptionConnection!
}

type Mutation {
  webhookSubscriptionCreate(topic: WebhookSubscriptionTopic!, webhookSubscription: WebhookSubscriptionInput!): WebhookSubscriptionCreatePayload
  webhookSubscriptionDelete(id: ID!): WebhookSubscriptionDeletePayload
}

schema { query: QueryRoot mutation: Mutation }
`;
}

const schemas = new Map<boolean, GraphQLSchema>();

/** The schema an API version answers with (built once per shape). */
export function schemaFor(version: string): GraphQLSchema {
  const withUri = hasUri(version);
  let schema = schemas.get(withUri);
  if (!schema) {
    schema = buildSchema(sdl(withUri));
    schemas.set(withUri, schema);
  }
  return schema;
}
