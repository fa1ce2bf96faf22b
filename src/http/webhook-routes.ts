// POST /webhooks/{shopify,woocommerce,orders}. The body arrives as raw bytes; the signature is
// checked over those exact bytes before anything is parsed, then the JSON is parsed and validated
// against the source's schema, and the order is stored before we answer 202.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import Type from 'typebox';
import type { Intake } from '../delivery/intake.ts';
import type { Source } from '../sources/order.ts';
import { header, type WebhookSource } from '../sources/source.ts';
import { WOOCOMMERCE_PING, WOOCOMMERCE_SIGNATURE_HEADER } from '../sources/woocommerce.ts';
import { HttpError, errorReplies, httpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The webhook source a route receives, for metrics. */
    source?: Source;
  }
}

export interface WebhookRoutesOptions {
  sources: Partial<Record<Source, WebhookSource>>;
  intake: Intake;
  bodyLimit: number;
  /** Told of every webhook's outcome, for metrics. */
  onWebhook?: (source: Source, outcome: string) => void;
}

/** Where each source listens, and what enables it. */
export const WEBHOOK_ROUTES: { source: Source; path: string; secretName: string; topicHeader?: string }[] = [
  { source: 'shopify', path: '/webhooks/shopify', secretName: 'SHOPIFY_WEBHOOK_SECRET', topicHeader: 'x-shopify-topic' },
  { source: 'woocommerce', path: '/webhooks/woocommerce', secretName: 'WOOCOMMERCE_WEBHOOK_SECRET', topicHeader: 'x-wc-webhook-topic' },
  { source: 'orders', path: '/webhooks/orders', secretName: 'WEBHOOK_SECRET' },
];

export const WebhookReply = Type.Object(
  {
    status: Type.Enum(['accepted', 'duplicate', 'ignored']),
    deliveryId: Type.Optional(Type.Integer()),
    delivery: Type.Optional(Type.Enum(['pending', 'sent', 'dead', 'skipped'])),
    reason: Type.Optional(Type.String()),
  },
  { description: '202: stored, its message will be sent. 200: already stored (duplicate), or not an order to send (ignored).' },
);

const FORM = 'application/x-www-form-urlencoded';

export const webhookRoutes: FastifyPluginAsyncTypebox<WebhookRoutesOptions> = async (app, { sources, intake, bodyLimit, onWebhook }) => {
  // Keep the exact bytes: parsing comes after the signature check, in preValidation.
  app.removeAllContentTypeParsers(); // anything else is a 415
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
  app.addContentTypeParser(FORM, { parseAs: 'buffer', bodyLimit: 1024 }, (_request, body, done) => done(null, body));

  // What the routes themselves did not count: a body the parser or the schema refused.
  app.addHook('onError', async (request, _reply, error) => {
    const source = request.routeOptions.config.source;
    if (source && !(error instanceof HttpError)) onWebhook?.(source, 'invalid');
  });

  for (const { source: name, path, secretName, topicHeader } of WEBHOOK_ROUTES) {
    const source = sources[name];
    const count = (outcome: string) => onWebhook?.(name, outcome);
    if (!source) {
      app.post(path, {
        schema: { summary: `${name} webhook (disabled: ${secretName} is not set)`, tags: ['webhooks'], response: errorReplies(404) },
        // Answered before the body is read: a disabled source never looks at what was sent.
        onRequest: async () => {
          count('disabled');
          throw httpError('SOURCE_DISABLED', `${name} webhooks are not enabled on this service (${secretName} is not set)`);
        },
        handler: async () => undefined,
      });
      continue;
    }

    const verifyThenParse = async (request: FastifyRequest, reply: FastifyReply) => {
      const raw = request.body as Buffer;
      if ((request.headers['content-type'] ?? '').startsWith(FORM)) {
        // WooCommerce checks a new webhook's URL with an unsigned form post; say yes and do nothing.
        if (name === 'woocommerce' && !header(request.headers, WOOCOMMERCE_SIGNATURE_HEADER) && WOOCOMMERCE_PING.test(raw.toString('latin1'))) {
          count('ping');
          return reply.code(200).send({ status: 'ignored', reason: 'WooCommerce webhook ping' });
        }
        count('invalid');
        throw httpError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
      }
      const verdict = source.verify(raw, request.headers);
      if (!verdict.ok) {
        count('bad_signature');
        throw httpError('SIGNATURE_INVALID', verdict.reason);
      }
      const screened = source.screen(request.headers);
      if (screened) {
        count('ignored');
        return reply.code(200).send({ status: 'ignored', reason: screened });
      }
      try {
        request.body = secureJson.parse(raw.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
      } catch {
        count('invalid');
        throw httpError('INVALID_JSON', 'body is not valid JSON');
      }
    };

    app.post(path, {
      schema: {
        summary: `Receive a ${name} order webhook`,
        tags: ['webhooks'],
        body: source.payloadSchema,
        response: { 200: WebhookReply, 202: WebhookReply, ...errorReplies(400, 401, 413, 415) },
      },
      config: { source: name },
      preValidation: verifyThenParse,
      handler: async (request, reply) => {
        const normalized = source.normalize(request.body, request.headers);
        if ('ignored' in normalized) {
          count('ignored');
          return reply.code(200).send({ status: 'ignored', reason: normalized.ignored });
        }
        const topic = topicHeader ? header(request.headers, topicHeader) : undefined;
        const recorded = await intake(normalized.order, topic);
        count(recorded.outcome);
        return reply.code(recorded.outcome === 'accepted' ? 202 : 200).send({
          status: recorded.outcome,
          deliveryId: recorded.deliveryId,
          delivery: recorded.status,
          ...(recorded.reason !== undefined && { reason: recorded.reason }),
        });
      },
    });
  }
};
