// The credentials' state machine on its own: every state against every event, what each state
// means to readiness, callers and the timer, and a rejection only a newer pair ends.
import { describe, expect, test } from 'vitest';
import {
  type CredentialsEvent,
  type CredentialsState,
  healthOf,
  isUsable,
  nextWake,
  refreshDue,
  transition,
} from '../../src/mantago/credentials-state.ts';
import { answered, backoff, DAY, held, later, ok, pair, refusedExpired, states, T, unavailable } from '../helpers/credentials-states.ts';

describe('every state against every event', () => {
  const events: [string, (s: CredentialsState) => CredentialsEvent, Record<CredentialsState['name'], CredentialsState['name']>][] = [
    [
      'a newer pair',
      () => ({ type: 'pair_seen', pair: pair(6) }),
      { usable: 'usable', expired: 'usable', refresh_failing: 'usable', unsaved: 'usable', rejected: 'usable' },
    ],
    [
      'an older pair',
      () => ({ type: 'pair_seen', pair: pair(4) }),
      { usable: 'usable', expired: 'expired', refresh_failing: 'refresh_failing', unsaved: 'unsaved', rejected: 'rejected' },
    ],
    [
      'MantaGO reports the pair expired',
      () => ({ type: 'expiry_reported', generation: 5, now: later, random: 0.5 }),
      { usable: 'expired', expired: 'expired', refresh_failing: 'refresh_failing', unsaved: 'unsaved', rejected: 'rejected' },
    ],
    [
      'the refresh answers with a new pair',
      (s) => answered(ok(6), s.pair),
      { usable: 'unsaved', expired: 'unsaved', refresh_failing: 'unsaved', unsaved: 'unsaved', rejected: 'unsaved' },
    ],
    [
      'the refresh is worth trying again',
      (s) => answered(unavailable, s.pair),
      { usable: 'usable', expired: 'refresh_failing', refresh_failing: 'refresh_failing', unsaved: 'unsaved', rejected: 'rejected' },
    ],
    [
      'the refresh is refused',
      (s) => answered(refusedExpired, s.pair),
      { usable: 'rejected', expired: 'rejected', refresh_failing: 'rejected', unsaved: 'rejected', rejected: 'rejected' },
    ],
    [
      'a refresh is not made',
      () => ({ type: 'refresh_not_made', reason: 'another replica is refreshing', now: T, random: 0.5 }),
      { usable: 'usable', expired: 'refresh_failing', refresh_failing: 'refresh_failing', unsaved: 'unsaved', rejected: 'rejected' },
    ],
    [
      'the unsaved pair is stored',
      (s) => ({ type: 'unsaved_stored', kept: s.pair }),
      { usable: 'usable', expired: 'expired', refresh_failing: 'refresh_failing', unsaved: 'usable', rejected: 'rejected' },
    ],
    [
      'the store refuses the unsaved pair',
      () => ({ type: 'unsaved_refused', error: 'disk I/O error', now: T, random: 0.5 }),
      { usable: 'usable', expired: 'expired', refresh_failing: 'refresh_failing', unsaved: 'unsaved', rejected: 'rejected' },
    ],
  ];
  for (const [what, event, to] of events)
    test(`${what}: ${Object.entries(to)
      .map(([from, next]) => `${from} → ${next}`)
      .join(', ')}`, () => {
      for (const [from, state] of Object.entries(states))
        expect([from, transition(state, event(state)).state.name]).toEqual([from, to[from as CredentialsState['name']]]);
    });
});

test('rejected stays rejected, with no call, until a newer pair comes (the operator PUTs one); or a forced refresh succeeds', () => {
  let state: CredentialsState = states.rejected;
  const meanwhile: CredentialsEvent[] = [
    { type: 'expiry_reported', generation: 5, now: later, random: 0.5 },
    { type: 'refresh_not_made', reason: 'busy', now: later, random: 0.5 },
    { type: 'unsaved_stored', kept: held },
    { type: 'unsaved_refused', error: 'x', now: later, random: 0.5 },
    { type: 'pair_seen', pair: pair(4) },
    answered(unavailable, states.rejected.pair),
  ];
  for (const event of meanwhile) {
    const moved = transition(state, event);
    expect(moved.state.name).toBe('rejected');
    expect(moved.decision.do).not.toBe('refresh');
    expect(moved.decision.answer).not.toBe('renewed');
    expect(nextWake(moved.state)).toBeUndefined();
    state = moved.state;
  }
  const installed = pair(6, { origin: 'admin' });
  expect(transition(state, { type: 'pair_seen', pair: installed }).state).toEqual({ name: 'usable', pair: installed, answerLost: false });
  expect(transition(state, answered(ok(6), states.rejected.pair)).state.name).toBe('unsaved');
});

test('what readiness, callers and the timer make of each state', () => {
  expect(Object.values(states).map((s) => [s.name, healthOf(s).state, isUsable(s), nextWake(s)?.task ?? null])).toEqual([
    ['usable', 'ok', true, 'refresh'],
    ['expired', 'ok', true, 'refresh'],
    ['refresh_failing', 'refresh_failing', false, 'refresh'],
    ['unsaved', 'unsaved', true, 'store'],
    ['rejected', 'rejected', false, null],
  ]);
  expect(healthOf(states.refresh_failing)).toEqual({ state: 'refresh_failing', ...backoff });
  expect(healthOf(states.rejected)).toEqual({ state: 'rejected', reason: 'MantaGO refused to refresh the token (HTTP 401: no)' });
  expect(nextWake(states.expired)).toEqual({ at: 0, task: 'refresh', reason: 'retrying a refresh that failed' });
  expect(nextWake(states.refresh_failing)?.at).toBe(backoff.nextAttemptAt);
  expect(nextWake(states.unsaved)?.at).toBe(T + 2_000);
  // A day ahead of expiry, and not inside a backoff.
  const refreshAt = held.expiresAt - DAY;
  expect(nextWake(states.usable)).toEqual({ at: refreshAt, task: 'refresh', reason: 'the token expires soon' });
  expect([refreshDue(states.usable, refreshAt - 1), refreshDue(states.usable, refreshAt)]).toEqual([false, true]);
  const backingOff: CredentialsState = { ...states.usable, backoff: { ...backoff, nextAttemptAt: refreshAt + 5 } };
  expect([refreshDue(backingOff, refreshAt), refreshDue(backingOff, refreshAt + 5)]).toEqual([false, true]);
  expect(refreshDue(states.rejected, refreshAt + DAY)).toBe(false);
});
