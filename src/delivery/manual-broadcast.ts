// The operator's manual broadcast (POST /admin/broadcasts): stored as deliveries like any order's,
// already claimed by this process so it is sent at once, through the same credentials, limits and
// retry policy; the caller gets MantaGO's answer.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { DEFAULT_FB_TAG, FB_TAGS, MESSAGE_MAX_LENGTHS, textLimitOf, type Content, type FbTag } from '../domain/content.ts';
import {
  ADMIN_SOURCE,
  type ClaimedDelivery,
  type DeliveryStatus,
  dedupeKey,
  type IncomingOrder,
  type RecordedOrder,
} from '../domain/delivery.ts';
import { isValidUserId, type Platform } from '../domain/recipient.ts';
import type { CallResult } from '../mantago/client.ts';
import type { OperatorView } from '../store/store.ts';
import { requestFingerprint } from './idempotency.ts';

export interface ManualBroadcast {
  platform: Platform;
  userIds: string[];
  intentId?: string;
  message?: string;
  fbTag?: string;
  name?: string;
}

/**
 * How a manual broadcast came out: sent to everyone; partly_sent (sent to some, refused for the
 * others: sending it again would reach the first twice); pending (MantaGO failed for now: the
 * worker retries); dead (MantaGO refused it for everyone).
 */
export const MANUAL_BROADCAST_STATUSES = ['sent', 'partly_sent', 'pending', 'dead'] as const;
export type ManualBroadcastStatus = (typeof MANUAL_BROADCAST_STATUSES)[number];

export interface ManualBroadcastResult {
  status: ManualBroadcastStatus;
  /** Each user's delivery and where it stands (pending when it could not be read back). */
  deliveries: { id: number; userId: string; status: DeliveryStatus }[];
  mantago: CallResult | undefined;
}

/** The broadcast's status from its deliveries'. */
function overall(statuses: readonly DeliveryStatus[]): ManualBroadcastStatus {
  if (statuses.includes('pending')) return 'pending';
  if (statuses.every((s) => s === 'sent')) return 'sent';
  return statuses.includes('sent') ? 'partly_sent' : 'dead';
}

/** Everything wrong with the request, for one 400. */
export function manualBroadcastProblems(request: ManualBroadcast, maxRecipients: number): string[] {
  const problems: string[] = [];
  if ((request.intentId === undefined) === (request.message === undefined))
    problems.push('give exactly one of intentId (a conversation module) or message (text)');
  if (request.userIds.length > maxRecipients) problems.push(`at most ${maxRecipients} userIds in one broadcast (BATCH_MAX_RECIPIENTS)`);
  const bad = request.userIds.filter((id) => !isValidUserId(request.platform, id));
  if (bad.length > 0) problems.push(`not ${request.platform} user ids: ${bad.slice(0, 5).join(', ')}`);
  // The schema counts characters as JSON Schema does (an emoji is one); MantaGO counts as LINE does.
  if (request.message !== undefined && request.message.length > MESSAGE_MAX_LENGTHS[request.platform])
    problems.push(`message is ${request.message.length} UTF-16 code units long (an emoji counts two); ${textLimitOf(request.platform)}`);
  // The store keeps no U+0000 (PostgreSQL's text cannot): the message sent would not be the one asked for.
  if (request.message?.includes('\u0000')) problems.push('message must not contain U+0000 (NUL)');
  if (request.fbTag !== undefined && !(FB_TAGS as readonly string[]).includes(request.fbTag))
    problems.push(`fbTag must be one of ${FB_TAGS.join(', ')}`);
  return problems;
}

/** The id of a broadcast asked with an Idempotency-Key: the key and when it was claimed (the same key a day later is a new broadcast). */
export const broadcastIdOf = (key: string, claimedAt: number): string => idOf(`${key}@${claimedAt}`);
/** A broadcast id from what names it. */
const idOf = (seed: string) => requestFingerprint(seed).slice(0, 32);

/**
 * The id of a broadcast run again because its first run never answered: the one that run stored its
 * deliveries under (`firstUserId`'s is looked up). A run by a version before 2026-12-07 named them
 * by the key alone: a run cut short by the upgrade is found so (stored since the key was claimed:
 * not an older broadcast under the same key), not sent a second time.
 */
