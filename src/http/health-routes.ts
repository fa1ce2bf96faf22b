// GET /healthz: the process is alive (for restarts). GET /readyz: this replica can take webhooks
// (for traffic), by the rules of readiness.ts; delivery trouble shows in the body, never as a 503.
// The body holds stable reason codes only; GET /admin/mantago and GET /admin/credentials have details.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BOT_REFUSAL_REASONS } from '../mantago/bot-state.ts';
import { CREDENTIALS_STATES } from '../mantago/renewal.ts';
import { DELIVERY_HOLDS, LOAD_CODES, type LoadCode, readinessCheck, STORE_PING_TIMEOUT_MS, STORE_STATES } from '../readiness.ts';
import { POLL_OUTCOMES } from '../reconcile/outcomes.ts';
import type { Service } from '../service.ts';

const Checks = Type.Object({
  store: Type.Enum([...STORE_STATES]),
  mapping: Type.Enum(['ok']),
  load: Type.Enum([...LOAD_CODES]),
  credentials: Type.Enum([...CREDENTIALS_STATES]),
  bot: Type.Enum(['ok', ...BOT_REFUSAL_REASONS], {
    description: 'whether MantaGO takes the bot: permission_denied (1002), no_such_bot (5001), broadcasts_refused (not published)',
  }),
  delivery: Type.Enum([...DELIVERY_HOLDS], {
    description:
      'what holds deliveries back, if anything: never a reason for 503 (this replica still takes webhooks); GET /admin/mantago and GET /admin/credentials say more',
  }),
});
export const ReadyReply = Type.Object({
  status: Type.Enum(['ready', 'not_ready']),
  checks: Checks,
  shops: Type.Optional(
    Type.Record(Type.String(), Type.Enum([...POLL_OUTCOMES]), {
      description: "each connected shop's last poll, when a shop is connected (never a reason for 503); GET /admin/shops says more",
    }),
  ),
});

export interface HealthOptions {
  service: Service;
  /** Which load threshold the process is over, if any. */
  load: () => LoadCode;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, { service, load }) => {
  const readiness = readinessCheck(service, load);

  app.get('/healthz', {
    schema: {
      summary: 'Liveness: the process is running',
      tags: ['health'],
      response: { 200: Type.Object({ status: Type.Literal('ok') }) },
    },
    logLevel: 'warn',
    config: { pressureHandler: () => undefined }, // alive, however busy: shedding load is no reason to restart
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: {
      summary: 'Readiness: this replica can take webhooks (store answering, under the load thresholds); delivery trouble is in the body',
      tags: ['health'],
      response: { 200: ReadyReply, 503: ReadyReply },
    },
    logLevel: 'warn',
    config: { pressureHandler: () => undefined }, // answers 503 itself while overloaded, with the reason
    handler: async (_request, reply) => {
      const { ready, checks } = await readiness();
      const shops = await service.shops.status(STORE_PING_TIMEOUT_MS);
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', checks, ...(Object.keys(shops).length > 0 && { shops }) });
    },
  });
};
