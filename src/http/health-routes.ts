// GET /healthz: the process is alive (for restarts). GET /readyz: it can do its job (for traffic):
// the store answers, the mapping is loaded, MantaGO has not rejected our credentials, and the
// process is not over its load thresholds.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Service } from '../service.ts';

const STORE_PING_TIMEOUT_MS = 2_000;

const Checks = Type.Object({ store: Type.String(), mapping: Type.String(), credentials: Type.String(), load: Type.String() });
export const ReadyReply = Type.Object({ status: Type.Enum(['ready', 'not_ready']), checks: Checks });

export interface HealthOptions {
  service: Service;
  underPressure: () => boolean;
  memoryUsage: () => { eventLoopDelay: number; rssBytes: number };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, { service, underPressure, memoryUsage }) => {
  const readiness = async () => {
    let store = 'ok';
    try {
      await withTimeout(service.store.ping(), STORE_PING_TIMEOUT_MS);
    } catch (error) {
      store = `unreachable (${(error as { code?: string }).code ?? (error as Error).message})`;
    }
    const c = service.credentials.status();
    const credentials =
      c.state === 'ok' ? `ok (generation ${c.generation}, expires ${new Date(c.expiresAt).toISOString()})` : `rejected: ${c.lastError}`;
    const usage = memoryUsage();
    const load = underPressure()
      ? `over a threshold (event-loop delay ${Math.round(usage.eventLoopDelay)} ms, RSS ${Math.round(usage.rssBytes / 1024 / 1024)} MB)`
      : 'ok';
    const { mapping } = service.settings;
    return {
      ready: store === 'ok' && c.state === 'ok' && load === 'ok',
      checks: { store, mapping: `loaded ${mapping.rules.length} rules from ${mapping.file}`, credentials, load },
    };
  };

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
      summary: 'Readiness: store reachable, mapping loaded, credentials not known-bad',
      tags: ['health'],
      response: { 200: ReadyReply, 503: ReadyReply },
    },
    logLevel: 'warn',
    config: { pressureHandler: () => undefined }, // answers 503 itself while overloaded, with the reason
    handler: async (_request, reply) => {
      const { ready, checks } = await readiness();
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  });
};
