// GET /admin/overview: the operator's first look in one call (the console's front page): the
// queue, MantaGO's credentials, whether it takes the bot, and what holds deliveries back, which webhook sources are on, and
// whether this is a dry run.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Service } from '../../service.ts';
import { errorReplies } from '../errors.ts';
import { MantagoSchema, mantagoView } from './mantago-routes.ts';
import { CredentialsSchema, credentialsView } from './schemas.ts';

const HOUR_MS = 3_600_000;

const OverviewReply = Type.Object({
  deliveries: Type.Object({
    pending: Type.Integer({ description: 'deliveries waiting to be sent' }),
    oldestPendingSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'since when the longest-waiting one has waited, from when it fell due (a held one is not waiting before)',
    }),
    dead: Type.Integer({ description: 'dead deliveries kept (until redriven or pruned)' }),
    sentLastHour: Type.Integer(),
  }),
  tagJobs: Type.Object({
    dead: Type.Integer({ description: 'dead tag jobs (GET /admin/tag-jobs?status=dead), until tried again or pruned with their delivery' }),
  }),
  credentials: CredentialsSchema,
  mantago: MantagoSchema,
  sources: Type.Array(
    Type.Object({
      name: Type.String({ description: 'the source, as in /webhooks/<name>' }),
      path: Type.String(),
      enabled: Type.Boolean({ description: "its secret is set; a disabled source's route answers 404" }),
    }),
  ),
  dryRun: Type.Boolean({ description: 'DRY_RUN: deliveries are recorded but MantaGO is never called' }),
  role: Type.String({ description: 'NOTIFIER_ROLE of this replica: all, web or worker' }),
  version: Type.String(),
});

export const overviewRoutes: FastifyPluginAsyncTypebox<{ service: Service; version: string }> = async (app, { service, version }) => {
  const { store, credentials } = service;
  const { DRY_RUN: dryRun, NOTIFIER_ROLE: role } = service.settings.config;
  const sources = service.sources.map(({ source, enabled }) => ({ name: source.name, path: source.path, enabled: enabled !== undefined }));
  app.get('/overview', {
    schema: {
      summary: 'The queue, the credentials, the webhook sources and DRY_RUN at a glance',
      tags: ['admin'],
      response: { 200: OverviewReply, ...errorReplies(401) },
    },
    handler: async () => {
      const [queue, sentLastHour] = await Promise.all([
        store.operator.queueStats(service.clock.now()),
        store.operator.countSentSince(service.clock.now() - HOUR_MS),
        credentials.reload(),
      ]);
      const oldest = queue.oldestPendingSince;
      return {
        deliveries: {
          pending: queue.pending,
          oldestPendingSince: oldest === undefined ? null : new Date(oldest).toISOString(),
          dead: queue.dead,
          sentLastHour,
        },
        tagJobs: { dead: queue.deadTagJobs },
        credentials: credentialsView(credentials.status(), dryRun),
        mantago: mantagoView(service),
        sources,
        dryRun,
        role,
        version,
      };
    },
  });
};
