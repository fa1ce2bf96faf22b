// Shopify's connections: the search `query` on dates, the sort keys, and opaque cursors that
// name a position in the sort (its key and the id), not an index, so a page is still right when
// orders change between calls — an order updated meanwhile moves on, as on Shopify.
import { GraphQLError } from 'graphql';

/** Shopify's most per page. */
export const MAX_PAGE = 250;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

interface Position {
  k: number;
  i: number;
}

const encode = (p: Position) => Buffer.from(JSON.stringify(p)).toString('base64url');
function decode(cursor: string): Position {
  try {
    const p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Position;
    if (typeof p.k === 'number' && typeof p.i === 'number') return p;
  } catch {}
  throw new GraphQLError(`Invalid cursor for current pagination sort.`, { extensions: { code: 'BAD_REQUEST' } });
}

/** One page of `items`, sorted by `key` (then id), as a connection; only forward paging (`first`/`after`). */
export function connection<T>(items: T[], args: PageArgs, key: (item: T) => number, id: (item: T) => number, reverse = false) {
  if (args.last != null || args.before != null) throw new GraphQLError('The stand-in pages forward only: use first and after.');
  if (args.first == null) throw new GraphQLError('you must provide one of first or last', { extensions: { code: 'BAD_REQUEST' } });
  if (args.first < 0 || args.first > MAX_PAGE)
    throw new GraphQLError(`The first argument must be between 0 and ${MAX_PAGE}.`, { extensions: { code: 'BAD_REQUEST' } });
  const sign = reverse ? -1 : 1;
  const compare = (a: Position, b: Position) => sign * (a.k - b.k || a.i - b.i);
  const position = (item: T): Position => ({ k: key(item), i: id(item) });
  let sorted = [...items].sort((a, b) => compare(position(a), position(b)));
  if (args.after) {
    const after = decode(args.after);
    sorted = sorted.filter((item) => compare(position(item), after) > 0);
  }
  const page = sorted.slice(0, args.first);
  const edges = page.map((node) => ({ cursor: encode(position(node)), node }));
  return {
    edges,
    nodes: page,
    pageInfo: {
      hasNextPage: sorted.length > page.length,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

type Comparison = (value: number) => boolean;

/**
 * The date terms of Shopify's search syntax: `updated_at:>='2026-12-01T00:00:00Z'` (also `>`, `<`,
 * `<=`, or none for the same second), on `updated_at`, `created_at` and `processed_at`, joined by
 * spaces or AND. Terms it does not know are ignored, as Shopify ignores a filter it cannot apply.
 */
export function dateFilters(query: string | null | undefined): Map<string, Comparison[]> {
  const filters = new Map<string, Comparison[]>();
  const terms = query?.match(/(\w+):(>=|<=|>|<)?\s*('[^']*'|"[^"]*"|\S+)/g) ?? [];
  for (const term of terms) {
    const [, field, op, raw] = term.match(/^(\w+):(>=|<=|>|<)?\s*(.*)$/) ?? [];
    if (!field || raw === undefined || !['updated_at', 'created_at', 'processed_at'].includes(field)) continue;
    const at = Date.parse(raw.replace(/^['"]|['"]$/g, ''));
    if (Number.isNaN(at)) continue;
    const second = Math.floor(at / 1000) * 1000;
    const test: Comparison =
      op === '>='
        ? (v) => v >= at
        : op === '>'
          ? (v) => v > at
          : op === '<='
            ? (v) => v <= at
            : op === '<'
              ? (v) => v < at
              : (v) => Math.floor(v / 1000) * 1000 === second;
    filters.set(field, [...(filters.get(field) ?? []), test]);
  }
  return filters;
}
