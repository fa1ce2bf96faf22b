// Deliveries waiting at the same time with the same platform and content go out as one broadcast.
import { hash } from 'node:crypto';
import type { Content } from '../domain/content.ts';
import type { ClaimedDelivery } from '../domain/delivery.ts';
import type { Platform } from '../domain/recipient.ts';
import type { BroadcastRequest } from '../mantago/api.ts';

/** Batch keys by what they are made of: most webhooks share a few rules' contents, so the hash is mostly made once. */
const known = new Map<string, string>();
const KNOWN_MAX = 1_000;

/** Deliveries with equal keys can share one broadcast: same platform, module or text, and tag. */
export function batchKey(platform: Platform, content: Content): string {
  const made = JSON.stringify([platform, content.intentId ?? null, content.message ?? null, content.fbTag ?? null]);
  let key = known.get(made);
  if (key === undefined) {
    // The one-shot hash: a Hash object per webhook costs several times more.
    key = hash('sha256', made, 'base64url').slice(0, 22);
    if (known.size >= KNOWN_MAX) known.clear(); // texts made from each order would otherwise pile up
    known.set(made, key);
  }
  return key;
}

/**
 * Splits claimed deliveries into the one broadcast to send now and those that must wait for the
 * next: a customer with two orders gets two messages, not one broadcast naming them twice.
 */
export function oneRecipientEach(claimed: ClaimedDelivery[]): { batch: ClaimedDelivery[]; later: ClaimedDelivery[] } {
  const seen = new Set<string>();
  const batch: ClaimedDelivery[] = [];
  const later: ClaimedDelivery[] = [];
  for (const delivery of claimed) {
    if (seen.has(delivery.clientId)) later.push(delivery);
    else {
      seen.add(delivery.clientId);
      batch.push(delivery);
    }
  }
  return { batch, later };
}

/** The broadcast for deliveries that share a batch key. */
export function broadcastRequest(batch: ClaimedDelivery[], secret: string): BroadcastRequest {
  const first = batch[0];
  if (!first) throw new Error('a broadcast needs at least one delivery');
  return {
    secret,
    platform: first.platform,
    clientIds: batch.map((d) => d.clientId),
    ...(first.intentId !== null && { intentId: first.intentId }),
    ...(first.message !== null && { message: first.message }),
    ...(first.fbTag !== null && { fbTag: first.fbTag }),
    // MantaGO's dashboard lists broadcasts by name: one order's is its rule and number.
    // A manual broadcast's deliveries share the name the operator gave it.
    name: batch.every((d) => d.name === first.name)
      ? first.name
      : `${first.rule}: ${batch.length} orders from ${first.name.slice(first.rule.length + 1)}`,
  };
}
