// A shop call's backoff (reconcile/backoff.ts) through its sleep seam: what it waits between tries.
import { expect, test } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { withBackoff } from '../../src/reconcile/backoff.ts';
import { ShopCallError } from '../../src/reconcile/shop-call.ts';

/** Fails `times` with `error`, then answers. */
async function waitsFor(times: number, error: () => ShopCallError): Promise<number[]> {
  const waits: number[] = [];
  let calls = 0;
  await withBackoff(
    systemClock,
    async () => {
      if (++calls <= times) throw error();
      return 'ok';
    },
    { sleep: async (ms) => void waits.push(ms) },
  );
  return waits;
}

test('a 503 without Retry-After doubles from a second', async () => {
  expect(await waitsFor(3, () => new ShopCallError('unreachable', 'shop answered HTTP 503'))).toEqual([1_000, 2_000, 4_000]);
});

test('a Retry-After the shop gives is waited as asked', async () => {
  expect(await waitsFor(2, () => new ShopCallError('throttled', 'shop answered 429', 3_000))).toEqual([3_000, 3_000]);
});

test('Retry-After: 0 is no reason to hammer the shop: the tries back off as without it', async () => {
  expect(await waitsFor(3, () => new ShopCallError('unreachable', 'shop answered HTTP 503', 0))).toEqual([1_000, 2_000, 4_000]);
});
