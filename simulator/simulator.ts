// A local stand-in for MantaGO's open API, faithful to its documented behaviour: JWT tokens with
// `exp`, one token/secret pair per bot that a refresh replaces (the old pair dies), the documented
// codes (1004 an invalid or expired token, 120000 an old pair, 1002 a wrong secret or a plan without
// the API, 5001 an unknown bot, 36000 a broadcast refused, 110000 fields missing), validation of the
// broadcast body, and the Client API (members bound to the bot's users). Switches make it slow,
// failing, rate-limiting, expired or refusing on demand. It is the far end of the tests and of the
// demo; it is not part of the service.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BIND_PATH,
  BROADCAST_PATH,
  CLIENT_PATH,
  CLIENTS_PATH,
  type MantagoClientRecord,
  TOKEN_LIFETIME_MS,
  TOKEN_PATH,
} from '../src/mantago/api.ts';
import { MANTAGO_CODES } from '../src/mantago/error-codes.ts';
import { type Answer, error, fieldsMissing, missingBroadcastFields, parseBroadcast, type Reply } from './answers.ts';
import { Hold } from './hold.ts';
import { CallLog } from './call-log.ts';
import { ClientDirectory } from './clients.ts';
import { control } from './control.ts';
import { PairBook } from './pair.ts';
import { DEFAULT_SWITCHES, type Switches, take } from './switches.ts';
import { ClientTagBook, TAG_PATHS } from './tags.ts';

export type { ReceivedBroadcast } from './answers.ts';
export type { CallRecord } from './call-log.ts';
export type { Switches } from './switches.ts';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  botId?: string;
  /** How long a newly issued token lasts (its JWT `exp`). */
  tokenLifetimeMs?: number;
  latencyMs?: number;
  /** MantaGO's clock (tokens' `iat`/`exp`, expiry, the times it records); a test shares the service's with it. */
  now?: () => number;
}

const CONTROL_PREFIX = '/__simulator';
/** A held call let go as a failure: MantaGO did nothing with it. */
const HELD_CALL_FAILED: Reply = [503, error('Service unavailable (held, then let go without being carried out)')];
const API_PATHS = [BROADCAST_PATH, TOKEN_PATH, CLIENTS_PATH, BIND_PATH, ...TAG_PATHS];

export class MantagoSimulator extends CallLog {
  readonly botId: string;
  readonly tokenLifetimeMs: number;
  private readonly now: () => number;
  /** The bot's users and the members bound to them. */
  readonly clients = new ClientDirectory();
  /** The bot's client tags and the users carrying them (simulator/tags.ts). */
  readonly tags: ClientTagBook;
  switches: Switches;
  private readonly pairs: PairBook;
  /** The current token answers 1004 until refreshed (the expire switch). */
  forcedExpiry = false;
  private inFlight = 0;
  private peakInFlight = 0;
  private server: Server | undefined;
  private readonly hold = new Hold();
  private origin = '';

  constructor(options: SimulatorOptions = {}) {
    super();
    this.now = options.now ?? Date.now;
    this.botId = options.botId ?? 'simBot01';
    this.tokenLifetimeMs = options.tokenLifetimeMs ?? TOKEN_LIFETIME_MS;
    this.switches = { ...DEFAULT_SWITCHES, latencyMs: options.latencyMs ?? 0 };
    this.pairs = new PairBook(this.botId, this.tokenLifetimeMs, this.now());
    this.tags = new ClientTagBook(this.botId);
  }

  private get pair() {
    return this.pairs.current;
  }

  /** When the current token expires. */
  get tokenExpiresAt(): number {
    return this.pair.expiresAt;
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
    this.pairs.rotate(this.now());
    this.forcedExpiry = false;
    return this.credentials();
  }

  /** The current token answers 1004 from now on; it can still be refreshed, as an expired token can. */
  expireToken(): void {
    this.forcedExpiry = true;
  }

  set(switches: Partial<Switches>): void {
    this.switches = { ...this.switches, ...switches };
    if (!this.switches.hold) this.hold.release();
  }

  /** Lifts the hold answering every held call 503 without carrying it out: none of them happened. */
  failHeldCalls(): void {
    this.switches = { ...this.switches, hold: false };
    this.hold.release('failed');
  }

  /** Calls held by the `hold` switch: how many wait now. */
  get heldCalls(): number {
    return this.hold.count;
  }

  /** A user of the bot (bound to a shop's member when `customerId` is given). */
  addClient(client: Partial<MantagoClientRecord> & Pick<MantagoClientRecord, 'clientId'>): MantagoClientRecord {
    return this.clients.add(client);
  }

