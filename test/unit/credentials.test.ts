// The credentials manager through its seams: a store that fails on demand, a token endpoint the
// test answers, and a clock it moves.
import { describe, expect, test } from 'vitest';
import type { StoredCredentials } from '../../src/domain/credentials.ts';
import { type RefreshResult, UNUSABLE_PAIR_MESSAGE } from '../../src/mantago/client.ts';
import {
  LOST_ROTATION_REASON,
  REFRESH_RETRY_BASE_MS,
  REFRESH_RETRY_MAX_MS,
  UNUSABLE_PAIR_REASON,
} from '../../src/mantago/refresh-policy.ts';
import { pair, setup } from '../helpers/credentials-manager.ts';
import { settle } from '../helpers/fake-clock.ts';

const renewed = (n: number): RefreshResult => ({ kind: 'ok', ...pair(n), durationMs: 5 });
const timedOut: RefreshResult = {
  kind: 'unreachable',
  durationMs: 30_000,
  message: 'MantaGO did not answer in time (TimeoutError)',
  timeout: true,
};
const refusedExpired: RefreshResult = { kind: 'expired', status: 401, durationMs: 5, message: 'Token is invalid or expired' };

describe('CredentialsManager', () => {
  test('a rotated pair whose save fails is kept and used, stored again until stored, and the old pair is never used again', async () => {
    const { clock, store, manager, asked } = await setup([() => renewed(2), () => renewed(3)]);
    store.failSaves = 3;
    expect(await manager.expired(1)).toBe('renewed');
    expect((await manager.get())?.apiToken).toBe('token-2'); // MantaGO killed token-1: token-2 is the one to use
    expect(manager.health()).toMatchObject({ state: 'unsaved', reason: expect.stringContaining('disk I/O error') });
    expect(store.row?.apiToken).toBe('token-1');
    await clock.advance(REFRESH_RETRY_MAX_MS);
    expect(store.row).toMatchObject({ apiToken: 'token-2', generation: 2 });
    expect(manager.health()).toEqual({ state: 'ok' });
    // The next refresh starts from the new pair.
    expect(await manager.expired(2)).toBe('renewed');
    expect(asked).toEqual(['token-1', 'token-2']);
  });

  test('a refresh MantaGO does not answer: callers share it, are told at once while it backs off, and it is retried later each time until it comes through', async () => {
    const { clock, manager, asked } = await setup([() => timedOut, () => timedOut, () => timedOut, () => renewed(2)]);
    let woken = 0;
    manager.onUsable(() => woken++);
    const [a, b] = await Promise.all([manager.expired(1), manager.expired(1)]);
    expect([a, b]).toEqual(['unavailable', 'unavailable']);
    expect(asked).toHaveLength(1);
    expect(manager.isUsable()).toBe(false);
    expect(manager.health()).toMatchObject({ state: 'refresh_failing', reason: expect.stringContaining('did not answer in time') });
    expect(await manager.expired(1)).toBe('unavailable'); // inside the backoff: no call
    expect(asked).toHaveLength(1);
    const times: number[] = [];
    const start = clock.now();
    for (let i = 0; i < 3; i++) {
      const before = asked.length;
      while (asked.length === before) await clock.advance(100);
      times.push(clock.now() - start);
    }
    expect(asked).toHaveLength(4);
    // Each wait longer than the last (2 s, 4 s, 8 s ceilings, jittered to 3/4 here).
    expect(times[1]! - times[0]!).toBeGreaterThan(times[0]!);
    expect(times[2]! - times[1]!).toBeGreaterThan(times[1]! - times[0]!);
    expect(manager.isUsable()).toBe(true);
    expect(woken).toBe(1);
    expect((await manager.get())?.apiToken).toBe('token-2');
  });

  test('a refresh that timed out, then a refusal of the pair we hold: rejected, saying MantaGO rotated it unseen and how to recover; no more calls', async () => {
    const { clock, manager, asked, store } = await setup([() => timedOut, () => refusedExpired]);
    expect(await manager.expired(1)).toBe('unavailable');
    await clock.advance(REFRESH_RETRY_MAX_MS);
    expect(manager.health()).toEqual({ state: 'rejected', reason: LOST_ROTATION_REASON });
    expect(store.row).toMatchObject({ state: 'rejected', lastError: LOST_ROTATION_REASON });
    expect(LOST_ROTATION_REASON).toContain('PUT /admin/credentials');
    await clock.advance(10 * REFRESH_RETRY_MAX_MS);
    expect(asked).toHaveLength(2);
    // The operator's pair ends it.
    await manager.install(pair(9));
    expect(manager.health()).toEqual({ state: 'ok' });
    expect((await manager.get())?.apiToken).toBe('token-9');
  });

  test('a refusal without a lost answer before it is the plain refusal', async () => {
    const { manager } = await setup([() => refusedExpired]);
    expect(await manager.expired(1)).toBe('rejected');
    expect(manager.health()).toEqual({
      state: 'rejected',
      reason: 'MantaGO refused to refresh the token (HTTP 401: Token is invalid or expired)',
    });
  });

  test.each([
    ['200 with success: false and no code', { status: 200, message: 'temporarily unavailable' }],
    ['200 with a maintenance page', { status: 200, message: 'HTTP 200' }],
    ["401 by a gateway's page in front of MantaGO", { status: 401, message: 'HTTP 401', foreign: true as const }],
    ["403 by a gateway's page in front of MantaGO", { status: 403, message: 'HTTP 403', foreign: true as const }],
  ])('a refresh answered %s says nothing against the pair: tried again later, never rejected', async (_what, answer) => {
    const odd: RefreshResult = { kind: 'refused', durationMs: 5, retryAfterMs: undefined, ...answer };
    const { clock, store, manager, asked } = await setup([() => odd, () => renewed(2)]);
    expect(await manager.expired(1)).toBe('unavailable');
    expect(manager.health()).toMatchObject({ state: 'refresh_failing' });
    expect(store.row).toMatchObject({ generation: 1, state: 'ok' });
    await clock.advance(REFRESH_RETRY_MAX_MS);
    expect(asked).toHaveLength(2);
    expect((await manager.get())?.apiToken).toBe('token-2');
  });

  test.each([
    ["1002 (the bot's plan has lapsed)", 403, 1002],
    ['5001 (no such bot)', 404, 5001],
    ['110000 (a request of ours MantaGO cannot read)', 400, 110000],
  ])('a refresh answered with %s says nothing against the pair: tried again later, never rejected', async (_what, status, code) => {
    const other: RefreshResult = { kind: 'refused', status, code, durationMs: 5, message: 'Permission denied', retryAfterMs: undefined };
    const { clock, store, manager, asked } = await setup([() => other, () => renewed(2)]);
    expect(await manager.expired(1)).toBe('unavailable');
    expect(manager.health()).toMatchObject({ state: 'refresh_failing' });
    expect(store.row).toMatchObject({ generation: 1, state: 'ok' });
    await clock.advance(REFRESH_RETRY_MAX_MS);
    expect(asked).toHaveLength(2);
    expect((await manager.get())?.apiToken).toBe('token-2');
  });

  test.each([
    ['its connection broke', { kind: 'unreachable', durationMs: 40, message: 'MantaGO did not answer (SocketError)', timeout: false }],
    [
      'a gateway answered 502 without a code',
      { kind: 'refused', status: 502, durationMs: 40, message: 'HTTP 502', retryAfterMs: undefined },
    ],
  ] as [string, RefreshResult][])(
    'a refresh whose answer was lost as %s, then a refusal of the pair: rejected, saying MantaGO rotated it unseen',
    async (_what, lost) => {
      const { clock, manager } = await setup([() => lost, () => refusedExpired]);
      expect(await manager.expired(1)).toBe('unavailable');
      await clock.advance(REFRESH_RETRY_MAX_MS);
      expect(manager.health()).toEqual({ state: 'rejected', reason: LOST_ROTATION_REASON });
    },
  );

  test('a refresh MantaGO answered 429, then a refusal of the pair: the plain refusal (its answer was not lost)', async () => {
    const busy: RefreshResult = { kind: 'refused', status: 429, durationMs: 5, message: 'Too many requests', retryAfterMs: 1_000 };
    const { clock, manager } = await setup([() => busy, () => refusedExpired]);
    expect(await manager.expired(1)).toBe('unavailable');
    await clock.advance(REFRESH_RETRY_MAX_MS);
    expect(manager.health()).toEqual({
      state: 'rejected',
      reason: 'MantaGO refused to refresh the token (HTTP 401: Token is invalid or expired)',
    });
  });

  test('a refresh answered as done but with no usable pair: rejected at once, saying MantaGO rotated the pair held and how to recover', async () => {
    const unusable: RefreshResult = {
      kind: 'refused',
      status: 200,
      durationMs: 5,
      message: UNUSABLE_PAIR_MESSAGE,
      retryAfterMs: undefined,
    };
    const { store, manager, asked } = await setup([() => unusable, () => renewed(2)]);
    expect(await manager.expired(1)).toBe('rejected');
    expect(manager.health()).toEqual({ state: 'rejected', reason: UNUSABLE_PAIR_REASON });
    expect(store.row).toMatchObject({ state: 'rejected', lastError: UNUSABLE_PAIR_REASON });
    expect(asked).toHaveLength(1); // never asked again with a pair MantaGO has rotated
  });

  test('a renewed token whose exp has already passed: taken with the documented 30 days, not refreshed again at once, over and over', async () => {
    const expiredAt = Math.floor(1_000_000_000_000 / 1000) - 3_600; // an hour before the fake clock's start
    const token = [{ alg: 'HS256' }, { exp: expiredAt }, 'sig']
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .join('.');
    const { clock, manager, asked } = await setup([() => ({ kind: 'ok', apiToken: token, apiSecret: 'secret-2', durationMs: 5 })]);
    expect(await manager.expired(1)).toBe('renewed');
    await clock.advance(60_000);
    expect(asked).toHaveLength(1);
    expect(manager.status()).toMatchObject({ generation: 2, state: 'ok' });
    expect(manager.status().expiresAt - clock.now()).toBeGreaterThan(29 * 86_400_000);
  });

  test('a pair a refresh just got, already called invalid: not refreshed again at once (a refresh and a rotation per call), but after a backoff that grows while it goes on', async () => {
    const { clock, manager, asked } = await setup([() => renewed(2), () => renewed(3), () => renewed(4), () => renewed(5)]);
    expect(await manager.expired(1)).toBe('renewed');
    expect(await manager.expired(2)).toBe('unavailable');
    expect(await manager.expired(2)).toBe('unavailable');
    expect(asked).toHaveLength(1);
    expect(manager.health()).toMatchObject({ state: 'refresh_failing', reason: 'MantaGO called a pair it had just issued invalid' });
    await clock.advance(REFRESH_RETRY_BASE_MS);
    expect(asked).toEqual(['token-1', 'token-2']); // tried again when the backoff ends, with the pair held
    expect((await manager.get())?.apiToken).toBe('token-3');
    // Refused as soon as issued again: the streak goes on, and the wait doubles (1.5 s, then 3 s).
    expect(await manager.expired(3)).toBe('unavailable');
    await clock.advance(REFRESH_RETRY_BASE_MS);
    expect(asked).toHaveLength(2);
    await clock.advance(REFRESH_RETRY_BASE_MS);
    expect(asked).toHaveLength(3);
    expect((await manager.get())?.apiToken).toBe('token-4');
    // A pair that worked for a while is refreshed at once when called invalid, as before.
    await clock.advance(60_000);
    expect(await manager.expired(4)).toBe('renewed');
    expect(asked).toHaveLength(4);
  });

  test('a caller waits for a slow refresh no longer than its deadline; the refresh goes on and the next caller gets its pair', async () => {
    let answer: (result: RefreshResult) => void = () => undefined;
    const { clock, manager } = await setup([() => new Promise<RefreshResult>((resolve) => (answer = resolve))]);
    const waiting = manager.expired(1, { waitUntil: clock.now() + 5_000 });
    await clock.advance(5_000);
    expect(await waiting).toBe('unavailable');
    answer(renewed(2));
    await settle();
    expect(await manager.expired(1)).toBe('renewed');
    expect((await manager.get())?.apiToken).toBe('token-2');
  });

  test('a refresh answer that comes after a newer pair was seen (the operator installed one elsewhere) is dropped: the newer pair stays in use and stored', async () => {
    let answer: (result: RefreshResult) => void = () => undefined;
    const { store, manager, outcomes } = await setup([() => new Promise<RefreshResult>((resolve) => (answer = resolve))]);
    const refreshing = manager.expired(1);
    await settle();
    const installed = { ...(store.row as StoredCredentials), ...pair(50), generation: 2, origin: 'admin' as const };
    store.row = installed;
    await manager.reload();
    answer(renewed(2));
    expect(await refreshing).toBe('renewed');
    expect((await manager.get())?.apiToken).toBe('token-50');
    expect(store.row).toMatchObject({ apiToken: 'token-50', generation: 2 });
    expect(outcomes).toEqual(['adopted']);
    expect(manager.health()).toEqual({ state: 'ok' });
  });

  test("a lost refresh answer is forgotten once the operator's pair is in: a later refusal is the plain one", async () => {
    const { manager } = await setup([() => timedOut, () => refusedExpired]);
    expect(await manager.expired(1)).toBe('unavailable');
    await manager.install(pair(9));
    expect(await manager.expired(2)).toBe('rejected');
    expect(manager.health()).toEqual({
      state: 'rejected',
      reason: 'MantaGO refused to refresh the token (HTTP 401: Token is invalid or expired)',
    });
  });

  test('a pair stored as rejected while another replica held the refresh is never refreshed: the claim is taken first, then the pair is read', async () => {
    const { clock, store, manager, asked } = await setup([() => renewed(2)]);
    store.claim = { owner: 'other', until: clock.now() + 60_000 }; // another replica is refreshing pair 1
    const refreshing = manager.expired(1);
    await settle();
    expect(asked).toEqual([]); // waiting on the other replica's claim
    // That replica rotated pair 1; before it stores pair 2, a third one is told pair 1 is an old one
    // and stores it as rejected, which ends the claim. It lands just after one of our reads.
    store.afterNextLoad = () => {
      store.row = { ...(store.row as StoredCredentials), state: 'rejected', lastError: 'an old pair' };
      store.claim = undefined;
    };
    await clock.advance(1_000);
    expect(await refreshing).toBe('rejected');
    expect(asked).toEqual([]); // refreshing pair 1 now would only be refused as an old pair
    // The other replica's pair 2 arrives: taken up, no refresh of ours.
    store.row = { ...(store.row as StoredCredentials), ...pair(2), generation: 2, state: 'ok', lastError: null };
    await manager.reload();
    expect((await manager.get())?.apiToken).toBe('token-2');
    expect(asked).toEqual([]);
  });

  test('the refresh call starts within its claim or not at all: started late, it would outlast the claim and another replica would refresh too', async () => {
    let claimUntil: number | undefined;
    const notStarted: RefreshResult = { kind: 'not_started', durationMs: 0, message: 'no call slot before its claim ran out' };
    const { clock, store, manager, startBys, asked } = await setup([
      () => {
        claimUntil = store.claim?.until;
        return notStarted;
      },
      () => renewed(2),
    ]);
    expect(await manager.expired(1)).toBe('unavailable'); // not made: the claim is given back, tried again later
    expect(store.claim).toBeUndefined();
    const [startBy] = startBys;
    expect(startBy).toBeGreaterThanOrEqual(clock.now());
    // Started at its latest, the whole call (the refresh timeout, 30 s here) still ends inside the claim.
    expect((startBy as number) + 30_000).toBeLessThan(claimUntil as number);
    await clock.advance(REFRESH_RETRY_MAX_MS);
    expect(asked).toEqual(['token-1', 'token-1']);
    expect(store.row).toMatchObject({ apiToken: 'token-2', generation: 2 });
  });

  test('a store gone back to an older pair (a restore, a failover to a lagging standby): the pair in use is stored again and refreshed from, not waited on forever', async () => {
    const { clock, store, manager, asked } = await setup([() => renewed(2), () => renewed(3)]);
    expect(await manager.expired(1)).toBe('renewed');
    await clock.advance(3_600_000); // an hour of use, then MantaGO calls it expired
    const older = { ...(store.row as StoredCredentials), ...pair(1), generation: 1 };
    store.row = older; // the store as it was before the refresh
    expect(await manager.expired(2)).toBe('renewed');
    expect(asked).toEqual(['token-1', 'token-2']);
    expect(store.row).toMatchObject({ apiToken: 'token-3', generation: 3 });
  });
});
