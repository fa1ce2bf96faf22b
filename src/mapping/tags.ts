// A rule's `tag: { add: [...], remove: [...] }`: MantaGO client tags, each by its id as the
// dashboard shows it or by `{ name }`. Every matching rule's tags apply (a rule with only `tag`
// sends nothing), each (tag, add/remove) once per order event.
import Type from 'typebox';
import type { Order } from '../domain/order.ts';
import type { Platform } from '../domain/recipient.ts';
import { TAG_ACTIONS, type TagOp, type TagRef, tagKey } from '../domain/tagging.ts';
import { matches, type Rule } from './rules.ts';

/** A tag id (YAML may read a numeric one as a number), or `{ name }`. */
const TagRefSchema = Type.Union([
  Type.String({ minLength: 1, maxLength: 200 }),
  Type.Integer({ minimum: 0 }),
  Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
]);
export const TagSchema = Type.Object(
  {
    add: Type.Optional(Type.Array(TagRefSchema, { minItems: 1 })),
    remove: Type.Optional(Type.Array(TagRefSchema, { minItems: 1 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export type RawTag = Partial<Record<(typeof TAG_ACTIONS)[number], (string | number | { name: string })[]>>;

const toRef = (raw: string | number | { name: string }): TagRef => (typeof raw === 'object' ? { name: raw.name } : { id: String(raw) });

/** The rule's tag operations, as the schema let them through. */
export function toTagOps(raw: RawTag): TagOp[] {
  return TAG_ACTIONS.flatMap((action) => (raw[action] ?? []).map((tag) => ({ action, tag: toRef(tag) })));
}

/** Each tag id the mapping names, with where (a warning at startup when the bot has no such tag). */
export function tagIdPlaces(rawRules: readonly unknown[]): { id: string; path: (string | number)[] }[] {
  return rawRules.flatMap((rule, i) => {
    const tag = (rule as { tag?: RawTag } | null)?.tag;
    if (!tag || typeof tag !== 'object') return [];
    return TAG_ACTIONS.flatMap((action) =>
      (Array.isArray(tag[action]) ? (tag[action] as unknown[]) : []).flatMap((raw, j) =>
        typeof raw === 'string' || typeof raw === 'number' ? [{ id: String(raw), path: ['rules', i, 'tag', action, j] }] : [],
      ),
    );
  });
}

/** The tag operations of every rule that matches this order event on this platform, each once. */
export function chooseTags(rules: readonly Rule[], order: Order, platform: Platform): TagOp[] {
  const chosen = new Map<string, TagOp>();
  for (const rule of rules) {
    if (!rule.tags || !matches(rule.when, order, platform)) continue;
    for (const op of rule.tags) chosen.set(`${op.action}\u001f${tagKey(op.tag)}`, op);
  }
  return [...chosen.values()];
}