export async function rerunBroadcastId(
  store: { findDelivery(dedupeKey: string): Promise<{ receivedAt: number } | undefined> },
  key: string,
  claimedAt: number,
  firstUserId: string,
): Promise<string> {
  const current = broadcastIdOf(key, claimedAt);
  const before = idOf(key);
  const stored = (id: string) => store.findDelivery(dedupeKey(ADMIN_SOURCE, ADMIN_SOURCE, `${id}:${firstUserId}`));
  if (await stored(current)) return current;
  const byKeyAlone = await stored(before);
  return byKeyAlone !== undefined && byKeyAlone.receivedAt >= claimedAt ? before : current;
}

export interface ManualBroadcastDeps {
  store: {
    recordOrder(incoming: IncomingOrder): Promise<RecordedOrder>;
    /** The deliveries of `ids` that `owner` holds, as a claim would return them. */
    leased(owner: string, ids: number[]): Promise<ClaimedDelivery[]>;
    operator: Pick<OperatorView, 'statuses'>;
  };
  worker: { owner: string; sendNow(claimed: ClaimedDelivery[], leaseUntil: number): Promise<CallResult | undefined> };
  leaseMs: number;
  log: Logger;
  clock: Clock;
}

/**
 * Stores one delivery per user, leased to this process, and sends them at once. `broadcastId`
 * names the broadcast (an Idempotency-Key's hash, or a fresh id): the deliveries' dedupe keys come
 * from it, so the same broadcast asked twice finds them stored and sends nothing more. Once they
 * are stored nothing makes it a failure: what could not be sent or read back is pending, and the
 * worker sends it.
 */
export async function sendManualBroadcast(
  deps: ManualBroadcastDeps,
  request: ManualBroadcast,
  broadcastId: string = randomUUID(),
): Promise<ManualBroadcastResult> {
  const userIds = [...new Set(request.userIds)];
  const content: Content = {
    ...(request.intentId !== undefined && { intentId: request.intentId }),
    ...(request.message !== undefined && { message: request.message }),
    ...(request.platform === 'facebook' && { fbTag: (request.fbTag ?? DEFAULT_FB_TAG) as FbTag }),
  };
  const name = (request.name ?? `admin broadcast ${broadcastId.slice(0, 8)}`).slice(0, 100);
  const receivedAt = deps.clock.now();
  const leasedTo = { owner: deps.worker.owner, until: receivedAt + deps.leaseMs };
  // Stored together: the store commits what arrives at once in one transaction.
  const recorded = await Promise.all(
    userIds.map((userId) => {
      const orderId = `${broadcastId}:${userId}`;
      return deps.store.recordOrder({
        dedupeKey: dedupeKey(ADMIN_SOURCE, ADMIN_SOURCE, orderId),
        source: ADMIN_SOURCE,
        shop: ADMIN_SOURCE,
        orderId,
        order: null,
        event: null,
        topic: 'admin/broadcast',
        receivedAt,
        plan: { kind: 'send', recipient: { platform: request.platform, userId, via: 'admin broadcast' }, rule: 'admin', content, name },
        batchKey: `admin:${broadcastId}`,
        leasedTo,
      });
    }),
  );
  const stored = recorded.map((r, i) => ({ id: r.deliveryId, userId: userIds[i] as string }));
  const ids = stored.map((d) => d.id);
  try {
    // Only what this request stored is sent here: a repeat's deliveries are another claim's (or sent).
    const fresh = ids.filter((_, i) => recorded[i]?.outcome === 'accepted');
    const claimed = fresh.length > 0 ? await deps.store.leased(deps.worker.owner, fresh) : [];
    const mantago = claimed.length > 0 ? await deps.worker.sendNow(claimed, leasedTo.until) : undefined;
    const statuses = await deps.store.operator.statuses(ids);
    const deliveries = stored.map((d) => ({ ...d, status: statuses.get(d.id) ?? ('pending' as const) }));
    return { status: overall(deliveries.map((d) => d.status)), deliveries, mantago };
  } catch (error) {
    deps.log.error(
      { err: error, deliveries: ids.length },
      'a manual broadcast was stored but could not be sent or read back: the worker sends it',
    );
    return { status: 'pending', deliveries: stored.map((d) => ({ ...d, status: 'pending' as const })), mantago: undefined };
  }
}
