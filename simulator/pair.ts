// The simulator's credentials: one JWT token (with `exp`) and secret per bot, as MantaGO issues
// them, and what it says of a pair presented to it: the current one, one it replaced (120000: an
// old pair, refreshed elsewhere), the current token with a wrong secret (1002), or none it knows (1004).
import { createHmac, randomBytes } from 'node:crypto';

export interface Pair {
  apiToken: string;
  apiSecret: string;
  expiresAt: number;
}

export function issuePair(botId: string, lifetimeMs: number, signingKey: Buffer, now = Date.now()): Pair {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const exp = Math.floor((now + lifetimeMs) / 1000);
  const claims = { botId, iat: Math.floor(now / 1000), exp, jti: randomBytes(8).toString('hex') };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createHmac('sha256', signingKey).update(`${header}.${payload}`).digest('base64url');
  return { apiToken: `${header}.${payload}.${signature}`, apiSecret: randomBytes(24).toString('base64url'), expiresAt: exp * 1000 };
}

/** What MantaGO makes of a token and secret. */
export type PairCheck = 'current' | 'old' | 'wrong_secret' | 'unknown';

export class PairBook {
  current: Pair;
  /** Tokens of pairs a refresh (or the dashboard) replaced. */
  private readonly replaced = new Set<string>();
  private readonly botId: string;
  private readonly lifetimeMs: number;
  private readonly signingKey = randomBytes(32);

  constructor(botId: string, lifetimeMs: number, now: number) {
    this.botId = botId;
    this.lifetimeMs = lifetimeMs;
    this.current = issuePair(botId, lifetimeMs, this.signingKey, now);
  }

  /** A new pair; the one it replaces is dead from now on, and known as an old one. */
  rotate(now: number): Pair {
    this.replaced.add(this.current.apiToken);
    this.current = issuePair(this.botId, this.lifetimeMs, this.signingKey, now);
    return this.current;
  }

  check(token: string | undefined, secret: unknown): PairCheck {
    if (token === this.current.apiToken) return secret === this.current.apiSecret ? 'current' : 'wrong_secret';
    return token !== undefined && this.replaced.has(token) ? 'old' : 'unknown';
  }
}
