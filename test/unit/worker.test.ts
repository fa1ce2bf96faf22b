// The delivery worker through its seams: a fake store, MantaGO client and credentials, and a
// clock the test moves. What it records and hands back for each kind of answer.
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import type { AttemptResult, ClaimedDelivery } from '../../src/domain/delivery.ts';
import { DeliveryWorker, type Broadcaster, type CredentialsSource, type WorkerOptions } from '../../src/delivery/worker.ts';
import type { BroadcastRequest } from '../../src/mantago/api.ts';
import type { CallResult } from '../../src/mantago/client.ts';
import type { Renewal } from '../../src/mantago/renewal.ts';
import type { DeliveryQueue } from '../../src/store/store.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const OPTIONS: WorkerOptions = {
  batchMaxRecipients: 100,
  maxConcurrency: 4,
  pollMs: 1_000,
  leaseMs: 60_000,
  callTimeoutMs: 10_000,
  policy: { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 5, maxAgeMs: 86_400_000 },
};

const delivery = (id: number, clock: FakeClock): ClaimedDelivery => ({
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
});

const ok: CallResult = { kind: 'ok', status: 200, durationMs: 5, body: { success: true } };
const expired: CallResult = { kind: 'expired', status: 401, durationMs: 5, message: 'Token is invalid or expired' };

function setup(answers: ((request: BroadcastRequest) => CallResult | Promise<CallResult>)[], credentials: Partial<CredentialsSource> = {}) {
  const clock = new FakeClock();
  const recorded: AttemptResult[][] = [];
  const released: number[][] = [];
  const renewed: { ids: number[]; until: number }[] = [];
  const calls: { request: BroadcastRequest; startBy: number | undefined; at: number }[] = [];
  /** Set by a test: the store's lease was taken over (renewing it changes no row). */
  const lease = { lost: false };
  const store: DeliveryQueue = {
    claimBatch: async () => [],
    recordAttempts: async (_owner, results) => void recorded.push(results),
    leased: async () => [],
    renewLease: async (_owner, ids, until) => {
      renewed.push({ ids, until });
      return lease.lost ? 0 : ids.length;
    },
    release: async (_owner, ids) => void released.push(ids),
    nextDueAt: async () => undefined,
    onDeliveryDue: () => () => undefined,
  };
  let next = 0;
  const client: Broadcaster = {
    async broadcast(_token, request, options) {
      calls.push({ request, startBy: options?.startBy, at: clock.now() });
      const answer = answers[Math.min(next++, answers.length - 1)];
      return answer ? answer(request) : ok;
    },
    pausedUntil: () => 0,
  };
  const source: CredentialsSource = {
    isUsable: () => true,
    reload: async () => undefined,
    get: async () => ({ apiToken: 't', apiSecret: 's', generation: 1 }),
    expired: async (): Promise<Renewal> => 'renewed',
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
    options: OPTIONS,
    clock,
    random: () => 0.5,
  });
  return { clock, worker, recorded, released, renewed, calls, lease };
}

