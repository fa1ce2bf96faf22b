// Keeping a shop's webhooks alive: the connection checks and repairs them; here each repair is
// logged and counted, and what the check found is kept with the last repair of each of ours, for
// the operator (GET /admin/shops) on any replica.
import type { Logger } from 'pino';
import { DELIVERY_STAGES, type OrderEvent } from '../domain/order.ts';
import { type Rule, withdrawnByOf } from '../mapping/rules.ts';
import type { ShopMetrics } from '../metrics/shop-metrics.ts';
import { addressOrigin, maskUrlPassword } from '../secrets.ts';
import type { LastRepair, ShopConnection, ShopWebhook } from './connection.ts';

/**
 * A webhook as kept and shown: another app's address by its origin only (it may carry that app's
 * token: secrets.ts); ours without a password PUBLIC_URL may hold.
 */
export const keptWebhook = (w: ShopWebhook): ShopWebhook => ({
  ...w,
  address: w.ours ? maskUrlPassword(w.address) : addressOrigin(w.address),
});

/** What the last check found, as stored (webhooks_json). */
export interface WebhookState {
  checkedAt: number;
  webhooks: ShopWebhook[];
  error?: string;
}

/**
 * The events the mapping's rules need webhooks for: a held message's withdrawing events too (its
 * rule's withdrawnBy; a cancel, for a placed one), and a delivery stage its fulfillment's shipped
 * event (the tracking details).
 */
export function eventsNeeded(rules: readonly Rule[]): OrderEvent[] {
  const events = new Set(rules.flatMap((r) => r.when.event));
  for (const rule of rules.filter((r) => (r.delayMs ?? 0) > 0)) {
    for (const event of rule.when.event) for (const withdrawing of withdrawnByOf(rule, event)) events.add(withdrawing);
  }
  if (DELIVERY_STAGES.some((stage) => events.has(stage))) events.add('shipped');
  return [...events];
}

export function parseWebhookState(json: string | null): WebhookState | undefined {
  if (!json) return undefined;
  try {
    return JSON.parse(json) as WebhookState;
  } catch {
    return undefined;
  }
}

export async function keepWebhooks(
  connection: ShopConnection,
  options: {
    publicUrl: string;
    events: readonly OrderEvent[];
    previous: WebhookState | undefined;
    now: number;
    log: Logger;
    metrics: ShopMetrics;
    /** Runs the check, trying it again (from its listing) while the shop is throttled or not answering. */
    retrying: <T>(work: () => Promise<T>) => Promise<T>;
  },
): Promise<WebhookState> {
  const { log, metrics, now } = options;
  const source = connection.source;
  const earlier = new Map<string, LastRepair>();
  for (const w of options.previous?.webhooks ?? []) if (w.ours && w.lastRepair) earlier.set(w.topic, w.lastRepair);
  try {
    const check = await options.retrying(() => connection.keepWebhooks(options.publicUrl, options.events));
    for (const repair of check.repairs) {
      metrics.repaired(source, repair.action);
      earlier.set(repair.topic, { action: repair.action, at: now, ...(repair.error && { error: repair.error }) });
      if (repair.action === 'failed') log.warn({ source, topic: repair.topic, reason: repair.error }, 'shop webhook could not be repaired');
      else log.info({ source, topic: repair.topic, action: repair.action }, `shop webhook ${repair.action}`);
    }
    const webhooks = check.webhooks.map((w) => {
      const last = w.ours ? earlier.get(w.topic) : undefined;
      return keptWebhook(last ? { ...w, lastRepair: last } : w);
    });
    return { checkedAt: now, webhooks };
  } catch (error) {
    log.warn({ source, reason: (error as Error).message }, 'shop webhooks could not be checked');
    return { checkedAt: now, webhooks: (options.previous?.webhooks ?? []).map(keptWebhook), error: (error as Error).message };
  }
}
