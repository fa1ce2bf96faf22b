// The id a manual broadcast with an Idempotency-Key stores its deliveries under: the key and when it
// was claimed; run again (its first run never answered), the id that run used, one made by the
// version before the claim's time was part of it (the key alone) included.
import { expect, test } from 'vitest';
import { ADMIN_SOURCE, dedupeKey } from '../../src/domain/delivery.ts';
import { broadcastIdOf, rerunBroadcastId } from '../../src/delivery/manual-broadcast.ts';
import { requestFingerprint } from '../../src/delivery/idempotency.ts';

const user = `U${'a'.repeat(32)}`;
const storeHolding = (...ids: string[]) => ({
  findDelivery: async (key: string) => (ids.some((id) => dedupeKey(ADMIN_SOURCE, ADMIN_SOURCE, `${id}:${user}`) === key) ? {} : undefined),
});

test('a key claimed anew is a new broadcast; a rerun finds the deliveries its first run stored, by either version', async () => {
  const legacy = requestFingerprint('promo').slice(0, 32);
  expect(broadcastIdOf('promo', 1_000)).not.toBe(broadcastIdOf('promo', 2_000));
  expect(broadcastIdOf('promo', 1_000)).not.toBe(legacy);
  // Nothing stored yet (the first run died before storing): this version's id.
  expect(await rerunBroadcastId(storeHolding(), 'promo', 1_000, user)).toBe(broadcastIdOf('promo', 1_000));
  // Stored by this version's first run.
  expect(await rerunBroadcastId(storeHolding(broadcastIdOf('promo', 1_000)), 'promo', 1_000, user)).toBe(broadcastIdOf('promo', 1_000));
  // Stored by the version before, cut short by the upgrade: its id, so nothing is sent twice.
  expect(await rerunBroadcastId(storeHolding(legacy), 'promo', 1_000, user)).toBe(legacy);
});
