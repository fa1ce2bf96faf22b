// The credentials manager facing an old pair (MantaGO's 120000), through its seams: another
// replica's refresh under way, a pair rotated unseen, and how each ends.
import { describe, expect, test } from 'vitest';
import type { StoredCredentials } from '../../src/domain/credentials.ts';
import type { RefreshResult } from '../../src/mantago/client.ts';
import { OLD_PAIR_REASON } from '../../src/mantago/refresh-policy.ts';
import { loggedLines, type MemoryStore, pair, setup } from '../helpers/credentials-manager.ts';
import { settle } from '../helpers/fake-clock.ts';

const renewed = (n: number): RefreshResult => ({ kind: 'ok', ...pair(n), durationMs: 5 });

describe('CredentialsManager: an old pair (120000)', () => {
  const stored2 = (store: MemoryStore) => {
    store.row = { ...(store.row as StoredCredentials), ...pair(2), generation: 2 };
    store.claim = undefined; // a saved pair ends the claim
  };

  test("another replica's refresh under way: the pair it stores is waited for and taken up, nothing rejected", async () => {
    const { clock, store, manager, asked } = await setup([]);
    store.claim = { owner: 'other', until: clock.now() + 60_000 }; // MantaGO answered it; the store has not its pair yet
    const answer = manager.superseded(1);
    await settle();
    expect(store.row).toMatchObject({ generation: 1, state: 'ok' }); // not rejected while it waits
    stored2(store);
    await clock.advance(100);
    expect(await answer).toBe('renewed');
    expect((await manager.get())?.apiToken).toBe('token-2');
    expect(manager.health()).toEqual({ state: 'ok' });
    expect(asked).toEqual([]);
  });

  test('a refresh of our own under way: its pair is waited for, not rejected', async () => {
    let refreshed: (result: RefreshResult) => void = () => undefined;
    const { clock, store, manager, asked } = await setup([() => new Promise<RefreshResult>((resolve) => (refreshed = resolve))]);
    const refreshing = manager.expired(1);
    await settle();
    const answer = manager.superseded(1);
    await settle();
    refreshed(renewed(2));
    expect(await refreshing).toBe('renewed');
    await clock.advance(100);
    expect(await answer).toBe('renewed');
    expect(store.row).toMatchObject({ generation: 2, state: 'ok', apiToken: 'token-2' });
    expect(asked).toEqual(['token-1']);
  });

  test('no refresh under way anywhere: rejected at once, the rejection stored and the claim it took given up', async () => {
    const { store, manager, asked } = await setup([]);
    expect(await manager.superseded(1)).toBe('rejected');
    expect(store.row).toMatchObject({ generation: 1, state: 'rejected', lastError: OLD_PAIR_REASON });
    expect(store.claim).toBeUndefined();
    expect(manager.health()).toEqual({ state: 'rejected', reason: OLD_PAIR_REASON });
    expect(asked).toEqual([]);
  });

  test('callers hearing it at once share one decision: one rejection stored, and the claim given up after', async () => {
    const { store, manager } = await setup([]);
    const savesBefore = store.saves;
    expect(await Promise.all([manager.superseded(1), manager.superseded(1), manager.superseded(1)])).toEqual([
      'rejected',
      'rejected',
      'rejected',
    ]);
    expect(store.saves - savesBefore).toBe(1);
    expect(store.claim).toBeUndefined();
  });

  test('a refresh of ours whose pair the store would not take yet: the pair it got is the answer, at once', async () => {
    const { store, manager } = await setup([() => renewed(2)]);
    store.failSaves = 1; // our claim on generation 1 stays until the pair is stored
    const refreshing = manager.expired(1);
    const answer = manager.superseded(1);
    expect(await refreshing).toBe('renewed');
    expect(await answer).toBe('renewed'); // no clock moved: nothing waited on our own claim
    expect((await manager.get())?.apiToken).toBe('token-2');
  });

  test('a rejection the store would not save still gives up the claim taken to decide', async () => {
    const { store, manager } = await setup([]);
    store.failSaves = 1;
    expect(await manager.superseded(1)).toBe('rejected');
    expect(manager.health()).toEqual({ state: 'rejected', reason: OLD_PAIR_REASON });
    expect(store.claim).toBeUndefined(); // else no refresh of this generation for the claim's whole time
  });

  test("another holder's refreshes of it going on for the whole wait: undecided, nothing rejected, its claim left alone", async () => {
    const { clock, store, manager } = await setup([]);
    store.claim = { owner: 'other', until: clock.now() + 600_000 };
    const answer = manager.superseded(1);
    await clock.advance(60_000);
    expect(await answer).toBe('unavailable');
    expect(store.row).toMatchObject({ generation: 1, state: 'ok' });
    expect(store.claim).toMatchObject({ owner: 'other' });
  });

  test('the store failing while it decides: the caller is told so at once, and nothing is rejected', async () => {
    const { clock, store, manager } = await setup([]);
    store.afterNextLoad = () => {
      throw new Error('disk I/O error');
    };
    await expect(manager.superseded(1, { waitUntil: clock.now() + 5_000 })).rejects.toThrow('disk I/O error');
    expect(store.row).toMatchObject({ generation: 1, state: 'ok' });
    expect(manager.health()).toEqual({ state: 'ok' });
  });

  test("the store failing after the caller's deadline: the operator is told once in the log, nothing is rejected, and the next 120000 decides again", async () => {
    const { log, lines } = loggedLines();
    const { clock, store, manager } = await setup([], log);
    store.claim = { owner: 'other', until: clock.now() + 60_000 };
    const answer = manager.superseded(1, { waitUntil: clock.now() + 5_000 });
    await clock.advance(5_000);
    expect(await answer).toBe('unavailable');
    store.failClaims = true;
    await clock.advance(200);
    const said = lines.filter((line) => String(line.msg).includes('could not decide on an old pair'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: 40, generation: 1, err: { message: 'disk I/O error' } });
    expect(store.row).toMatchObject({ generation: 1, state: 'ok' });
    store.failClaims = false;
    store.claim = undefined;
    expect(await manager.superseded(1)).toBe('rejected'); // decided afresh: no refresh under way now
  });

  test("a caller waits for another replica's pair no longer than its deadline; the pair is taken up when it comes", async () => {
    const { clock, store, manager } = await setup([]);
    store.claim = { owner: 'other', until: clock.now() + 60_000 };
    const answer = manager.superseded(1, { waitUntil: clock.now() + 5_000 });
    await clock.advance(5_000);
    expect(await answer).toBe('unavailable');
    stored2(store);
    await clock.advance(100);
    expect((await manager.get())?.apiToken).toBe('token-2');
  });
});
