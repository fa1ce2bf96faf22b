// What the operator sees of the shop connections (GET /admin/shops, the console's overview): per
// connected source its settings (secrets as set/unset), the last poll, the watermark, the next
// poll, and the shop's webhooks with their state and last repair — read from the store, so every
// replica shows the same.
import { maskUrlPassword } from '../secrets.ts';
import type { ShopConnectionStore } from '../store/store.ts';
import type { ShopWebhook } from './connection.ts';
import type { ConnectedSource, PollOutcome } from './outcomes.ts';
import type { ShopPoller } from './poller.ts';
import { keptWebhook, parseWebhookState } from './webhook-keeper.ts';

export interface ShopView {
  source: ConnectedSource;
  settings: Record<string, string>;
  polling: { intervalS: number; publicUrl: string | null };
  lastPoll: { at: number; outcome: PollOutcome; error: string | null; orders: number; recovered: number } | null;
  watermark: number | null;
  connectedAt: number | null;
  nextPollAt: number | null;
  webhooks: { checkedAt: number; error: string | null; list: ShopWebhook[] } | null;
}

export async function describeShops(
  poller: ShopPoller,
  store: ShopConnectionStore,
  polling: { intervalS: number; publicUrl: string | undefined },
): Promise<ShopView[]> {
  const rows = new Map((await store.listShopConnections()).map((r) => [r.source, r]));
  return poller.connections.map((connection) => {
    const row = rows.get(connection.source);
    const hooks = parseWebhookState(row?.webhooksJson ?? null);
    return {
      source: connection.source,
      settings: connection.settings,
      polling: { intervalS: polling.intervalS, publicUrl: polling.publicUrl === undefined ? null : maskUrlPassword(polling.publicUrl) },
      lastPoll:
        row?.lastPollAt != null && row.lastOutcome
          ? { at: row.lastPollAt, outcome: row.lastOutcome, error: row.lastError, orders: row.lastOrders, recovered: row.lastRecovered }
          : null,
      watermark: row?.watermark ?? null,
      connectedAt: row?.connectedAt ?? null,
      nextPollAt: row && polling.intervalS > 0 ? row.nextPollAt : null,
      // As kept (webhook-keeper.ts), also a list stored before other apps' addresses were kept by their origin.
      webhooks: hooks ? { checkedAt: hooks.checkedAt, error: hooks.error ?? null, list: hooks.webhooks.map(keptWebhook) } : null,
    };
  });
}
