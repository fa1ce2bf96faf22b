// The credentials manager at shutdown and beside the operator, through its seams: a refresh under
// way ends and its pair is stored, tried again while the grace lasts; none begins once quiesced; the
// operator's pair put back under a refresh. A store, a token endpoint the test answers, a clock it moves.
import { describe, expect, test } from 'vitest';
import type { RefreshResult } from '../../src/mantago/client.ts';
import { loggedLines, pair, setup } from '../helpers/credentials-manager.ts';
import { settle } from '../helpers/fake-clock.ts';

const renewed = (n: number): RefreshResult => ({ kind: 'ok', ...pair(n), durationMs: 5 });

describe('CredentialsManager at shutdown', () => {
  test('shutdown: a refresh under way ends and its pair is stored before stop() returns; none starts once quiesced', async () => {
    let answer: ((result: RefreshResult) => void) | undefined;
    const { clock, store, manager, asked } = await setup([() => new Promise<RefreshResult>((resolve) => (answer = resolve))]);
    const refreshing = manager.forceRefresh();
    await settle();
    expect(asked).toEqual(['token-1']);
    manager.quiesce();
    let stopped = false;
    const stopping = manager.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false); // MantaGO has not answered: the rotation may have happened
    answer?.(renewed(2));
    await Promise.all([refreshing, stopping]);
    expect(store.row).toMatchObject({ apiToken: 'token-2', generation: 2 });
    await clock.advance(40 * 24 * 3_600_000); // past the new token's expiry: no refresh ahead of it once stopped
    expect(asked).toEqual(['token-1']);
  });

  test('shutdown: a new pair the store refuses is tried again until the grace runs out, not once: a store back within it keeps it', async () => {
    const { clock, store, manager } = await setup([() => renewed(2)], undefined, { shutdownGraceMs: 10_000 });
    store.failSaves = 5; // the store failing over: the refresh's own save and the next ones are refused
    expect(await manager.forceRefresh()).toBe('renewed');
    expect(store.row).toMatchObject({ generation: 1 }); // MantaGO killed it: pair 2 lives in memory only
    manager.quiesce();
    let stopped = false;
    const stopping = manager.stop().then(() => (stopped = true));
    for (let i = 0; i < 20 && !stopped; i++) await clock.advance(500);
    await stopping;
    expect(store.row).toMatchObject({ apiToken: 'token-2', generation: 2 });
  });

  test('shutdown: a store that never takes the new pair is said at error level, with the way out and without the pair', async () => {
    const { log, lines } = loggedLines();
    const { clock, store, manager } = await setup([() => renewed(2)], log, { shutdownGraceMs: 3_000 });
    store.failSaves = 1_000;
    await manager.forceRefresh();
    manager.quiesce();
    let stopped = false;
    const stopping = manager.stop().then(() => (stopped = true));
    for (let i = 0; i < 20 && !stopped; i++) await clock.advance(500);
    await stopping;
    expect(store.row).toMatchObject({ generation: 1 });
    const last = lines.at(-1);
    expect(last).toMatchObject({ level: 50, msg: expect.stringContaining('PUT /admin/credentials') });
    expect(JSON.stringify(lines)).not.toMatch(/token-2|secret-2/);
  });

  test('the operator puts back the pair a refresh under way rotates: the rotated pair follows it, not dropped for it', async () => {
    let answer: ((result: RefreshResult) => void) | undefined;
    const { store, manager, asked } = await setup([() => new Promise<RefreshResult>((resolve) => (answer = resolve))]);
    const refreshing = manager.forceRefresh();
    await settle();
    expect(asked).toEqual(['token-1']);
    // MantaGO is slow; the operator copies the dashboard's pair, still pair 1, and installs it.
    await manager.install(pair(1));
    expect(store.row).toMatchObject({ apiToken: 'token-1', generation: 2 });
    answer?.(renewed(2)); // MantaGO rotated pair 1 after all: pair 1 is dead
    expect(await refreshing).toBe('renewed');
    expect(store.row).toMatchObject({ apiToken: 'token-2', generation: 3 });
    expect((await manager.get())?.apiToken).toBe('token-2');
  });

  test('shutting down: a 1004 reported once quiesced begins no refresh (the exit could cut it off after MantaGO killed the pair); the work waits', async () => {
    const { manager, asked } = await setup([() => renewed(2)]);
    manager.quiesce();
    expect(await manager.expired(1)).toBe('unavailable');
    expect(await manager.forceRefresh()).toBe('unavailable');
    expect(asked).toEqual([]);
  });

  test('shutdown: a refresh answered late in the grace, its own save refused, is still stored by the try after it, waited for', async () => {
    let answer: ((result: RefreshResult) => void) | undefined;
    const { clock, store, manager } = await setup([() => new Promise<RefreshResult>((resolve) => (answer = resolve))], undefined, {
      shutdownGraceMs: 20_000,
    });
    const refreshing = manager.forceRefresh();
    await settle();
    manager.quiesce();
    let stopped = false;
    const stopping = manager.stop().then(() => (stopped = true));
    await clock.advance(18_500); // past nine tenths of the grace: no try begins after this one
    store.failSaves = 1; // the refresh's own save: the store still failing over
    const save = store.saveCredentials.bind(store);
    store.saveCredentials = (next) => clock.sleep(200).then(() => save(next)); // a store's write takes its time
    answer?.(renewed(2));
    for (let i = 0; i < 10 && !stopped; i++) await clock.advance(100);
    await Promise.all([refreshing, stopping]);
    expect(store.row).toMatchObject({ apiToken: 'token-2', generation: 2 });
  });

  test('stop() with no shutdown begun (no quiesce): its one try is waited for', async () => {
    const { store, manager } = await setup([() => renewed(2)], undefined, { shutdownGraceMs: 20_000 });
    store.failSaves = 1;
    await manager.forceRefresh();
    await manager.stop();
    expect(store.row).toMatchObject({ apiToken: 'token-2', generation: 2 });
  });

  test('shutdown: a store that hangs (a failover) does not hold the error back past the grace: said while the process can', async () => {
    const { log, lines } = loggedLines();
    const { clock, store, manager } = await setup([() => renewed(2)], log, { shutdownGraceMs: 3_000 });
    store.failSaves = 1; // the refresh's own save
    await manager.forceRefresh();
    store.saveCredentials = () => new Promise(() => undefined); // never answers
    manager.quiesce();
    let stopped = false;
    const stopping = manager.stop().then(() => (stopped = true));
    for (let i = 0; i < 20 && !stopped; i++) await clock.advance(500);
    await stopping;
    expect(lines.at(-1)).toMatchObject({ level: 50, msg: expect.stringContaining('PUT /admin/credentials') });
  });
});
