// The deliveries a process's sends hold, through their seam: a claim at a time past a held lease
// leaves them out until the send holding them has settled, however it settles.
import { expect, test } from 'vitest';
import { HeldDeliveries } from '../../src/delivery/held.ts';
import { LEASE_MARGIN_MS, Lease } from '../../src/delivery/lease.ts';

const TERMS = { leaseMs: 60_000, callTimeoutMs: 10_000 };
const lease = (until: number) => new Lease(until, TERMS, 'w/1');
const batch = (...ids: number[]) => ids.map((id) => ({ id }));

test('nothing is left out while every held lease still runs (a claim then is the plain one)', () => {
  const held = new HeldDeliveries();
  void held.during(batch(1, 2), lease(60_000), () => new Promise(() => {}));
  expect(held.runOutBy(0)).toBeUndefined();
  expect(held.runOutBy(60_000 - LEASE_MARGIN_MS - 1)).toBeUndefined();
  expect(held.runOutBy(60_000 - LEASE_MARGIN_MS)).toEqual([1, 2]);
});

test('a send that settles, or fails, no longer holds its deliveries', async () => {
  const held = new HeldDeliveries();
  let finish = () => {};
  const sent = held.during(batch(1), lease(1_000), () => new Promise<void>((resolve) => (finish = resolve)));
  const failed = held.during(batch(2), lease(1_000), () => Promise.reject(new Error('store down')));
  await expect(failed).rejects.toThrow('store down');
  expect(held.runOutBy(5_000)).toEqual([1]);
  finish();
  await sent;
  expect(held.runOutBy(5_000)).toBeUndefined();
});

test('a renewed lease is followed; a half sent under its own lease lets go of its half only', async () => {
  const held = new HeldDeliveries();
  const claim = lease(10_000);
  let releaseOuter = () => {};
  const outer = held.during(batch(1, 2, 3, 4), claim, async () => {
    await held.during(batch(1, 2), claim.forPart(), async () => undefined); // the first half, sent and recorded
    await new Promise<void>((resolve) => (releaseOuter = resolve));
  });
  await new Promise((resolve) => setImmediate(resolve));
  expect(held.runOutBy(20_000)).toEqual([3, 4]);
  claim.until = 30_000; // renewed before the second half's call
  expect(held.runOutBy(20_000)).toBeUndefined();
  releaseOuter();
  await outer;
  expect(held.runOutBy(40_000)).toBeUndefined();
});
