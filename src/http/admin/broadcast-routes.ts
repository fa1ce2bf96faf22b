// POST /admin/broadcasts: a send by hand, recorded like any delivery, answered with MantaGO's
// reply. With an Idempotency-Key header, the same key within 24 h answers the first request's
// result again and sends nothing more.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import Type, { type Static } from 'typebox';
import { PLATFORMS } from '../../domain/recipient.ts';
import { idempotent, requestFingerprints } from '../../delivery/idempotency.ts';
import {
  broadcastIdOf,
  MANUAL_BROADCAST_STATUSES,
  manualBroadcastProblems,
  rerunBroadcastId,
  sendManualBroadcast,
} from '../../delivery/manual-broadcast.ts';
import { DELIVERY_STATUSES } from '../../domain/delivery.ts';
import { MESSAGE_MAX_LENGTH } from '../../domain/content.ts';
import type { CallResult } from '../../mantago/client.ts';
import type { Service } from '../../service.ts';
import { errorReplies, httpError } from '../errors.ts';
import { HEADER_TOKEN_PATTERN } from '../../domain/header-token.ts';

const BroadcastBody = Type.Object(
  {
    platform: Type.Enum([...PLATFORMS]),
    userIds: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 1000 }),
    intentId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'a conversation module id' })),
    message: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MESSAGE_MAX_LENGTH,
        description: `plain text, at most ${MESSAGE_MAX_LENGTH} UTF-16 code units`,
      }),
    ),
    fbTag: Type.Optional(Type.String({ description: 'Messenger only; POST_PURCHASE_UPDATE when not given' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "the broadcast's label in MantaGO's dashboard" })),
  },
  { additionalProperties: false },
);

const BroadcastReply = Type.Object({
  status: Type.Enum([...MANUAL_BROADCAST_STATUSES], {
    description:
      'partly_sent: sent to some users, refused for the others (see deliveries; sending it again reaches the first twice); pending: MantaGO failed for now and the worker will retry; dead: refused for every user',
  }),
  deliveryIds: Type.Array(Type.Integer()),
  // Optional: an answer kept for its Idempotency-Key by an earlier version has none.
  deliveries: Type.Optional(
    Type.Array(Type.Object({ id: Type.Integer(), userId: Type.String(), status: Type.Enum([...DELIVERY_STATUSES]) })),
  ),
  mantago: Type.Union([
    Type.Object({
      httpStatus: Type.Union([Type.Integer(), Type.Null()]),
      durationMs: Type.Integer(),
      reply: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      error: Type.Optional(Type.String()),
    }),
    Type.Null(),
  ]),
  optedOutUserIds: Type.Optional(
    Type.Array(Type.String(), {
      description:
        "users the recipient directory binds to a customer who opted out: a manual broadcast is the operator's own and still went to them",
    }),
  ),
});
type BroadcastAnswer = Static<typeof BroadcastReply>;

const Headers = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: HEADER_TOKEN_PATTERN,
      description: 'the same key within 24 h answers the first result and sends nothing more',
    }),
  ),
});

function mantagoView(result: CallResult | undefined): BroadcastAnswer['mantago'] {
  if (!result) return null;
  if (result.kind === 'ok') return { httpStatus: result.status, durationMs: result.durationMs, reply: result.body };
  return { httpStatus: 'status' in result ? result.status : null, durationMs: result.durationMs, error: result.message };
}

export const broadcastRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = async (app, { service }) => {
  const { store, worker } = service;
  const { DELIVERY_LEASE_MS: leaseMs, BATCH_MAX_RECIPIENTS: batchMaxRecipients } = service.settings.config;

  app.post('/broadcasts', {
    schema: {
      summary: "Send a broadcast by hand (recorded like any delivery); answers with MantaGO's reply",
      tags: ['admin'],
      headers: Headers,
      body: BroadcastBody,
      response: { 200: BroadcastReply, 202: BroadcastReply, 502: BroadcastReply, ...errorReplies(400, 401, 409, 422) },
    },
    handler: async (request, reply) => {
      const problems = manualBroadcastProblems(request.body, batchMaxRecipients);
      if (problems.length > 0) throw httpError('INVALID_PAYLOAD', problems.join('; '));
      const key = request.headers['idempotency-key'];
      const send = async (broadcastId?: string) => {
        const result = await sendManualBroadcast(
          { store, worker, leaseMs, log: request.log as unknown as Logger, clock: service.clock },
          request.body,
          broadcastId,
        );
        const statusCode = result.status === 'pending' ? 202 : result.status === 'dead' ? 502 : 200;
        const body: BroadcastAnswer = {
          status: result.status,
          deliveryIds: result.deliveries.map((d) => d.id),
          deliveries: result.deliveries,
          mantago: mantagoView(result.mantago),
          optedOutUserIds: await store.operator.optedOutUsers(request.body.userIds),
        };
        return { statusCode, body };
      };
      if (key === undefined) {
        const { statusCode, body } = await send();
        return reply.code(statusCode as 200 | 202 | 502).send(body);
      }
      // A first request that never answered (its process died) is run again after twice the lease its sends ran under.
      const outcome = await idempotent<BroadcastAnswer>(
        store,
        key,
        requestFingerprints(request.body),
        2 * leaseMs,
        async (claimedAt, rerun) =>
          send(rerun ? await rerunBroadcastId(store, key, claimedAt, request.body.userIds[0] as string) : broadcastIdOf(key, claimedAt)),
        service.clock.now(),
      );
      if ('refused' in outcome) {
        if (outcome.refused === 'mismatch')
          throw httpError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request in the last 24 h; use a new key');
        throw httpError('CONFLICT', 'a request with this Idempotency-Key is still under way; try again shortly');
      }
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(outcome.statusCode as 200 | 202 | 502).send(outcome.body);
    },
  });
};
