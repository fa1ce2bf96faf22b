// What the log and the metrics hear of an attempt's outcome: sent, dead, or to be retried.
import type { Logger } from 'pino';
import type { AttemptResult, ClaimedDelivery, SendEnding } from '../domain/delivery.ts';

export function reportOutcome(
  log: Logger,
  outcomes: AttemptResult[],
  batch: ClaimedDelivery[],
  onFinished?: (outcome: SendEnding, deliveries: ClaimedDelivery[]) => void,
): void {
  const byId = new Map(batch.map((d) => [d.id, d]));
  const deliveryOf = (o: AttemptResult) => byId.get(o.attempt.deliveryId) as ClaimedDelivery;
  const sent = outcomes.filter((o) => o.transition.to === 'sent');
  const dead = outcomes.filter((o) => o.transition.to === 'dead');
  const retrying = outcomes.filter((o) => o.transition.to === 'retry');
  if (sent.length > 0) {
    const dryRun = sent[0]?.attempt.outcome === 'dry_run';
    const first = deliveryOf(sent[0] as AttemptResult);
    log.info(
      { deliveries: sent.length, rule: first.rule, platform: first.platform, orders: sent.slice(0, 5).map((o) => deliveryOf(o).orderId) },
      dryRun ? 'broadcast recorded, not sent (DRY_RUN)' : 'broadcast sent',
    );
    onFinished?.(dryRun ? 'dry_run' : 'sent', sent.map(deliveryOf));
  }
  if (dead.length > 0) {
    const reason = (dead[0]?.transition as { reason: string } | undefined)?.reason;
    log.error({ deliveries: dead.length, orders: dead.slice(0, 5).map((o) => deliveryOf(o).orderId), reason }, 'delivery dead');
    onFinished?.('dead', dead.map(deliveryOf));
  }
  if (retrying.length > 0) {
    const first = retrying[0] as AttemptResult;
    log.warn(
      {
        deliveries: retrying.length,
        error: first.attempt.error,
        retryAt: new Date((first.transition as { at: number }).at).toISOString(),
      },
      'delivery will be retried',
    );
  }
}
