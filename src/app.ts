// The service over HTTP, as a Fastify plugin: routes, error mapping, load shedding. It builds the
// service (service.ts) and never listens (server.ts does); tests build as many apps as they like.
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import underPressure from '@fastify/under-pressure';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyReply, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import type { Settings } from './config/settings.ts';
import { AccessLog } from './http/access-log.ts';
import { consoleRoutes } from './http/console-routes.ts';
import { adminRoutes } from './http/admin/admin-routes.ts';
import { clientErrorHandler } from './http/client-error.ts';
import { errorBody, httpError, toHttpError } from './http/errors.ts';
import { healthRoutes } from './http/health-routes.ts';
import type { LoadCode } from './readiness.ts';
import { metricsRoutes } from './http/metrics-routes.ts';
import { registerOpenApi } from './http/openapi.ts';
import { webhookRoutes } from './http/webhook-routes.ts';
import { createLogger } from './logger.ts';
import { createService, type ServiceOptions } from './service.ts';
import { serviceFile } from './service-files.ts';
import type { WebhookSource } from './sources/source.ts';

const VERSION = (JSON.parse(readFileSync(serviceFile('../package.json'), 'utf8')) as { version: string }).version;

export const notifierApp = fp<{ settings: Settings; sources?: readonly WebhookSource[]; clock?: Clock }>(
  async (app, { settings, sources, clock }) => {
    const { config } = settings;
    const service = await createService(settings, {
      log: app.log as Logger,
      ...(sources && { sources }),
      ...(clock && { clock }),
    } satisfies ServiceOptions);

    // Every body we read is JSON or (a recipient import) its own types: Fastify's text/plain would hand a JSON route a string.
    app.removeContentTypeParser('text/plain');
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const mapped = toHttpError(error, config.LOAD_RETRY_AFTER_S, request.routeOptions.schema?.consumes);
      if (mapped.code === 'STORE_UNAVAILABLE') request.log.warn({ reason: error.message }, 'store unavailable: answered 503');
      else if (mapped.statusCode >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: mapped.code, reason: mapped.message }, 'request refused');
      if (mapped.retryAfterS !== undefined) reply.header('retry-after', String(mapped.retryAfterS));
      return reply.code(mapped.statusCode).send(errorBody(mapped));
    });
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0];
      return reply.code(404).send(errorBody(httpError('NOT_FOUND', `no route for ${request.method} ${path}`)));
    });

    const limits = {
      eventLoopDelay: config.LOAD_MAX_EVENT_LOOP_DELAY_MS,
      heapUsedBytes: heapThresholdMb(config.LOAD_MAX_HEAP_USED_MB) * 1024 * 1024,
      rssBytes: config.LOAD_MAX_RSS_MB * 1024 * 1024,
    };
    app.log.info(
      {
        loadThresholds: {
          eventLoopDelayMs: limits.eventLoopDelay,
          heapUsedMb: limits.heapUsedBytes / 2 ** 20,
          rssMb: config.LOAD_MAX_RSS_MB,
        },
        heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
      },
      'load thresholds (0: off)',
    );
    const load = (): LoadCode => {
      if (!app.isUnderPressure()) return 'ok';
      const usage = app.memoryUsage();
      if (limits.eventLoopDelay > 0 && usage.eventLoopDelay > limits.eventLoopDelay) return 'event_loop_delay';
      if (limits.heapUsedBytes > 0 && usage.heapUsed > limits.heapUsedBytes) return 'heap';
      return 'rss';
    };
    // Shed load before it topples the process: shops retry a 503 after Retry-After. Health, readiness
    // and metrics routes opt out (their route config), so /healthz stays an honest "alive".
    await app.register(underPressure, {
      maxEventLoopDelay: limits.eventLoopDelay,
      maxHeapUsedBytes: limits.heapUsedBytes,
      maxRssBytes: limits.rssBytes,
      pressureHandler: async (request, _reply, type, value) => {
        const source = request.routeOptions.config.source;
        if (source) service.metrics.webhook(source, 'overloaded');
        request.log.warn({ type, value }, 'shedding load');
        throw httpError('OVERLOADED', `the service is overloaded; retry after ${config.LOAD_RETRY_AFTER_S} s`, config.LOAD_RETRY_AFTER_S);
      },
    });
    await registerOpenApi(app, VERSION);
    await app.register(healthRoutes, { service, load });
    await app.register(metricsRoutes, { metrics: service.metrics });
    if (service.takesWebhooks) await app.register(webhookRoutes, { service, bodyLimit: config.BODY_LIMIT_BYTES });
    if (config.ADMIN_TOKEN) {
      await app.register(adminRoutes, { prefix: '/admin', adminToken: config.ADMIN_TOKEN, service, version: VERSION });
      await app.register(consoleRoutes); // a client of /admin: off whenever /admin is
    }

    app.addHook('onReady', async () => service.start());
    app.addHook('preClose', async () => service.quiesce());
    app.addHook('onClose', async () => service.stop());
  },
  { name: 'mantago-order-notifier', fastify: '5.x' },
);

/**
 * The heap in use above which to shed load: given, or 90% of V8's limit. The start flags cap the
 * old generation (--max-old-space-size), so this fires well before the process runs out of heap.
 */
function heapThresholdMb(given: number | undefined): number {
  return given ?? Math.floor((getHeapStatistics().heap_size_limit / 1024 / 1024) * 0.9);
}

export interface BuildOptions {
  logger?: Logger;
  /** Server settings owned by server.ts (timeouts), merged over the app's own. */
  server?: Partial<FastifyServerOptions>;
  /** The webhook sources to serve: the registry's unless given. */
  sources?: readonly WebhookSource[];
  /** The time the service goes by (a test moves it to reach quiet hours). */
  clock?: Clock;
}

export async function buildApp(settings: Settings, options: BuildOptions = {}) {
  const app = Fastify({
    loggerInstance: options.logger ?? createLogger(settings.config.LOG_LEVEL),
    logController: new AccessLog(),
    bodyLimit: settings.config.BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    // A recipient key (400 characters, an e-mail's @ encoded as three) fits a path parameter: the router's 100 would 414 it.
    routerOptions: { maxParamLength: 1_200 },
    // A URL the router cannot read (a bad %-escape, a path part too long): answered from the catalogue too.
    clientErrorHandler,
    frameworkErrors: (error, _request, reply) => {
      const mapped = toHttpError(error, 0);
      return (reply as FastifyReply).code(mapped.statusCode).send(errorBody(mapped));
    },
    ...options.server,
  }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(notifierApp, {
    settings,
    ...(options.sources && { sources: options.sources }),
    ...(options.clock && { clock: options.clock }),
  });
  return app;
}
