// GET /admin/tags: the bot's MantaGO client tags ({id, name}), asked afresh with the service's own
// (current) credentials, to find the ids a mapping's `tag` names; each tag the mapping names by id
// that the bot does not have is listed as unknown, with its place.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Service } from '../../service.ts';
import { errorReplies, httpError } from '../errors.ts';

const Reply = Type.Object({
  tags: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  unknownInMapping: Type.Array(Type.Object({ id: Type.String(), place: Type.String() }), {
    description: 'tag ids the mapping names that the bot has no client tag for',
  }),
});

export const tagRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = async (app, { service }) => {
  app.get('/tags', {
    schema: {
      summary: "The bot's MantaGO client tags (ids for the mapping's tag key), and the mapping's ids MantaGO does not know",
      tags: ['admin'],
      response: { 200: Reply, ...errorReplies(401, 502) },
    },
    handler: async () => {
      if (service.settings.config.DRY_RUN) throw httpError('MANTAGO_FAILED', 'DRY_RUN is on: MantaGO is not asked');
      const listed = await service.tags.list(service.clock.now() + service.settings.config.MANTAGO_TIMEOUT_MS);
      if ('failed' in listed) {
        const failed = listed.failed;
        const why = failed.kind === 'credentials' ? `credentials ${failed.renewal}` : 'message' in failed ? failed.message : failed.kind;
        throw httpError('MANTAGO_FAILED', `MantaGO could not list the tags: ${why}`);
      }
      const known = new Set(listed.tags.map((t) => t.id));
      return {
        tags: listed.tags.map(({ id, name }) => ({ id, name })),
        unknownInMapping: (service.settings.mapping.tagIds ?? []).filter((t) => !known.has(t.id)),
      };
    },
  });
};
