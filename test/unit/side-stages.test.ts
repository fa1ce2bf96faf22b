// The worker's stages beside the sends, through their seam: a stage whose claim found nothing is
// not claimed again until work may have been stored for it, or a poll interval has passed.
import { describe, expect, test } from 'vitest';
import { type SideStage, SideStages } from '../../src/delivery/side-stages.ts';
import type { Stage } from '../../src/delivery/worker-deps.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const POLL_MS = 1_000;

/** Stages with `queued` work each (a claim takes all of it); which were claimed, in order. */
function setup(queued: Partial<Record<SideStage, number>> = {}) {
  const clock = new FakeClock();
  const claims: string[] = [];
  let wakes = 0;
  let during: (() => void) | undefined;
  const stage = (name: SideStage) => ({
    claim: async () => {
      claims.push(name);
      during?.();
      const n = queued[name] ?? 0;
      queued[name] = 0;
      return Array.from({ length: n }, (_, i) => i);
    },
  });
  const run = async () => undefined;
  const deps = {
    resolver: { ...stage('resolve'), resolve: run },
    tagger: { ...stage('tag'), tag: run },
    binder: { ...stage('bind'), bind: run },
  } as unknown as ConstructorParameters<typeof SideStages>[0];
  const start = async <W>(_name: string, s: Stage<W>) => (await s.claim('owner', 10, 30_000, clock.now())).length > 0;
  const side = new SideStages(deps, { start, wake: () => wakes++ }, POLL_MS, clock);
  const cycle = async () => {
    await side.first();
    await side.last();
  };
  return { clock, claims, side, cycle, queued, wakes: () => wakes, setDuring: (f: () => void) => (during = f) };
}

describe('stages beside the sends', () => {
  test('each is claimed at first; found empty, none again until a poll interval has passed', async () => {
    const { clock, claims, cycle } = setup();
    await cycle();
    expect(claims).toEqual(['resolve', 'tag', 'bind']);
    await cycle();
    await clock.advance(POLL_MS - 1);
    await cycle();
    expect(claims).toHaveLength(3);
    await clock.advance(1);
    await cycle();
    expect(claims).toEqual(['resolve', 'tag', 'bind', 'resolve', 'tag', 'bind']);
  });

  test('a stage that found work is claimed again at once; the stages after it wait their turn', async () => {
    const { claims, side, queued } = setup({ tag: 2 });
    expect(await side.last()).toBe(true);
    expect(claims).toEqual(['tag']);
    queued.tag = 1;
    expect(await side.last()).toBe(true);
    expect(await side.last()).toBe(false); // tag found nothing, then bind
    expect(claims).toEqual(['tag', 'tag', 'tag', 'bind']);
  });

  test('work stored for a stage opens it at once and wakes the worker', async () => {
    const { claims, side, cycle, queued, wakes } = setup();
    await cycle();
    queued.tag = 1;
    side.expect('tag');
    expect(wakes()).toBe(1);
    await cycle();
    expect(claims).toEqual(['resolve', 'tag', 'bind', 'tag']);
  });

  test('work stored while its empty claim was under way: the next cycle claims it', async () => {
    const { claims, side, cycle, queued, setDuring } = setup();
    setDuring(() => {
      if (claims.at(-1) === 'resolve' && claims.length === 1) side.expect('resolve'); // committed after the claim read
    });
    await side.first();
    queued.resolve = 1;
    expect(await side.first()).toBe(true);
    await cycle();
    expect(claims.filter((c) => c === 'resolve')).toHaveLength(3);
  });

  test('a send or a found recipient that finished opens tags and binds (they may have queued some), and wakes the worker', async () => {
    const { claims, side, cycle, wakes } = setup();
    await cycle();
    side.finished('tag');
    await cycle();
    expect(claims).toHaveLength(3);
    side.finished('send');
    await cycle();
    expect(claims).toEqual(['resolve', 'tag', 'bind', 'tag', 'bind']);
    expect(wakes()).toBe(4); // tag's finish, the send's, and its two expectations
  });

  test('a clock moved back opens every stage', async () => {
    const { clock, claims, cycle } = setup();
    await clock.advance(5_000);
    await cycle();
    (clock as unknown as { time: number }).time -= 10_000;
    await cycle();
    expect(claims).toHaveLength(6);
  });
});
