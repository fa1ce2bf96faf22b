// One call to a shop's API over undici (a small pool, deadlines, no retries here: the poll decides),
// its answer as JSON, or why there was none as a poll outcome. A secret sent with the call (a token,
// Basic credentials) is never part of an error.
import { Pool } from 'undici';
import { callErrorName } from '../call-error.ts';
import { withoutSecrets } from '../secrets.ts';
import type { PollOutcome } from './outcomes.ts';

/**
 * A shop's API answered with trouble, or did not answer: the outcome it means, how long it asked to
 * wait, and whether the same call can answer otherwise soon (`lasting`: a shop too old for the
 * call answers so until it is upgraded, so the poll waits for its next turn instead of backing off).
 */
export class ShopCallError extends Error {
  readonly outcome: Exclude<PollOutcome, 'ok'>;
  readonly retryAfterMs: number | undefined;
  readonly lasting: boolean;
  constructor(outcome: Exclude<PollOutcome, 'ok'>, message: string, retryAfterMs?: number, { lasting = false } = {}) {
    super(message);
    this.name = 'ShopCallError';
    this.outcome = outcome;
    this.retryAfterMs = retryAfterMs;
    this.lasting = lasting;
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
  /** Aborted by close(): a call under way when the service stops is cut short rather than waited for. */
  private readonly closing = new AbortController();
  /** What the credentials look like in any text a shop sends back: each header's value, and a Basic pair's parts. */
  private readonly secrets: string[];

  /** `base`: the API's URL prefix; `headers`: sent with every call (the credentials); `alsoSecret`: other secrets a call may send. */
  constructor(name: string, base: string, headers: Record<string, string>, options: { timeoutMs?: number; alsoSecret?: string[] } = {}) {
    const { timeoutMs = 30_000, alsoSecret = [] } = options;
    const url = new URL(base);
    this.name = name;
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.headers = headers;
    this.secrets = Object.values(headers).flatMap((value) => {
      const basic = /^Basic\s+(\S+)$/i.exec(value)?.[1];
      const pair = basic ? Buffer.from(basic, 'base64').toString('utf8') : undefined;
      return [value, ...(basic ? [basic] : []), ...(pair ? [pair, ...pair.split(':')] : [])];
    });
    this.secrets.push(...alsoSecret);
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
        signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]),
      });
      status = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (error) {
      if (this.closing.signal.aborted)
        throw new ShopCallError('unreachable', `the call to ${this.name} was cut short: the service is stopping`);
      throw new ShopCallError('unreachable', `${this.name} did not answer (${callErrorName(error) ?? 'error'})`);
    }
    if (status === 401 || status === 403) throw new ShopCallError('unauthorized', `${this.name} refused the credentials (HTTP ${status})`);
    if (status >= 300 && status < 400) {
      // Not followed: the credentials would go along to wherever it points.
      const to = String(headers.location ?? '').replace(/[?#].*$/, '');
      throw new ShopCallError(
        'unreachable',
        `${this.name} answered HTTP ${status}, a redirect to ${to || 'nowhere said'}: check the shop's URL`,
      );
    }
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
      throw new ShopCallError('unreachable', `${this.name} answered HTTP ${status}: ${this.redact(String(message ?? '')).slice(0, 300)}`);
    }
    return { status, body: parsed, headers };
  }

  /** `text` from the shop without the credentials in it: a shop (or a proxy) may echo what it was sent. */
  redact(text: string): string {
    return withoutSecrets(text, this.secrets);
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.pool.destroy(); // its sockets too: one waiting for an answer would hold the process up
  }
}

/** A page count header (WooCommerce's X-WP-TotalPages): a whole number, else none (missing, `abc`, negative). */
export function pagesOf(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

/** Retry-After in delta-seconds (both platforms send that form). */
function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : undefined;
}
