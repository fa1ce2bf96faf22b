// The bot's state machine: every transition, and the probe backoff to its cap.
import { describe, expect, test } from 'vitest';
import {
  type BotState,
  botRefusalOf,
  probeDelay,
  type RecipientRefusal,
  refusedInARow,
  transition,
  USABLE,
} from '../../src/mantago/bot-state.ts';

const backoff = { baseMs: 1_000, maxMs: 8_000 };
const at = 5_000_000;
const notPublished = { reason: 'broadcasts_refused' as const, code: 36000, message: 'Create broadcast failed' };
const noBot = { reason: 'no_such_bot' as const, code: 5001, message: 'Bot not found' };
const denied = { reason: 'permission_denied' as const, code: 1002, message: 'Permission denied' };
const refusedFor = (clientId: string, when = at): RecipientRefusal => ({ clientId, message: 'Create broadcast failed', at: when });
const refusedState = (): BotState => transition(USABLE, { event: 'bot_refused', refusal: noBot, at }, backoff);

describe('bot state transitions', () => {
  test('usable → bot_refused on a refusal of the bot: since now, the first probe one base delay later', () => {
    expect(refusedState()).toEqual({ state: 'bot_refused', ...noBot, since: at, probeAt: at + 1_000, probes: 0 });
  });

  test('a refusal while refused changes nothing: the probe decides', () => {
    const refused = refusedState();
    expect(transition(refused, { event: 'bot_refused', refusal: notPublished, at: at + 10 }, backoff)).toBe(refused);
  });

  test('a failed probe backs off, doubling to the cap, and keeps what MantaGO said last', () => {
    let state = refusedState();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const now = at + i * 100_000;
      state = transition(state, { event: 'probe_failed', at: now, refusal: notPublished }, backoff);
      waits.push((state as { probeAt: number }).probeAt - now);
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 8_000, 8_000, 8_000]);
    expect(state).toMatchObject({ state: 'bot_refused', reason: 'broadcasts_refused', code: 36000, since: at, probes: 6 });
  });

  test('a probe that made no call (handed back) proved nothing: the next one after the same wait, not a doubled one; none while usable', () => {
    let state = transition(refusedState(), { event: 'probe_failed', at: at + 1_000 }, backoff);
    expect(state).toMatchObject({ probes: 1, probeAt: at + 3_000 });
    state = transition(state, { event: 'probe_unstarted', at: at + 3_000 }, backoff);
    expect(state).toEqual({ state: 'bot_refused', ...noBot, since: at, probes: 1, probeAt: at + 5_000 });
    expect(transition(USABLE, { event: 'probe_unstarted', at }, backoff)).toBe(USABLE);
  });

  test('the first accepted call ends a refusal; a lookup does not end "broadcasts refused", since lists work for an unpublished bot', () => {
    expect(transition(refusedState(), { event: 'call_accepted', broadcast: false }, backoff)).toEqual(USABLE);
    const unpublished = transition(USABLE, { event: 'bot_refused', refusal: notPublished, at }, backoff);
    expect(transition(unpublished, { event: 'call_accepted', broadcast: false }, backoff)).toBe(unpublished);
    expect(transition(unpublished, { event: 'call_accepted', broadcast: true }, backoff)).toEqual(USABLE);
  });

  test("a single recipient's 36000 is remembered until an accepted call; ignored while refused; a probe failure while usable is nothing", () => {
    const one = refusedFor('U1');
    const remembered = transition(USABLE, { event: 'recipient_refused', refusal: one }, backoff);
    expect(remembered).toEqual({ state: 'usable', lastRefused: one });
    expect(transition(remembered, { event: 'call_accepted', broadcast: false }, backoff)).toBe(remembered); // a lookup is not between them
    expect(transition(remembered, { event: 'call_accepted', broadcast: true }, backoff)).toEqual(USABLE);
    const refused = refusedState();
    expect(transition(refused, { event: 'recipient_refused', refusal: one }, backoff)).toBe(refused);
    expect(transition(USABLE, { event: 'probe_failed', at }, backoff)).toBe(USABLE);
  });

  test("a lone refusal, then a broadcast to others started after it: the refusal was the recipient's (proven) until a broadcast to them", () => {
    const broadcast = (startedAt: number, ...clientIds: string[]) =>
      ({ event: 'call_accepted', broadcast: true, startedAt, clientIds }) as const;
    const remembered = transition(USABLE, { event: 'recipient_refused', refusal: refusedFor('U1') }, backoff);
    // Refused again, the first refusal is kept: a broadcast started between the two shows them theirs.
    expect(transition(remembered, { event: 'recipient_refused', refusal: refusedFor('U1', at + 5) }, backoff)).toBe(remembered);
    // Started before the refusal was answered, or to the recipient too: it shows nothing of them.
    expect(transition(remembered, broadcast(at - 1, 'U2'), backoff)).toEqual(USABLE);
    expect(transition(remembered, broadcast(at + 1, 'U2', 'U1'), backoff)).toEqual(USABLE);
    const proven = transition(remembered, broadcast(at + 1, 'U2'), backoff);
    expect(proven).toEqual({ state: 'usable', proven: { clientId: 'U1', since: at + 1 } });
    expect(transition(proven, broadcast(at + 2, 'U3'), backoff)).toBe(proven);
    // Refused again in a call started before it was shown theirs: still theirs, not kept for the "in a row" rule.
    expect(transition(proven, { event: 'recipient_refused', refusal: refusedFor('U1', at + 2) }, backoff)).toBe(proven);
    expect(transition(proven, broadcast(at + 2, 'U1'), backoff)).toEqual(USABLE);
    // The next one shown theirs replaces it; a pause forgets it.
    const next = transition(proven, { event: 'recipient_refused', refusal: refusedFor('U4', at + 3) }, backoff);
    expect(next).toEqual({ state: 'usable', proven: { clientId: 'U1', since: at + 1 }, lastRefused: refusedFor('U4', at + 3) });
    expect(transition(next, broadcast(at + 4, 'U5'), backoff)).toEqual({ state: 'usable', proven: { clientId: 'U4', since: at + 4 } });
    const paused = transition(proven, { event: 'bot_refused', refusal: notPublished, at }, backoff);
    expect(transition(paused, { event: 'call_accepted', broadcast: true, probe: true }, backoff)).toEqual(USABLE);
  });

  test('a pause named by two recipients refused alike, ended by the probe: those two are remembered as cleared until the next pause', () => {
    const byTwo = transition(USABLE, { event: 'bot_refused', refusal: { ...notPublished, recipients: ['U1', 'U2'] }, at }, backoff);
    const resumed = transition(byTwo, { event: 'call_accepted', broadcast: true, probe: true }, backoff);
    expect(resumed).toEqual({ state: 'usable', cleared: ['U1', 'U2'] });
    // Kept through a recipient's refusal and the accepted call after it.
    const one = refusedFor('U3');
    const remembered = transition(resumed, { event: 'recipient_refused', refusal: one }, backoff);
    expect(remembered).toEqual({ state: 'usable', cleared: ['U1', 'U2'], lastRefused: one });
    expect(transition(remembered, { event: 'call_accepted', broadcast: true }, backoff)).toEqual(resumed);
    // A pause without recipients (1002, 5001), ended: nothing cleared.
    const again = transition(resumed, { event: 'bot_refused', refusal: noBot, at }, backoff);
    expect(transition(again, { event: 'call_accepted', broadcast: true, probe: true }, backoff)).toEqual(USABLE);
  });

  test('the pair is not cleared by a call started before the pause, nor once a probe is refused for another reason or another recipient', () => {
    const byTwo = transition(USABLE, { event: 'bot_refused', refusal: { ...notPublished, recipients: ['U1', 'U2'] }, at }, backoff);
    expect(transition(byTwo, { event: 'call_accepted', broadcast: true }, backoff)).toEqual(USABLE);
    const resumeAfter = (event: Parameters<typeof transition>[1]) =>
      transition(transition(byTwo, event, backoff), { event: 'call_accepted', broadcast: true, probe: true }, backoff);
    // The probe for one of the pair refused alike, or a probe that said nothing: still the pair.
    expect(resumeAfter({ event: 'probe_failed', at, refusal: { ...notPublished, recipients: ['U2'] } })).toEqual({
      state: 'usable',
      cleared: ['U1', 'U2'],
    });
    expect(resumeAfter({ event: 'probe_failed', at })).toEqual({ state: 'usable', cleared: ['U1', 'U2'] });
    // Another recipient refused alike, or the bot refused outright: the bot's, the pair forgotten.
    expect(resumeAfter({ event: 'probe_failed', at, refusal: { ...notPublished, recipients: ['U9'] } })).toEqual(USABLE);
    expect(resumeAfter({ event: 'probe_failed', at, refusal: noBot })).toEqual(USABLE);
  });

  test('a broadcast started before the refusal, accepted after it, does not end it: it was answered for the bot as it was then', () => {
    const unpublished = transition(USABLE, { event: 'bot_refused', refusal: notPublished, at }, backoff);
    expect(transition(unpublished, { event: 'call_accepted', broadcast: true, startedAt: at - 1, clientIds: ['U5'] }, backoff)).toBe(
      unpublished,
    );
    const probe = { event: 'call_accepted', broadcast: true, probe: true, startedAt: at + 1_000, clientIds: ['U6'] } as const;
    expect(transition(unpublished, probe, backoff)).toEqual(USABLE);
  });

  test('the pair cleared is forgotten once a broadcast to either of them goes out: a later pause for the bot is not theirs', () => {
    const byTwo = transition(USABLE, { event: 'bot_refused', refusal: { ...notPublished, recipients: ['U1', 'U2'] }, at }, backoff);
    const resumed = transition(
      byTwo,
      { event: 'call_accepted', broadcast: true, probe: true, startedAt: at + 1, clientIds: ['U3'] },
      backoff,
    );
    expect(resumed).toEqual({ state: 'usable', cleared: ['U1', 'U2'] });
    const toOthers = { event: 'call_accepted', broadcast: true, startedAt: at + 2, clientIds: ['U4', 'U5'] } as const;
    expect(transition(resumed, toOthers, backoff)).toBe(resumed);
    expect(transition(resumed, { ...toOthers, clientIds: ['U4', 'U2'] }, backoff)).toEqual(USABLE);
    const tagsToo = { ...resumed, tagsRefused: true } as const;
    expect(transition(tagsToo, { ...toOthers, clientIds: ['U1'] }, backoff)).toEqual({ state: 'usable', tagsRefused: true });
  });

  test("a pause named by a tag call's 1002, ended by any accepted call: the plan refuses tagging alone — until a pause for another reason", () => {
    const byTag = transition(USABLE, { event: 'bot_refused', refusal: { ...denied, byTagCall: true }, at }, backoff);
    expect(transition(byTag, { event: 'call_accepted', broadcast: false }, backoff)).toEqual({ state: 'usable', tagsRefused: true });
    const tagsOnly = transition(byTag, { event: 'call_accepted', broadcast: true, probe: true }, backoff);
    expect(tagsOnly).toEqual({ state: 'usable', tagsRefused: true });
    const one = refusedFor('U3');
    const kept = transition(
      transition(tagsOnly, { event: 'recipient_refused', refusal: one }, backoff),
      { event: 'call_accepted', broadcast: true },
      backoff,
    );
    expect(kept).toEqual(tagsOnly);
    // A broadcast refused with 1002 too: the plan, not tagging; ended, nothing is remembered.
    const again = transition(tagsOnly, { event: 'bot_refused', refusal: denied, at }, backoff);
    expect(transition(again, { event: 'call_accepted', broadcast: true }, backoff)).toEqual(USABLE);
    // Nor once the probe's own broadcast said 1002.
    const probed = transition(byTag, { event: 'probe_failed', at, refusal: denied }, backoff);
    expect(transition(probed, { event: 'call_accepted', broadcast: true, probe: true }, backoff)).toEqual(USABLE);
  });

  test('probe delays never pass the cap, however many probes failed', () => {
    expect(probeDelay(0, backoff)).toBe(1_000);
    expect(probeDelay(1_000, backoff)).toBe(8_000);
  });
});

describe('what names the bot', () => {
  test('1002 and 5001 are refusals of the bot; other codes are not', () => {
    expect(botRefusalOf(1002, 'Permission denied')).toEqual({ reason: 'permission_denied', code: 1002, message: 'Permission denied' });
    expect(botRefusalOf(5001, 'Bot not found')).toEqual(noBot);
    for (const code of [undefined, 1004, 120000, 36000, 110000, 60001, 37011]) expect(botRefusalOf(code, 'x')).toBeUndefined();
  });

  test('two 36000s in a row name the bot for different recipients, whatever they were sent (most shops send one module)', () => {
    expect(refusedInARow(undefined, refusedFor('U1'))).toBe(false);
    expect(refusedInARow(refusedFor('U1'), refusedFor('U2'))).toBe(true);
    expect(refusedInARow(refusedFor('U1'), refusedFor('U1', at + 5))).toBe(false); // same recipient: maybe the recipient
  });
});
