// GET /admin/overview: the operator's first look in one call (the console's front page): the
// queue, MantaGO's credentials, which webhook sources are on, and whether this is a dry run.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { CredentialsManager } from '../../mantago/credentials.ts';
import type { Store } from '../../store/store.ts';
import { errorReplies } from '../errors.ts';
import { CredentialsSchema, credentialsView } from './schemas.ts';

const HOUR_MS = 3_600_000;

export interface SourceState {
  name: string;
  path: string;
  enabled: boolean;
}

export interface OverviewRoutesOptions {
  store: Store;
  credentials: CredentialsManager;
  sources: SourceState[];
  dryRun: boolean;
  version: string;
}

const OverviewReply = Type.Object({
  deliveries: Type.Object({
    pending: Type.Integer({ description: 'deliveries waiting to be sent' }),
    oldestPendingSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'since when the longest-waiting one has waited' }),
    dead: Type.Integer({ description: 'dead deliveries kept (until redriven or pruned)' }),
    sentLastHour: Type.Integer(),
  }),
  credentials: CredentialsSchema,
  sources: Type.Array(
    Type.Object({
      name: Type.String({ description: 'shopify, woocommerce or orders' }),
      path: Type.String(),
      enabled: Type.Boolean({ description: "its secret is set; a disabled source's route answers 404" }),
    }),
  ),
  dryRun: Type.Boolean({ description: 'DRY_RUN: deliveries are recorded but MantaGO is never called' }),
  version: Type.String(),
});

export const overviewRoutes: FastifyPluginAsyncTypebox<OverviewRoutesOptions> = async (app, { store, credentials, sources, dryRun, version }) => {
  app.get('/overview', {
    schema: { summary: 'The queue, the credentials, the webhook sources and DRY_RUN at a glance', tags: ['admin'], response: { 200: OverviewReply, ...errorReplies(401) } },
    handler: async () => {
      const [queue, sentLastHour] = await Promise.all([store.operator.queueStats(), store.operator.countSentSince(Date.now() - HOUR_MS), credentials.reload()]);
      const oldest = queue.oldestPendingSince;
      return {
        deliveries: { pending: queue.pending, oldestPendingSince: oldest === undefined ? null : new Date(oldest).toISOString(), dead: queue.dead, sentLastHour },
        credentials: credentialsView(credentials.status(), dryRun),
        sources,
        dryRun,
        version,
      };
    },
  });
};
