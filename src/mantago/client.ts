// Calls MantaGO: one keep-alive pool with explicit timeouts, every body read to the end, every
// call within the limiter. It reports what happened; whether to retry is decided elsewhere.
import { Pool } from 'undici';
import { BROADCAST_PATH, TOKEN_EXPIRED_CODE, TOKEN_PATH, type BroadcastRequest } from './api.ts';
import { CallLimiter } from './call-limiter.ts';

export interface MantagoClientOptions {
  baseUrl: string;
  botId: string;
  timeoutMs: number;
  maxConcurrency: number;
  maxRps: number;
  /** DRY_RUN: broadcasts go through the limiter and come back as successes, but are never sent. */
  dryRun?: boolean;
  /** Told of every call, for metrics. */
  onCall?: (endpoint: 'broadcast' | 'token', outcome: CallResult['kind'], seconds: number) => void;
}

/** What one call came to, as far as MantaGO's answer (or its absence) tells. */
export type CallResult =
  | { kind: 'ok'; status: number; durationMs: number; body: Record<string, unknown>; dryRun?: true }
  /** Token or secret invalid or expired: `errResponse.code` 1004, or a 401. */
  | { kind: 'expired'; status: number; durationMs: number; message: string }
  /** Any other answer that is not a success. */
  | { kind: 'refused'; status: number; durationMs: number; message: string; retryAfterMs: number | undefined }
  /** No answer: connection refused or reset, timeout. */
  | { kind: 'unreachable'; durationMs: number; message: string; timeout: boolean };

export type RefreshResult = Exclude<CallResult, { kind: 'ok' }> | { kind: 'ok'; apiToken: string; apiSecret: string; durationMs: number };

const DRY_RUN_REPLY: CallResult = {
  kind: 'ok',
  status: 200,
  durationMs: 0,
  body: { success: true, message: 'DRY_RUN is on: this broadcast was recorded but not sent to MantaGO' },
  dryRun: true,
};

const MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_MESSAGE = 300;

export class MantagoClient {
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly options: MantagoClientOptions;
  readonly limiter: CallLimiter;

  constructor(options: MantagoClientOptions) {
    this.options = options;
    const url = new URL(options.baseUrl);
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: options.maxConcurrency,
      pipelining: 1,
      allowH2: false, // MantaGO is called over plain HTTP/1.1 keep-alive
      connectTimeout: Math.min(options.timeoutMs, 10_000),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 30_000,
      maxResponseSize: MAX_RESPONSE_BYTES,
    });
    this.limiter = new CallLimiter(options.maxConcurrency, options.maxRps);
  }

  /** Until when calls are held back after a 429 (0 when they are not). */
  pausedUntil(): number {
    return this.limiter.pausedUntilMs;
  }

  broadcast(apiToken: string, request: BroadcastRequest): Promise<CallResult> {
    if (this.options.dryRun) return this.limiter.run(async () => DRY_RUN_REPLY);
    return this.call('broadcast', BROADCAST_PATH, apiToken, { ...request, botId: this.options.botId });
  }

  /** Asks for a new token and secret; MantaGO accepts the expired token for this, and kills the old pair. */
  async refreshToken(apiToken: string, apiSecret: string): Promise<RefreshResult> {
    const result = await this.call('token', TOKEN_PATH, apiToken, { secret: apiSecret });
    if (result.kind !== 'ok') return result;
    const { apiToken: token, apiSecret: secret } = result.body;
    if (typeof token !== 'string' || !token || typeof secret !== 'string' || !secret) {
      return {
        kind: 'refused',
        status: result.status,
        durationMs: result.durationMs,
        message: 'token reply has no apiToken and apiSecret',
        retryAfterMs: undefined,
      };
    }
    return { kind: 'ok', apiToken: token, apiSecret: secret, durationMs: result.durationMs };
  }

  private async call(endpoint: 'broadcast' | 'token', path: string, apiToken: string, body: object): Promise<CallResult> {
    const result = await this.limiter.run(() => this.send(path, apiToken, body));
    if (result.kind === 'refused' && result.status === 429 && result.retryAfterMs !== undefined) {
      this.limiter.pauseUntil(Date.now() + result.retryAfterMs);
    }
    this.options.onCall?.(endpoint, result.kind, result.durationMs / 1000);
    return result;
  }

  private async send(path: string, apiToken: string, body: object): Promise<CallResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: `${this.prefix}${path}?botId=${encodeURIComponent(this.options.botId)}`,
        headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await response.body.text();
      return classify(response.statusCode, text, response.headers['retry-after'], elapsed());
    } catch (error) {
      return { kind: 'unreachable', durationMs: elapsed(), ...describeNetworkError(error) };
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function classify(status: number, text: string, retryAfter: string | string[] | undefined, durationMs: number): CallResult {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // an HTML error page from a proxy, say: the status tells enough
  }
  const errResponse = (body.errResponse ?? {}) as { message?: unknown; code?: unknown };
  const message = String(errResponse.message ?? body.message ?? `HTTP ${status}`).slice(0, MAX_MESSAGE);
  if (errResponse.code === TOKEN_EXPIRED_CODE || status === 401) return { kind: 'expired', status, durationMs, message };
  if (status >= 200 && status < 300 && body.success === true) return { kind: 'ok', status, durationMs, body };
  return { kind: 'refused', status, durationMs, message, retryAfterMs: parseRetryAfter(retryAfter) };
}

/** Retry-After as delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function describeNetworkError(error: unknown): { message: string; timeout: boolean } {
  const e = error as { code?: string; name?: string; message?: string };
  const timeout =
    e.name === 'TimeoutError' ||
    e.code === 'UND_ERR_CONNECT_TIMEOUT' ||
    e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e.code === 'UND_ERR_BODY_TIMEOUT';
  if (timeout) return { message: `MantaGO did not answer in time (${e.code ?? e.name})`, timeout };
  return {
    message: `MantaGO unreachable: ${e.code ?? e.name ?? 'error'}${e.message ? ` ${e.message}` : ''}`.slice(0, MAX_MESSAGE),
    timeout,
  };
}
