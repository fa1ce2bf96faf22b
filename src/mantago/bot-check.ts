// One cheap call (one client of the bot's list) that says whether MantaGO takes the bot and the
// pair: made at start, before any order, so a wrong MANTAGO_BOT_ID (5001), a plan without the Open
// API (1002) or a pair that cannot be renewed is named in the log and in /readyz within seconds;
// and made as the probe of a refused bot when no delivery waits to be the probe.
import type { Logger } from 'pino';
import { type BotRefusal, botRefusalOf } from './bot-state.ts';
import type { BotStatus } from './bot-status.ts';
import type { CallResult } from './client.ts';
import type { Renewal, UsableCredentials } from './renewal.ts';

export interface BotCheckDeps {
  client: { checkBot(apiToken: string, apiSecret: string, startBy?: number): Promise<CallResult> };
  credentials: {
    get(): Promise<UsableCredentials | undefined>;
    expired(generation: number): Promise<Renewal>;
    superseded(generation: number): Promise<Renewal>;
  };
  bot: Pick<BotStatus, 'accepted' | 'refused'>;
  log: Logger;
}

/** What the check found: MantaGO takes the bot; refuses it (and why); the credentials cannot be used; or it could not tell. */
export type BotCheck =
  | { found: 'usable' }
  | { found: 'bot_refused'; refusal: BotRefusal }
  | { found: 'credentials' }
  | { found: 'unknown' };

export async function checkBot({ client, credentials, bot, log }: BotCheckDeps): Promise<BotCheck> {
  for (let renewals = 0; renewals < 2; renewals++) {
    const pair = await credentials.get();
    if (!pair) return { found: 'credentials' };
    const result = await client.checkBot(pair.apiToken, pair.apiSecret);
    if (result.kind === 'ok') {
      bot.accepted(false);
      return { found: 'usable' };
    }
    if (result.kind === 'expired' || result.kind === 'superseded') {
      // The credentials renew the pair, or re-read an old one (and say so if they cannot); then ask again once.
      const renew = result.kind === 'superseded' ? credentials.superseded(pair.generation) : credentials.expired(pair.generation);
      const renewal = await renew;
      if (renewal === 'renewed') continue;
      // Unavailable (a refresh MantaGO did not answer, an old pair not decided yet) says nothing against the pair.
      return renewal === 'rejected' ? { found: 'credentials' } : { found: 'unknown' };
    }
    const refusal = result.kind === 'refused' ? botRefusalOf(result.code, result.message) : undefined;
    if (refusal) {
      bot.refused(refusal);
      return { found: 'bot_refused', refusal };
    }
    log.debug({ error: result.message }, 'checking the bot: MantaGO could not tell');
    return { found: 'unknown' };
  }
  return { found: 'unknown' };
}

/** The check at start, logged: what it found, named. */
export async function checkAtStart(deps: BotCheckDeps, botId: string): Promise<void> {
  const { log } = deps;
  try {
    const check = await checkBot(deps);
    if (check.found === 'usable') log.info({ botId }, 'MantaGO takes the bot and its credentials');
    else if (check.found === 'bot_refused')
      log.error(
        { botId, reason: check.refusal.reason, code: check.refusal.code, mantagoMessage: check.refusal.message },
        check.refusal.reason === 'no_such_bot'
          ? 'MantaGO knows no bot of this MANTAGO_BOT_ID: nothing can be sent until it is corrected'
          : 'MantaGO refuses the bot: nothing can be sent until that changes (GET /admin/mantago)',
      );
    else if (check.found === 'credentials')
      log.error(
        { botId },
        'the MantaGO credentials cannot be used: nothing can be sent until a pair is installed (GET /admin/credentials)',
      );
    else log.warn({ botId }, 'MantaGO could not be asked about the bot at start; the first delivery will tell');
  } catch (error) {
    log.error({ err: error }, 'checking the bot at start failed unexpectedly');
  }
}