  /** The most broadcasts that were being handled at once. */
  maxConcurrentCalls(): number {
    return this.peakInFlight;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => send(res, [500, error(String(e))]));
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = this.now(); // when the call arrived, before its body is read
    const url = new URL(req.url ?? '/', 'http://simulator');
    const body = await readBody(req);
    if (url.pathname.startsWith(CONTROL_PREFIX))
      return send(res, control(this, url.pathname.slice(CONTROL_PREFIX.length), req.method ?? 'GET', body));
    const known = API_PATHS.includes(url.pathname) || url.pathname.startsWith(`${CLIENT_PATH}/`);
    if (req.method !== 'POST' || !known) return send(res, [404, error('Not found')]);
    const counted = url.pathname === BROADCAST_PATH;
    if (counted) this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      if (this.switches.latencyMs > 0) await sleep(this.switches.latencyMs);
      const held = this.switches.hold ? await this.hold.wait(req, res, () => this.switches.hold) : 'carried_out';
      if (res.destroyed || req.socket.destroyed) return; // the caller gave up: nothing happened
      const page = held === 'failed' ? undefined : take(this.switches.gatewayPage);
      if (page) {
        this.calls.push({ at, path: url.pathname, status: page.status });
        res.writeHead(page.status, { 'content-type': 'text/html' });
        return void res.end(`<html><body><h1>${page.status}</h1>a gateway in front of MantaGO</body></html>`);
      }
      const answer = held === 'failed' ? HELD_CALL_FAILED : this.answer(url, req.headers.authorization, body);
      const [status, content] = answer;
      const customerId = url.searchParams.get('customerId') ?? undefined;
      this.calls.push({
        at,
        path: url.pathname,
        status,
        ...(content.success === false && { error: content.errResponse.message, code: content.errResponse.code }),
        ...(customerId !== undefined && { customerId }),
      });
      if (url.pathname === TOKEN_PATH && this.switches.tokenLatencyMs > 0) await sleep(this.switches.tokenLatencyMs);
      send(res, answer);
    } finally {
      if (counted) this.inFlight--;
    }
  }

  private answer(url: URL, authorization: string | undefined, raw: string): Reply {
    const fail = take(this.switches.fail);
    if (fail) {
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
    if (!botId) return fieldsMissing(['botId']);
    if (botId !== this.botId) return [404, error('Bot not found', MANTAGO_CODES.NO_SUCH_BOT)];
    if (this.switches.permissionDenied) return [403, error('Permission denied', MANTAGO_CODES.PERMISSION_DENIED)];
    const token = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
    const expired: Reply = [
      this.switches.expiredStatus,
      { success: false, errResponse: { message: 'Token is invalid or expired', code: MANTAGO_CODES.TOKEN_EXPIRED, botId: this.botId } },
    ];
    if (body.secret === undefined) return fieldsMissing(['secret']);
    // An expired token (by `exp` or forced) may still refresh its own pair; a replaced pair may not.
    const pair = this.pairs.check(token, body.secret);
    if (pair === 'old') return [401, error('This token and secret are an old pair: they were refreshed', MANTAGO_CODES.OLD_PAIR)];
    if (pair === 'wrong_secret') return [403, error('Permission denied', MANTAGO_CODES.PERMISSION_DENIED)];
    if (pair === 'unknown') return expired;
    if (url.pathname === TOKEN_PATH) {
      if (this.switches.rejectRefresh) return expired;
      this.pairs.rotate(this.now());
      this.forcedExpiry = false;
      return [200, { success: true, apiToken: this.pair.apiToken, apiSecret: this.pair.apiSecret }];
    }
    if (this.forcedExpiry || this.now() >= this.pair.expiresAt) return expired;
    if (url.pathname === BROADCAST_PATH) return this.broadcast(body);
    if (url.pathname === BIND_PATH) return this.clients.answerBind(body, take(this.switches.failBinds) !== undefined);
    if (TAG_PATHS.includes(url.pathname)) {
      const failing = take(this.switches.failTags);
      if (failing?.code === MANTAGO_CODES.PERMISSION_DENIED) return [failing.status, error('Permission denied', failing.code)];
      if (failing) return [failing.status, error(failing.status === 429 ? 'Too many requests' : 'Internal server error')];
      return this.tags.answer(url.pathname, url.searchParams, body, this.switches.refusedClientIds);
    }
    return this.clients.answerLookup(url, take(this.switches.failLookups));
  }

  private broadcast(body: Record<string, unknown>): Reply {
    const missing = missingBroadcastFields(body);
    if (missing.length > 0) return fieldsMissing(missing);
    const broadcast = parseBroadcast(body, this.now());
    if (typeof broadcast === 'string') return [400, error(broadcast)];
    const refused = this.switches.notPublished || broadcast.clientIds.some((id) => this.switches.refusedClientIds.includes(id));
    if (refused) return [403, error('Create broadcast failed', MANTAGO_CODES.BROADCAST_FAILED)];
    const failFor = this.switches.failFor;
    if (failFor && broadcast.clientIds.some((id) => failFor.clientIds.includes(id)))
      return [failFor.status, error('Internal server error')];
    let roll = Math.random();
    for (const failure of this.switches.randomFailures) {
      roll -= failure.rate;
      if (roll < 0) {
        const headers = failure.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(failure.retryAfterSeconds) };
        return [failure.status, error(failure.status === 429 ? 'Too many requests' : 'Internal server error'), headers];
      }
    }
    this.broadcasts.push(broadcast);
    return [200, { success: true, message: 'Send customer broadcast successfully' }];
  }
}

function send(res: ServerResponse, [status, body, headers = {}]: Reply | [number, Answer]): void {
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
