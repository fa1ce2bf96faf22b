// A local stand-in for MantaGO's open API, faithful to its documented behaviour: JWT tokens with
// `exp`, one token/secret pair per bot that a refresh replaces (the old pair dies), code 1004 for
// an invalid or expired token, validation of the broadcast body. Switches make it slow, failing,
// rate-limiting or expired on demand. It is the far end of the tests and of the demo.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FB_TAGS } from '../src/domain/content.ts';
import { isValidUserId, PLATFORMS, type Platform } from '../src/domain/recipient.ts';
import { BROADCAST_PATH, TOKEN_EXPIRED_CODE, TOKEN_LIFETIME_MS, TOKEN_PATH } from '../src/mantago/api.ts';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  botId?: string;
  /** How long a newly issued token lasts (its JWT `exp`). */
  tokenLifetimeMs?: number;
  latencyMs?: number;
}

export interface Switches {
  /** Delay before each call is handled; a call whose client hangs up meanwhile is not handled. */
  latencyMs: number;
  /** Answer the next `count` calls (all, if count is absent) with this status, as an outage would. */
  fail: { status: number; count?: number; retryAfterSeconds?: number } | null;
  /** The HTTP status of a 1004 "Token is invalid or expired" answer: MantaGO has been seen to use 401 and 200. */
  expiredStatus: number;
  /** Refuse token refreshes, as MantaGO does for a pair it no longer knows. */
  rejectRefresh: boolean;
  /** A broadcast naming any of these client ids is refused as a whole with 403. */
  refusedClientIds: string[];
}

export interface ReceivedBroadcast {
  at: number;
  platform: Platform;
  clientIds: string[];
  intentId?: string;
  message?: string;
  fbTag?: string;
  name?: string;
}

export interface CallRecord {
  at: number;
  path: string;
  status: number;
  error?: string;
}

interface Pair {
  apiToken: string;
  apiSecret: string;
  expiresAt: number;
}

const DEFAULT_SWITCHES: Switches = { latencyMs: 0, fail: null, expiredStatus: 401, rejectRefresh: false, refusedClientIds: [] };
const CONTROL_PREFIX = '/__simulator';

export class MantagoSimulator {
  readonly botId: string;
  readonly tokenLifetimeMs: number;
  /** Broadcasts MantaGO accepted, in order. */
  readonly broadcasts: ReceivedBroadcast[] = [];
  /** Every API call, whatever came of it. */
  readonly calls: CallRecord[] = [];
  switches: Switches;
  private pair: Pair;
  private forcedExpiry = false;
  private readonly signingKey = randomBytes(32);
  private inFlight = 0;
  private peakInFlight = 0;
  private server: Server | undefined;
  private origin = '';

  constructor(options: SimulatorOptions = {}) {
    this.botId = options.botId ?? 'simBot01';
    this.tokenLifetimeMs = options.tokenLifetimeMs ?? TOKEN_LIFETIME_MS;
    this.switches = { ...DEFAULT_SWITCHES, latencyMs: options.latencyMs ?? 0 };
    this.pair = this.issue();
  }

  get url(): string {
    return this.origin;
  }

  /** The pair that works now, as the MantaGO dashboard would show it. */
  credentials(): { apiToken: string; apiSecret: string } {
    return { apiToken: this.pair.apiToken, apiSecret: this.pair.apiSecret };
  }

  /** The settings that point the service at this simulator, with the pair that works now. */
  serviceEnv(): { MANTAGO_BASE_URL: string; MANTAGO_BOT_ID: string; MANTAGO_API_TOKEN: string; MANTAGO_API_SECRET: string } {
    return {
      MANTAGO_BASE_URL: this.url,
      MANTAGO_BOT_ID: this.botId,
      MANTAGO_API_TOKEN: this.pair.apiToken,
      MANTAGO_API_SECRET: this.pair.apiSecret,
    };
  }

  /** Like regenerating the pair in the dashboard: a new pair, the old one dead. */
  issuePair(): { apiToken: string; apiSecret: string } {
    this.pair = this.issue();
    this.forcedExpiry = false;
    return this.credentials();
  }

