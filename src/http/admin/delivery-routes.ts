// /admin/deliveries: why did (or didn't) a customer get a message, and send it again.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ADMIN_SOURCE } from '../../domain/delivery.ts';
import { ORDER_EVENTS } from '../../domain/order.ts';
import type { Service } from '../../service.ts';
import { errorReplies, httpError } from '../errors.ts';
import { DeliveryDetailSchema, DeliveryId, DeliverySchema, DeliveryStatusSchema, deliveryDetailView, deliveryView } from './schemas.ts';
import { TagJobSchema, tagJobView } from './tag-schemas.ts';

const IdParams = Type.Object({ id: DeliveryId() });

export const deliveryRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = async (app, { service }) => {
  const { store } = service;
  // Where deliveries can come from: every source the service knows, and the operator's broadcasts.
  const SOURCES = [...service.sources.map(({ source }) => source.name), ADMIN_SOURCE];
  app.get('/deliveries', {
    schema: {
      summary: 'Deliveries, newest first; `nextCursor` gives the next page',
      tags: ['admin'],
      querystring: Type.Object(
        {
          status: Type.Optional(DeliveryStatusSchema),
          source: Type.Optional(Type.Enum(SOURCES)),
          order: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 200,
              description: "the shop's order id, or its number as the shop shows it (#1004 or 1004)",
            }),
          ),
          event: Type.Optional(Type.Enum([...ORDER_EVENTS])),
          customer: Type.Optional(Type.String({ minLength: 1, maxLength: 320, description: "the customer's shop id or e-mail" })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          cursor: Type.Optional(DeliveryId({ description: 'nextCursor of the page before' })),
        },
        { additionalProperties: false },
      ),
      response: {
        200: Type.Object({ deliveries: Type.Array(DeliverySchema), nextCursor: Type.Union([Type.Integer(), Type.Null()]) }),
        ...errorReplies(400, 401),
      },
    },
    handler: async (request) => {
      const { status, source, order, event, customer, limit, cursor } = request.query;
      const found = await store.operator.listDeliveries(
        {
          status,
          source,
          orderId: order,
          event,
          customer,
          limit: limit + 1,
          beforeId: cursor,
        },
        service.clock.now(),
      );
      const page = found.slice(0, limit);
      return { deliveries: page.map(deliveryView), nextCursor: found.length > limit ? (page.at(-1)?.id ?? null) : null };
    },
  });

  app.get('/deliveries/:id', {
    schema: {
      summary: 'One delivery with its order and every attempt, and its MantaGO tag jobs with theirs',
      tags: ['admin'],
      params: IdParams,
      response: {
        200: Type.Intersect([DeliveryDetailSchema, Type.Object({ tagging: Type.Array(TagJobSchema) })]),
        ...errorReplies(400, 401, 404),
      },
    },
    handler: async (request) => {
      const delivery = await store.operator.getDelivery(request.params.id, service.clock.now());
      if (!delivery) throw httpError('NOT_FOUND', `no delivery ${request.params.id}`);
      const tagging = await store.tagJobsOf(delivery.id);
      return { ...deliveryDetailView(delivery), tagging: tagging.map(tagJobView) };
    },
  });

  app.post('/deliveries/:id/retry', {
    schema: {
      summary: 'Send a dead delivery again (attempts start over), or a waiting one now',
      tags: ['admin'],
      params: IdParams,
      response: { 200: DeliverySchema, ...errorReplies(400, 401, 404, 409) },
    },
    handler: async (request) => {
      const { done, delivery } = await store.operator.requeue(request.params.id, service.clock.now());
      if (!delivery) throw httpError('NOT_FOUND', `no delivery ${request.params.id}`);
      if (done) return deliveryView(delivery);
      if (delivery.status === 'sent')
        throw httpError('CONFLICT', `delivery ${delivery.id} was already sent; POST /admin/broadcasts sends a message again`);
      // Why it was skipped (nobody to send to, opted out, withdrawn, too old …) is the stored reason's to say.
      if (delivery.status === 'skipped')
        throw httpError(
          'CONFLICT',
          `delivery ${delivery.id} was skipped, and a skipped delivery is not sent again${delivery.lastError ? `: ${delivery.lastError}` : ''}`,
        );
      throw httpError('CONFLICT', `delivery ${delivery.id} is being sent right now`);
    },
  });

  app.post('/deliveries/redrive', {
    schema: {
      summary: 'Send every dead delivery (of one source, if given) again',
      tags: ['admin'],
      querystring: Type.Object({ source: Type.Optional(Type.Enum(SOURCES)) }, { additionalProperties: false }),
      response: { 200: Type.Object({ redriven: Type.Integer() }), ...errorReplies(400, 401) },
    },
    handler: async (request) => ({ redriven: await store.operator.redriveDead(request.query.source, service.clock.now()) }),
  });
};
