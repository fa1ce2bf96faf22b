// The error catalogue: stable codes clients can branch on. 4xx messages say what is wrong;
// 5xx messages never say more than that something failed on our side.
import { STATUS_CODES } from 'node:http';
import type { FastifyError } from 'fastify';
import Type from 'typebox';
import { StoreUnavailableError } from '../store/errors.ts';

export const ERRORS = {
  INVALID_JSON: 400,
  INVALID_PAYLOAD: 400,
  BAD_REQUEST: 400,
  SIGNATURE_INVALID: 401,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  SOURCE_DISABLED: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  BODY_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  MANTAGO_FAILED: 502,
  SHOP_FAILED: 502,
  NOT_READY: 503,
  OVERLOADED: 503,
  STORE_UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof ERRORS;

export const ErrorReply = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.Enum(Object.keys(ERRORS) as ErrorCode[]),
    error: Type.String({ description: 'the HTTP reason phrase' }),
    message: Type.String({ description: 'what is wrong, for a person' }),
  },
  { $id: 'ErrorReply', description: 'Every error answer has this shape' },
);

export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Seconds a client should wait before trying again (the Retry-After of a 503). */
  readonly retryAfterS: number | undefined;
  constructor(code: ErrorCode, message: string, retryAfterS?: number) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
    this.statusCode = ERRORS[code];
    this.retryAfterS = retryAfterS;
  }
}

export const httpError = (code: ErrorCode, message: string, retryAfterS?: number) => new HttpError(code, message, retryAfterS);

/** The answer's body: every error has this shape (ErrorReply). */
export const errorBody = ({ statusCode, code, message }: HttpError) => ({
  statusCode,
  code,
  error: STATUS_CODES[statusCode] ?? 'Error',
  message,
});

/** Error answers for a route's response schema, by status. */
export function errorReplies(...statuses: number[]): Record<number, typeof ErrorReply> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorReply]));
}

/** A body of a type the route does not read: the answer names those it does (JSON, unless the route says). */
export const unsupportedMediaType = (types: readonly string[] = []): HttpError =>
  httpError('UNSUPPORTED_MEDIA_TYPE', `Content-Type must be ${types.length > 0 ? `one of ${types.join(', ')}` : 'application/json'}`);

/**
 * Any error a route or Fastify raised, as an entry of the catalogue: Fastify's own 4xx named, anything else a bare 500.
 * `consumes`: the route's body types when not JSON (a recipient import), for a 415 that names them.
 */
export function toHttpError(error: FastifyError, retryAfterS: number, consumes?: readonly string[]): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof StoreUnavailableError) {
    // Busy or slow, not broken: nothing was promised, and the shop retries after Retry-After.
    return httpError('STORE_UNAVAILABLE', `the service cannot take this right now; retry after ${retryAfterS} s`, retryAfterS);
  }
  if (error.validation) return httpError('INVALID_PAYLOAD', error.message);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpError('BODY_TOO_LARGE', 'body is larger than this route accepts (BODY_LIMIT_BYTES; a recipient import, 10 MiB)');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(consumes);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return httpError('INVALID_JSON', 'body is not valid JSON');
    // The router's own (frameworkErrors in app.ts), before any route is found.
    case 'FST_ERR_BAD_URL':
      return httpError('BAD_REQUEST', 'the URL is not valid: a % must start a percent-encoded UTF-8 byte (%25 for a % itself)');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return httpError('URI_TOO_LONG', 'a part of the path is longer than this service takes (1,200 characters)');
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
    return new HttpError('BAD_REQUEST', error.message);
  return httpError('INTERNAL', 'internal error; the service log has the details');
}
