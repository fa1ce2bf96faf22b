// POST /webhooks/<source>, one route per registered source. The body arrives as raw bytes; the
// signature is checked over those exact bytes before anything is parsed, then the JSON is parsed
// and validated against the source's schema, and the order is stored before we answer 202.
import type { WebhookOutcome } from '../metrics/service-metrics.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import Type, { type TSchema } from 'typebox';
import { DELIVERY_STATUSES, INTAKE_OUTCOMES } from '../domain/delivery.ts';
import type { Service } from '../service.ts';
import { header, type Normalized } from '../sources/source.ts';
import { StoreUnavailableError } from '../store/errors.ts';
import { HttpError, errorReplies, httpError, unsupportedMediaType } from './errors.ts';
import { payloadProblems } from '../sources/payload-check.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The webhook source a route receives, for metrics. */
    source?: string;
  }
}

/** secure-json-parse's message for valid JSON holding a prototype key. */
const FORBIDDEN_KEY = 'Object contains forbidden prototype property';
const EMPTY = Buffer.alloc(0);
/** An integer past 2^53 as its digits: JSON.parse hands a reviver each number's source text. */
const keepDigits = (_key: string, value: unknown, context?: { source?: string }) =>
  typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) ? (context?.source ?? value) : value;

export const WebhookReply = Type.Object(
  {
    status: Type.Enum([...INTAKE_OUTCOMES]),
    deliveryId: Type.Optional(Type.Integer()),
    delivery: Type.Optional(Type.Enum([...DELIVERY_STATUSES])),
    reason: Type.Optional(Type.String()),
  },
  { description: '202: stored, its message will be sent. 200: already stored (duplicate), or not an order to send (ignored).' },
);

export const webhookRoutes: FastifyPluginAsyncTypebox<{ service: Service; bodyLimit: number }> = async (app, { service, bodyLimit }) => {
  const onWebhook = (source: string, outcome: WebhookOutcome) => service.metrics.webhook(source, outcome);
  // Keep the exact bytes: parsing comes after the signature check, in preValidation.
  app.removeAllContentTypeParsers(); // anything else is a 415
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
  for (const type of new Set(service.sources.flatMap(({ source }) => (source.ping ? [source.ping.contentType] : [])))) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: 1024 }, (_request, body, done) => done(null, body));
  }

  // What the routes themselves did not count: a body the parser or the schema refused (4xx), or our own fault (500).
  app.addHook('onError', async (request, _reply, error) => {
    const source = request.routeOptions.config.source;
    if (source && error instanceof StoreUnavailableError) onWebhook(source, 'store_unavailable');
    else if (source && !(error instanceof HttpError)) onWebhook(source, (error.statusCode ?? 500) >= 500 ? 'error' : 'invalid');
  });

  for (const { source, enabled } of service.sources) {
    const count = (outcome: WebhookOutcome) => onWebhook(source.name, outcome);
    if (!enabled) {
      app.post(source.path, {
        schema: {
          summary: `${source.name} webhook (disabled: ${source.secret.name} is not set)`,
          tags: ['webhooks'],
          response: errorReplies(404),
        },
        // Answered before the body is read: a disabled source never looks at what was sent.
        onRequest: async () => {
          count('disabled');
          throw httpError('SOURCE_DISABLED', `${source.name} webhooks are not enabled on this service (${source.secret.name} is not set)`);
        },
        handler: async () => undefined,
      });
      continue;
    }

    const verifyThenParse = async (request: FastifyRequest, reply: FastifyReply) => {
      // No body (no Content-Type, nothing sent: an uptime check) is no bytes, refused below as not JSON.
      const raw = (request.body as Buffer | undefined) ?? EMPTY;
      // Media types are case-insensitive (RFC 9110): `Application/JSON` is JSON too (lower-cased only when not as usual).
      const type = request.headers['content-type'] ?? '';
      if (!type.startsWith('application/json') && !type.toLowerCase().startsWith('application/json')) {
        if (source.ping?.matches(raw, request.headers)) {
          count('ping');
          return reply.code(200).send({ status: 'ignored', reason: source.ping.reason });
        }
        count('invalid');
        throw unsupportedMediaType();
      }
      const verdict = enabled.verify(raw, request.headers);
      if (!verdict.ok) {
        count('bad_signature');
        throw httpError('SIGNATURE_INVALID', verdict.reason);
      }
      const kind = source.payloadKind(request.headers);
      if ('ignored' in kind) {
        count('ignored');
        return reply.code(200).send({ status: 'ignored', reason: kind.ignored });
      }
      let payload: unknown;
      try {
        payload = secureJson.parse(raw.toString('utf8'), kind.exactIntegers ? keepDigits : undefined, {
          protoAction: 'error',
          constructorAction: 'error',
        });
      } catch (error) {
        count('invalid');
        // JSON, but with a key that would reach an object's prototype: refused, and said so.
        if ((error as Error).message === FORBIDDEN_KEY)
          throw httpError('INVALID_PAYLOAD', 'body holds a "__proto__" key or a "constructor" with "prototype", which are refused');
        // Valid JSON nested deeper than the stack reads it (thousands of levels): no shop's order is.
        if (error instanceof RangeError) throw httpError('INVALID_PAYLOAD', 'body nests arrays or objects deeper than any order does');
        throw httpError('INVALID_JSON', 'body is not valid JSON');
      }
      const problems = payloadProblems(kind.schema, payload);
      if (problems.length > 0) {
        count('invalid');
        throw httpError('INVALID_PAYLOAD', problems.join(', '));
      }
      request.body = kind.normalize(payload as never, request.headers);
    };

    app.post(source.path, {
      schema: {
        summary: `Receive a ${source.name} webhook`,
        tags: ['webhooks'],
        // For the OpenAPI document: the payload is checked in preValidation, against its topic's schema.
        body:
          source.payloadKinds.length === 1
            ? (source.payloadKinds[0]?.schema as TSchema)
            : Type.Union(source.payloadKinds.map((k) => k.schema)),
        response: { 200: WebhookReply, 202: WebhookReply, ...errorReplies(400, 401, 413, 415, 503) },
      },
      validatorCompiler: () => () => true,
      config: { source: source.name },
      preValidation: verifyThenParse,
      handler: async (request, reply) => {
        const normalized = request.body as unknown as Normalized;
        if ('invalid' in normalized) {
          count('invalid');
          throw httpError('INVALID_PAYLOAD', normalized.invalid);
        }
        if ('ignored' in normalized) {
          count('ignored');
          return reply.code(200).send({ status: 'ignored', reason: normalized.ignored });
        }
        const topic = source.topicHeader ? header(request.headers, source.topicHeader) : undefined;
        const recorded = await service.intake(normalized, topic);
        count(recorded.outcome);
        if (recorded.outcome === 'ignored') return reply.code(200).send({ status: 'ignored', reason: recorded.reason });
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
