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
      byPath.set(at, `${at} has the wrong type`); // the alternatives' own errors say less than this
    } else if (error.keyword === 'additionalProperties') {
      const names = (error.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      byPath.set(at, `${at} ${error.message}${names.length > 0 ? ` (${names.join(', ')})` : ''}`);
    } else if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) {
      // the field's own "schema is false": said, by name, with its object's additionalProperties
    } else if (!byPath.has(at)) {
      byPath.set(at, `${at} ${error.message}`);
    }
  }
  return [...byPath.values()].slice(0, 10);
}
