// The shop stand-ins' switches: answer the next calls with an error, and lose chosen webhooks.
import { take } from '../switches.ts';

export { take };

/** Answer the next `count` API calls (all, if count is absent) with this status; 429s carry Retry-After. */
export interface FailSwitch {
  status: number;
  count?: number;
  retryAfterSeconds?: number;
}

/** Which webhooks a shop drops without a try: all (`true`), the next `count`, or those a predicate picks. */
export type LoseRule<T> = boolean | { count: number } | ((delivery: T) => boolean);

export function isLost<T>(rule: LoseRule<T> | undefined, delivery: T): boolean {
  if (!rule) return false;
  if (rule === true) return true;
  if (typeof rule === 'function') return rule(delivery);
  if (rule.count <= 0) return false;
  rule.count--;
  return true;
}
