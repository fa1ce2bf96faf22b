// The OpenAPI document, generated from the routes' TypeBox schemas, at GET /openapi.json.
// Registered before the routes, so it sees them all.
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'MantaGO order notifier',
        version,
        description: 'Shop order webhooks in, MantaGO broadcasts out. Admin routes need `Authorization: Bearer <ADMIN_TOKEN>`.',
      },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'webhooks', description: 'Signed order webhooks from shops' },
        { name: 'admin', description: "The operator's API (bearer ADMIN_TOKEN)" },
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'operations', description: 'Metrics and this document' },
      ],
    },
  });
  app.get('/openapi.json', {
    schema: { hide: true },
    logLevel: 'warn',
    config: { pressureHandler: () => undefined },
    handler: async () => app.swagger(),
  });
}