describe('DeliveryWorker', () => {
  test('an expired token is renewed and the same claim sends again; a call that could outlast the lease renews it first', async () => {
    let clock: FakeClock | undefined;
    const {
      worker,
      recorded,
      renewed,
      calls,
      clock: c,
    } = setup([
      async () => {
        await clock?.advance(55_000); // MantaGO took its time: the lease has 5 s left, less than a call may take
        return expired;
      },
      () => ok,
    ]);
    clock = c;
    const batch = [delivery(1, c), delivery(2, c)];
    const leaseUntil = c.now() + OPTIONS.leaseMs;
    await worker.sendNow(batch, leaseUntil);
    expect(recorded.map((r) => r.map((a) => [a.attempt.outcome, a.transition.to]))).toEqual([
      [
        ['credentials_expired', 'in_flight'],
        ['credentials_expired', 'in_flight'],
      ],
      [
        ['sent', 'sent'],
        ['sent', 'sent'],
      ],
    ]);
    expect(renewed).toEqual([{ ids: [1, 2], until: c.now() + OPTIONS.leaseMs }]);
    // Each call had to start while its lease still covered it.
    expect(calls[0]?.startBy).toBe(leaseUntil - OPTIONS.callTimeoutMs - 1_000);
    expect(calls[1]?.startBy).toBe(c.now() + OPTIONS.leaseMs - OPTIONS.callTimeoutMs - 1_000);
  });

  test('a claim whose lease another claim took over meanwhile makes no further call and records nothing more', async () => {
    let clock: FakeClock | undefined;
    const {
      worker,
      recorded,
      released,
      calls,
      lease,
      clock: c,
    } = setup([
      async () => {
        await clock?.advance(55_000); // the next call would need the lease renewed…
        lease.lost = true; // …and by then the store has given the deliveries to another claim
        return expired;
      },
      () => ok,
    ]);
    clock = c;
    await worker.sendNow([delivery(1, c), delivery(2, c)], c.now() + OPTIONS.leaseMs);
    expect(calls).toHaveLength(1);
    expect(recorded.map((r) => r.map((a) => a.transition.to))).toEqual([['in_flight', 'in_flight']]);
    expect(released).toEqual([[1, 2]]);
  });

  test('rejected credentials: the claim is handed back, nothing sent, no attempt counted', async () => {
    const { worker, recorded, released, calls, clock } = setup([() => ok], { get: async () => undefined });
    await worker.sendNow([delivery(1, clock)], clock.now() + OPTIONS.leaseMs);
    expect(calls).toHaveLength(0);
    expect(recorded).toHaveLength(0);
    expect(released).toEqual([[1]]);
  });

  test('credentials that cannot be renewed: the wait is recorded as credentials_unavailable, uncounted, due at the next refresh attempt', async () => {
    let asked: { waitUntil?: number } | undefined;
    const { worker, recorded, clock } = setup([() => expired], {
      expired: async (_generation, options) => {
        asked = options;
        return 'unavailable';
      },
      nextRefreshAt: () => clock.now() + 8_000,
    });
    const until = clock.now() + OPTIONS.leaseMs;
    await worker.sendNow([delivery(1, clock)], until);
    expect(asked).toEqual({ waitUntil: until - OPTIONS.callTimeoutMs - 1_000 }); // the wait is bounded by the lease
    expect(recorded).toEqual([
      [
        expect.objectContaining({
          attempt: expect.objectContaining({ outcome: 'credentials_unavailable' }),
          transition: { to: 'retry', at: clock.now() + 8_000, counted: false },
        }),
      ],
    ]);
  });

  test('MantaGO rejecting the credentials after a 1004: handed back at once, uncounted, to wait for the operator', async () => {
    const { worker, recorded, clock } = setup([() => expired], { expired: async () => 'rejected' });
    await worker.sendNow([delivery(1, clock)], clock.now() + OPTIONS.leaseMs);
    expect(recorded[0]?.[0]?.transition).toEqual({ to: 'retry', at: clock.now(), counted: false });
  });

  test('a batch refused as a whole is split until the refused recipient is found: it dies, the rest are sent', async () => {
    const bad = `U${String(3).padStart(32, '0')}`;
    const refusing = (request: BroadcastRequest): CallResult =>
      request.clientIds.includes(bad)
        ? { kind: 'refused', status: 403, durationMs: 5, message: 'Create broadcast failed', retryAfterMs: undefined }
        : ok;
    const { worker, recorded, calls, clock } = setup([refusing]);
    await worker.sendNow(
      [1, 2, 3, 4].map((id) => delivery(id, clock)),
      clock.now() + OPTIONS.leaseMs,
    );
    expect(calls.map((c) => c.request.clientIds.length)).toEqual([4, 2, 2, 1, 1]);
    const final = new Map(
      recorded
        .flat()
        .filter((r) => r.transition.to !== 'in_flight')
        .map((r) => [r.attempt.deliveryId, r.transition.to]),
    );
    expect(Object.fromEntries(final)).toEqual({ 1: 'sent', 2: 'sent', 3: 'dead', 4: 'sent' });
    expect(recorded[0]?.every((r) => r.attempt.outcome === 'batch_refused' && r.transition.to === 'in_flight')).toBe(true);
  });

  test('a call that never started (no slot within the lease) hands the claim back with no attempt', async () => {
    const { worker, recorded, released, clock } = setup([
      () => ({ kind: 'not_started', durationMs: 0, message: 'no call slot came free in time' }),
    ]);
    await worker.sendNow([delivery(7, clock)], clock.now() + OPTIONS.leaseMs);
    expect(recorded).toHaveLength(0);
    expect(released).toEqual([[7]]);
  });
});
