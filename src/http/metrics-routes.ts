// GET /metrics: Prometheus text format from the app's own registry.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { ServiceMetrics } from '../metrics/service-metrics.ts';

export const metricsRoutes: FastifyPluginAsyncTypebox<{ metrics: ServiceMetrics }> = async (app, { metrics }) => {
  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics', tags: ['operations'], produces: ['text/plain'], response: { 200: Type.String() } },
    logLevel: 'warn',
    config: { pressureHandler: () => undefined }, // scrapes go on under load: that is when they matter
    handler: async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  });
};
