// When a MantaGO API token stops working: its JWT `exp` claim, else 30 days after it was obtained.
import { TOKEN_LIFETIME_MS } from './api.ts';

export function tokenExpiry(token: string, obtainedAt: number): number {
  const payload = token.split('.')[1];
  if (payload) {
    try {
      const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
      if (typeof exp === 'number' && Number.isFinite(exp)) return exp * 1000;
    } catch {
      // not a JWT: fall through to the documented lifetime
    }
  }
  return obtainedAt + TOKEN_LIFETIME_MS;
}
