// GET /admin/shops: the shop connections as the operator sees them. POST /admin/reconcile: one pass
// over a window of a connected shop's orders now, answered with its counts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { CONNECTED_SOURCES, POLL_OUTCOMES, REPAIR_ACTIONS } from '../../reconcile/outcomes.ts';
import { MAX_PAGES_PER_PASS } from '../../reconcile/pass.ts';
import { REPLAY_DEADLINE_MS } from '../../reconcile/poller.ts';
import { replayAsked, resumeKeyFrom, resumeToken } from '../../reconcile/replay-resume.ts';
import { ShopCallError } from '../../reconcile/shop-call.ts';
import { describeShops } from '../../reconcile/shops-view.ts';
import type { Service } from '../../service.ts';
import { errorReplies, httpError } from '../errors.ts';

const Time = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const isoAt = (ms: number) => new Date(ms).toISOString();
const iso = (ms: number | null) => (ms === null ? null : isoAt(ms));

const ShopSchema = Type.Object({
  source: Type.Enum([...CONNECTED_SOURCES]),
  settings: Type.Record(Type.String(), Type.String(), { description: 'its settings; secrets only as set or unset' }),
  polling: Type.Object({ intervalS: Type.Integer(), publicUrl: Nullable(Type.String()) }),
  lastPoll: Nullable(
    Type.Object({
      at: Time,
      outcome: Type.Enum([...POLL_OUTCOMES]),
      error: Nullable(Type.String()),
      orders: Type.Integer({ description: 'orders read' }),
      recovered: Type.Integer({ description: 'events stored that no webhook had brought' }),
    }),
  ),
  watermark: Nullable(Time),
  connectedAt: Nullable(Time),
  nextPollAt: Nullable(Time),
  webhooks: Nullable(
    Type.Object({
      checkedAt: Time,
      error: Nullable(Type.String()),
      list: Type.Array(
        Type.Object({
          id: Type.String(),
          topic: Type.String(),
          address: Type.String(),
          state: Type.String(),
          ours: Type.Boolean({ description: 'it points at PUBLIC_URL' }),
          lastRepair: Type.Optional(Type.Object({ action: Type.Enum([...REPAIR_ACTIONS]), at: Time, error: Type.Optional(Type.String()) })),
        }),
      ),
    }),
  ),
});

const ReconcileBody = Type.Object(
  {
    source: Type.Enum([...CONNECTED_SOURCES]),
    since: Type.Optional(
      Type.String({ format: 'date-time', description: 'the window by update time: since is required, unless resume is given' }),
    ),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    resume: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2000, description: "an unfinished replay's token: the same window, from the page it left" }),
    ),
  },
  { additionalProperties: false },
);
const ReconcileReply = Type.Object({
  source: Type.String(),
  orders: Type.Integer({ description: 'orders read' }),
  new: Type.Integer({ description: 'events stored now (their messages will be sent)' }),
  duplicates: Type.Integer({ description: 'events stored before (by a webhook or a poll): nothing more is sent' }),
  ignored: Type.Integer({ description: 'events no rule sends a message for' }),
  unreadable: Type.Optional(
    Type.Integer({ description: 'orders read that could not be used (their webhooks would be refused too); only when there were any' }),
  ),
  unfinished: Type.Optional(
    Type.Object(
      { reason: Type.String(), resumeSince: Time, resume: Type.String() },
      { description: 'only when orders of the window were left: replay again with resume (or from resumeSince, re-reading that second)' },
    ),
  ),
});

export const shopRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = async (app, { service }) => {
  // A replay's resume token is signed with a key made from the admin token (once, on first use).
  let resumeKey: Promise<Buffer> | undefined;
  const signingKey = () => {
    resumeKey ??= resumeKeyFrom(service.settings.config.ADMIN_TOKEN ?? '');
    return resumeKey;
  };
  const { RECONCILE_INTERVAL_S: intervalS, PUBLIC_URL: publicUrl } = service.settings.config;
  app.get('/shops', {
    schema: {
      summary: 'The shop connections: settings, last poll, watermark, next poll, webhooks',
      tags: ['admin'],
      response: { 200: Type.Object({ shops: Type.Array(ShopSchema) }), ...errorReplies(401) },
    },
    handler: async () => {
      const shops = await describeShops(service.shops, service.store, { intervalS, publicUrl });
      return {
        shops: shops.map((s) => ({
          ...s,
          lastPoll: s.lastPoll && { ...s.lastPoll, at: isoAt(s.lastPoll.at) },
          watermark: iso(s.watermark),
          connectedAt: iso(s.connectedAt),
          nextPollAt: iso(s.nextPollAt),
          webhooks: s.webhooks && {
            ...s.webhooks,
            checkedAt: isoAt(s.webhooks.checkedAt),
            list: s.webhooks.list.map(({ lastRepair, ...w }) => ({
              ...w,
              ...(lastRepair && { lastRepair: { ...lastRepair, at: isoAt(lastRepair.at) } }),
            })),
          },
        })),
      };
    },
  });

  app.post('/reconcile', {
    schema: {
      summary: "One pass now over a window of a connected shop's orders (by update time); the watermark stays",
      tags: ['admin'],
      body: ReconcileBody,
      response: { 200: ReconcileReply, ...errorReplies(400, 401, 404, 502) },
    },
    handler: async (request) => {
      const { source } = request.body;
      const connection = service.shops.connections.find((c) => c.source === source);
      if (!connection) throw httpError('NOT_FOUND', `${source} is not connected (its shop settings are not set)`);
      const asked = await replayAsked(source, request.body, signingKey);
      if ('problem' in asked) throw httpError('BAD_REQUEST', asked.problem);
      const { window } = asked;
      // A shop call begun just before the replay's deadline may take its own 30 s: the connection
      // is not dropped as idle meanwhile.
      request.raw.socket?.setTimeout?.(REPLAY_DEADLINE_MS + 60_000);
      try {
        const { unreadable, resumeFrom, resumeCursor, ...counts } = await service.shops.replay(connection, window, asked.cursor);
        return {
          source,
          ...counts,
          ...(unreadable > 0 && { unreadable }),
          ...(resumeFrom !== undefined && {
            unfinished: {
              reason: `a replay reads for at most ${REPLAY_DEADLINE_MS / 1000} s and ${MAX_PAGES_PER_PASS} pages, then answers what it stored`,
              resumeSince: isoAt(resumeFrom),
              resume: resumeToken({ source, window, cursor: resumeCursor ?? '' }, await signingKey()),
            },
          }),
        };
      } catch (error) {
        if (error instanceof ShopCallError) throw httpError('SHOP_FAILED', `${source}: ${error.outcome}: ${error.message}`);
        throw error;
      }
    },
  });
};
