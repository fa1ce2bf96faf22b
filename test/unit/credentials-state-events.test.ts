// The credentials' state machine when events come in odd orders: an older pair, an answer after a
// newer pair, a report of expiry inside a backoff, an unsaved pair the store refuses.
import { describe, expect, test } from 'vitest';
import {
  type CredentialsState,
  JUST_ISSUED_MS,
  JUST_ISSUED_REASON,
  nextAttemptAt,
  stateOf,
  transition,
} from '../../src/mantago/credentials-state.ts';
import { LOST_ROTATION_REASON } from '../../src/mantago/refresh-policy.ts';
import { answered, backoff, DAY, held, ok, pair, refusedExpired, states, T, timedOut, unavailable } from '../helpers/credentials-states.ts';

describe('pairs seen', () => {
  test('a newer pair starts afresh: no backoff, no unsaved pair, no lost answer, no report of expiry; a newer rejected one is rejected', () => {
    const lost: CredentialsState = { name: 'refresh_failing', pair: held, backoff, answerLost: true };
    expect(transition(lost, { type: 'pair_seen', pair: pair(6) })).toEqual({
      state: { name: 'usable', pair: pair(6), answerLost: false },
      decision: { do: 'nothing', answer: 'renewed' },
    });
    const rejected = pair(6, { state: 'rejected', lastError: 'refused elsewhere' });
    expect(transition(states.usable, { type: 'pair_seen', pair: rejected })).toEqual({
      state: { name: 'rejected', pair: rejected, answerLost: false },
      decision: { do: 'nothing', answer: 'rejected' },
    });
  });

  test('an older pair (a slow reload, a stale store answer) never replaces the one held', () => {
    for (const state of Object.values(states)) expect(transition(state, { type: 'pair_seen', pair: pair(4) }).state).toBe(state);
  });

  test('the same generation stored as rejected (another replica was refused) rejects it, keeping the backoff; stored ok again, it is usable', () => {
    const rejectedRow = pair(5, { state: 'rejected', lastError: 'refused elsewhere' });
    const rejected = transition(states.refresh_failing, { type: 'pair_seen', pair: rejectedRow }).state;
    expect(rejected).toEqual({ name: 'rejected', pair: rejectedRow, backoff, answerLost: false });
    expect(transition(rejected, { type: 'pair_seen', pair: held }).state).toEqual({
      name: 'usable',
      pair: held,
      backoff,
      answerLost: false,
    });
  });
});

describe('MantaGO reports the pair expired', () => {
  test('held usable: refresh now', () => {
    expect(transition(states.usable, { type: 'expiry_reported', generation: 5, now: T, random: 0.5 })).toEqual({
      state: { name: 'expired', pair: held, answerLost: false },
      decision: { do: 'refresh', answer: 'unavailable' },
    });
  });

  test('a pair a refresh got moments ago, called invalid before its expiry: that refresh came to nothing, backed off; one gone past its expiry is refreshed', () => {
    const fresh = pair(5, { origin: 'refresh', obtainedAt: T - 1_000, expiresAt: T + DAY });
    const moved = transition(stateOf(fresh), { type: 'expiry_reported', generation: 5, now: T, random: 0.5 });
    expect(moved.decision).toEqual({ do: 'retry_later', answer: 'unavailable', detail: JUST_ISSUED_REASON });
    expect(moved.state).toMatchObject({ name: 'refresh_failing', backoff: { failures: 1, reason: JUST_ISSUED_REASON } });
    expect(nextAttemptAt(moved.state)).toBeGreaterThan(T);
    const lapsed = pair(5, { origin: 'refresh', obtainedAt: T - 4_000, expiresAt: T - 1 });
    expect(transition(stateOf(lapsed), { type: 'expiry_reported', generation: 5, now: T, random: 0.5 }).decision).toEqual({
      do: 'refresh',
      answer: 'unavailable',
    });
    const older = pair(5, { origin: 'refresh', obtainedAt: T - JUST_ISSUED_MS, expiresAt: T + DAY });
    expect(transition(stateOf(older), { type: 'expiry_reported', generation: 5, now: T, random: 0.5 }).decision.do).toBe('refresh');
  });

  test('while refreshes back off, callers are told at once until the next attempt is due, then it is made', () => {
    const aheadFailing: CredentialsState = { name: 'usable', pair: held, backoff, answerLost: false };
    const within = transition(aheadFailing, { type: 'expiry_reported', generation: 5, now: backoff.nextAttemptAt - 1, random: 0.5 });
    expect(within).toEqual({ state: { ...states.refresh_failing }, decision: { do: 'nothing', answer: 'unavailable' } });
    expect(transition(within.state, { type: 'expiry_reported', generation: 5, now: backoff.nextAttemptAt, random: 0.5 }).decision).toEqual({
      do: 'refresh',
      answer: 'unavailable',
    });
  });

  test('for a pair older than the one held: the newer one, without a call; rejected if that is', () => {
    expect(transition(states.usable, { type: 'expiry_reported', generation: 4, now: T, random: 0.5 })).toEqual({
      state: states.usable,
      decision: { do: 'nothing', answer: 'renewed' },
    });
    expect(transition(states.rejected, { type: 'expiry_reported', generation: 4, now: T, random: 0.5 }).decision).toEqual({
      do: 'nothing',
      answer: 'rejected',
    });
  });

  test('an unsaved pair is remembered expired: once stored it is refreshed', () => {
    const reported = transition(states.unsaved, { type: 'expiry_reported', generation: 5, now: T, random: 0.5 });
    expect(reported).toEqual({ state: { ...states.unsaved, expired: true }, decision: { do: 'refresh', answer: 'unavailable' } });
    expect(transition(reported.state, { type: 'unsaved_stored', kept: held }).state).toEqual({
      name: 'expired',
      pair: held,
      answerLost: false,
    });
  });
});

