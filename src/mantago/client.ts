// Calls MantaGO: one keep-alive pool with explicit timeouts, every body read to the end, every
// call within the limiter. It reports what happened; whether to retry is decided elsewhere.
import { Pool } from 'undici';
import { type Clock, systemClock } from '../clock.ts';
import {
  BIND_PATH,
  BROADCAST_PATH,
  type BroadcastRequest,
  CLIENTS_PATH,
  isCredential,
  type MantagoClientRecord,
  TOKEN_PATH,
} from './api.ts';
import { CallLimiter, CallNotStarted } from './call-limiter.ts';
import { answeredWithCode, type CallResult, classify, describeNetworkError } from './classify.ts';
import { TAG_ENDPOINTS } from './tag-api.ts';

export type { CallResult } from './classify.ts';
export { parseRetryAfter } from './classify.ts';

/** MantaGO's endpoints the service calls, as metrics label them. */
export const ENDPOINTS = ['broadcast', 'token', 'clients', 'bind', ...TAG_ENDPOINTS] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export interface MantagoClientOptions {
  baseUrl: string;
  botId: string;
  /** Connect, headers and body timeouts of one call. */
  timeoutMs: number;
  /** The same for a token refresh, longer: losing its answer costs the bot's only pair. */
  refreshTimeoutMs: number;
  maxConcurrency: number;
  maxRps: number;
  /** A 429's Retry-After is honoured up to this long (RETRY_MAX_DELAY_MS). */
  maxRetryAfterMs: number;
  /** DRY_RUN: broadcasts go through the limiter and come back as successes, but are never sent. */
  dryRun?: boolean;
  /** The time limits, pauses and failure spans go by (the service's clock). */
  clock?: Clock;
  /** Told of every call, for metrics. */
  onCall?: (endpoint: Endpoint, outcome: CallResult['kind'], seconds: number) => void;
}

export type RefreshResult = Exclude<CallResult, { kind: 'ok' }> | { kind: 'ok'; apiToken: string; apiSecret: string; durationMs: number };
export type ClientsResult =
  | Exclude<CallResult, { kind: 'ok' }>
  | { kind: 'ok'; clients: MantagoClientRecord[]; next?: string; durationMs: number };

/** Whether MantaGO has been answering: for readiness, which reports it without failing for it. */
export interface Reachability {
  /** When calls started to fail without an answer (or with a 5xx), while they still do. */
  failingSince: number | undefined;
  lastError: string | undefined;
}

/** What the client makes of a refresh MantaGO answered as done, with a pair that cannot be used (or none). */
export const UNUSABLE_PAIR_MESSAGE = 'token reply has no usable apiToken and apiSecret';

const DRY_RUN_REPLY: CallResult = {
  kind: 'ok',
  status: 200,
  durationMs: 0,
  body: { success: true, message: 'DRY_RUN is on: this broadcast was recorded but not sent to MantaGO' },
  dryRun: true,
};

const MAX_RESPONSE_BYTES = 1024 * 1024;
/** How long every call waits after a 429 that says not how long (no Retry-After). */
const PAUSE_WITHOUT_RETRY_AFTER_MS = 1_000;

export class MantagoClient {
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly options: MantagoClientOptions;
  readonly limiter: CallLimiter;
  private failing: Reachability = { failingSince: undefined, lastError: undefined };
  private readonly clock: Clock;

  constructor(options: MantagoClientOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
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
    this.limiter = new CallLimiter(options.maxConcurrency, options.maxRps, this.clock);
  }

  /** Until when calls are held back after a 429 (0 when they are not). */
  pausedUntil(): number {
    return this.limiter.pausedUntilMs;
  }

  reachability(): Reachability {
    return this.failing;
  }

  /** A broadcast; `startBy` is the latest it may start (its lease's): later, it is not sent at all. */
  broadcast(apiToken: string, request: BroadcastRequest, options: { startBy?: number } = {}): Promise<CallResult> {
    if (this.options.dryRun) return this.limited(async () => DRY_RUN_REPLY, options.startBy);
    return this.call('broadcast', BROADCAST_PATH, apiToken, { ...request, botId: this.options.botId }, { startBy: options.startBy });
  }

  /** Asks for a new token and secret; MantaGO accepts the expired token for this, and kills the old pair. */
  async refreshToken(apiToken: string, apiSecret: string, startBy?: number): Promise<RefreshResult> {
    const result = await this.call(
      'token',
      TOKEN_PATH,
      apiToken,
      { secret: apiSecret },
      { timeoutMs: this.options.refreshTimeoutMs, startBy },
    );
    if (result.kind !== 'ok') return result;
    const { apiToken: token, apiSecret: secret } = result.body;
    // Sent in a header and a body on every call: a value with a space, a line break or a non-ASCII
    // character could never be used (undici refuses such a header), so it is no pair at all.
    if (!isCredential(token) || !isCredential(secret)) {
      return {
        kind: 'refused',
        status: result.status,
        durationMs: result.durationMs,
        message: UNUSABLE_PAIR_MESSAGE,
        retryAfterMs: undefined,
      };
    }
    return { kind: 'ok', apiToken: token, apiSecret: secret, durationMs: result.durationMs };
  }

