// The simulator's switches: how slow, failing, rate-limited or refusing MantaGO is right now.

export interface Switches {
  /** Delay before each call is handled; a call whose client hangs up meanwhile is not handled. */
  latencyMs: number;
  /** Hold every call (after its latency) until this is switched off; a caller that hangs up meanwhile is not handled. */
  hold: boolean;
  /** How much later a token refresh is answered. The pair rotates when the call arrives, as MantaGO completes it whether or not the caller waits. */
  tokenLatencyMs: number;
  /** Answer the next `count` calls (all, if count is absent) with this status, as an outage would. */
  fail: { status: number; count?: number; retryAfterSeconds?: number } | null;
  /** Broadcasts fail at random: each entry's share of them with its status (a flaky day). */
  randomFailures: { rate: number; status: number; retryAfterSeconds?: number }[];
  /** The HTTP status of a 1004 "Token is invalid or expired" answer: MantaGO has been seen to use 401 and 200. */
  expiredStatus: number;
  /** Refuse token refreshes, as MantaGO does for a pair it no longer knows. */
  rejectRefresh: boolean;
  /** A broadcast naming any of these client ids is refused as a whole: 403, code 36000 "Create broadcast failed". */
  refusedClientIds: string[];
  /** A broadcast naming any of these client ids fails with this status (a 5xx: MantaGO failing on that message, not an outage). */
  failFor: { clientIds: string[]; status: number } | null;
  /** The bot is not published: every broadcast is refused with 403, code 36000. */
  notPublished: boolean;
  /** The bot's plan has no Open API (or lapsed): every call is refused with 403, code 1002. */
  permissionDenied: boolean;
  /** Answer the next `count` client lookups (list and get; all, if count is absent) with this status. */
  failLookups: { status: number; count?: number } | null;
  /** Refuse the next `count` binds (all, if count is absent) with code 60001. */
  failBinds: { count?: number } | null;
  /** Answer the next `count` tag calls (create, list, put on, take off; all, if count is absent) with this status (and code 1002: a plan without tagging). */
  failTags: { status: number; count?: number; code?: number } | null;
  /** A gateway in front of MantaGO answers the next `count` calls (all, if count is absent) with an HTML page of this status (a WAF's 403, a moved route's 404). */
  gatewayPage: { status: number; count?: number } | null;
}

export const DEFAULT_SWITCHES: Switches = {
  latencyMs: 0,
  hold: false,
  tokenLatencyMs: 0,
  fail: null,
  randomFailures: [],
  expiredStatus: 401,
  rejectRefresh: false,
  refusedClientIds: [],
  failFor: null,
  notPublished: false,
  permissionDenied: false,
  failLookups: null,
  gatewayPage: null,
  failBinds: null,
  failTags: null,
};
/** Takes one use of a switch that lasts `count` uses (or for good, without a count). */
export function take<T extends { count?: number }>(sw: T | null): T | undefined {
  if (!sw || (sw.count !== undefined && sw.count <= 0)) return undefined;
  if (sw.count !== undefined) sw.count--;
  return sw;
}