describe('the refresh answers', () => {
  test('a new pair: in use at once as the next generation, unsaved until the store takes it', () => {
    const { state, decision } = transition(states.expired, answered(ok(6)));
    expect(decision).toEqual({ do: 'store_pair', answer: 'renewed' });
    expect(state).toEqual({
      name: 'unsaved',
      pair: {
        ...held,
        apiToken: 'token-6',
        apiSecret: 'secret-6',
        generation: 6,
        origin: 'refresh',
        obtainedAt: T + 50,
        expiresAt: T + 50 + 30 * DAY,
        lastRefreshAt: T,
      },
      since: T,
      failures: 0,
      reason: 'not stored yet',
      retryAt: T,
      expired: false,
    });
  });

  test('no answer in time: backoff, and the lost answer is remembered; refreshes failing in a row wait longer, since the first', () => {
    const first = transition(states.expired, answered(timedOut)).state;
    expect(first).toMatchObject({ name: 'refresh_failing', answerLost: true, backoff: { since: T + 50, failures: 1 } });
    const second = transition(first, answered(unavailable, held, T + 5_000)).state;
    expect(second).toMatchObject({
      name: 'refresh_failing',
      answerLost: true,
      backoff: { since: T + 50, failures: 2, reason: 'HTTP 503: down' },
    });
    expect(nextAttemptAt(second)! - (T + 5_000)).toBeGreaterThan(nextAttemptAt(first)! - (T + 50));
  });

  test('refused: rejected with the reason, to be stored; after a lost answer, named as the lost rotation', () => {
    const plain = transition(states.expired, answered(refusedExpired));
    const rejection = {
      ...held,
      state: 'rejected',
      lastRefreshAt: T,
      lastError: 'MantaGO refused to refresh the token (HTTP 401: Token is invalid or expired)',
    };
    expect(plain).toEqual({
      state: { name: 'rejected', pair: rejection, answerLost: false },
      decision: { do: 'store_rejection', answer: 'rejected', rejection },
    });
    const lost = transition({ ...states.refresh_failing, answerLost: true }, answered(refusedExpired)).state;
    expect(lost.pair.lastError).toBe(LOST_ROTATION_REASON);
  });

  test('an answer arriving after a newer pair was seen is dropped, whatever it says', () => {
    const newer = transition(states.expired, { type: 'pair_seen', pair: pair(6) }).state;
    for (const reply of [ok(6), timedOut, refusedExpired]) {
      const { state, decision } = transition(newer, answered(reply, held));
      expect(state).toBe(newer);
      expect(decision).toEqual({ do: 'drop_answer', answer: 'renewed' });
    }
  });
});

test('a refresh not made (another replica holds the claim, our pair is unsaved) backs off without counting a call to MantaGO', () => {
  const { state, decision } = transition(states.expired, {
    type: 'refresh_not_made',
    reason: 'another replica is refreshing',
    now: T,
    random: 0.5,
  });
  expect(decision).toEqual({ do: 'retry_later', answer: 'unavailable', detail: 'another replica is refreshing' });
  expect(state).toMatchObject({ name: 'refresh_failing', backoff: { failures: 0, since: T, nextAttemptAt: T + 1_500 } });
  const unsaved = transition(states.unsaved, {
    type: 'refresh_not_made',
    reason: 'the last new pair is not stored yet',
    now: T,
    random: 0.5,
  }).state;
  expect(unsaved).toMatchObject({ name: 'unsaved', backoff: { reason: 'the last new pair is not stored yet' } });
});

describe('the unsaved pair', () => {
  test('refused by the store: tried again later each time, saying why', () => {
    const once = transition(states.unsaved, { type: 'unsaved_refused', error: 'disk I/O error', now: T, random: 0.5 }).state;
    expect(once).toMatchObject({ name: 'unsaved', failures: 2, reason: 'the store refused it: disk I/O error', since: T - 1_000 });
    const twice = transition(once, { type: 'unsaved_refused', error: 'disk I/O error', now: T, random: 0.5 }).state;
    expect((twice as { retryAt: number }).retryAt).toBeGreaterThan((once as { retryAt: number }).retryAt);
  });

  test('stored: usable, keeping a backoff it gathered; the store holding a newer pair: that one', () => {
    const heldBack = { ...states.unsaved, backoff };
    expect(transition(heldBack, { type: 'unsaved_stored', kept: held }).state).toEqual({
      name: 'usable',
      pair: held,
      backoff,
      answerLost: false,
    });
    expect(transition({ ...heldBack, expired: true }, { type: 'unsaved_stored', kept: held }).state.name).toBe('refresh_failing');
    expect(transition(heldBack, { type: 'unsaved_stored', kept: pair(7) }).state).toEqual(stateOf(pair(7)));
  });
});
