// Tag jobs: the MantaGO tags a rule puts on (or takes off) an order event's user, worked through
// after the sends, under a lease of their own. Each try is recorded; where the job goes is
// tag-outcome.ts's to decide. A tag job never touches its delivery: the message goes (or not) as
// if there were no tags. DRY_RUN records each job as done without calling MantaGO.
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.ts';
import type { TagAction, TagAttempt, TagAttemptOutcome, TagJob, TagRef } from '../domain/tagging.ts';
import { tagKey } from '../domain/tagging.ts';
import type { BotStatus } from '../mantago/bot-status.ts';
import type { TagTry } from '../mantago/tags.ts';
import type { TagQueue, TagTryRecord } from '../store/store.ts';
import type { Lease } from './lease.ts';
import type { RetryPolicy } from './outcome.ts';
import { afterTagTry } from './tag-outcome.ts';

export interface TaggerDeps {
  store: Pick<TagQueue, 'claimTags' | 'recordTagTry'>;
  tags: {
    apply(
      action: TagAction,
      tag: TagRef,
      user: { platform: string; clientId: string },
      startBy: number,
    ): Promise<{ result: TagTry; tagId?: string }>;
  };
  policy: RetryPolicy;
  dryRun: boolean;
  log: Logger;
  clock?: Clock;
  random?: () => number;
  /** Told of every try, for metrics. */
  onTried?: (action: TagAction, outcome: TagAttemptOutcome) => void;
  /** Told of every job given up (dead), for metrics. */
  onDead?: (action: TagAction) => void;
  /** Told of tag calls refused for the bot (1002, 5001) and of accepted ones; a refused one waits for its probe. */
  bot?: Pick<BotStatus, 'refused' | 'accepted' | 'probeAt' | 'tagsRefused'>;
}

/** Tag jobs per claim: each is one or a few calls, made one after another. */
const CLAIM_LIMIT = 20;

export class Tagger {
  private readonly deps: TaggerDeps;
  private readonly clock: Clock;

  constructor(deps: TaggerDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
  }

  claim(owner: string, limit: number, leaseMs: number, now: number): Promise<TagJob[]> {
    return this.deps.store.claimTags(owner, Math.min(limit, CLAIM_LIMIT), leaseMs, now);
  }

  /** One job after another, each call starting within the claim's lease; what the lease cannot cover goes back. */
  async tag(jobs: TagJob[], lease: Pick<Lease, 'latestStart'>): Promise<void> {
    for (const job of jobs) await this.one(job, lease.latestStart());
  }

  private async one(job: TagJob, startBy: number): Promise<void> {
    const { store, tags, policy, log } = this.deps;
    const startedAt = this.clock.now();
    const record = (r: TagTryRecord) => store.recordTagTry(job, r, this.clock.now());
    // The claim ran out before this one's turn: back as it was, for the next claim.
    if (startedAt > startBy) return record({ status: 'pending', counted: false, nextAttemptAt: startedAt, error: null });
    if (this.deps.dryRun) {
      this.deps.onTried?.(job.action, 'dry_run');
      const attempt = {
        startedAt,
        durationMs: 0,
        outcome: 'dry_run' as const,
        httpStatus: null,
        error: 'DRY_RUN is on: recorded, MantaGO not called',
      };
      return record({ status: 'tagged', counted: true, nextAttemptAt: null, error: null, attempt });
    }
    const { result, tagId } = await tags.apply(job.action, job.tag, job, startBy);
    const { bot } = this.deps;
    if (result.kind === 'ok') bot?.accepted(false);
    const random = (this.deps.random ?? Math.random)();
    const step = afterTagTry(result, job, policy, this.clock.now(), random, bot?.probeAt(), bot?.tagsRefused());
    if ((step.to === 'retry' || step.to === 'dead') && step.bot) bot?.refused(step.bot);
    if (step.to === 'release') return record({ status: 'pending', counted: false, nextAttemptAt: this.clock.now(), error: null });
    // Another replica creating the tag: nothing was tried, so nothing is recorded as a try or counted.
    if (result.kind === 'busy' && step.to === 'retry')
      return record({ status: 'pending', counted: false, nextAttemptAt: step.at, error: step.error });
    const attempt: TagAttempt = {
      startedAt,
      durationMs: 'durationMs' in result ? result.durationMs : 0,
      outcome: step.outcome,
      httpStatus: 'status' in result ? result.status : null,
      error: step.to === 'tagged' ? (result.kind === 'absent' ? result.message : null) : step.to === 'dead' ? step.reason : step.error,
    };
    this.deps.onTried?.(job.action, step.outcome);
    const known = tagId === undefined ? {} : { tagId };
    const what = { action: job.action, tag: tagKey(job.tag), platform: job.platform };
    switch (step.to) {
      case 'tagged':
        log.info(
          what,
          result.kind === 'absent'
            ? 'no tag of that name in MantaGO: nothing to take off'
            : job.action === 'add'
              ? 'tagged a user in MantaGO'
              : 'took a tag off a user in MantaGO',
        );
        return record({ status: 'tagged', counted: true, nextAttemptAt: null, error: null, attempt, ...known });
      case 'retry':
        log.warn(
          { ...what, error: step.error, retryAt: step.at },
          'a MantaGO tag call failed; trying again later, unless a later job of the user and tag supersedes it (the message is not affected)',
        );
        return record({ status: 'pending', counted: step.counted, nextAttemptAt: step.at, error: step.error, attempt, ...known });
      case 'dead':
        log.warn({ ...what, reason: step.reason }, 'MantaGO refused a tag call; given up (the message is not affected)');
        this.deps.onDead?.(job.action);
        return record({ status: 'dead', counted: true, nextAttemptAt: null, error: step.reason, attempt, ...known });
    }
  }
}
