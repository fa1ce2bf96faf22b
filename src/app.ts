// Builds the whole service as a Fastify plugin: store, MantaGO client and credentials, delivery
// worker, routes. It never listens (server.ts does); tests build as many apps as they like.
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import underPressure from '@fastify/under-pressure';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import type { Settings } from './config/settings.ts';
import { createIntake } from './delivery/intake.ts';
import { Retention } from './delivery/retention.ts';
import { DeliveryWorker } from './delivery/worker.ts';
import { adminRoutes } from './http/admin/admin-routes.ts';
import { healthRoutes, type Readiness } from './http/health-routes.ts';
import { AccessLog } from './http/access-log.ts';
import { consoleRoutes } from './http/console-routes.ts';
import { HttpError, httpError } from './http/errors.ts';
import { metricsRoutes } from './http/metrics-routes.ts';
import { registerOpenApi } from './http/openapi.ts';
import { WEBHOOK_ROUTES, webhookRoutes } from './http/webhook-routes.ts';
import { createLogger } from './logger.ts';
import { serviceFile } from './service-files.ts';
import { MantagoClient } from './mantago/client.ts';
import { CredentialsManager } from './mantago/credentials.ts';
import { ServiceMetrics } from './metrics/service-metrics.ts';
import { shopifySource } from './sources/shopify.ts';
import type { WebhookSource } from './sources/source.ts';
import type { Source } from './sources/order.ts';
import { standardWebhooksSource } from './sources/standard-webhooks.ts';
import { woocommerceSource } from './sources/woocommerce.ts';
import { openStore } from './store/open-store.ts';

const STORE_PING_TIMEOUT_MS = 2_000;
const VERSION = (JSON.parse(readFileSync(serviceFile('../package.json'), 'utf8')) as { version: string }).version;

