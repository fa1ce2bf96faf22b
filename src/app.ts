// Builds the whole service as a Fastify plugin: store, MantaGO client and credentials, delivery
// worker, routes. It never listens (server.ts does); tests build as many apps as they like.
import { STATUS_CODES } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import type { Settings } from './config/settings.ts';
import { createIntake } from './delivery/intake.ts';
import { DeliveryWorker } from './delivery/worker.ts';
import { healthRoutes, type Readiness } from './http/health-routes.ts';
import { AccessLog } from './http/access-log.ts';
import { HttpError, httpError } from './http/errors.ts';
import { webhookRoutes } from './http/webhook-routes.ts';
import { createLogger } from './logger.ts';
import { MantagoClient } from './mantago/client.ts';
import { CredentialsManager } from './mantago/credentials.ts';
import { shopifySource } from './sources/shopify.ts';
import type { WebhookSource } from './sources/source.ts';
import type { Source } from './sources/order.ts';
import { standardWebhooksSource } from './sources/standard-webhooks.ts';
import { woocommerceSource } from './sources/woocommerce.ts';
import { openStore } from './store/open-store.ts';

const STORE_PING_TIMEOUT_MS = 2_000;

export const notifierApp = fp<Settings>(
  async (app, { config, mapping }) => {
    const store = await openStore(config.DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX, log: app.log.child({ component: 'store' }) as Logger });
    const client = new MantagoClient({
      baseUrl: config.MANTAGO_BASE_URL,
      botId: config.MANTAGO_BOT_ID,
      timeoutMs: config.MANTAGO_TIMEOUT_MS,
      maxConcurrency: config.MANTAGO_MAX_CONCURRENCY,
      maxRps: config.MANTAGO_MAX_RPS,
    });
    const credentials = new CredentialsManager({
      botId: config.MANTAGO_BOT_ID,
      envPair: { apiToken: config.MANTAGO_API_TOKEN, apiSecret: config.MANTAGO_API_SECRET },
      store,
      client,
      log: app.log.child({ component: 'credentials' }) as Logger,
    });
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

    const readiness = async (): Promise<Readiness> => {
      let storeCheck = 'ok';
      try {
        await withTimeout(store.ping(), STORE_PING_TIMEOUT_MS);
      } catch (error) {
        storeCheck = `unreachable (${(error as { code?: string }).code ?? (error as Error).message})`;
      }
      const c = credentials.status();
      const credentialsCheck = c.state === 'ok' ? `ok (generation ${c.generation}, expires ${new Date(c.expiresAt).toISOString()})` : `rejected: ${c.lastError}`;
      return {
        ready: storeCheck === 'ok' && c.state === 'ok',
        checks: { store: storeCheck, mapping: `loaded ${mapping.rules.length} rules from ${mapping.file}`, credentials: credentialsCheck },
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

    await app.register(healthRoutes, { readiness });
    await app.register(webhookRoutes, { sources, intake: createIntake({ store, mapping }), bodyLimit: config.BODY_LIMIT_BYTES });

    app.addHook('onReady', async () => worker.start());
    app.addHook('onClose', async () => {
      // In-flight requests have been answered by now; finish the sends under way, then close the store.
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
