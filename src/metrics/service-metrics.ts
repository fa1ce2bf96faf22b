// Prometheus metrics, in a registry of this app's own (two apps in one process must not clash).
// Labels are small fixed sets: never an order or a customer id.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../clock.ts';
import type { CredentialsStatus } from '../domain/credentials.ts';
import { DELIVERY_ENDINGS, INTAKE_OUTCOMES, type SendEnding } from '../domain/delivery.ts';
import { ENDPOINTS } from '../mantago/client.ts';
import type { RefreshOutcome } from '../mantago/renewal.ts';
import { MANTAGO_USABILITY, type MantagoUsability } from '../mantago/usability.ts';
import type { QueueStats } from '../store/store.ts';
import { ShopMetrics } from './shop-metrics.ts';

/** What became of a webhook: the `outcome` label of notifier_webhooks_total. */
export const WEBHOOK_OUTCOMES = [
  ...INTAKE_OUTCOMES,
  'ping',
  'bad_signature',
  'invalid',
  'disabled',
  'overloaded',
  'store_unavailable',
  'error',
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

export interface MetricsSources {
  queueStats: () => Promise<QueueStats>;
  credentials: () => CredentialsStatus;
  /** Whether MantaGO takes the bot's calls, or why not. */
  mantago: () => MantagoUsability;
}

export class ServiceMetrics {
  private watched = false;
  readonly registry = new Registry();
  private readonly webhooks: Counter<'source' | 'outcome'>;
  readonly deliveries: Counter<'outcome'>;
  readonly calls: Histogram<'endpoint' | 'outcome'>;
  readonly deliveryLatency: Histogram;
  readonly refreshes: Counter<'outcome'>;
  /** Shop connections' polls and webhook repairs (shop-metrics.ts). */
  readonly shops: ShopMetrics;
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.webhooks = new Counter({
      name: 'notifier_webhooks_total',
      help: `Webhooks received, by source and outcome (${WEBHOOK_OUTCOMES.join(', ')})`,
      labelNames: ['source', 'outcome'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'notifier_deliveries_total',
      help: `Deliveries that reached an end, by outcome (${DELIVERY_ENDINGS.join(', ')})`,
      labelNames: ['outcome'],
      registers,
    });
    this.calls = new Histogram({
      name: 'notifier_mantago_call_duration_seconds',
      help: `MantaGO calls, by endpoint (${ENDPOINTS.join(', ')}) and outcome (ok, expired, superseded, refused, unreachable)`,
      labelNames: ['endpoint', 'outcome'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'notifier_delivery_latency_seconds',
      help: 'From webhook receipt to MantaGO accepting the broadcast',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers,
    });
    this.refreshes = new Counter({
      name: 'notifier_credential_refreshes_total',
      help: 'MantaGO token refreshes, by outcome (renewed, adopted from another replica, unavailable, rejected)',
      labelNames: ['outcome'],
      registers,
    });
    this.shops = new ShopMetrics(this.registry);
  }

  /** One webhook's outcome, by source. */
  webhook(source: string, outcome: WebhookOutcome): void {
    this.webhooks.inc({ source, outcome });
  }

  /** Read when scraped: the store and the credentials are the truth, shared by every replica. */
  watch(sources: MetricsSources): void {
    if (this.watched) throw new Error('metrics already watch a store');
    this.watched = true;
    const registers = [this.registry];
    const clock = this.clock;
    let stats: Promise<QueueStats> | undefined;
    const read = () => (stats ??= sources.queueStats().finally(() => setImmediate(() => (stats = undefined))));
    // A store out of reach leaves these as last read: a scrape must still answer then, with the
    // webhooks' counts that say so (store_unavailable) and /readyz's.
    const queue = () => read().catch(() => undefined);
    new Gauge({
      name: 'notifier_deliveries_pending',
      help: 'Deliveries waiting to be sent (in the whole store)',
      registers,
      async collect() {
        const q = await queue();
        if (q) this.set(q.pending);
      },
    });
    new Gauge({
      name: 'notifier_oldest_pending_delivery_age_seconds',
      help: 'How long the longest-waiting pending delivery has waited since it fell due (0 when none is due)',
      registers,
      async collect() {
        const q = await queue();
        if (q) this.set(q.oldestPendingSince === undefined ? 0 : Math.max(0, (clock.now() - q.oldestPendingSince) / 1000));
      },
    });
    new Gauge({
      name: 'notifier_deliveries_dead',
      help: 'Dead deliveries kept in the store (until redriven or pruned)',
      registers,
      async collect() {
        const q = await queue();
        if (q) this.set(q.dead);
      },
    });
    new Gauge({
      name: 'notifier_credentials_expiry_timestamp_seconds',
      help: 'When the MantaGO token in use expires (Unix time)',
      registers,
      collect() {
        this.set(sources.credentials().expiresAt / 1000);
      },
    });
    new Gauge({
      name: 'notifier_credentials_usable',
      help: '1 while the MantaGO credentials are usable, 0 once MantaGO rejected them',
      registers,
      collect() {
        this.set(sources.credentials().state === 'ok' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'notifier_mantago_usable',
      help: `1 while MantaGO takes the bot's calls (reason ok), else 0 with why (reason: ${MANTAGO_USABILITY.join(', ')}); alert on 0`,
      labelNames: ['reason'],
      registers,
      collect() {
        const reason = sources.mantago();
        this.reset();
        this.set({ reason }, reason === 'ok' ? 1 : 0);
      },
    });
  }

  /** Deliveries that reached an end; the sent ones also give their latency from receipt. */
  finished(outcome: SendEnding, deliveries: readonly { receivedAt: number }[], now = this.clock.now()): void {
    this.deliveries.inc({ outcome }, deliveries.length);
    if (outcome === 'dead') return;
    for (const d of deliveries) this.deliveryLatency.observe((now - d.receivedAt) / 1000);
  }

  refreshed(outcome: RefreshOutcome): void {
    this.refreshes.inc({ outcome });
  }
}
