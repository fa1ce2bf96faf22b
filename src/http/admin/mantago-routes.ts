// GET /admin/mantago: whether MantaGO takes the bot's calls — usable, or refused (its plan, its id,
// not published) with MantaGO's own words, since when, and when the next probe asks again.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import { BOT_REFUSAL_REASONS, BOT_STATES } from '../../mantago/bot-state.ts';
import { MANTAGO_USABILITY, usability } from '../../mantago/usability.ts';
import type { Service } from '../../service.ts';
import { errorReplies } from '../errors.ts';
import { iso, Time } from './schemas.ts';

export const MantagoSchema = Type.Object({
  usable: Type.Enum([...MANTAGO_USABILITY], { description: 'ok, or what stops delivery: the bot refused, or the credentials rejected' }),
  state: Type.Enum([...BOT_STATES], {
    description: 'usable, or bot_refused: deliveries wait (uncounted) and one probe at a time asks again',
  }),
  reason: Type.Union([Type.Enum([...BOT_REFUSAL_REASONS]), Type.Null()], {
    description:
      'permission_denied (1002: the pair, or a plan without the Open API), no_such_bot (5001: MANTAGO_BOT_ID), broadcasts_refused (36000 for every recipient: the bot is not published)',
  }),
  code: Type.Union([Type.Integer(), Type.Null()], { description: "MantaGO's errResponse.code" }),
  message: Type.Union([Type.String(), Type.Null()], { description: "MantaGO's own words" }),
  since: Time,
  nextProbeAt: Time,
  probes: Type.Integer({ description: 'probes refused so far in this refusal' }),
  botId: Type.String(),
  checked: Type.Boolean({ description: 'whether this replica asks MantaGO at all (not with DRY_RUN, nor NOTIFIER_ROLE=web)' }),
});

/** What the operator sees of the bot's state (and, in one word, the credentials'): GET /admin/mantago and the overview. */
export function mantagoView(service: Service): Static<typeof MantagoSchema> {
  const { config } = service.settings;
  const bot = service.bot.view();
  return {
    usable: usability(bot, service.credentials.health().state),
    state: bot.state,
    reason: bot.reason,
    code: bot.code,
    message: bot.message,
    since: iso(bot.since),
    nextProbeAt: iso(bot.nextProbeAt),
    probes: bot.probes,
    botId: config.MANTAGO_BOT_ID,
    checked: service.delivers && !config.DRY_RUN,
  };
}

export const mantagoRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = async (app, { service }) => {
  app.get('/mantago', {
    schema: {
      summary: 'Whether MantaGO takes the bot: usable, or refused with its reason, its message and the next probe',
      tags: ['admin'],
      response: { 200: MantagoSchema, ...errorReplies(401) },
    },
    handler: async () => {
      await service.credentials.reload(); // another replica may have stored a newer pair
      return mantagoView(service);
    },
  });
};
