// Tag jobs: the MantaGO tags a rule puts on (or takes off) an order event's user, worked through
// after the sends, under a lease of their own. Each try is recorded; where the job goes is
// tag-outcome.ts's to decide. A tag job never touches its delivery: the message goes (or not) as
// if there were no tags. DRY_RUN records each job as done without calling MantaGO.
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.ts';
import type { TagAction, TagAttemptOutcome, TagJob, TagRef } from '../domain/tagging.ts';
import { tagKey } from '../domain/tagging.ts';
import type { BotStatus } from '../mantago/bot-status.ts';
import type { TagTry } from '../mantago/tags.ts';
import type { TagQueue } from '../store/store.ts';
import type { Lease } from './lease.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { afterTagTry, DRY_RUN_TURN, type TagStep, type TagTurn, TOO_LATE, tagTryRecord } from './tag-outcome.ts';

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
  bot?: Pick<BotStatus, 'refused' | 'accepted' | 'probeAt' | 'tagsRefused' | 'lastAccepted'>;
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
    const { store, tags, policy, bot } = this.deps;
    const startedAt = this.clock.now();
    // The claim ran out before this one's turn: back as it was, for the next claim.
    const { result, tagId }: { result: TagTurn; tagId?: string } =
      startedAt > startBy
        ? { result: TOO_LATE }
        : this.deps.dryRun
          ? { result: DRY_RUN_TURN }
          : await tags.apply(job.action, job.tag, job, startBy);
    if (result.kind === 'ok') bot?.accepted(false);
    const now = this.clock.now();
    const random = (this.deps.random ?? Math.random)();
    const step = afterTagTry(result, job, policy, now, random, bot?.probeAt(), bot?.tagsRefused(), bot?.lastAccepted('any'));
    if ((step.to === 'retry' || step.to === 'dead') && step.bot) bot?.refused(step.bot);
    const record = tagTryRecord(step, result, startedAt, now, tagId);
    if (record.attempt) {
      this.deps.onTried?.(job.action, record.attempt.outcome);
      this.tell(job, step, result);
    }
    return store.recordTagTry(job, record, this.clock.now());
  }

  /** The log line of a try, and the count of a job given up. */
  private tell(job: TagJob, step: TagStep, result: TagTurn): void {
    const { log } = this.deps;
    const what = { action: job.action, tag: tagKey(job.tag), platform: job.platform };
    switch (step.to) {
      case 'tagged':
        log.info(
          what,
          result.kind === 'dry_run'
            ? 'DRY_RUN is on: a tag job recorded as done, MantaGO not called'
            : result.kind === 'absent'
              ? 'no tag of that name in MantaGO: nothing to take off'
              : job.action === 'add'
                ? 'tagged a user in MantaGO'
                : 'took a tag off a user in MantaGO',
        );
        return;
      case 'retry':
        log.warn(
          { ...what, error: step.error, retryAt: step.at },
          'a MantaGO tag call failed; trying again later, unless a later job of the user and tag supersedes it (the message is not affected)',
        );
        return;
      case 'dead':
        log.warn({ ...what, reason: step.reason }, 'MantaGO refused a tag call; given up (the message is not affected)');
        this.deps.onDead?.(job.action);
        return;
    }
  }
}
