// Dead tag jobs, as the operator alerted by notifier_tag_jobs_dead_total finds and mends them, over
// HTTP with the simulator as MantaGO, on both engines: counted on the overview, listed by
// GET /admin/tag-jobs?status=dead, tried again one by one or all at once once MantaGO takes them;
// a dead job a later job of its user and tag decides is ended superseded instead, so a refund's
// `remove buyer` is not undone by the redriven `add buyer` of the order before it.
import { describe, expect, test } from 'vitest';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { shiftedClock, startServiceWithSimulator } from './helpers/service.ts';
import { type App, auth, JOURNEY, orderFor, post, settled, user } from './helpers/tagging.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyRefund, shopifyRequest } from './helpers/webhooks.ts';

type Job = {
  id: number;
  deliveryId: number;
  action: string;
  tag: string;
  clientId: string;
  status: string;
  lastError: string | null;
  attempts: number;
};
const get = async (app: App, url: string) => app.inject({ url, headers: auth });
const deadJobs = async (app: App): Promise<Job[]> => (await get(app, '/admin/tag-jobs?status=dead')).json().tagJobs;
const deadCount = async (app: App): Promise<number> => (await get(app, '/admin/overview')).json().tagJobs.dead;

describe.each(SERVICE_ENGINES)('dead tag jobs on $engine', ({ engine, available }) => {
  test.skipIf(!available)(
    'listed and counted; retried once MantaGO has the tag; one a later job decides is ended superseded, never made',
    async () => {
      // A tag id made in the dashboard only later: each user's add dies with MantaGO's reason meanwhile.
      const mapping = JOURNEY.replace('{ add: [{ name: buyer }] }', '{ add: [ctLater] }').replace(
        '{ remove: [{ name: buyer }], add: [{ name: refunded }] }',
        '{ remove: [ctLater], add: [{ name: refunded }] }',
      );
      const { app, sim } = await startServiceWithSimulator({ mapping, env: await engineEnv(engine) });
      const first = await post(app, shopifyRequest(orderFor(1)));
      const second = orderFor(2);
      const refunded = await post(app, shopifyRequest(second));
      for (const id of [first.id, refunded.id]) await settled(app, id);
      expect(await deadCount(app)).toBe(2);
      const dead = await deadJobs(app);
      const reason = 'MantaGO answered HTTP 404: Client tag not found';
      expect(dead).toMatchObject([
        { deliveryId: refunded.id, action: 'add', tag: 'id:ctLater', clientId: user(2), lastError: reason },
        { deliveryId: first.id, action: 'add', tag: 'id:ctLater', clientId: user(1), lastError: reason },
      ]);

      // Made in the dashboard now. The second order is refunded meanwhile: its refund takes the tag off.
      sim.tags.create('later', 'ctLater');
      await settled(app, (await post(app, shopifyRequest(shopifyRefund(second.id), { topic: 'refunds/create' }))).id);
      const [later, earlier] = dead as [Job, Job];
      const retried = await app.inject({ method: 'POST', url: `/admin/tag-jobs/${earlier.id}/retry`, headers: auth });
      expect(retried.statusCode).toBe(200);
      expect(retried.json()).toMatchObject({ id: earlier.id, attempts: 0 });
      await waitFor(async () => sim.tags.tagsOf('line', user(1)).includes('later'), { what: 'the retried tag' });

      const redrive = await app.inject({ method: 'POST', url: '/admin/tag-jobs/redrive', headers: auth });
      expect(redrive.json()).toEqual({ redriven: 0, superseded: 1, remaining: 0 });
      const [ended] = (await get(app, `/admin/deliveries/${refunded.id}`)).json().tagging;
      expect(ended).toMatchObject({ id: later.id, status: 'tagged', lastError: expect.stringMatching(/^superseded: delivery \d+'s job/) });
      expect(sim.tags.tagsOf('line', user(2))).toEqual(['refunded']);
      expect(await deadCount(app)).toBe(0);
      expect(await deadJobs(app)).toEqual([]);

      // What cannot be retried says why; a bad filter is a 400.
      const again = await app.inject({ method: 'POST', url: `/admin/tag-jobs/${earlier.id}/retry`, headers: auth });
      expect([again.statusCode, again.json().message]).toEqual([409, `tag job ${earlier.id} is done already (tagged)`]);
      const none = await app.inject({ method: 'POST', url: '/admin/tag-jobs/999999/retry', headers: auth });
      expect([none.statusCode, none.json().message]).toEqual([404, 'no tag job 999999']);
      expect((await get(app, '/admin/tag-jobs?status=stuck')).statusCode).toBe(400);
      const page = (await get(app, '/admin/tag-jobs?limit=2')).json();
      expect(page.tagJobs).toHaveLength(2);
      expect((await get(app, `/admin/tag-jobs?limit=10&cursor=${page.nextCursor}`)).json().tagJobs.length).toBeGreaterThan(0);
    },
  );

  test.skipIf(!available)(
    'a dead job tried again days later has its tries and its age bound start over: a passing failure does not kill it again',
    async () => {
      const mapping = JOURNEY.replace('{ add: [{ name: buyer }] }', '{ add: [ctLater] }');
      const clock = shiftedClock();
      const { app, sim } = await startServiceWithSimulator({ mapping, env: await engineEnv(engine), clock });
      const first = await post(app, shopifyRequest(orderFor(1)));
      await settled(app, first.id);
      const [dead] = (await deadJobs(app)) as [Job];
      clock.offset += 2 * 86_400_000; // past RETRY_MAX_AGE_MS (a day) since the job was stored
      sim.tags.create('later', 'ctLater');
      sim.set({ failTags: { status: 503, count: 1 } });
      expect((await app.inject({ method: 'POST', url: `/admin/tag-jobs/${dead.id}/retry`, headers: auth })).statusCode).toBe(200);
      // Recorded tagged (not dead again), after the one 503; MantaGO has the tag on the user.
      const job = await waitFor(
        async () => {
          const [now] = (await get(app, `/admin/deliveries/${first.id}`)).json().tagging;
          return now.status === 'pending' ? undefined : now;
        },
        { what: 'the retried job, after one 503' },
      );
      // Counted from 0 again (it died after 1): the tag. The 503, two quiet days after MantaGO last answered, is an outage's: uncounted.
      expect(job).toMatchObject({ id: dead.id, status: 'tagged', attempts: 1 });
      expect(dead.attempts).toBe(1);
      expect(sim.tags.tagsOf('line', user(1))).toContain('later');
    },
  );
});
