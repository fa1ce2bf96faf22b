// Everything under /admin, behind the admin token. With ADMIN_TOKEN unset none of it is
// registered, so the whole prefix answers 404.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Service } from '../../service.ts';
import { requireAdminToken } from './auth.ts';
import { broadcastRoutes } from './broadcast-routes.ts';
import { credentialRoutes } from './credential-routes.ts';
import { deliveryRoutes } from './delivery-routes.ts';
import { mantagoRoutes } from './mantago-routes.ts';
import { overviewRoutes } from './overview-routes.ts';
import { recipientRoutes } from './recipient-routes.ts';
import { resolveRoutes } from './resolve-routes.ts';
import { shopRoutes } from './shop-routes.ts';
import { asSent, notBent } from './strict-input.ts';
import { tagJobRoutes } from './tag-job-routes.ts';
import { tagRoutes } from './tag-routes.ts';

export const adminRoutes: FastifyPluginAsyncTypebox<{ adminToken: string; service: Service; version: string }> = async (
  app,
  { adminToken, service, version },
) => {
  app.addHook('onRequest', requireAdminToken(adminToken));
  app.addHook('preValidation', asSent);
  app.addHook('preHandler', notBent);
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ adminToken: [] }] }; // for the OpenAPI document
  });
  await app.register(deliveryRoutes, { service });
  await app.register(broadcastRoutes, { service });
  await app.register(credentialRoutes, { credentials: service.credentials, dryRun: service.settings.config.DRY_RUN });
  await app.register(mantagoRoutes, { service });
  await app.register(recipientRoutes, { store: service.store, clock: service.clock });
  await app.register(resolveRoutes, { service });
  await app.register(overviewRoutes, { service, version });
  await app.register(shopRoutes, { service });
  await app.register(tagRoutes, { service });
  await app.register(tagJobRoutes, { service });
};
