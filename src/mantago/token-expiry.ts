// When a MantaGO API token stops working: its JWT `exp` claim, else 30 days after it was obtained.
// An `exp` no later than that is ignored too: a token expired as it was issued would be refreshed
// at once, again and again, each refresh killing the pair before it.
import { TOKEN_LIFETIME_MS } from './api.ts';

/** The latest instant a Date can hold (ECMAScript's ±8.64e15 ms): an `exp` beyond it is no date at all. */
const LATEST_DATE_MS = 8.64e15;

export function tokenExpiry(token: string, obtainedAt: number): number {
  const payload = token.split('.')[1];
  if (payload) {
    try {
      const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
      // Whole milliseconds within a Date's range: what the store and every ISO view can hold.
      if (typeof exp === 'number' && exp * 1000 > obtainedAt && exp * 1000 <= LATEST_DATE_MS) return Math.floor(exp * 1000);
    } catch {
      // not a JWT: fall through to the documented lifetime
    }
  }
  return obtainedAt + TOKEN_LIFETIME_MS;
}
