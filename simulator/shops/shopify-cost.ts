// Shopify's calculated query cost and its leaky bucket
// (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits): a scalar or enum costs 0,
// an object 1, a connection 2 plus `first` times one node's cost, a mutation 10. The bucket must
// hold the requested cost before a query runs; the difference to the actual cost (the nodes that
// came back) is given back afterwards. It refills at `restoreRate` points a second by the shop's clock.
import {
  type FieldNode,
  getNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  isCompositeType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';

export const MUTATION_COST = 10;

export interface BucketOptions {
  /** Points the bucket holds (Shopify's `maximumAvailable`); default 2000. */
  maximumAvailable?: number;
  /** Points restored a second; default 100 (the Standard plan). */
  restoreRate?: number;
}

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export class CostBucket {
  readonly maximumAvailable: number;
  restoreRate: number;
  private available: number;
  private at: number;
  private readonly now: () => number;

  constructor(options: BucketOptions, now: () => number) {
    this.now = now;
    this.maximumAvailable = options.maximumAvailable ?? 2000;
    this.restoreRate = options.restoreRate ?? 100;
    this.available = this.maximumAvailable;
    this.at = now();
  }

  /** Points available now, after the refill since the last look. */
  level(): number {
    const now = this.now();
    this.available = Math.min(this.maximumAvailable, this.available + (Math.max(0, now - this.at) / 1000) * this.restoreRate);
    this.at = now;
    return this.available;
  }

  /** Takes `cost` if the bucket holds it. */
  take(cost: number): boolean {
    if (this.level() < cost) return false;
    this.available -= cost;
    return true;
  }

  giveBack(points: number): void {
    this.available = Math.min(this.maximumAvailable, this.level() + Math.max(0, points));
  }

  /** Refills at `rate` points a second from now on (the shop's plan changed, or a test has waited enough). */
  setRestoreRate(rate: number): void {
    this.level();
    this.restoreRate = rate;
  }

  /** Empties the bucket (a test's way to throttle the next call). */
  drain(): void {
    this.level();
    this.available = 0;
  }

  status(): ThrottleStatus {
    return { maximumAvailable: this.maximumAvailable, currentlyAvailable: Math.floor(this.level()), restoreRate: this.restoreRate };
  }
}

type Data = Record<string, unknown> | null | undefined;

/**
 * The cost of an operation: requested (by `first`) without `data`, actual (by the nodes returned)
 * with it. Only root connections are counted by what came back; deeper ones cost as requested.
 */
export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  data?: Data,
): number {
  if (operation.operation === 'mutation') return MUTATION_COST;
  const root = schema.getQueryType();
  if (!root) return 0;
  return selectionCost(operation.selectionSet, root, variables, data ?? undefined);
}

function selectionCost(set: SelectionSetNode, type: GraphQLObjectType, variables: Record<string, unknown>, data?: Data): number {
  let total = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) total += fieldCost(selection, type, variables, data);
    else if (selection.kind === Kind.INLINE_FRAGMENT) total += selectionCost(selection.selectionSet, type, variables, data);
    // Named fragments are not followed: the service's queries do not use them, and a fragment costs what its fields cost.
  }
  return total;
}

function fieldCost(field: FieldNode, parent: GraphQLObjectType, variables: Record<string, unknown>, data?: Data): number {
  const definition = parent.getFields()[field.name.value];
  if (!definition || !field.selectionSet) return 0;
  const named = getNamedType(definition.type);
  if (!isCompositeType(named)) return 0;
  if (!isObjectType(named)) return 1;
  if (named.name.endsWith('Connection')) {
    const firstArg = field.arguments?.find((a) => a.name.value === 'first');
    const requested = firstArg ? Number(valueFromASTUntyped(firstArg.value, variables) ?? 0) : 0;
    const value = data?.[field.alias?.value ?? field.name.value] as { edges?: unknown[]; nodes?: unknown[] } | undefined;
    const count = data ? Math.max(value?.edges?.length ?? 0, value?.nodes?.length ?? 0) : requested;
    return 2 + count * nodeCost(field.selectionSet, named, variables);
  }
  return 1 + selectionCost(field.selectionSet, named, variables);
}

/** What one node of a connection costs: its object and what is selected in it (via `edges { node }` or `nodes`). */
function nodeCost(set: SelectionSetNode, connection: GraphQLObjectType, variables: Record<string, unknown>): number {
  let most = 0;
  for (const selection of set.selections) {
    if (selection.kind !== Kind.FIELD || !selection.selectionSet) continue;
    const name = selection.name.value;
    if (name === 'nodes') {
      const nodeType = getNamedType(connection.getFields().nodes?.type) as GraphQLObjectType;
      most = Math.max(most, 1 + selectionCost(selection.selectionSet, nodeType, variables));
    } else if (name === 'edges') {
      const edgeType = getNamedType(connection.getFields().edges?.type) as GraphQLObjectType;
      const node = selection.selectionSet.selections.find((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === 'node');
      const nodeType = getNamedType(edgeType.getFields().node?.type) as GraphQLObjectType;
      most = Math.max(most, node?.selectionSet ? 1 + selectionCost(node.selectionSet, nodeType, variables) : 1);
    }
  }
  return most;
}
