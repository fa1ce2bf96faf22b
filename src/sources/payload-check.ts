// A webhook's payload checked against the schema of its kind (chosen by topic, so it cannot be the
// route's one body schema): compiled once per schema, every problem named by its field.
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

type Validator = ReturnType<typeof Compile>;
const compiled = new WeakMap<TSchema, Validator>();

/** The problems with `payload` (empty when it matches), as `body/field must ...`. */
export function payloadProblems(schema: TSchema, payload: unknown): string[] {
  let validator = compiled.get(schema);
  if (!validator) {
    validator = Compile(schema);
    compiled.set(schema, validator);
  }
  if (validator.Check(payload)) return [];
  const byPath = new Map<string, string>();
  for (const error of validator.Errors(payload)) {
    const at = `body${error.instancePath}`;
    if (error.keyword === 'required') {
      for (const name of (error.params as { requiredProperties: string[] }).requiredProperties)
        byPath.set(`${at}/${name}`, `${at} must have required property '${name}'`);
    } else if (error.keyword === 'anyOf') {
      // The alternatives' own errors say less than the union's description, or than this.
      const union = schemaAt(schema, error.schemaPath);
      const described = unionDescription(union);
      // A Nullable field that is not null: what its own schema said of it (too long, say) stands.
      if (described) byPath.set(at, `${at} must be ${described}`);
      else if (!(union?.anyOf?.[1]?.type === 'null' && byPath.has(at))) byPath.set(at, `${at} has the wrong type`);
    } else if (error.keyword === 'type' && (error.params as { type?: unknown }).type === 'null') {
      // a Nullable field's null alternative: "must be null" says nothing of what is wrong
    } else if (error.keyword === 'additionalProperties') {
      const names = (error.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      byPath.set(at, `${at} ${error.message}${names.length > 0 ? ` (${names.join(', ')})` : ''}`);
    } else if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) {
      // the field's own "schema is false": said, by name, with its object's additionalProperties
    } else if (error.keyword === 'pattern' && schemaAt(schema, error.schemaPath)?.description) {
      byPath.set(at, `${at} must be ${schemaAt(schema, error.schemaPath)?.description}`);
    } else if (!byPath.has(at)) {
      byPath.set(at, `${at} ${error.message}`);
    }
  }
  // A union around a field already named (a Nullable array, say) adds only "wrong type": left out.
  const paths = [...byPath.keys()];
  for (const path of paths)
    if (paths.some((other) => other.startsWith(`${path}/`)) && byPath.get(path)?.endsWith('has the wrong type')) byPath.delete(path);
  return [...byPath.values()].slice(0, 10);
}

/** The part of `schema` a JSON pointer (`#/properties/a/anyOf/0`) names, if any. */
function schemaAt(
  schema: TSchema,
  pointer: string,
): { description?: string; anyOf?: { description?: string; type?: string }[] } | undefined {
  let at: unknown = schema;
  for (const part of pointer.split('/').slice(1)) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined;
  return at && typeof at === 'object' ? (at as ReturnType<typeof schemaAt>) : undefined;
}

/** A union's description; for a Nullable one (`[T, null]`), T's, "or null". */
function unionDescription(union: { description?: string; anyOf?: { description?: string; type?: string }[] } | undefined) {
  if (union?.description) return union.description;
  const [first, second] = union?.anyOf ?? [];
  return first?.description && second?.type === 'null' ? `${first.description}, or null` : undefined;
}
