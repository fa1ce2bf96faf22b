// The metrics of shop connections (issue 23), in the app's registry: events recovered by polls,
// polls by outcome, and webhook repairs by action. Labels come from the enumerations in reconcile/outcomes.ts.
import { Counter, type Registry } from 'prom-client';
import { POLL_OUTCOMES, type PollOutcome, REPAIR_ACTIONS, type RepairAction } from '../reconcile/outcomes.ts';

export class ShopMetrics {
  private readonly reconciled: Counter<'source'>;
  private readonly polls: Counter<'source' | 'outcome'>;
  private readonly repairs: Counter<'source' | 'action'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.reconciled = new Counter({
      name: 'notifier_reconciled_events_total',
      help: 'Order events stored by a poll of the shop (or a replay) that no webhook had brought, by source',
      labelNames: ['source'],
      registers,
    });
    this.polls = new Counter({
      name: 'notifier_shop_polls_total',
      help: `Polls of a connected shop, by source and outcome (${POLL_OUTCOMES.join(', ')})`,
      labelNames: ['source', 'outcome'],
      registers,
    });
    this.repairs = new Counter({
      name: 'notifier_shop_webhook_repairs_total',
      help: `Repairs of the shop's webhooks, by source and action (${REPAIR_ACTIONS.join(', ')})`,
      labelNames: ['source', 'action'],
      registers,
    });
  }

  recovered(source: string, count: number): void {
    if (count > 0) this.reconciled.inc({ source }, count);
  }

  polled(source: string, outcome: PollOutcome): void {
    this.polls.inc({ source, outcome });
  }

  repaired(source: string, action: RepairAction): void {
    this.repairs.inc({ source, action });
  }
}
