// /admin/credentials: the state of MantaGO's rotating pair (never the pair itself), a refresh on
// demand, and installing a pair copied from MantaGO's dashboard.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { isCredential } from '../../mantago/api.ts';
import type { CredentialsManager } from '../../mantago/credentials.ts';
import { RENEWALS } from '../../mantago/renewal.ts';
import { errorReplies, httpError } from '../errors.ts';
import { CredentialsSchema, credentialsView } from './schemas.ts';

const RefreshReply = Type.Object({
  outcome: Type.Enum([...RENEWALS], {
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
    handler: async (request) => {
      // A pasted value often brings a line break or spaces around it: those go; any inside are refused.
      const pair = { apiToken: request.body.apiToken.trim(), apiSecret: request.body.apiSecret.trim() };
      for (const [name, value] of Object.entries(pair))
        if (!isCredential(value))
          throw httpError('INVALID_PAYLOAD', `${name} must be printable ASCII without spaces, as MantaGO's dashboard shows it`);
      return credentialsView(await credentials.install(pair), dryRun);
    },
  });
};