  /** The current token answers 1004 from now on; it can still be refreshed, as an expired token can. */
  expireToken(): void {
    this.forcedExpiry = true;
  }

  set(switches: Partial<Switches>): void {
    this.switches = { ...this.switches, ...switches };
  }

  refreshCalls(): CallRecord[] {
    return this.calls.filter((c) => c.path === TOKEN_PATH);
  }

  broadcastCalls(): CallRecord[] {
    return this.calls.filter((c) => c.path === BROADCAST_PATH);
  }

  /** Every client id MantaGO accepted, once per time it was sent. */
  deliveredClientIds(): string[] {
    return this.broadcasts.flatMap((b) => b.clientIds);
  }

  /** The most broadcast/token calls that were being handled at once. */
  maxConcurrentCalls(): number {
    return this.peakInFlight;
  }

  /** The most calls that arrived within any one second. */
  maxCallsPerSecond(): number {
    const times = this.calls.map((c) => c.at).sort((a, b) => a - b);
    let peak = 0;
    for (let start = 0, end = 0; end < times.length; end++) {
      while ((times[end] as number) - (times[start] as number) >= 1000) start++;
      peak = Math.max(peak, end - start + 1);
    }
    return peak;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => reply(res, 500, { success: false, errResponse: { message: String(error) } }));
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server?.listen(port, host, resolve));
    const address = this.server.address() as AddressInfo;
    this.origin = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private issue(): Pair {
    const now = Date.now();
    const expiresAt = now + this.tokenLifetimeMs;
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const claims = {
      botId: this.botId,
      iat: Math.floor(now / 1000),
      exp: Math.floor(expiresAt / 1000),
      jti: randomBytes(8).toString('hex'),
    };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const signature = createHmac('sha256', this.signingKey).update(`${header}.${payload}`).digest('base64url');
    return {
      apiToken: `${header}.${payload}.${signature}`,
      apiSecret: randomBytes(24).toString('base64url'),
      expiresAt: claims.exp * 1000,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now(); // when the call arrived, before its body is read
    const url = new URL(req.url ?? '/', 'http://simulator');
    const body = await readBody(req);
    if (url.pathname.startsWith(CONTROL_PREFIX))
      return this.control(url.pathname.slice(CONTROL_PREFIX.length), req.method ?? 'GET', body, res);
    if (req.method !== 'POST' || (url.pathname !== BROADCAST_PATH && url.pathname !== TOKEN_PATH)) {
      return reply(res, 404, { success: false, errResponse: { message: 'Not found' } });
    }
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      if (this.switches.latencyMs > 0) await sleep(this.switches.latencyMs);
      if (res.destroyed || req.socket.destroyed) return; // the caller gave up: nothing happened
      const [status, answer, headers] = this.answer(url, req.headers.authorization, body);
      this.calls.push({ at, path: url.pathname, status, ...(answer.success === false && { error: answer.errResponse.message }) });
      reply(res, status, answer, headers);
    } finally {
      this.inFlight--;
    }
  }

  private answer(url: URL, authorization: string | undefined, raw: string): [number, Answer, Record<string, string>?] {
    const fail = this.switches.fail;
    if (fail && (fail.count === undefined || fail.count > 0)) {
      if (fail.count !== undefined) fail.count--;
      const headers = fail.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(fail.retryAfterSeconds) };
      return [fail.status, error(fail.status === 429 ? 'Too many requests' : 'Internal server error'), headers];
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return [400, error('Request body must be a JSON object')];
    }
    const botId = url.searchParams.get('botId') ?? body.botId;
    if (!botId) return [400, error('botId is required')];
    if (botId !== this.botId) return [404, error('Bot not found')];
    const token = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
    const expired: [number, Answer] = [
      this.switches.expiredStatus,
      { success: false, errResponse: { message: 'Token is invalid or expired', code: TOKEN_EXPIRED_CODE, botId: this.botId } },
    ];
    // An expired token (by `exp` or forced) may still refresh its own pair; a replaced pair may not.
    if (token !== this.pair.apiToken || body.secret !== this.pair.apiSecret) return expired;
    if (url.pathname === TOKEN_PATH) {
      if (this.switches.rejectRefresh) return expired;
      this.pair = this.issue();
      this.forcedExpiry = false;
      return [200, { success: true, apiToken: this.pair.apiToken, apiSecret: this.pair.apiSecret }];
    }
    if (this.forcedExpiry || Date.now() >= this.pair.expiresAt) return expired;
    return this.broadcast(body);
  }

  private broadcast(body: Record<string, unknown>): [number, Answer] {
    const { platform, intentId, message, clientIds, fbTag, name } = body;
    if (!PLATFORMS.includes(platform as Platform)) return [400, error(`platform must be one of ${PLATFORMS.join(', ')}`)];
    if ((intentId === undefined) === (message === undefined)) return [400, error('Exactly one of intentId or message is required')];
    if (intentId !== undefined && (typeof intentId !== 'string' || !intentId)) return [400, error('intentId must be a non-empty string')];
    if (message !== undefined && (typeof message !== 'string' || !message || message.length > 5000))
      return [400, error('message must be 1 to 5000 characters')];
    if (platform === 'facebook' && !FB_TAGS.includes(fbTag as (typeof FB_TAGS)[number]))
      return [400, error('fbTag is required for facebook')];
    if (typeof name !== 'string' || !name) return [400, error('name is required')];
    if (!Array.isArray(clientIds) || clientIds.length === 0 || !clientIds.every((id) => typeof id === 'string')) {
      return [400, error('clientIds must be a non-empty array of strings')];
    }
    const ids = clientIds as string[];
    const invalid = ids.find((id) => !isValidUserId(platform as Platform, id));
    if (invalid) return [400, error(`clientIds contains an id that is not a ${String(platform)} user id`)];
    if (ids.some((id) => this.switches.refusedClientIds.includes(id))) return [403, error('Create broadcast failed')];
    this.broadcasts.push({
      at: Date.now(),
      platform: platform as Platform,
      clientIds: ids,
      ...(intentId !== undefined && { intentId: intentId as string }),
      ...(message !== undefined && { message: message as string }),
      ...(fbTag !== undefined && { fbTag: fbTag as string }),
      name,
    });
    return [200, { success: true, message: 'Send customer broadcast successfully' }];
  }

  /** For `npm run simulator`: look at what arrived and flip switches with curl. */
  private control(path: string, method: string, raw: string, res: ServerResponse) {
    if (method === 'GET' && path === '/broadcasts') return reply(res, 200, { broadcasts: this.broadcasts });
    if (method === 'GET' && path === '/state') {
      return reply(res, 200, {
        botId: this.botId,
        switches: this.switches,
        tokenExpiresAt: new Date(this.pair.expiresAt).toISOString(),
        forcedExpiry: this.forcedExpiry,
        broadcasts: this.broadcasts.length,
        refreshCalls: this.refreshCalls().length,
      });
    }
    if (method === 'POST' && path === '/switches') {
      try {
        this.set(JSON.parse(raw || '{}') as Partial<Switches>);
      } catch {
        return reply(res, 400, { error: 'body must be JSON' });
      }
      return reply(res, 200, { switches: this.switches });
    }
    if (method === 'POST' && path === '/expire') {
      this.expireToken();
      return reply(res, 200, { expired: true });
    }
    if (method === 'POST' && path === '/pair') return reply(res, 200, this.issuePair());
    return reply(res, 404, { error: 'unknown simulator control' });
  }
}

type Answer =
  | { success: true; [key: string]: unknown }
  | { success: false; errResponse: { message: string; code?: number; botId?: string } };

const error = (message: string): Answer => ({ success: false, errResponse: { message } });

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<MantagoSimulator> {
  return new MantagoSimulator(options).listen(options.port ?? 0, options.host ?? '127.0.0.1');
}
