// One GraphQL call to the stand-in's Admin API, as Shopify answers it: validation errors as
// GraphQL errors (HTTP 200), the query's cost checked against the bucket before it runs (a
// `Throttled` error when the bucket lacks it), and `extensions.cost` on every answer.
import { execute, getOperationAST, GraphQLError, parse, validate, type DocumentNode } from 'graphql';
import { type CostBucket, operationCost } from './shopify-cost.ts';
import { gid, graphqlOrder, type ShopifyOrderRecord } from './shopify-orders.ts';
import { connection, dateFilters, type PageArgs } from './shopify-paging.ts';
import { hasUri, schemaFor } from './shopify-schema.ts';
import type { ShopifySubscription, ShopifyWebhooks } from './shopify-webhooks.ts';
import { isoSeconds } from './http.ts';

export const THROTTLE_DOCS = 'https://shopify.dev/api/usage/rate-limits';

export interface ShopifyBackend {
  shop: string;
  orders: ShopifyOrderRecord[];
  webhooks: ShopifyWebhooks;
  bucket: CostBucket;
  /** The shop's time, whole seconds. */
  stamp(): number;
}

export interface GraphqlAnswer {
  status: number;
  body: Record<string, unknown>;
  outcome: 'ok' | 'throttled' | 'invalid';
  query?: string;
  requestedQueryCost?: number;
  actualQueryCost?: number | null;
}

const SORT_KEYS: Record<string, (o: ShopifyOrderRecord) => number> = {
  UPDATED_AT: (o) => o.updatedAt,
  CREATED_AT: (o) => o.createdAt,
  PROCESSED_AT: (o) => o.createdAt,
};

function rootValue(backend: ShopifyBackend, version: string) {
  const withUri = hasUri(version);
  const subscriptionNode = (s: ShopifySubscription) => ({
    id: gid('WebhookSubscription', s.legacyId),
    legacyResourceId: String(s.legacyId),
    topic: s.topic,
    format: s.format,
    ...(withUri ? { uri: s.address } : { callbackUrl: s.address, endpoint: { __typename: 'WebhookHttpEndpoint', callbackUrl: s.address } }),
    filter: null,
    includeFields: [],
    apiVersion: { handle: s.apiVersion, displayName: s.apiVersion, supported: true },
    createdAt: isoSeconds(s.createdAt),
    updatedAt: isoSeconds(s.createdAt),
  });
  const asNodes = <T, U>(page: ReturnType<typeof connection<T>>, map: (item: T) => U) => ({
    ...page,
    edges: page.edges.map((edge) => ({ cursor: edge.cursor, node: map(edge.node) })),
    nodes: page.nodes.map(map),
  });
  return {
    order: ({ id }: { id: string }) => {
      const order = backend.orders.find((o) => gid('Order', o.legacyId) === id);
      return order ? graphqlOrder(order, backend.shop) : null;
    },
    orders: (args: PageArgs & { sortKey: string; reverse: boolean; query?: string | null }) => {
      const filters = dateFilters(args.query);
      const value = { updated_at: (o: ShopifyOrderRecord) => o.updatedAt, created_at: (o: ShopifyOrderRecord) => o.createdAt };
      const matching = backend.orders.filter((order) =>
        [...filters].every(([field, tests]) =>
          tests.every((test) => test((value[field as keyof typeof value] ?? value.created_at)(order))),
        ),
      );
      const key = SORT_KEYS[args.sortKey] ?? ((o: ShopifyOrderRecord) => o.legacyId);
      const page = connection(matching, args, key, (o) => o.legacyId, args.reverse);
      return asNodes(page, (order) => graphqlOrder(order, backend.shop));
    },
    webhookSubscriptions: (args: PageArgs & { topics?: string[] | null }) => {
      const chosen = backend.webhooks.subscriptions.filter((s) => !args.topics || args.topics.includes(s.topic));
      return asNodes(
        connection(
          chosen,
          args,
          (s) => s.legacyId,
          (s) => s.legacyId,
        ),
        subscriptionNode,
      );
    },
    webhookSubscriptionCreate: (args: {
      topic: string;
      webhookSubscription: { uri?: string; callbackUrl?: string; format?: 'JSON' | 'XML' };
    }) => {
      const input = args.webhookSubscription;
      const field = withUri ? 'uri' : 'callbackUrl';
      const made = backend.webhooks.create(args.topic, input[field], input.format ?? 'JSON', version, backend.stamp(), field);
      return { webhookSubscription: made.subscription ? subscriptionNode(made.subscription) : null, userErrors: made.userErrors };
    },
    webhookSubscriptionDelete: ({ id }: { id: string }) => backend.webhooks.delete(id),
  };
}

const MAX_QUERY_COST = 1000;

/** Answers one POST to /admin/api/{version}/graphql.json. */
export function answerGraphql(backend: ShopifyBackend, version: string, raw: string): GraphqlAnswer {
  let request: { query?: unknown; variables?: unknown; operationName?: unknown };
  try {
    request = JSON.parse(raw) as typeof request;
  } catch {
    return { status: 400, body: { errors: { query: 'Required parameter missing or invalid' } }, outcome: 'invalid' };
  }
  if (typeof request?.query !== 'string' || !request.query.trim())
    return { status: 400, body: { errors: { query: 'Required parameter missing or invalid' } }, outcome: 'invalid' };
  const query = request.query;
  const variables = (request.variables ?? {}) as Record<string, unknown>;
  const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
  const schema = schemaFor(version);
  const invalid = (errors: readonly GraphQLError[]): GraphqlAnswer => ({
    status: 200,
    body: { errors: errors.map((e) => e.toJSON()) },
    outcome: 'invalid',
    query,
  });
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (e) {
    return invalid([e as GraphQLError]);
  }
  const errors = validate(schema, document);
  if (errors.length > 0) return invalid(errors);
  const operation = getOperationAST(document, operationName);
  if (!operation) return invalid([new GraphQLError('An operation name is required when the document has more than one operation.')]);

  const { bucket } = backend;
  const requested = operationCost(schema, operation, variables);
  const cost = (actual: number | null) => ({
    cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: bucket.status() },
  });
  // One query may cost 1,000 points at most, however large the bucket (shopify.dev, GraphQL Admin API rate limits).
  const maxCost = Math.min(MAX_QUERY_COST, bucket.maximumAvailable);
  if (requested > maxCost) {
    const message = `Query cost is ${requested}, which exceeds the single query max cost limit (${maxCost}).`;
    const error = { message, extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost } };
    return {
      status: 200,
      body: { errors: [error], extensions: cost(null) },
      outcome: 'invalid',
      query,
      requestedQueryCost: requested,
      actualQueryCost: null,
    };
  }
  if (!bucket.take(requested)) {
    const error = { message: 'Throttled', extensions: { code: 'THROTTLED', documentation: THROTTLE_DOCS } };
    return {
      status: 200,
      body: { errors: [error], extensions: cost(null) },
      outcome: 'throttled',
      query,
      requestedQueryCost: requested,
      actualQueryCost: null,
    };
  }
  const result = execute({ schema, document, rootValue: rootValue(backend, version), variableValues: variables, operationName });
  if (result instanceof Promise) throw new Error('the stand-in resolves synchronously');
  const actual = operationCost(schema, operation, variables, result.data as Record<string, unknown> | null);
  bucket.giveBack(requested - actual);
  const body: Record<string, unknown> = { data: result.data ?? null, extensions: cost(actual) };
  if (result.errors) body.errors = result.errors.map((e) => e.toJSON());
  return { status: 200, body, outcome: 'ok', query, requestedQueryCost: requested, actualQueryCost: actual };
}