  /** One page of the bot's users bound to `customerId` (on `platform`, if given). */
  async listClients(
    apiToken: string,
    apiSecret: string,
    query: { customerId: string; platform?: string; next?: string },
    startBy?: number,
  ): Promise<ClientsResult> {
    const params = new URLSearchParams({
      customerId: query.customerId,
      limit: '100',
      ...(query.platform && { platform: query.platform }),
      ...(query.next && { next: query.next }),
    });
    const result = await this.call('clients', CLIENTS_PATH, apiToken, { secret: apiSecret }, { query: params, startBy });
    if (result.kind !== 'ok') return result;
    const list = (result.body.clientList as { list?: unknown; next?: unknown } | undefined) ?? {};
    const clients = Array.isArray(list.list) ? (list.list as MantagoClientRecord[]) : [];
    return { kind: 'ok', clients, ...(typeof list.next === 'string' && list.next && { next: list.next }), durationMs: result.durationMs };
  }

  /** The cheapest call that says whether the bot and the pair are usable: one client of the bot's list. */
  checkBot(apiToken: string, apiSecret: string, startBy?: number): Promise<CallResult> {
    const query = new URLSearchParams({ limit: '1' });
    return this.call('clients', CLIENTS_PATH, apiToken, { secret: apiSecret }, { query, startBy });
  }

  /** Binds the shop's id for a customer to a user of the bot. */
  bindCustomer(apiToken: string, apiSecret: string, clientId: string, customerId: string, startBy?: number): Promise<CallResult> {
    return this.call('bind', BIND_PATH, apiToken, { secret: apiSecret, clientId, customerId }, { startBy });
  }

  /** Another open API call (the tag calls of tags.ts), within the same limiter, timeouts and reporting. */
  post(endpoint: Endpoint, path: string, apiToken: string, body: object, options: { startBy?: number; query?: URLSearchParams } = {}) {
    return this.call(endpoint, path, apiToken, body, options);
  }

  private async limited(call: () => Promise<CallResult>, startBy: number | undefined): Promise<CallResult> {
    try {
      return await this.limiter.run(call, { ...(startBy !== undefined && { startBy }) });
    } catch (error) {
      if (error instanceof CallNotStarted) return { kind: 'not_started', durationMs: 0, message: error.message };
      throw error;
    }
  }

  private async call(
    endpoint: Endpoint,
    path: string,
    apiToken: string,
    body: object,
    options: { timeoutMs?: number; startBy?: number | undefined; query?: URLSearchParams },
  ): Promise<CallResult> {
    const result = await this.limited(
      () => this.send(path, apiToken, body, options.timeoutMs ?? this.options.timeoutMs, options.query),
      options.startBy,
    );
    if (result.kind === 'not_started') return result;
    // Every call waits out a 429: for its Retry-After, or a second when it gives none.
    if (result.kind === 'refused' && result.status === 429)
      this.limiter.pauseUntil(this.clock.now() + (result.retryAfterMs ?? PAUSE_WITHOUT_RETRY_AFTER_MS));
    // A 5xx naming a documented code is MantaGO's answer, not an outage.
    const noAnswer = result.kind === 'unreachable' || (result.kind === 'refused' && result.status >= 500 && !answeredWithCode(result));
    if (!noAnswer) this.failing = { failingSince: undefined, lastError: undefined };
    else
      this.failing = {
        failingSince: this.failing.failingSince ?? this.clock.now(),
        lastError: result.kind === 'unreachable' ? result.message : `HTTP ${result.status}`,
      };
    this.options.onCall?.(endpoint, result.kind, result.durationMs / 1000);
    return result;
  }

  private async send(path: string, apiToken: string, body: object, timeoutMs: number, query?: URLSearchParams): Promise<CallResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const search = new URLSearchParams({ botId: this.options.botId, ...(query && Object.fromEntries(query)) });
    // What a far end's message must never carry on into attempts, the admin API and the log.
    const secrets = [apiToken, (body as { secret?: unknown }).secret].filter((s): s is string => typeof s === 'string');
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: `${this.prefix}${path}?${search}`,
        headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.body.text();
      return classify(
        response.statusCode,
        text,
        response.headers['retry-after'],
        elapsed(),
        this.options.maxRetryAfterMs,
        this.clock.now(),
        secrets,
      );
    } catch (error) {
      return { kind: 'unreachable', durationMs: elapsed(), ...describeNetworkError(error, secrets) };
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
