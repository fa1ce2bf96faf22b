// What an operator sends is taken as sent or refused, never bent: Fastify's Ajv coerces types and
// drops unknown fields (`{"optOut": null}` read as false would lift an opt-out; a misspelt `fbtag`
// would vanish), reads `1e400` as Infinity and passes it, and a NUL (which PostgreSQL's text cannot
// hold, and which would change a module id) means nothing in any field.
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { httpError } from '../errors.ts';
import { payloadProblems } from '../../sources/payload-check.ts';

/** What the body's schema says of the body as sent, kept until Ajv has had its say (its own messages come first). */
const beforeCoercion = new WeakMap<FastifyRequest, string[]>();

/** preValidation: a NUL or a lone surrogate anywhere is refused; the body is checked as sent, before Ajv changes it. */
export async function asSent(request: FastifyRequest): Promise<void> {
  for (const [where, value] of [
    ['querystring', request.query],
    ['params', request.params],
    ['body', typeof request.body === 'object' ? request.body : undefined],
  ] as const) {
    const at = unreadableAt(value, where);
    if (at) throw httpError('INVALID_PAYLOAD', `${at.path} holds ${at.what}, which no field may`);
  }
  // A filter misspelt (`?sorce=shopify`) or sent in a body the route does not read would widen what
  // it acts on (a redrive of every source): refused, naming what the route takes.
  const { querystring, params } = request.routeOptions.schema ?? {};
  notTaken(request.query, querystring as TSchema | undefined, 'querystring');
  for (const [where, values, shape] of [
    ['querystring', request.query, querystring],
    ['params', request.params, params],
  ] as const)
    wholeNumbers(values, shape as TSchema | undefined, where);
  const { body: bodySchema, consumes } = request.routeOptions.schema ?? {};
  const schema = bodySchema as TSchema | undefined;
  // A route that reads its own types (a recipient import's CSV) takes its body as text: not a JSON value.
  if (!schema && !consumes && isFilled(request.body))
    throw httpError('INVALID_PAYLOAD', 'this route takes no body: what it acts on is in its path and query');
  if (schema && request.body !== undefined) {
    const problems = payloadProblems(schema, request.body);
    if (problems.length > 0) beforeCoercion.set(request, problems);
  }
}

/** preHandler: what Ajv let through by coercing or dropping it is refused; so is a number that is not finite. */
export async function notBent(request: FastifyRequest): Promise<void> {
  const problems = beforeCoercion.get(request);
  if (problems) throw httpError('INVALID_PAYLOAD', problems.join(', '));
  for (const [where, values] of [
    ['querystring', request.query],
    ['params', request.params],
  ] as const) {
    if (!values || typeof values !== 'object') continue;
    for (const [name, value] of Object.entries(values))
      if (typeof value === 'number' && !Number.isFinite(value))
        throw httpError('INVALID_PAYLOAD', `${where}/${name} must be a finite number`);
  }
}

/** What no text may hold: U+0000 (PostgreSQL's text cannot), a lone UTF-16 surrogate (stored, it becomes U+FFFD). */
const unreadable = (text: string) =>
  text.includes('\u0000') ? 'U+0000 (a NUL character)' : text.isWellFormed() ? undefined : 'a lone UTF-16 surrogate (no character)';

/** Where in `value` a string (or a key) holds what no text may (`body/userIds/0`), if anywhere. */
function unreadableAt(value: unknown, path: string): { path: string; what: string } | undefined {
  if (typeof value === 'string') {
    const what = unreadable(value);
    return what ? { path, what } : undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const what = unreadable(key);
    const at = what ? { path: `${path}/${key}`, what } : unreadableAt(inner, `${path}/${key}`);
    if (at) return at;
  }
  return undefined;
}

const propertiesOf = (schema: TSchema | undefined) =>
  (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties;

/** A key of `values` the route's schema does not name is refused. */
function notTaken(values: unknown, schema: TSchema | undefined, where: string): void {
  // A route without a querystring schema takes none.
  const properties = propertiesOf(schema) ?? {};
  if (!values || typeof values !== 'object') return;
  const unknown = Object.keys(values).find((name) => !Object.hasOwn(properties, name));
  if (unknown === undefined) return;
  const takes = Object.keys(properties);
  throw httpError('INVALID_PAYLOAD', `${where}/${unknown} is not one this route takes (${takes.length > 0 ? takes.join(', ') : 'none'})`);
}

/** A whole number as sent: digits, not `0x10`, `1e3` or a space that Ajv would read as a number. */
function wholeNumbers(values: unknown, schema: TSchema | undefined, where: string): void {
  const properties = propertiesOf(schema);
  if (!properties || !values || typeof values !== 'object') return;
  for (const [name, value] of Object.entries(values))
    if (properties[name]?.type === 'integer' && typeof value === 'string' && !/^-?[0-9]+$/.test(value))
      throw httpError('INVALID_PAYLOAD', `${where}/${name} must be a whole number written in digits`);
}

/** A parsed JSON body with something in it (an empty one, or none, is no body; `"shopify"`, `true` or `5` is one). */
const isFilled = (body: unknown) =>
  Array.isArray(body)
    ? body.length > 0
    : typeof body !== 'object'
      ? body !== undefined
      : body !== null && Object.getPrototypeOf(body) === Object.prototype && Object.keys(body).length > 0;
