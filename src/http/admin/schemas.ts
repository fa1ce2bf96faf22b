// What the admin API answers with: TypeBox schemas (they also make the OpenAPI document) and the
// conversions from the store's records. Times are ISO 8601 strings for people reading curl output.
import Type, { type Static } from 'typebox';
import { CREDENTIALS_ORIGINS, CREDENTIALS_STATES, type CredentialsStatus } from '../../domain/credentials.ts';
import {
  ATTEMPT_OUTCOMES,
  DELIVERY_STATUSES,
  type AttemptRecord,
  type DeliveryDetail,
  type DeliveryRecord,
} from '../../domain/delivery.ts';
import { ORDER_EVENTS } from '../../domain/order.ts';
import { PLATFORMS, type DirectoryEntry } from '../../domain/recipient.ts';

export const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
/** A delivery's id in a path or query: no larger than a number holds exactly (PostgreSQL's bigint refuses 1e20 with a 500 otherwise). */
export const DeliveryId = (options: { description?: string } = {}) =>
  Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, ...options });
const Text = Type.Union([Type.String(), Type.Null()]);
export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export const DeliveryStatusSchema = Type.Enum([...DELIVERY_STATUSES]);

export const DeliverySchema = Type.Object({
  id: Type.Integer(),
  source: Type.String({ description: 'shopify, woocommerce, orders, or admin (a manual broadcast)' }),
  event: Type.Union([Type.Enum([...ORDER_EVENTS]), Type.Null()], { description: 'the order event it is for; null for a manual broadcast' }),
  shop: Type.String(),
  orderId: Type.String(),
  topic: Text,
  status: DeliveryStatusSchema,
  platform: Text,
  clientId: Text,
  recipientVia: Text,
  rule: Text,
  intentId: Text,
  message: Text,
  fbTag: Text,
  name: Text,
  attempts: Type.Integer(),
  receivedAt: Time,
  nextAttemptAt: Time,
  inFlight: Type.Boolean({ description: 'a worker is sending it right now' }),
  finishedAt: Time,
  redrivenAt: Time,
  lastError: Type.Union([Type.String(), Type.Null()], { description: 'why it was skipped or died, or the last failure of a pending one' }),
  waitReason: Type.Union([Type.String(), Type.Null()], {
    description: 'pending: why it waits (held by its delay or the quiet hours until nextAttemptAt, its recipient being found, or a retry)',
  }),
  customerId: Text,
  customerEmail: Text,
  orderNumber: Type.Union([Type.String(), Type.Null()], { description: "the order's number as the shop shows it (Shopify's #1004)" }),
});

export const AttemptSchema = Type.Object({
  startedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Integer(),
  outcome: Type.Enum([...ATTEMPT_OUTCOMES]),
  httpStatus: Type.Union([Type.Integer(), Type.Null()]),
  error: Text,
  nextAttemptAt: Time,
  batchSize: Type.Integer(),
});

export const DeliveryDetailSchema = Type.Intersect([
  DeliverySchema,
  Type.Object({
    order: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
      description: 'the order as received (normalized); null for a manual broadcast',
    }),
    attemptLog: Type.Array(AttemptSchema),
  }),
]);

export function deliveryView(d: DeliveryRecord): Static<typeof DeliverySchema> {
  return {
    ...d,
    receivedAt: iso(d.receivedAt),
    nextAttemptAt: iso(d.nextAttemptAt),
    finishedAt: iso(d.finishedAt),
    redrivenAt: iso(d.redrivenAt),
  };
}

const attemptView = (a: AttemptRecord): Static<typeof AttemptSchema> => ({
  ...a,
  startedAt: iso(a.startedAt) as string,
  nextAttemptAt: iso(a.nextAttemptAt),
});

export function deliveryDetailView(d: DeliveryDetail) {
  const { order, attemptLog, ...record } = d;
  return { ...deliveryView(record), order: order as unknown as Record<string, unknown> | null, attemptLog: attemptLog.map(attemptView) };
}

export const CredentialsSchema = Type.Object(
  {
    botId: Type.String(),
    state: Type.Enum([...CREDENTIALS_STATES]),
    generation: Type.Integer({ description: 'goes up by one with every new pair' }),
    origin: Type.Enum([...CREDENTIALS_ORIGINS]),
    obtainedAt: Time,
    expiresAt: Time,
    lastRefreshAt: Time,
    lastError: Text,
    dryRun: Type.Boolean(),
  },
  { description: 'Never the token or the secret' },
);

export function credentialsView(c: CredentialsStatus, dryRun: boolean): Static<typeof CredentialsSchema> {
  return {
    botId: c.botId,
    state: c.state,
    generation: c.generation,
    origin: c.origin,
    obtainedAt: iso(c.obtainedAt),
    expiresAt: iso(c.expiresAt),
    lastRefreshAt: iso(c.lastRefreshAt),
    lastError: c.lastError,
    dryRun,
  };
}

export const RecipientSchema = Type.Object({
  key: Type.String(),
  /** The binding, when the key has one. */
  platform: Type.Optional(Type.Enum([...PLATFORMS])),
  userId: Type.Optional(Type.String()),
  updatedAt: Type.Optional(Type.String({ format: 'date-time' })),
  optOut: Type.Boolean({ description: 'the customer asked for no more chat messages: every event of theirs is skipped "opted out"' }),
  optedOutAt: Type.Optional(Type.String({ format: 'date-time' })),
});

/** A key's binding (if any) and opt-out (if any). */
export const recipientView = (
  key: string,
  e: DirectoryEntry | undefined,
  optedOutAt: number | undefined,
): Static<typeof RecipientSchema> => ({
  key,
  ...(e && { platform: e.platform, userId: e.userId, updatedAt: iso(e.updatedAt) as string }),
  optOut: optedOutAt !== undefined,
  ...(optedOutAt !== undefined && { optedOutAt: iso(optedOutAt) as string }),
});
