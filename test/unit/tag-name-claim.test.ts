// Two replicas naming one new tag: the one that claimed the name creates it, once. A create that
// cannot start soon after its claim (it waited for credentials or a call slot) is not made: the
// claim would run out under it and the other replica, finding no tag, would create it too.
// Through MantagoTags' seams: a shared in-memory store, a MantaGO that keeps tags, a fake clock.
import { expect, test } from 'vitest';
import type { CallResult } from '../../src/mantago/client.ts';
import { MantagoTags, type MantagoTagsDeps } from '../../src/mantago/tags.ts';
import { FakeClock, settle } from '../helpers/fake-clock.ts';

const CLAIM_MS = 35_000; // three 10 s call timeouts and the create's start window, as the service sets it
const pair = { apiToken: 't', apiSecret: 's', generation: 1 };
const ok = (body: Record<string, unknown>): CallResult => ({ kind: 'ok', status: 200, durationMs: 1, body });

test("a create held up past its name's claim is not made: the other replica's create is the only one", async () => {
  const clock = new FakeClock();
  const tags: { id: string; name: string }[] = [];
  const creates: string[] = [];
  const claims = new Map<string, { owner: string; until: number }>();
  const remembered = new Map<string, string>();
  const store: MantagoTagsDeps['store'] = {
    getTagId: async (name) => remembered.get(name),
    putTagId: async (name, id) => void remembered.set(name, id),
    forgetTagId: async (name) => void remembered.delete(name),
    releaseTagName: async (name, owner) => void (claims.get(name)?.owner === owner && claims.delete(name)),
    claimTagName: async (name, owner, until, now) => {
      const held = claims.get(name);
      if (held && held.owner !== owner && held.until > now) return false;
      claims.set(name, { owner, until });
      return true;
    },
  };
  // MantaGO: a call whose start deadline has passed is not made, as the client's limiter does.
  const client = (replica: string): MantagoTagsDeps['client'] => ({
    post: async (endpoint, _path, _token, body, options) => {
      if (options?.startBy !== undefined && clock.now() > options.startBy)
        return { kind: 'not_started', durationMs: 0, message: 'no call slot before its deadline' };
      if (endpoint === 'tag_list') return ok({ clientTagList: tags, pagination: { hasNext: false } });
      if (endpoint === 'tag_create') {
        creates.push(replica);
        tags.push({ id: `ct${tags.length + 1}`, name: String((body as { name: string }).name) });
        return ok({});
      }
      return ok({});
    },
  });
  let heldUp: () => void = () => undefined;
  const credentials = (held: boolean): MantagoTagsDeps['credentials'] => {
    let calls = 0;
    return {
      // Replica A's second wait (before its create) lasts until the test lets it go.
      get: async () => (held && ++calls === 2 ? new Promise((resolve) => (heldUp = () => resolve(pair))) : pair),
      expired: async () => 'renewed',
      superseded: async () => 'renewed',
      nextRefreshAt: () => undefined,
    };
  };
  const replica = (owner: string, held: boolean) =>
    new MantagoTags({ client: client(owner), credentials: credentials(held), store, owner, claimMs: CLAIM_MS, clock });
  const user = { platform: 'line', clientId: `U${'0'.repeat(32)}` };
  const jobStartBy = clock.now() + 49_000; // the tag job's lease leaves this long

  const a = replica('a', true).apply('add', { name: 'vip' }, user, jobStartBy);
  await settle();
  await clock.advance(CLAIM_MS + 1_000); // A's create waits past its claim
  const b = await replica('b', false).apply('add', { name: 'vip' }, user, clock.now() + 49_000);
  expect(b.result.kind).toBe('ok');
  heldUp();
  const answered = await a;
  expect(creates).toEqual(['b']);
  expect(tags.map((t) => t.name)).toEqual(['vip']);
  expect(answered.result.kind).toBe('not_started'); // its job is due again, and finds B's tag
});
