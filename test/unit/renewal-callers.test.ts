// What the bind and the bot check make of a renewal that cannot be decided now, through the real
// credentials manager: a bind waits no longer than its claim allows, and the bot check does not
// call a pair unusable because MantaGO did not answer a refresh.
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { Binder } from '../../src/delivery/binds.ts';
import { checkBot } from '../../src/mantago/bot-check.ts';
import type { CallResult, RefreshResult } from '../../src/mantago/client.ts';
import type { BindOutcome } from '../../src/domain/recipient.ts';
import type { BindJob } from '../../src/store/store.ts';
import { setup } from '../helpers/credentials-manager.ts';

const tokenExpired: CallResult = { kind: 'expired', status: 401, durationMs: 5, message: 'Token is invalid or expired' };
const noAnswer = (): Promise<RefreshResult> => new Promise(() => undefined);
const unanswered: RefreshResult = { kind: 'unreachable', durationMs: 30_000, message: 'MantaGO did not answer in time', timeout: true };
const refused: RefreshResult = { kind: 'expired', status: 401, durationMs: 5, message: 'Token is invalid or expired' };
const silent = pino({ level: 'silent' });

describe('a bind told the token expired', () => {
  test('a refresh MantaGO does not answer: the bind goes back uncounted at its start-by, not when the refresh gives up', async () => {
    const { clock, manager } = await setup([noAnswer]);
    const recorded: { outcome: BindOutcome; error: string | null; at: number }[] = [];
    const binder = new Binder({
      store: {
        claimBinds: async () => [],
        recordBind: async (_job, outcome, error, at) => void recorded.push({ outcome, error, at }),
      },
      client: { bindCustomer: async () => tokenExpired },
      credentials: manager,
      log: silent,
      clock,
    });
    const job: BindJob = { customerId: 'c-1', clientId: 'U1', platform: 'line', attempts: 0, owner: 'me/1' };
    const startBy = clock.now() + 5_000;
    const done = binder.bind([job], { latestStart: () => startBy });
    await clock.advance(5_000);
    await done;
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      outcome: { status: 'pending', counted: false },
      error: 'MantaGO credentials unavailable',
      at: startBy,
    });
  });
});

describe('the bot check told the token expired', () => {
  const check = async (refresh: RefreshResult) => {
    const { manager } = await setup([() => refresh]);
    let calls = 0;
    const client = {
      checkBot: async (): Promise<CallResult> => (calls++ === 0 ? tokenExpired : { kind: 'ok', status: 200, durationMs: 5, body: {} }),
    };
    const bot = { accepted: () => undefined, refused: () => undefined };
    return checkBot({ client, credentials: manager, bot, log: silent });
  };

  test('a refresh MantaGO did not answer: it could not tell, the pair is not called unusable', async () => {
    expect(await check(unanswered)).toEqual({ found: 'unknown' });
  });

  test('a refresh MantaGO refused: the credentials cannot be used', async () => {
    expect(await check(refused)).toEqual({ found: 'credentials' });
  });
});
