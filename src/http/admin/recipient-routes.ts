// /admin/recipients: the recipient directory, which the mapping file's `- directory: true`
// consults: "this shop customer is this LINE / Messenger user".
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { PLATFORMS, type Platform } from '../../domain/recipient.ts';
import { directoryEntryProblem, parseRecipientImport, type ImportFormat } from '../../mapping/recipient-import.ts';
import type { Clock } from '../../clock.ts';
import type { Store } from '../../store/store.ts';
import { errorReplies, httpError } from '../errors.ts';
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
  for (const type of Object.keys(IMPORT_TYPES)) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: IMPORT_LIMIT_BYTES }, (_request, body, done) => done(null, body));
  }

  app.put('/recipients/:key', {
    schema: {
      summary: 'Bind a customer key to a chat user',
      tags: ['admin'],
      params: KeyParams,
      body: Type.Object(
        { platform: Type.Enum([...PLATFORMS]), userId: Type.String({ minLength: 1, maxLength: 64 }) },
        { additionalProperties: false },
      ),
      response: { 200: RecipientSchema, ...errorReplies(400, 401) },
    },
    handler: async (request) => {
      const { key } = request.params;
      const { platform, userId } = request.body;
      const problem = directoryEntryProblem(key, platform, userId);
      if (problem) throw httpError('INVALID_PAYLOAD', problem);
      const entry = { key, platform: platform as Platform, userId, updatedAt: clock.now() };
      await store.operator.putRecipients([entry]);
      return recipientView(entry);
    },
  });

  app.get('/recipients/:key', {
    schema: {
      summary: 'Who a customer key is bound to',
      tags: ['admin'],
      params: KeyParams,
      response: { 200: RecipientSchema, ...errorReplies(401, 404) },
    },
    handler: async (request) => {
      const entry = await store.operator.getRecipient(request.params.key);
      if (!entry) throw httpError('NOT_FOUND', `no recipient for ${request.params.key}`);
      return recipientView(entry);
    },
  });

  app.delete('/recipients/:key', {
    schema: { summary: 'Remove a binding', tags: ['admin'], params: KeyParams, response: { 204: Type.Null(), ...errorReplies(401, 404) } },
    handler: async (request, reply) => {
      if (!(await store.operator.deleteRecipient(request.params.key)))
        throw httpError('NOT_FOUND', `no recipient for ${request.params.key}`);
      return reply.code(204).send(null);
    },
  });

  app.post('/recipients/import', {
    schema: {
      summary:
        'Bulk import: JSON lines ({"key","platform","userId"}) or CSV (key,platform,userId); every valid line is applied, each bad line reported',
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
      if (!format) throw httpError('UNSUPPORTED_MEDIA_TYPE', `Content-Type must be one of ${Object.keys(IMPORT_TYPES).join(', ')}`);
      const { entries, errors } = parseRecipientImport(request.body as string, format, clock.now());
      if (entries.length === 0 && errors.length === 0) throw httpError('INVALID_PAYLOAD', 'the import has no lines');
      await store.operator.putRecipients(entries);
      return { imported: entries.length, errors };
    },
  });
};
