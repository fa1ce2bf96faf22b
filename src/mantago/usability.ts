// Whether MantaGO takes this deployment's calls, in one word: the `reason` label of the
// notifier_mantago_usable gauge, the bot check of /readyz and GET /admin/mantago's `usable`.
import { BOT_REFUSAL_REASONS } from './bot-state.ts';
import type { BotView } from './bot-status.ts';

export const MANTAGO_USABILITY = ['ok', ...BOT_REFUSAL_REASONS, 'credentials_rejected'] as const;
export type MantagoUsability = (typeof MANTAGO_USABILITY)[number];

/** The bot's refusal first (a new pair would not help), then the credentials. */
export function usability(bot: BotView, credentialsState: string): MantagoUsability {
  if (bot.state === 'bot_refused' && bot.reason !== null) return bot.reason;
  return credentialsState === 'rejected' ? 'credentials_rejected' : 'ok';
}
