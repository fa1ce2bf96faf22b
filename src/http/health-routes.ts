// GET /healthz: the process is alive (for restarts). GET /readyz: it can do its job (for traffic):
// the store answers, the mapping is loaded, MantaGO has not rejected our credentials, and the
// process is not over its load thresholds.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

const Checks = Type.Object({ store: Type.String(), mapping: Type.String(), credentials: Type.String(), load: Type.String() });
export const ReadyReply = Type.Object({ status: Type.Enum(['ready', 'not_ready']), checks: Checks });

export interface Readiness {
  ready: boolean;
  checks: { store: string; mapping: string; credentials: string; load: string };
}

export const healthRoutes: FastifyPluginAsyncTypebox<{ readiness: () => Promise<Readiness> }> = async (app, { readiness }) => {
  app.get('/healthz', {
    schema: { summary: 'Liveness: the process is running', tags: ['health'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    logLevel: 'warn',
    config: { pressureHandler: () => undefined }, // alive, however busy: shedding load is no reason to restart
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: { summary: 'Readiness: store reachable, mapping loaded, credentials not known-bad', tags: ['health'], response: { 200: ReadyReply, 503: ReadyReply } },
    logLevel: 'warn',
    config: { pressureHandler: () => undefined }, // answers 503 itself while overloaded, with the reason
    handler: async (_request, reply) => {
      const { ready, checks } = await readiness();
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  });
};
