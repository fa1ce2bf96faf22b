// /admin/recipients: the recipient directory, which the mapping file's `- directory: true`
// consults: "this shop customer is this LINE / Messenger user"; and a customer's opt-out ("no more
// chat messages"), which every event of theirs obeys.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { PLATFORMS, type Platform } from '../../domain/recipient.ts';
import { directoryKeyProblem } from '../../mapping/directory-keys.ts';
import { directoryEntryProblem, parseRecipientImport, type ImportFormat } from '../../mapping/recipient-import.ts';
import type { Clock } from '../../clock.ts';
import type { Store } from '../../store/store.ts';
import { errorReplies, httpError, unsupportedMediaType } from '../errors.ts';
import { RecipientSchema, recipientView } from './schemas.ts';

const KeyParams = Type.Object({
  key: Type.String({ minLength: 3, maxLength: 400, description: 'customer:<id>, email:<address> or phone:<digits>' }),
});

const IMPORT_TYPES: Record<string, ImportFormat> = {
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'application/json-lines': 'jsonl',
  'text/csv': 'csv',
};
const IMPORT_LIMIT_BYTES = 10 * 1024 * 1024;

export const recipientRoutes: FastifyPluginAsyncTypebox<{ store: Store; clock: Clock }> = async (app, { store, clock }) => {
  const { operator } = store;
  const view = async (key: string) => recipientView(key, await operator.getRecipient(key), (await store.optedOut([key])).get(key));
  const setOptOut = (key: string, optOut: boolean) => (optOut ? operator.putOptOut(key, clock.now()) : operator.liftOptOut(key));

  app.put('/recipients/:key', {
    schema: {
      summary: 'Bind a customer key to a chat user, and/or opt it out of chat messages (optOut: true; false lifts it)',
      tags: ['admin'],
      params: KeyParams,
      body: Type.Object(
        {
          platform: Type.Optional(Type.Enum([...PLATFORMS])),
          userId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          optOut: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      response: { 200: RecipientSchema, ...errorReplies(400, 401) },
    },
    handler: async (request) => {
      const { key } = request.params;
      const { platform, userId, optOut } = request.body;
      const binding = platform !== undefined || userId !== undefined || optOut === undefined;
      const problem = binding ? directoryEntryProblem(key, platform, userId) : directoryKeyProblem(key);
      if (problem) throw httpError('INVALID_PAYLOAD', problem);
      if (binding)
        await operator.putRecipients([{ key, platform: platform as Platform, userId: userId as string, updatedAt: clock.now() }]);
      if (optOut !== undefined) await setOptOut(key, optOut);
      return view(key);
    },
  });

  app.get('/recipients/:key', {
    schema: {
      summary: 'Who a customer key is bound to, and whether it opted out',
      tags: ['admin'],
      params: KeyParams,
      response: { 200: RecipientSchema, ...errorReplies(400, 401, 404) },
    },
    handler: async (request) => {
      // A key no binding can have is said to be wrong, not "not bound" (PUT would refuse it).
      const problem = directoryKeyProblem(request.params.key);
      if (problem) throw httpError('BAD_REQUEST', problem);
      const found = await view(request.params.key);
      if (!found.userId && !found.optOut) throw httpError('NOT_FOUND', `no recipient for ${request.params.key}`);
      return found;
    },
  });

  app.delete('/recipients/:key', {
    schema: {
      summary: "Remove a key's binding and lift its opt-out",
      tags: ['admin'],
      params: KeyParams,
      response: { 204: Type.Null(), ...errorReplies(401, 404) },
    },
    handler: async (request, reply) => {
      const [unbound, lifted] = [await operator.deleteRecipient(request.params.key), await operator.liftOptOut(request.params.key)];
      if (!unbound && !lifted) throw httpError('NOT_FOUND', `no recipient for ${request.params.key}`);
      return reply.code(204).send(null);
    },
  });

  app.delete('/recipients/:key/binding', {
    schema: {
      summary: "Remove a key's binding only: an opt-out stays",
      tags: ['admin'],
      params: KeyParams,
      response: { 204: Type.Null(), ...errorReplies(401, 404) },
    },
    handler: async (request, reply) => {
      if (!(await operator.deleteRecipient(request.params.key))) throw httpError('NOT_FOUND', `${request.params.key} is not bound`);
      return reply.code(204).send(null);
    },
  });

  // The import's own body types, for its route alone: a binding sent as CSV is told it must be JSON.
  await app.register(async (imports) => {
    for (const type of Object.keys(IMPORT_TYPES))
      imports.addContentTypeParser(type, { parseAs: 'string', bodyLimit: IMPORT_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    imports.post('/recipients/import', {
      schema: {
        summary:
          'Bulk import: JSON lines ({"key","platform","userId","optOut"?}) or CSV (key,platform,userId[,optOut]); a line may hold only key and optOut; every valid line is applied, each bad line reported',
        tags: ['admin'],
        consumes: Object.keys(IMPORT_TYPES),
        response: {
          200: Type.Object({
            imported: Type.Integer(),
            errors: Type.Array(Type.Object({ line: Type.Integer(), error: Type.String() })),
          }),
          ...errorReplies(400, 401, 413, 415),
        },
      },
      handler: async (request) => {
        const format = IMPORT_TYPES[(request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''];
        if (!format) throw unsupportedMediaType(Object.keys(IMPORT_TYPES));
        const { entries, optOuts, imported, errors } = parseRecipientImport(request.body as string, format, clock.now());
        if (imported === 0 && errors.length === 0) throw httpError('INVALID_PAYLOAD', 'the import has no lines');
        await operator.putRecipients(entries);
        for (const { key, optOut } of optOuts) await setOptOut(key, optOut);
        return { imported, errors };
      },
    });
  });
};
