// The service over HTTP, as a Fastify plugin: routes, error mapping, load shedding. It builds the
// service (service.ts) and never listens (server.ts does); tests build as many apps as they like.
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import underPressure from '@fastify/under-pressure';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import type { Settings } from './config/settings.ts';
import { AccessLog } from './http/access-log.ts';
import { adminRoutes } from './http/admin/admin-routes.ts';
import { httpError, toHttpError } from './http/errors.ts';
import { healthRoutes } from './http/health-routes.ts';
import { metricsRoutes } from './http/metrics-routes.ts';
import { registerOpenApi } from './http/openapi.ts';
import { webhookRoutes } from './http/webhook-routes.ts';
import { createLogger } from './logger.ts';
import { createService, type ServiceOptions } from './service.ts';
import { serviceFile } from './service-files.ts';
import type { WebhookSource } from './sources/source.ts';

const VERSION = (JSON.parse(readFileSync(serviceFile('../package.json'), 'utf8')) as { version: string }).version;

export const notifierApp = fp<{ settings: Settings; sources?: readonly WebhookSource[] }>(
  async (app, { settings, sources }) => {
    const { config } = settings;
    const service = await createService(settings, { log: app.log as Logger, ...(sources && { sources }) } satisfies ServiceOptions);

    app.setErrorHandler((error: FastifyError, request, reply) => {
      const mapped = toHttpError(error);
      if (mapped.statusCode >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: mapped.code, reason: mapped.message }, 'request refused');
      return reply.code(mapped.statusCode).send({
        statusCode: mapped.statusCode,
        code: mapped.code,
        error: STATUS_CODES[mapped.statusCode] ?? 'Error',
        message: mapped.message,
      });
    });
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0];
      return reply
        .code(404)
        .send({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: `no route for ${request.method} ${path}` });
    });

    // Shed load before it topples the process: shops retry a 503 after Retry-After. Health, readiness
    // and metrics routes opt out (their route config), so /healthz stays an honest "alive".
    await app.register(underPressure, {
      maxEventLoopDelay: config.LOAD_MAX_EVENT_LOOP_DELAY_MS,
      maxRssBytes: config.LOAD_MAX_RSS_MB * 1024 * 1024,
      pressureHandler: async (request, reply, type, value) => {
        const source = request.routeOptions.config.source;
        if (source) service.metrics.webhooks.inc({ source, outcome: 'overloaded' });
        request.log.warn({ type, value }, 'shedding load');
        reply.header('retry-after', String(config.LOAD_RETRY_AFTER_S));
        throw httpError('OVERLOADED', `the service is overloaded; retry after ${config.LOAD_RETRY_AFTER_S} s`);
      },
    });
    await registerOpenApi(app, VERSION);
    await app.register(healthRoutes, { service, underPressure: () => app.isUnderPressure(), memoryUsage: () => app.memoryUsage() });
    await app.register(metricsRoutes, { metrics: service.metrics });
    if (service.takesWebhooks) await app.register(webhookRoutes, { service, bodyLimit: config.BODY_LIMIT_BYTES });
    if (config.ADMIN_TOKEN) await app.register(adminRoutes, { prefix: '/admin', adminToken: config.ADMIN_TOKEN, service });

    app.addHook('onReady', async () => service.start());
    app.addHook('onClose', async () => service.stop());
  },
  { name: 'mantago-order-notifier', fastify: '5.x' },
);

export interface BuildOptions {
  logger?: Logger;
  /** Server settings owned by server.ts (timeouts), merged over the app's own. */
  server?: Partial<FastifyServerOptions>;
  /** The webhook sources to serve: the registry's unless given. */
  sources?: readonly WebhookSource[];
}

export async function buildApp(settings: Settings, options: BuildOptions = {}) {
  const app = Fastify({
    loggerInstance: options.logger ?? createLogger(settings.config.LOG_LEVEL),
    logController: new AccessLog(),
    bodyLimit: settings.config.BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    ...options.server,
  }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(notifierApp, { settings, ...(options.sources && { sources: options.sources }) });
  return app;
}
