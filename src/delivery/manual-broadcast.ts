// The operator's manual broadcast (POST /admin/broadcasts): stored as deliveries like any order's,
// already claimed by this process so it is sent at once, through the same credentials, limits and
// retry policy; the caller gets MantaGO's answer.
import { randomUUID } from 'node:crypto';
import { isValidUserId, type Platform } from '../mapping/platform.ts';
import { DEFAULT_FB_TAG, FB_TAGS, type Content } from '../mapping/rules.ts';
import type { CallResult } from '../mantago/client.ts';
import type { ClaimedDelivery, DeliveryStatus, Store } from '../store/store.ts';
import type { DeliveryWorker } from './worker.ts';

export interface ManualBroadcast {
  platform: Platform;
  userIds: string[];
  intentId?: string;
  message?: string;
  fbTag?: string;
  name?: string;
}

export interface ManualBroadcastResult {
  /** sent; pending (MantaGO failed for now: the worker retries); dead (MantaGO refused it). */
  status: DeliveryStatus;
  deliveries: { id: number; userId: string }[];
  mantago: CallResult | undefined;
}

/** Everything wrong with the request, for one 400. */
export function manualBroadcastProblems(request: ManualBroadcast, maxRecipients: number): string[] {
  const problems: string[] = [];
  if ((request.intentId === undefined) === (request.message === undefined)) problems.push('give exactly one of intentId (a conversation module) or message (text)');
  if (request.userIds.length > maxRecipients) problems.push(`at most ${maxRecipients} userIds in one broadcast (BATCH_MAX_RECIPIENTS)`);
  const bad = request.userIds.filter((id) => !isValidUserId(request.platform, id));
  if (bad.length > 0) problems.push(`not ${request.platform} user ids: ${bad.slice(0, 5).join(', ')}`);
  if (request.fbTag !== undefined && !(FB_TAGS as readonly string[]).includes(request.fbTag)) problems.push(`fbTag must be one of ${FB_TAGS.join(', ')}`);
  return problems;
}

export async function sendManualBroadcast(
  deps: { store: Store; worker: DeliveryWorker; leaseMs: number },
  request: ManualBroadcast,
): Promise<ManualBroadcastResult> {
  const broadcastId = randomUUID();
  const userIds = [...new Set(request.userIds)];
  const content: Content = {
    ...(request.intentId !== undefined && { intentId: request.intentId }),
    ...(request.message !== undefined && { message: request.message }),
    ...(request.platform === 'facebook' && { fbTag: (request.fbTag ?? DEFAULT_FB_TAG) as Content['fbTag'] }),
  };
  const name = (request.name ?? `admin broadcast ${broadcastId.slice(0, 8)}`).slice(0, 100);
  const receivedAt = Date.now();
  const leasedTo = { owner: deps.worker.owner, until: receivedAt + deps.leaseMs };
  // Stored together: the store commits orders that arrive at once in one transaction.
  const claimed = await Promise.all(userIds.map(async (userId): Promise<ClaimedDelivery> => {
    const orderId = `${broadcastId}:${userId}`;
    const recorded = await deps.store.recordOrder({
      order: { source: 'admin', shop: 'admin', orderId, total: '0', currency: 'XXX', customer: {}, attributes: {} },
      topic: 'admin/broadcast',
      receivedAt,
      plan: { kind: 'send', recipient: { platform: request.platform, userId, via: 'admin broadcast' }, rule: 'admin', content, name },
      batchKey: `admin:${broadcastId}`,
      leasedTo,
    });
    return {
      id: recorded.deliveryId,
      source: 'admin',
      orderId,
      platform: request.platform,
      clientId: userId,
      rule: 'admin',
      intentId: content.intentId ?? null,
      message: content.message ?? null,
      fbTag: content.fbTag ?? null,
      name,
      attempts: 0,
      receivedAt,
      waitingSince: receivedAt,
    };
  }));
  const mantago = await deps.worker.sendNow(claimed, leasedTo.until);
  const statuses = [...(await deps.store.operator.statuses(claimed.map((d) => d.id))).values()];
  const status = statuses.includes('pending') ? 'pending' : statuses.length === claimed.length && statuses.every((s) => s === 'sent') ? 'sent' : 'dead';
  return { status, deliveries: claimed.map((d) => ({ id: d.id, userId: d.clientId })), mantago };
}
