// The simulator's credentials: one JWT token (with `exp`) and secret per bot, as MantaGO issues them.
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
