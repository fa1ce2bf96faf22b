// A webhook's payload checked against the schema of its kind (chosen by topic, so it cannot be the
// route's one body schema): compiled once per schema, every problem named by its field.
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

type Validator = ReturnType<typeof Compile>;
const compiled = new WeakMap<TSchema, Validator>();

/** A part of a schema, as far as the messages read it. */
interface SchemaPart {
  description?: string;
  type?: string;
  anyOf?: SchemaPart[];
}

/** The problems with `payload` (empty when it matches), as `body/field must ...`. */
export function payloadProblems(schema: TSchema, payload: unknown): string[] {
  let validator = compiled.get(schema);
  if (!validator) {
    validator = Compile(schema);
    compiled.set(schema, validator);
  }
  if (validator.Check(payload)) return [];
  const byPath = new Map<string, string>();
  /** Paths said only to have "the wrong type": dropped where a field inside them says more. */
  const vague = new Set<string>();
  const say = (at: string, problem: string) => {
    byPath.set(at, problem);
    vague.delete(at);
  };
  for (const error of validator.Errors(payload)) {
    const at = `body${error.instancePath}`;
    if (error.keyword === 'required') {
      for (const name of (error.params as { requiredProperties: string[] }).requiredProperties)
        say(`${at}/${name}`, `${at} must have required property '${name}'`);
    } else if (error.keyword === 'anyOf') {
      // The alternatives' own errors say less than the union's description, or than this.
      const union = schemaAt(schema, error.schemaPath);
      const described = unionDescription(union);
      if (described) say(at, `${at} must be ${described}`);
      // A Nullable field that is not null: what its own schema said of it (too long, say) stands.
      else if (!(isNullable(union) && byPath.has(at))) {
        say(at, `${at} has the wrong type`);
        vague.add(at);
      }
    } else if (error.keyword === 'type' && (error.params as { type?: unknown }).type === 'null') {
      // a Nullable field's null alternative: "must be null" says nothing of what is wrong
    } else if (error.keyword === 'additionalProperties') {
      const names = (error.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      say(at, `${at} ${error.message}${names.length > 0 ? ` (${names.join(', ')})` : ''}`);
    } else if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) {
      // the field's own "schema is false": said, by name, with its object's additionalProperties
    } else if (error.keyword === 'pattern') {
      // A pattern with a description is said in words, not as a regular expression.
      const described = schemaAt(schema, error.schemaPath)?.description;
      if (described) say(at, `${at} must be ${described}`);
      else if (!byPath.has(at)) say(at, `${at} ${error.message}`);
    } else if (!byPath.has(at)) {
      say(at, `${at} ${error.message}`);
    }
  }
  const paths = [...byPath.keys()];
  for (const path of vague) if (paths.some((other) => other.startsWith(`${path}/`))) byPath.delete(path);
  return [...byPath.values()].slice(0, 10);
}

/** The part of `schema` a JSON pointer (`#/properties/a/anyOf/0`) names, if any. */
function schemaAt(schema: TSchema, pointer: string): SchemaPart | undefined {
  let at: unknown = schema;
  for (const part of pointer.split('/').slice(1)) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined;
  return at && typeof at === 'object' ? (at as SchemaPart) : undefined;
}

/** A Nullable union: `[T, null]`. */
const isNullable = (union: SchemaPart | undefined) => union?.anyOf?.length === 2 && union.anyOf[1]?.type === 'null';

/** A union's description; for a Nullable one, T's, "or null". */
function unionDescription(union: SchemaPart | undefined): string | undefined {
  if (union?.description) return union.description;
  const first = union?.anyOf?.[0];
  return isNullable(union) && first?.description ? `${first.description}, or null` : undefined;
}
