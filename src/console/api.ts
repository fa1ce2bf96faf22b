// The console is a client of the admin API and nothing more: every call carries the admin token as a
// bearer header, read from this tab's sessionStorage (never a URL, a cookie or a log).
// The types say what the console reads; every field may be missing, so pages render what is there.

import { directoryKeyProblem } from '../mapping/directory-keys.ts';

const TOKEN_KEY = 'mantago-notifier-console.admin-token';

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * A recipient key's path under /admin, checked first as the service checks it: a key of `.` or `..`
 * would be resolved away by the browser before it reached the service (`/admin/recipients/..` is `/admin/`).
 */
export function recipientPath(key: string): string {
  const problem = directoryKeyProblem(key);
  if (problem) throw new ApiError(400, 'INVALID_KEY', problem);
  return `/recipients/${encodeURIComponent(key)}`;
}

let unauthorized: (error: ApiError) => void = () => undefined;
/** Told when the admin API refuses the token (wrong, or rotated since sign-in). */
export function onUnauthorized(handler: (error: ApiError) => void): void {
  unauthorized = handler;
}

export interface Reply<T> {
  status: number;
  data: T;
}

/** One admin API call; answers with any status the caller expects, throws ApiError otherwise. */
export async function request<T>(
  method: string,
  path: string,
  options: { body?: unknown; expect?: number[]; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const token = session.token();
  if (!token) throw new ApiError(401, 'UNAUTHORIZED', 'not signed in');
  const headers: Record<string, string> = { ...options.headers, accept: 'application/json', authorization: `Bearer ${token}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const init: RequestInit = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);
  // Relative to /console/, so the console works wherever the service is mounted.
  let response: Response;
  try {
    response = await fetch(`../admin${path}`, init);
  } catch {
    // The browser says only "Failed to fetch": the service (or the network to it) did not answer.
    throw new ApiError(0, 'NO_ANSWER', 'the service did not answer (is it running, and reachable from here?)');
  }
  const text = await response.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined; // e.g. a proxy's HTML error page
  }
  if (response.ok || options.expect?.includes(response.status)) return { status: response.status, data: data as T };
  const problem = (data ?? {}) as { code?: string; message?: string };
  const error = new ApiError(
    response.status,
    problem.code ?? `HTTP_${response.status}`,
    problem.message ?? `HTTP ${response.status} ${response.statusText}`,
  );
  if (response.status === 401) unauthorized(error);
  throw error;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await request<T>(method, path, body === undefined ? {} : { body })).data;
}

export type Maybe<T> = T | null | undefined;

export interface Credentials {
  botId?: Maybe<string>;
  state?: Maybe<string>;
  generation?: Maybe<number>;
  origin?: Maybe<string>;
  obtainedAt?: Maybe<string>;
  expiresAt?: Maybe<string>;
  lastRefreshAt?: Maybe<string>;
  lastError?: Maybe<string>;
}

/** GET /admin/mantago: whether MantaGO takes the bot. */
export interface Mantago {
  usable?: Maybe<string>;
  state?: Maybe<string>;
  reason?: Maybe<string>;
  code?: Maybe<number>;
  message?: Maybe<string>;
  since?: Maybe<string>;
  nextProbeAt?: Maybe<string>;
}

export interface Overview {
  deliveries?: Maybe<{ pending?: Maybe<number>; oldestPendingSince?: Maybe<string>; dead?: Maybe<number>; sentLastHour?: Maybe<number> }>;
  tagJobs?: Maybe<{ dead?: Maybe<number> }>;
  credentials?: Maybe<Credentials>;
  mantago?: Maybe<Mantago>;
  sources?: Maybe<{ name?: Maybe<string>; path?: Maybe<string>; enabled?: Maybe<boolean> }[]>;
  dryRun?: Maybe<boolean>;
  version?: Maybe<string>;
}

export interface Delivery {
  id: number;
  source?: Maybe<string>;
  shop?: Maybe<string>;
  orderId?: Maybe<string>;
  orderNumber?: Maybe<string>;
  event?: Maybe<string>;
  waitReason?: Maybe<string>;
  topic?: Maybe<string>;
  status?: Maybe<string>;
  platform?: Maybe<string>;
  clientId?: Maybe<string>;
  recipientVia?: Maybe<string>;
  rule?: Maybe<string>;
  intentId?: Maybe<string>;
  message?: Maybe<string>;
  fbTag?: Maybe<string>;
  name?: Maybe<string>;
  attempts?: Maybe<number>;
  receivedAt?: Maybe<string>;
  nextAttemptAt?: Maybe<string>;
  inFlight?: Maybe<boolean>;
  finishedAt?: Maybe<string>;
  redrivenAt?: Maybe<string>;
  lastError?: Maybe<string>;
}

export interface Attempt {
  startedAt?: Maybe<string>;
  durationMs?: Maybe<number>;
  outcome?: Maybe<string>;
  httpStatus?: Maybe<number>;
  error?: Maybe<string>;
  nextAttemptAt?: Maybe<string>;
  batchSize?: Maybe<number>;
}

export interface DeliveryDetail extends Delivery {
  order?: Maybe<Record<string, unknown>>;
  attemptLog?: Maybe<Attempt[]>;
  tagging?: Maybe<TagJob[]>;
}

/** A MantaGO tag put on (or taken off) the delivery's user. */
export interface TagJob {
  id?: Maybe<number>;
  deliveryId?: Maybe<number>;
  platform?: Maybe<string>;
  clientId?: Maybe<string>;
  finishedAt?: Maybe<string>;
  action?: Maybe<string>;
  tag?: Maybe<string>;
  status?: Maybe<string>;
  lastError?: Maybe<string>;
  attemptLog?: Maybe<Omit<Attempt, 'batchSize' | 'nextAttemptAt'>[]>;
}

export interface DeliveryPage {
  deliveries?: Maybe<Delivery[]>;
  nextCursor?: Maybe<number>;
}

export interface Recipient {
  key?: Maybe<string>;
  platform?: Maybe<string>;
  userId?: Maybe<string>;
  updatedAt?: Maybe<string>;
  optOut?: Maybe<boolean>;
  optedOutAt?: Maybe<string>;
}

export interface BroadcastReply {
  status?: Maybe<string>;
  deliveryIds?: Maybe<number[]>;
  deliveries?: Maybe<{ id: number; userId: string; status: string }[]>;
  /** Users the directory binds to a customer key that opted out (sent anyway: the operator's own broadcast). */
  optedOutUserIds?: Maybe<string[]>;
  mantago?: Maybe<{
    httpStatus?: Maybe<number>;
    durationMs?: Maybe<number>;
    reply?: Maybe<Record<string, unknown>>;
    error?: Maybe<string>;
  }>;
}

/** GET /admin/recipients/resolve. */
export interface Resolution {
  steps?: { entry?: string; found?: string }[];
  recipient?: { platform: string; userId: string; via: string } | null;
  skipped?: string | null;
  rule?: string | null;
  binds?: { clientId: string; status: string; attempts: number; lastError: string | null }[];
}
