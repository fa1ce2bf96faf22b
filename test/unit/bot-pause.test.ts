// What a call's decision is told of the bot (callContext): a recipient shown to refuse counts only
// for a call that started after the broadcast that showed it was accepted — one started before may
// have been answered for the bot as it was then (say, not yet published again).
import pino from 'pino';
import { expect, test } from 'vitest';
import { callContext } from '../../src/delivery/bot-pause.ts';
import type { Claim } from '../../src/delivery/claim.ts';
import { BotStatus } from '../../src/mantago/bot-status.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { delivery } from '../helpers/fake-worker.ts';

test('a recipient shown to refuse is told for calls started since the broadcast that showed it was accepted, not before', async () => {
  const clock = new FakeClock();
  const status = new BotStatus({ log: pino({ level: 'silent' }), clock, backoff: { baseMs: 5_000, maxMs: 60_000 } });
  const refused = delivery(1, clock);
  const t = clock.now();
  status.recipientRefused({ clientId: refused.clientId, message: 'Create broadcast failed', at: t });
  await clock.advance(150); // a broadcast to another, started after the refusal, accepted 150 ms on
  status.accepted(true, false, { startedAt: t + 100, clientIds: [delivery(2, clock).clientId] });
  const claim = { batch: [refused], renewals: 0 } as unknown as Claim;
  const told = { single: { clientId: refused.clientId }, acceptedAt: t + 150 };
  // A call started before that broadcast was accepted (even after it started) may have been answered for the bot as it was.
  expect(callContext(claim, status, t + 120)).toEqual(told);
  expect(callContext(claim, status, t + 150)).toEqual({ ...told, refuser: refused.clientId });
});
