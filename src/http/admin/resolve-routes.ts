// GET /admin/recipients/resolve: "why did this customer get nothing?" — how an order of theirs
// would be resolved now: each recipient entry tried and what it found (MantaGO's own answer
// included, asked afresh), the one that wins, and the rule that would apply.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ORDER_EVENTS, type Order } from '../../domain/order.ts';
import { BIND_STATUSES, OPTED_OUT_REASON } from '../../domain/recipient.ts';
import { LookupFailed } from '../../mantago/members.ts';
import { customerKeys } from '../../mapping/directory-keys.ts';
import { resolveRecipient } from '../../mapping/recipients.ts';
import { chooseContent } from '../../mapping/rules.ts';
import type { Service } from '../../service.ts';
import { errorReplies, httpError } from '../errors.ts';
import { DeliveryId } from './schemas.ts';
import { NORMALIZED } from '../../sources/names.ts';

const Query = Type.Object(
  {
    order: Type.Optional(DeliveryId({ description: "a delivery's id: its order, as stored" })),
    customer: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "the customer's id in the shop" })),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
    phone: Type.Optional(Type.String({ minLength: 3, maxLength: 50 })),
  },
  { additionalProperties: false },
);

const Client = Type.Object({ clientId: Type.String(), platform: Type.String(), isBlock: Type.Boolean() });
const Reply = Type.Object({
  order: Type.Object({
    source: Type.String(),
    event: Type.Enum([...ORDER_EVENTS]),
    orderId: Type.String(),
    customer: Type.Record(Type.String(), Type.String()),
  }),
  steps: Type.Array(
    Type.Object({
      entry: Type.String({ description: 'the mapping file recipient entry' }),
      found: Type.String(),
      mantago: Type.Optional(Type.Object({ customerId: Type.String(), clients: Type.Array(Client), cached: Type.Boolean() })),
    }),
  ),
  recipient: Type.Union([Type.Object({ platform: Type.String(), userId: Type.String(), via: Type.String() }), Type.Null()]),
  skipped: Type.Union([Type.String(), Type.Null()], { description: 'why nobody would get a message' }),
  rule: Type.Union([Type.String(), Type.Null()], { description: 'the rule that would apply' }),
  content: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  binds: Type.Array(
    Type.Object({
      clientId: Type.String(),
      status: Type.Enum([...BIND_STATUSES]),
      attempts: Type.Integer(),
      lastError: Type.Union([Type.String(), Type.Null()]),
    }),
    { description: "`bind: true`: this customer id's binds to chat users in MantaGO (pending, bound, or failed after a few tries)" },
  ),
});

export const resolveRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = async (app, { service }) => {
  const { store, members } = service;
  const { mapping } = service.settings;
  app.get('/recipients/resolve', {
    schema: {
      summary: 'How an order of this customer would be resolved now: each recipient entry tried, what it found, the rule',
      tags: ['admin'],
      querystring: Query,
      response: { 200: Reply, ...errorReplies(400, 401, 404, 502) },
    },
    handler: async (request) => {
      const { order: deliveryId, customer, email, phone } = request.query;
      let order: Order;
      if (deliveryId !== undefined) {
        const delivery = await store.operator.getDelivery(deliveryId, service.clock.now());
        if (!delivery) throw httpError('NOT_FOUND', `no delivery ${deliveryId}`);
        if (!delivery.order) throw httpError('BAD_REQUEST', `delivery ${deliveryId} is a manual broadcast: it has no order to resolve`);
        order = { ...delivery.order, items: [] };
      } else if (customer || email || phone) {
        const who = { ...(customer && { id: customer }), ...(email && { email }), ...(phone && { phone }) };
        order = { source: NORMALIZED, event: 'placed', orderId: '(none)', shop: '', customer: who, attributes: {}, items: [] };
      } else {
        throw httpError('INVALID_PAYLOAD', 'give ?order=<delivery id>, or ?customer=<id> and/or &email= and &phone=');
      }
      const directory = async (keys: string[]) => {
        const entry = await store.operator.findRecipient(keys);
        return entry && { key: entry.key, user: { platform: entry.platform, userId: entry.userId } };
      };
      let resolved: Awaited<ReturnType<typeof resolveRecipient>>;
      try {
        resolved = await resolveRecipient(order, mapping.recipients, {
          directory,
          // Asked now or answered 502: never held for a 429's whole pause.
          members: (id, platform) =>
            members.lookup(id, platform, { fresh: true, startBy: service.clock.now() + service.settings.config.MANTAGO_TIMEOUT_MS }),
        });
      } catch (error) {
        if (!(error instanceof LookupFailed)) throw error;
        throw httpError('MANTAGO_FAILED', `MantaGO could not be asked: ${error.message}`);
      }
      const { resolution, steps } = resolved;
      const recipient = 'recipient' in resolution ? resolution.recipient : null;
      const chosen = recipient ? chooseContent(mapping.rules, order, recipient.platform) : undefined;
      const rule = chosen && 'rule' in chosen ? chosen : undefined;
      const bindId = ('bindCustomerId' in resolution && resolution.bindCustomerId) || order.customer.id;
      const optedOut = [...(await store.optedOut(customerKeys(order.customer))).keys()];
      return {
        order: { source: order.source, event: order.event, orderId: order.orderId, customer: order.customer as Record<string, string> },
        steps,
        recipient,
        skipped:
          optedOut.length > 0
            ? `${OPTED_OUT_REASON} (${optedOut.join(', ')})`
            : 'skip' in resolution
              ? resolution.skip
              : chosen && 'reason' in chosen
                ? chosen.reason
                : null,
        rule: rule?.rule.name ?? null,
        content: rule ? (rule.content as Record<string, string>) : null,
        binds: bindId ? await store.listBinds(bindId) : [],
      };
    },
  });
};
