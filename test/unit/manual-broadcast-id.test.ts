// The id a manual broadcast with an Idempotency-Key stores its deliveries under: the key and when it
// was claimed; run again (its first run never answered), the id that run used, one made by the
// version before the claim's time was part of it (the key alone) included.
import { expect, test } from 'vitest';
import { ADMIN_SOURCE, dedupeKey } from '../../src/domain/delivery.ts';
import { requestFingerprint } from '../../src/delivery/idempotency.ts';
import { broadcastIdOf, rerunBroadcastId } from '../../src/delivery/manual-broadcast.ts';

const user = `U${'a'.repeat(32)}`;
/** A store holding a delivery of each id, stored at `receivedAt`. */
const storeHolding = (receivedAt: number, ...ids: string[]) => ({
  findDelivery: async (key: string) =>
    ids.some((id) => dedupeKey(ADMIN_SOURCE, ADMIN_SOURCE, `${id}:${user}`) === key) ? { receivedAt } : undefined,
});

test('a key claimed anew is a new broadcast; a rerun finds the deliveries its first run stored, by either version', async () => {
  const legacy = requestFingerprint('promo').slice(0, 32);
  const current = broadcastIdOf('promo', 1_000);
  expect(current).not.toBe(broadcastIdOf('promo', 2_000));
  expect(current).not.toBe(legacy);
  // Nothing stored yet (the first run died before storing): this version's id.
  expect(await rerunBroadcastId(storeHolding(1_000), 'promo', 1_000, user)).toBe(current);
  // Stored by this version's first run.
  expect(await rerunBroadcastId(storeHolding(1_000, current), 'promo', 1_000, user)).toBe(current);
  // Stored by the version before, cut short by the upgrade: its id, so nothing is sent twice.
  expect(await rerunBroadcastId(storeHolding(1_010, legacy), 'promo', 1_000, user)).toBe(legacy);
  // Stored under the key alone by an older broadcast (the key used again a week on): not this one's.
  expect(await rerunBroadcastId(storeHolding(500, legacy), 'promo', 1_000, user)).toBe(current);
});
