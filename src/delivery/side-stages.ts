// The worker's stages beside the sends: recipients to find (claimed before the sends: once found
// they can join a batch), then tags and binds (after them: no customer waits for these).
// The worker claims after every commit, and a claim that finds nothing is still a store
// transaction: three idle stages cost every webhook about 7% of the service's CPU (bench,
// 2026-12-06). So a stage whose last claim found nothing is claimed again only once it may have
// work: this process stored some for it (expect; a send may queue binds, a found recipient tags),
// or a poll interval has passed since (a retry fell due, a lease ran out, another process stored it).
import type { Clock } from '../clock.ts';
import type { Lease } from './lease.ts';
import type { Stage, WorkerDeps } from './worker-deps.ts';

export type SideStage = 'resolve' | 'tag' | 'bind';
/** The worker's own claim: leases the stage's work, starts `run` on it, and says whether there was any. */
type StartClaimed = <W>(name: string, stage: Stage<W>, run: (work: W[], lease: Lease) => Promise<void>) => Promise<boolean>;

export class SideStages {
  private readonly deps: Pick<WorkerDeps, 'resolver' | 'tagger' | 'binder'>;
  private readonly start: StartClaimed;
  private readonly wake: () => void;
  private readonly pollMs: number;
  private readonly clock: Pick<Clock, 'now'>;
  /** When each stage's claim last found nothing; absent while it may have work. */
  private readonly emptyAt = new Map<SideStage, number>();
  /** How often work was expected for each stage: a claim begun before the latest expectation proves nothing. */
  private readonly expected = new Map<SideStage, number>();

  /** `start`: the worker's claim; `wake`: wakes the worker up. */
  constructor(
    deps: Pick<WorkerDeps, 'resolver' | 'tagger' | 'binder'>,
    worker: { start: StartClaimed; wake: () => void },
    pollMs: number,
    clock: Pick<Clock, 'now'>,
  ) {
    this.deps = deps;
    this.start = worker.start;
    this.wake = worker.wake;
    this.pollMs = pollMs;
    this.clock = clock;
  }

  /** The claim before the sends: recipients to find. Whether there was any work. */
  async first(): Promise<boolean> {
    const { resolver } = this.deps;
    return (
      resolver !== undefined && this.claim('resolve', () => this.start('resolve', resolver, (w, l) => resolver.resolve(l.owner, w, l)))
    );
  }

  /** The claims after the sends: tags, then binds. Whether there was any work. */
  async last(): Promise<boolean> {
    const { tagger, binder } = this.deps;
    if (tagger && (await this.claim('tag', () => this.start('tag', tagger, (jobs, lease) => tagger.tag(jobs, lease))))) return true;
    return binder !== undefined && this.claim('bind', () => this.start('bind', binder, (jobs, lease) => binder.bind(jobs, lease)));
  }

  /** Work for `stage` may have been stored: the worker claims it when it wakes, now. */
  expect(stage: SideStage): void {
    this.expected.set(stage, (this.expected.get(stage) ?? 0) + 1);
    this.emptyAt.delete(stage);
    this.wake();
  }

  /** Claimed work of the stage `name` finished (a send may have queued binds, a found recipient tags): the worker claims again. */
  finished(name: string): void {
    if (name === 'send' || name === 'resolve') for (const next of ['tag', 'bind'] as const) this.expect(next);
    this.wake();
  }

  /** Claims `stage` through `claim` if it may have work; whether it found any. */
  private async claim(stage: SideStage, claim: () => Promise<boolean>): Promise<boolean> {
    const at = this.emptyAt.get(stage);
    const idle = at === undefined ? this.pollMs : this.clock.now() - at;
    // A clock moved back counts as a poll interval passed.
    if (idle < this.pollMs && idle >= 0) return false;
    const expected = this.expected.get(stage) ?? 0;
    const found = await claim();
    if (found || expected !== (this.expected.get(stage) ?? 0)) this.emptyAt.delete(stage);
    else this.emptyAt.set(stage, this.clock.now());
    return found;
  }
}