export const notifierApp = fp<Settings>(
  async (app, { config, mapping }) => {
    const store = await openStore(config.DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX, log: app.log.child({ component: 'store' }) as Logger });
    const client = new MantagoClient({
      baseUrl: config.MANTAGO_BASE_URL,
      botId: config.MANTAGO_BOT_ID,
      timeoutMs: config.MANTAGO_TIMEOUT_MS,
      maxConcurrency: config.MANTAGO_MAX_CONCURRENCY,
      maxRps: config.MANTAGO_MAX_RPS,
      dryRun: config.DRY_RUN,
      onCall: (endpoint, outcome, seconds) => metrics.calls.observe({ endpoint, outcome }, seconds),
    });
    // The client and the credentials report to the metrics (below) only once calls start.
    const credentials = new CredentialsManager({
      botId: config.MANTAGO_BOT_ID,
      envPair: { apiToken: config.MANTAGO_API_TOKEN, apiSecret: config.MANTAGO_API_SECRET },
      store,
      client,
      log: app.log.child({ component: 'credentials' }) as Logger,
      dryRun: config.DRY_RUN,
      onRefresh: (outcome) => metrics.refreshed(outcome),
    });
    const metrics = new ServiceMetrics({ queueStats: () => store.operator.queueStats(), credentials: () => credentials.status() });
    if (config.DRY_RUN) app.log.warn('DRY_RUN is on: deliveries are recorded but MantaGO is never called');
    try {
      await credentials.start();
    } catch (error) {
      await store.close();
      throw error;
    }
    const worker = new DeliveryWorker({
      store,
      client,
      credentials,
      log: app.log.child({ component: 'delivery' }) as Logger,
      onFinished: (outcome, deliveries) => {
        metrics.deliveries.inc({ outcome }, deliveries.length);
        if (outcome === 'dead') return;
        const now = Date.now();
        for (const d of deliveries) metrics.deliveryLatency.observe((now - d.receivedAt) / 1000);
      },
      options: {
        batchMaxRecipients: config.BATCH_MAX_RECIPIENTS,
        maxConcurrency: config.MANTAGO_MAX_CONCURRENCY,
        leaseMs: config.DELIVERY_LEASE_MS,
        callTimeoutMs: config.MANTAGO_TIMEOUT_MS,
        pollMs: config.DELIVERY_POLL_MS,
        policy: {
          baseDelayMs: config.RETRY_BASE_DELAY_MS,
          maxDelayMs: config.RETRY_MAX_DELAY_MS,
          maxAttempts: config.RETRY_MAX_ATTEMPTS,
          maxAgeMs: config.RETRY_MAX_AGE_MS,
        },
      },
    });

    const sources: Partial<Record<Source, WebhookSource>> = {};
    if (config.SHOPIFY_WEBHOOK_SECRET) sources.shopify = shopifySource(config.SHOPIFY_WEBHOOK_SECRET) as WebhookSource;
    if (config.WOOCOMMERCE_WEBHOOK_SECRET) sources.woocommerce = woocommerceSource(config.WOOCOMMERCE_WEBHOOK_SECRET) as WebhookSource;
    if (config.WEBHOOK_SECRET) sources.orders = standardWebhooksSource(config.WEBHOOK_SECRET) as WebhookSource;

    const retention = new Retention({ store, log: app.log.child({ component: 'retention' }) as Logger, days: config.RETENTION_DAYS, deadDays: config.DEAD_RETENTION_DAYS });
    const intake = createIntake({ store, mapping, directory: async (keys) => {
      const entry = await store.operator.findRecipient(keys);
      return entry && { key: entry.key, user: { platform: entry.platform, userId: entry.userId } };
    } });

    const readiness = async (): Promise<Readiness> => {
      let storeCheck = 'ok';
      try {
        await withTimeout(store.ping(), STORE_PING_TIMEOUT_MS);
      } catch (error) {
        storeCheck = `unreachable (${(error as { code?: string }).code ?? (error as Error).message})`;
      }
      const c = credentials.status();
      const credentialsCheck = c.state === 'ok' ? `ok (generation ${c.generation}, expires ${new Date(c.expiresAt).toISOString()})` : `rejected: ${c.lastError}`;
      const load = app.isUnderPressure() ? `over a threshold (${describePressure(app.memoryUsage())})` : 'ok';
      return {
        ready: storeCheck === 'ok' && c.state === 'ok' && load === 'ok',
        checks: { store: storeCheck, mapping: `loaded ${mapping.rules.length} rules from ${mapping.file}`, credentials: credentialsCheck, load },
      };
    };

    app.setErrorHandler((error: FastifyError, request, reply) => {
      const mapped = toHttpError(error);
      if (mapped.statusCode >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: mapped.code, reason: mapped.message }, 'request refused');
      return reply.code(mapped.statusCode).send({ statusCode: mapped.statusCode, code: mapped.code, error: STATUS_CODES[mapped.statusCode] ?? 'Error', message: mapped.message });
    });
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0];
      return reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: `no route for ${request.method} ${path}` });
    });

    // Shed load before it topples the process: shops retry a 503 after Retry-After. Health, readiness
    // and metrics routes opt out (their route config), so /healthz stays an honest "alive".
    await app.register(underPressure, {
      maxEventLoopDelay: config.LOAD_MAX_EVENT_LOOP_DELAY_MS,
      maxRssBytes: config.LOAD_MAX_RSS_MB * 1024 * 1024,
      pressureHandler: async (request, reply, type, value) => {
        const source = request.routeOptions.config.source;
        if (source) metrics.webhooks.inc({ source, outcome: 'overloaded' });
        request.log.warn({ type, value }, 'shedding load');
        reply.header('retry-after', String(config.LOAD_RETRY_AFTER_S));
        throw httpError('OVERLOADED', `the service is overloaded; retry after ${config.LOAD_RETRY_AFTER_S} s`);
      },
    });
    await registerOpenApi(app, VERSION);
    await app.register(healthRoutes, { readiness });
    await app.register(metricsRoutes, { metrics });
    await app.register(webhookRoutes, {
      sources,
      intake: async (order, topic) => {
        const recorded = await intake(order, topic);
        if (recorded.outcome === 'accepted' && recorded.status === 'skipped') metrics.deliveries.inc({ outcome: 'skipped' });
        return recorded;
      },
      bodyLimit: config.BODY_LIMIT_BYTES,
      onWebhook: (source, outcome) => metrics.webhooks.inc({ source, outcome }),
    });
    if (config.ADMIN_TOKEN) {
      await app.register(adminRoutes, {
        prefix: '/admin',
        adminToken: config.ADMIN_TOKEN,
        store,
        worker,
        credentials,
        leaseMs: config.DELIVERY_LEASE_MS,
        batchMaxRecipients: config.BATCH_MAX_RECIPIENTS,
        dryRun: config.DRY_RUN,
        sources: WEBHOOK_ROUTES.map(({ source, path }) => ({ name: source, path, enabled: sources[source] !== undefined })),
        version: VERSION,
      });
      await app.register(consoleRoutes); // a client of /admin: off whenever /admin is
    }

    app.addHook('onReady', async () => {
      worker.start();
      retention.start();
    });
    app.addHook('onClose', async () => {
      // In-flight requests have been answered by now; finish the sends under way, then close the store.
      await retention.stop();
      await worker.stop();
      credentials.stop();
      await client.close();
      await store.close();
    });
  },
  { name: 'mantago-order-notifier', fastify: '5.x' },
);

function toHttpError(error: FastifyError): HttpError {
  if (error instanceof HttpError) return error;
  if (error.validation) return httpError('INVALID_PAYLOAD', error.message);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpError('BODY_TOO_LARGE', 'body is larger than this service accepts (BODY_LIMIT_BYTES)');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return httpError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return httpError('INVALID_JSON', 'body is not valid JSON');
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return new HttpError('BAD_REQUEST', error.message);
  return httpError('INTERNAL', 'internal error; the service log has the details');
}

function describePressure(usage: { eventLoopDelay: number; rssBytes: number }): string {
  return `event-loop delay ${Math.round(usage.eventLoopDelay)} ms, RSS ${Math.round(usage.rssBytes / 1024 / 1024)} MB`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface BuildOptions {
  logger?: Logger;
  /** Server settings owned by server.ts (timeouts), merged over the app's own. */
  server?: Partial<FastifyServerOptions>;
}

export async function buildApp(settings: Settings, options: BuildOptions = {}) {
  const app = Fastify({
    loggerInstance: options.logger ?? createLogger(settings.config.LOG_LEVEL),
    logController: new AccessLog(),
    bodyLimit: settings.config.BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    ...options.server,
  }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(notifierApp, settings);
  return app;
}
