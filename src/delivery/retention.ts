// Retention: sent and skipped deliveries (with their stored order and attempts) are deleted after
// RETENTION_DAYS (an order's placed and shipped ones after ORDER_RETENTION_DAYS), dead ones after
// DEAD_RETENTION_DAYS unless redriven; a told order ending's key is kept a year more (store/migrations/018).
// Runs hourly, in chunks.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { OperatorView } from '../store/store.ts';
import { IDEMPOTENCY_WINDOW_MS } from './idempotency.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const EVERY_MS = 60 * 60 * 1000;
/** How long a told order ending is remembered after its delivery is pruned (an edit of the order is no news). */
const PRUNED_ENDINGS_KEPT_DAYS = 365;
/** The first run waits for startup to settle. */
const FIRST_RUN_MS = 30_000;

export interface RetentionDeps {
  store: { operator: Pick<OperatorView, 'prune'> };
  log: Logger;
  clock: Clock;
  days: number;
  deadDays: number;
  /** An order's placed and shipped deliveries: its later events find its customer by them (ORDER_RETENTION_DAYS). */
  orderDays: number;
}

export class Retention {
  private readonly deps: RetentionDeps;
  private cancelTimer: (() => void) | undefined;
  private running: Promise<number> | undefined;

  constructor(deps: RetentionDeps) {
    this.deps = deps;
  }

  start(): void {
    this.schedule(FIRST_RUN_MS);
  }

  async stop(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Deletes what is past its retention now; how many deliveries went. */
  async prune(now = this.deps.clock.now()): Promise<number> {
    const { store, log, days, deadDays, orderDays } = this.deps;
    this.running = store.operator.prune({
      finishedBefore: now - days * DAY_MS,
      ordersBefore: now - Math.max(days, orderDays) * DAY_MS,
      deadBefore: now - deadDays * DAY_MS,
      keysBefore: now - IDEMPOTENCY_WINDOW_MS,
      endings: { now, forgetBefore: now - PRUNED_ENDINGS_KEPT_DAYS * DAY_MS },
      membersAt: now,
    });
    const deleted = await this.running;
    if (deleted > 0)
      log.info({ deleted, retentionDays: days, deadRetentionDays: deadDays }, 'pruned finished deliveries past their retention');
    return deleted;
  }

  private schedule(ms: number): void {
    this.cancelTimer = this.deps.clock.setTimer(() => {
      this.prune()
        .catch((error: unknown) => this.deps.log.error({ err: error }, 'pruning old deliveries failed; will try again'))
        .finally(() => {
          if (this.cancelTimer) this.schedule(EVERY_MS);
        });
    }, ms);
  }
}
