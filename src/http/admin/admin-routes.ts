// Everything under /admin, behind the admin token. With ADMIN_TOKEN unset none of it is
// registered, so the whole prefix answers 404.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Service } from '../../service.ts';
import { httpError } from '../errors.ts';
import { requireAdminToken } from './auth.ts';
import { broadcastRoutes } from './broadcast-routes.ts';
import { credentialRoutes } from './credential-routes.ts';
import { deliveryRoutes } from './delivery-routes.ts';
import { mantagoRoutes } from './mantago-routes.ts';
import { overviewRoutes } from './overview-routes.ts';
import { recipientRoutes } from './recipient-routes.ts';
import { resolveRoutes } from './resolve-routes.ts';
import { shopRoutes } from './shop-routes.ts';
import { tagJobRoutes } from './tag-job-routes.ts';
import { tagRoutes } from './tag-routes.ts';

export const adminRoutes: FastifyPluginAsyncTypebox<{ adminToken: string; service: Service; version: string }> = async (
  app,
  { adminToken, service, version },
) => {
  app.addHook('onRequest', requireAdminToken(adminToken));
  app.addHook('preHandler', finiteNumbersOnly);
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

/**
 * Ajv coerces `Infinity` and `1e400` in a query or path to Infinity and then skips minimum and
 * maximum, which it checks on finite numbers only: such a number is refused here, after validation.
 */
async function finiteNumbersOnly(request: FastifyRequest): Promise<void> {
  for (const [where, values] of [
    ['querystring', request.query],
    ['params', request.params],
  ] as const) {
    if (!values || typeof values !== 'object') continue;
    for (const [name, value] of Object.entries(values))
      if (typeof value === 'number' && !Number.isFinite(value))
        throw httpError('INVALID_PAYLOAD', `${where}/${name} must be a finite number`);
  }
}
