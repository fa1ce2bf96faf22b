// A pass rests between pages in proportion to the time storing a page took, so webhooks arriving
// meanwhile keep most of the CPU: seen through the pass's seams (its clock, its sleep, its intake).
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.ts';
import type { IntakeResult } from '../../src/delivery/intake.ts';
import type { OrderPage, ReceivedEvent, ShopConnection } from '../../src/reconcile/connection.ts';
import { runPass } from '../../src/reconcile/pass.ts';

const event = (orderId: string) => ({ order: { orderId, event: 'order_created' }, scope: 'shop.test' }) as unknown as ReceivedEvent;

function pages(count: number, perPage: number): ShopConnection {
  return {
    source: 'shopify',
    settings: {},
    async page(_window, cursor): Promise<OrderPage> {
      const index = cursor === undefined ? 0 : Number(cursor);
      const events = Array.from({ length: perPage }, (_, i) => event(`${index}-${i}`));
      return { orders: perPage, events, through: index, next: index + 1 < count ? String(index + 1) : undefined };
    },
    keepWebhooks: async () => ({ webhooks: [], repairs: [] }),
    close: async () => {},
  } as ShopConnection;
}

/** A pass over `count` pages of `perPage` events, each event taking `storeMs` of the clock's time to store; the rests it took. */
async function pass(count: number, perPage: number, storeMs: number, stopAfterFirstEvent = false) {
  let now = 1_000_000;
  let stopping = false;
  const clock: Clock = { now: () => now, setTimer: () => () => {}, sleep: async () => {} };
  const rests: number[] = [];
  const counts = await runPass(
    pages(count, perPage),
    { since: 0 },
    {
      clock,
      intake: async () => {
        now += storeMs;
        stopping = stopAfterFirstEvent;
        return { outcome: 'accepted' } as IntakeResult;
      },
      stopped: () => stopping,
      sleep: async (ms) => {
        rests.push(ms);
        now += ms;
      },
    },
  );
  return { counts, rests };
}

describe('a reconciliation pass', () => {
  it('rests fourteen times as long as each page took to store, and not after the last page', async () => {
    const { counts, rests } = await pass(3, 5, 2);
    expect(counts).toMatchObject({ orders: 15, new: 15 });
    expect(rests).toEqual([140, 140]);
  });

  it('rests at most a second when the clock jumps while a page is stored', async () => {
    expect((await pass(2, 1, 60_000)).rests).toEqual([1_000]);
  });

  it('does not rest once the service is stopping', async () => {
    expect((await pass(3, 1, 5, true)).rests).toEqual([]);
  });
});
