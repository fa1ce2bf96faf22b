// One call to a shop's API over undici (a small pool, deadlines, no retries here: the poll decides),
// its answer as JSON, or why there was none as a poll outcome. A secret sent with the call (a token,
// Basic credentials) is never part of an error.
import { Pool } from 'undici';
import type { PollOutcome } from './outcomes.ts';

/** A shop's API answered with trouble, or did not answer: the outcome it means, and how long it asked to wait. */
export class ShopCallError extends Error {
  readonly outcome: Exclude<PollOutcome, 'ok'>;
  readonly retryAfterMs: number | undefined;
  constructor(outcome: Exclude<PollOutcome, 'ok'>, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'ShopCallError';
    this.outcome = outcome;
    this.retryAfterMs = retryAfterMs;
  }
}

export interface ShopReply {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export class ShopApi {
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly name: string;

  /** `base`: the API's URL prefix; `headers`: sent with every call (the credentials). */
  constructor(name: string, base: string, headers: Record<string, string>, timeoutMs = 30_000) {
    const url = new URL(base);
    this.name = name;
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.headers = headers;
    this.timeoutMs = timeoutMs;
    this.pool = new Pool(url.origin, {
      connections: 2,
      pipelining: 1,
      connectTimeout: Math.min(timeoutMs, 10_000),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 30_000,
      maxResponseSize: MAX_RESPONSE_BYTES,
    });
  }

  /** One call; a 401/403 is `unauthorized`, a 429 `throttled` (with Retry-After), a 5xx or no answer `unreachable`. */
  async call(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<ShopReply> {
    let status: number;
    let text: string;
    let headers: ShopReply['headers'];
    try {
      const response = await this.pool.request({
        method,
        path: `${this.prefix}/${path.replace(/^\//, '')}`,
        headers: { ...this.headers, accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (error) {
      const e = error as { code?: string; name?: string };
      throw new ShopCallError('unreachable', `${this.name} did not answer (${e.code ?? e.name ?? 'error'})`);
    }
    if (status === 401 || status === 403) throw new ShopCallError('unauthorized', `${this.name} refused the credentials (HTTP ${status})`);
    if (status === 429) throw new ShopCallError('throttled', `${this.name} answered 429`, retryAfterMs(headers['retry-after']));
    if (status >= 500) throw new ShopCallError('unreachable', `${this.name} answered HTTP ${status}`, retryAfterMs(headers['retry-after']));
    let parsed: unknown;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      throw new ShopCallError('unreachable', `${this.name} answered HTTP ${status} with a body that is not JSON`);
    }
    if (status >= 400) {
      const message = (parsed as { message?: unknown; errors?: unknown } | null)?.message ?? (parsed as { errors?: unknown })?.errors;
      throw new ShopCallError('unreachable', `${this.name} answered HTTP ${status}: ${String(message ?? '').slice(0, 300)}`);
    }
    return { status, body: parsed, headers };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** Retry-After in delta-seconds (both platforms send that form). */
function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : undefined;
}
