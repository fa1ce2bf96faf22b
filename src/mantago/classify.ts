// What one MantaGO answer (or its absence) comes to: decided by `errResponse.code` first, the HTTP
// status second (MantaGO has been seen to answer a code under 200, 401 or 403 alike). Whether to
// retry, wait or give up is decided by the caller's owner module, by the codes' names.
import { callErrorName } from '../call-error.ts';
import { withoutSecrets } from '../secrets.ts';
import { isCode, meaningOf } from './error-codes.ts';

/** What one call came to, as far as MantaGO's answer (or its absence) tells. */
export type CallResult =
  | { kind: 'ok'; status: number; durationMs: number; body: Record<string, unknown>; dryRun?: true }
  /** Token or secret invalid or expired: code 1004, or a 401 without a documented code. */
  | { kind: 'expired'; status: number; durationMs: number; message: string }
  /** Code 120000: the pair is an old one, rotated by another holder; a refresh with it cannot succeed. */
  | { kind: 'superseded'; status: number; durationMs: number; message: string; code: number }
  /**
   * Any other answer that is not a success; `code` is MantaGO's errResponse.code. `foreign`: the
   * body is not MantaGO's own (no JSON with `success` or `errResponse`): a proxy's or a gateway's page.
   */
  | {
      kind: 'refused';
      status: number;
      durationMs: number;
      message: string;
      code?: number;
      retryAfterMs: number | undefined;
      foreign?: true;
    }
  /** No answer: connection refused or reset, timeout. `unsent`: it failed before the request could go (no connection made). */
  | { kind: 'unreachable'; durationMs: number; message: string; timeout: boolean; unsent?: true }
  /** Never sent: no call slot (or no start within the rate limit) before the time it had to start by. */
  | { kind: 'not_started'; durationMs: 0; message: string };

const MAX_MESSAGE = 300;

export function classify(
  status: number,
  text: string,
  retryAfter: string | string[] | undefined,
  durationMs: number,
  maxRetryAfterMs: number,
  now: number,
  secrets: readonly string[] = [],
): CallResult {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // an HTML error page from a proxy, say: not MantaGO's answer (below)
  }
  const foreign = !('success' in body) && !('errResponse' in body);
  const page = /^\s*</.test(text); // an HTML page: a proxy's, a WAF's
  const errResponse = (body.errResponse ?? {}) as { message?: unknown; code?: unknown };
  const message = withoutSecrets(String(errResponse.message ?? body.message ?? `HTTP ${status}`), secrets).slice(0, MAX_MESSAGE);
  const code = codeOf(errResponse.code);
  // The code first: it names the problem whatever the status says.
  if (isCode(code, 'TOKEN_EXPIRED')) return { kind: 'expired', status, durationMs, message };
  if (isCode(code, 'OLD_PAIR')) return { kind: 'superseded', status, durationMs, message, code: code as number };
  // `"true"` is MantaGO saying it sent: retried, it would be sent again.
  if (status >= 200 && status < 300 && (body.success === true || body.success === 'true')) return { kind: 'ok', status, durationMs, body };
  const documented = meaningOf(code) !== undefined;
  // The status second: a 401 without a documented code is the credentials, as MantaGO answered it
  // before codes (with an empty body too, from its auth layer) — but a gateway's HTML page says nothing of the pair.
  if (status === 401 && !documented && !page) return { kind: 'expired', status, durationMs, message };
  const asked = parseRetryAfter(retryAfter, now);
  return {
    kind: 'refused',
    status,
    durationMs,
    message,
    ...(code !== undefined && { code }),
    // A far end may ask for hours; nothing waits longer than the longest retry delay.
    retryAfterMs: asked === undefined ? undefined : Math.min(asked, maxRetryAfterMs),
    ...(foreign && { foreign }),
  };
}

/** `errResponse.code` as a number, also when it came as digits in a string (`"1004"` is still 1004). */
function codeOf(code: unknown): number | undefined {
  if (typeof code === 'number') return code;
  return typeof code === 'string' && /^\d{1,9}$/.test(code.trim()) ? Number(code.trim()) : undefined;
}

/** A documented code came with the answer: MantaGO answered, whatever its HTTP status. */
export function answeredWithCode(result: CallResult): boolean {
  return result.kind === 'refused' && meaningOf(result.code) !== undefined;
}

/** Retry-After as delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Errors of a connection never made: the request cannot have reached MantaGO. */
const NO_CONNECTION = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** A gateway's pages that say it reached no MantaGO: bad gateway (nothing to connect to), unavailable. */
const GATEWAY_NOTHING_REACHED = new Set([502, 503]);

/**
 * Whether a failed call did nothing at MantaGO, as far as can be told: no connection was made (a
 * connect timeout included), MantaGO itself answered that it failed, or a gateway in front of it
 * found none (502, 503). A reset, a timeout on a connection made or a gateway's 504 may come after
 * MantaGO carried the call out: each such try may have sent the message.
 */
export function sentNothing(result: CallResult): boolean {
  if (result.kind === 'unreachable') return result.unsent === true;
  return result.kind === 'refused' && (!result.foreign || GATEWAY_NOTHING_REACHED.has(result.status));
}

export function describeNetworkError(
  error: unknown,
  secrets: readonly string[] = [],
): { message: string; timeout: boolean; unsent?: true } {
  const e = error as { code?: unknown; name?: string; message?: string };
  const unsent = NO_CONNECTION.has(String(e.code));
  const timeout =
    e.name === 'TimeoutError' ||
    e.code === 'UND_ERR_CONNECT_TIMEOUT' ||
    e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e.code === 'UND_ERR_BODY_TIMEOUT';
  const what = callErrorName(error);
  if (timeout) return { message: `MantaGO did not answer in time (${what})`, timeout, ...(unsent && { unsent }) };
  return {
    message: withoutSecrets(`MantaGO unreachable: ${what ?? 'error'}${e.message ? ` ${e.message}` : ''}`, secrets).slice(0, MAX_MESSAGE),
    timeout,
    ...(unsent && { unsent }),
  };
}
