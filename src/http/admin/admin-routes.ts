// Everything under /admin, behind the admin token. With ADMIN_TOKEN unset none of it is
// registered, so the whole prefix answers 404.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { DeliveryWorker } from '../../delivery/worker.ts';
import type { CredentialsManager } from '../../mantago/credentials.ts';
import type { Store } from '../../store/store.ts';
import { requireAdminToken } from './auth.ts';
import { credentialRoutes } from './credential-routes.ts';
import { deliveryRoutes } from './delivery-routes.ts';
import { overviewRoutes, type SourceState } from './overview-routes.ts';
import { recipientRoutes } from './recipient-routes.ts';

export interface AdminRoutesOptions {
  adminToken: string;
  store: Store;
  worker: DeliveryWorker;
  credentials: CredentialsManager;
  leaseMs: number;
  batchMaxRecipients: number;
  dryRun: boolean;
  /** The webhook sources and whether each is on, for the overview. */
  sources: SourceState[];
  version: string;
}

export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, options) => {
  app.addHook('onRequest', requireAdminToken(options.adminToken));
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ adminToken: [] }] }; // for the OpenAPI document
  });
  const { store, worker, credentials, leaseMs, batchMaxRecipients, dryRun, sources, version } = options;
  await app.register(deliveryRoutes, { store, worker, leaseMs, batchMaxRecipients });
  await app.register(credentialRoutes, { credentials, dryRun });
  await app.register(recipientRoutes, { store });
  await app.register(overviewRoutes, { store, credentials, sources, dryRun, version });
};
