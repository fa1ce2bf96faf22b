// A delivery worker over fakes: a store queue, MantaGO client and credentials that record what the
// worker asks of them, and a clock the test moves. For the worker's unit tests.
import pino from 'pino';
import type { AttemptResult, ClaimedDelivery } from '../../src/domain/delivery.ts';
import type { BotGate } from '../../src/delivery/bot-pause.ts';
import type { RetryPolicy } from '../../src/delivery/retry-policy.ts';
import { DeliveryWorker } from '../../src/delivery/worker.ts';
import type { Broadcaster, CredentialsSource, WorkerOptions } from '../../src/delivery/worker-deps.ts';
import type { BroadcastRequest } from '../../src/mantago/api.ts';
import type { CallResult } from '../../src/mantago/client.ts';
import type { Renewal } from '../../src/mantago/renewal.ts';
import type { DeliveryQueue } from '../../src/store/store.ts';
import type { BotCheck } from '../../src/mantago/bot-check.ts';
import { FakeClock } from './fake-clock.ts';

export const OPTIONS: WorkerOptions = {
  batchMaxRecipients: 100,
  maxConcurrency: 4,
  pollMs: 1_000,
  leaseMs: 60_000,
  callTimeoutMs: 10_000,
  recordAfterStopMs: 12_000,
  policy: { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 5, maxAgeMs: 86_400_000 },
};

export const delivery = (id: number, clock: FakeClock): ClaimedDelivery => ({
  id,
  source: 'shopify',
  orderId: `o${id}`,
  platform: 'line',
  clientId: `U${String(id).padStart(32, '0')}`,
  rule: 'r',
  intentId: 'm',
  message: null,
  fbTag: null,
  name: `r o${id}`,
  attempts: 0,
  receivedAt: clock.now(),
  waitingSince: clock.now(),
  dueAt: clock.now(),
});

export const ok: CallResult = { kind: 'ok', status: 200, durationMs: 5, body: { success: true } };
export const expired: CallResult = { kind: 'expired', status: 401, durationMs: 5, message: 'Token is invalid or expired' };

/** The queue the loop sees: what each claim returns (then nothing), when the next delivery is due, a 429's pause; the retry policy. */
export interface Queue {
  claims?: ClaimedDelivery[][];
  nextDueAt?: number;
  /** A delivery due from then on that no send claim takes (its recipient still to be looked up). */
  unclaimedDueAt?: number;
  pausedUntil?: number;
  policy?: RetryPolicy;
  /** The bot's state the worker goes by (bot-pause.ts), made on the worker's clock. */
  bot?: (clock: FakeClock) => BotGate;
  /** Why recording attempts fails at this time, if it does (the store down). */
  recordFails?: (now: number) => Error | undefined;
  /** Why giving deliveries back fails this time, if it does (the store down). */
  releaseFails?: () => Error | undefined;
  /** The bot check (bot-check.ts), which a probe without a message falls back on. */
  checkBot?: () => Promise<BotCheck>;
}

export function setupWorker(
  answers: ((request: BroadcastRequest) => CallResult | Promise<CallResult>)[],
  credentials: Partial<CredentialsSource> = {},
  queue: Queue = {},
) {
  const clock = new FakeClock();
  const claimedAt: number[] = [];
  const due = { listener: undefined as (() => void) | undefined };
  const recorded: AttemptResult[][] = [];
  const released: number[][] = [];
  const renewed: { ids: number[]; until: number }[] = [];
  const calls: { request: BroadcastRequest; startBy: number | undefined; at: number }[] = [];
  /** Set by a test: the store's lease was taken over (renewing it changes no row). */
  const lease = { lost: false };
  const store: DeliveryQueue = {
    claimBatch: async (_owner, _limit, _leaseMs, now) => {
      claimedAt.push(now);
      return queue.claims?.shift() ?? [];
    },
    recordAttempts: async (_owner, results) => {
      const failure = queue.recordFails?.(clock.now());
      if (failure) throw failure;
      recorded.push(results);
    },
    leased: async () => [],
    renewLease: async (_owner, ids, until) => {
      renewed.push({ ids, until });
      return lease.lost ? 0 : ids.length;
    },
    release: async (_owner, ids) => {
      const failure = queue.releaseFails?.();
      if (failure) throw failure;
      released.push(ids);
    },
    // Once due, the delivery was claimed: nothing is due after it.
    nextDueAt: async () =>
      queue.unclaimedDueAt ?? (queue.nextDueAt !== undefined && queue.nextDueAt > clock.now() ? queue.nextDueAt : undefined),
    onDeliveryDue: (listener) => {
      due.listener = listener;
      return () => undefined;
    },
  };
  let next = 0;
  const client: Broadcaster = {
    async broadcast(_token, request, options) {
      calls.push({ request, startBy: options?.startBy, at: clock.now() });
      const answer = answers[Math.min(next++, answers.length - 1)];
      return answer ? answer(request) : ok;
    },
    pausedUntil: () => queue.pausedUntil ?? 0,
  };
  const source: CredentialsSource = {
    isUsable: () => true,
    reload: async () => undefined,
    get: async () => ({ apiToken: 't', apiSecret: 's', generation: 1 }),
    expired: async (): Promise<Renewal> => 'renewed',
    superseded: async (): Promise<Renewal> => 'renewed',
    nextRefreshAt: () => undefined,
    onUsable: () => () => undefined,
    ...credentials,
  };
  const worker = new DeliveryWorker({
    owner: 'me',
    store,
    client,
    credentials: source,
    log: pino({ level: 'silent' }),
    options: queue.policy ? { ...OPTIONS, policy: queue.policy } : OPTIONS,
    ...(queue.bot && { bot: queue.bot(clock) }),
    ...(queue.checkBot && { checkBot: queue.checkBot }),
    clock,
    random: () => 0.5,
  });
  return { clock, worker, recorded, released, renewed, calls, lease, claimedAt, due };
}
