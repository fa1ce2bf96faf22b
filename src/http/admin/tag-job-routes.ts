// /admin/tag-jobs: the tag jobs MantaGO refused or that ran out of tries (the alert on
// notifier_tag_jobs_dead_total leads here), and trying them again once their cause is mended (the
// tag made in the dashboard, the mapping's id put right). A dead job that a later job of its user
// and tag decides is not tried: it ends superseded, as the store says (operations/tag-operator.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { TAG_JOB_STATUSES } from '../../domain/tagging.ts';
import type { Service } from '../../service.ts';
import { errorReplies, httpError } from '../errors.ts';
import { DeliveryId } from './schemas.ts';
import { TagJobSchema, tagJobView } from './tag-schemas.ts';

const JobId = (options: { description?: string } = {}) => DeliveryId(options);

export const tagJobRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = async (app, { service }) => {
  const { store } = service;
  app.get('/tag-jobs', {
    schema: {
      summary: 'Tag jobs, newest first (status=dead: those to look into); `nextCursor` gives the next page',
      tags: ['admin'],
      querystring: Type.Object(
        {
          status: Type.Optional(Type.Enum([...TAG_JOB_STATUSES])),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          cursor: Type.Optional(JobId({ description: 'nextCursor of the page before' })),
        },
        { additionalProperties: false },
      ),
      response: {
        200: Type.Object({ tagJobs: Type.Array(TagJobSchema), nextCursor: Type.Union([Type.Integer(), Type.Null()]) }),
        ...errorReplies(400, 401),
      },
    },
    handler: async (request) => {
      const { status, limit, cursor } = request.query;
      const found = await store.operator.listTagJobs({ status, limit: limit + 1, beforeId: cursor });
      const page = found.slice(0, limit);
      return { tagJobs: page.map(tagJobView), nextCursor: found.length > limit ? (page.at(-1)?.id ?? null) : null };
    },
  });

  app.post('/tag-jobs/:id/retry', {
    schema: {
      summary:
        'Try a dead tag job again (its tries start over), or a waiting one now; a dead one a later job of its user and tag decides ends superseded instead',
      tags: ['admin'],
      params: Type.Object({ id: JobId() }),
      response: { 200: TagJobSchema, ...errorReplies(400, 401, 404, 409) },
    },
    handler: async (request) => {
      const { id } = request.params;
      const retried = await store.operator.retryTagJob(id, service.clock.now());
      if (!retried) throw httpError('NOT_FOUND', `no tag job ${id}`);
      const { outcome, job } = retried;
      if (outcome === 'tagged')
        throw httpError('CONFLICT', `tag job ${id} is done already (tagged)${job.lastError ? `: ${job.lastError}` : ''}`);
      if (outcome === 'in_flight') throw httpError('CONFLICT', `tag job ${id} is being tried right now`);
      if (outcome === 'requeued') service.worker.expect('tag');
      return tagJobView(job);
    },
  });

  app.post('/tag-jobs/redrive', {
    schema: {
      summary:
        'Try the oldest thousand dead tag jobs again, but those a later job of their user and tag decides (ended superseded); `remaining`: dead ones left for the next call',
      tags: ['admin'],
      response: {
        200: Type.Object({ redriven: Type.Integer(), superseded: Type.Integer(), remaining: Type.Integer() }),
        ...errorReplies(400, 401),
      },
    },
    handler: async () => {
      const done = await store.operator.redriveDeadTags(service.clock.now());
      if (done.redriven > 0) service.worker.expect('tag');
      return done;
    },
  });
};
