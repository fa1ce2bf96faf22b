// /admin/credentials: the state of MantaGO's rotating pair (never the pair itself), a refresh on
// demand, and installing a pair copied from MantaGO's dashboard.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { CredentialsManager } from '../../mantago/credentials.ts';
import { errorReplies } from '../errors.ts';
import { CredentialsSchema, credentialsView } from './schemas.ts';

const RefreshReply = Type.Object({
  outcome: Type.Enum(['renewed', 'unavailable', 'rejected'], {
    description: 'unavailable: MantaGO could not be reached (or DRY_RUN is on); rejected: it refused',
  }),
  credentials: CredentialsSchema,
});

export const credentialRoutes: FastifyPluginAsyncTypebox<{ credentials: CredentialsManager; dryRun: boolean }> = async (
  app,
  { credentials, dryRun },
) => {
  app.get('/credentials', {
    schema: {
      summary: 'MantaGO credentials: state and times, never the token or secret',
      tags: ['admin'],
      response: { 200: CredentialsSchema, ...errorReplies(401) },
    },
    handler: async () => {
      await credentials.reload(); // another replica may have rotated the pair
      return credentialsView(credentials.status(), dryRun);
    },
  });

  app.post('/credentials/refresh', {
    schema: {
      summary: 'Refresh the token now (rotates the pair)',
      tags: ['admin'],
      response: { 200: RefreshReply, 502: RefreshReply, ...errorReplies(401) },
    },
    handler: async (_request, reply) => {
      const outcome = await credentials.forceRefresh();
      return reply.code(outcome === 'renewed' ? 200 : 502).send({ outcome, credentials: credentialsView(credentials.status(), dryRun) });
    },
  });

  app.put('/credentials', {
    schema: {
      summary: "Install a token and secret copied from MantaGO's dashboard (clears a rejected state)",
      tags: ['admin'],
      body: Type.Object(
        { apiToken: Type.String({ minLength: 8, maxLength: 4096 }), apiSecret: Type.String({ minLength: 4, maxLength: 1024 }) },
        { additionalProperties: false },
      ),
      response: { 200: CredentialsSchema, ...errorReplies(400, 401) },
    },
    handler: async (request) => credentialsView(await credentials.install(request.body), dryRun),
  });
};
