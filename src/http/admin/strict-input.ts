// What an operator sends is taken as sent or refused, never bent: Fastify's Ajv coerces types and
// drops unknown fields (`{"optOut": null}` read as false would lift an opt-out; a misspelt `fbtag`
// would vanish), reads `1e400` as Infinity and passes it, and a NUL (which PostgreSQL's text cannot
// hold, and which would change a module id) means nothing in any field.
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { httpError } from '../errors.ts';
import { payloadProblems } from '../payload-check.ts';

/** What the body's schema says of the body as sent, kept until Ajv has had its say (its own messages come first). */
const beforeCoercion = new WeakMap<FastifyRequest, string[]>();

/** preValidation: a NUL anywhere is refused; the body is checked as sent, before Ajv changes it. */
export async function asSent(request: FastifyRequest): Promise<void> {
  for (const [where, value] of [
    ['querystring', request.query],
    ['params', request.params],
    ['body', typeof request.body === 'object' ? request.body : undefined],
  ] as const) {
    const at = nulAt(value, where);
    if (at) throw httpError('INVALID_PAYLOAD', `${at} holds U+0000 (a NUL character), which no field may`);
  }
  const schema = request.routeOptions.schema?.body as TSchema | undefined;
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

/** Where in `value` a string holds a NUL (`body/userIds/0`), if anywhere. */
function nulAt(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (!value || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = key.includes('\u0000') ? `${path}/${key}` : nulAt(inner, `${path}/${key}`);
    if (at) return at;
  }
  return undefined;
}
