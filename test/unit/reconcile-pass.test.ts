// A pass rests between pages in proportion to the time storing a page took, so webhooks arriving
// meanwhile keep most of the CPU: seen through the pass's seams (its clock, its sleep, its intake).
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.ts';
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

describe('a reconciliation pass', () => {
  it('rests nine times as long as each page took to store, and not after the last page', async () => {
    let now = 1_000_000;
    const clock: Clock = { now: () => now, setTimer: () => () => {}, sleep: async () => {} };
    const rests: number[] = [];
    const counts = await runPass(
      pages(3, 5),
      { since: 0 },
      {
        clock,
        // storing one event takes 2 ms of the clock's time
        intake: async () => {
          now += 2;
          return { outcome: 'accepted' } as Awaited<ReturnType<Parameters<typeof runPass>[2]['intake']>>;
        },
        stopped: () => false,
        sleep: async (ms) => {
          rests.push(ms);
          now += ms;
        },
      },
    );
    expect(counts).toMatchObject({ orders: 15, new: 15 });
    expect(rests).toEqual([90, 90]);
  });

  it('rests at most a second when the clock jumps while a page is stored', async () => {
    let now = 0;
    const rests: number[] = [];
    await runPass(
      pages(2, 1),
      { since: 0 },
      {
        clock: { now: () => now, setTimer: () => () => {}, sleep: async () => {} },
        intake: async () => {
          now += 60_000;
          return { outcome: 'accepted' } as Awaited<ReturnType<Parameters<typeof runPass>[2]['intake']>>;
        },
        stopped: () => false,
        sleep: async (ms) => {
          rests.push(ms);
        },
      },
    );
    expect(rests).toEqual([1_000]);
  });

  it('does not rest once the service is stopping', async () => {
    let now = 0;
    let stopping = false;
    const rests: number[] = [];
    await runPass(
      pages(3, 1),
      { since: 0 },
      {
        clock: { now: () => now, setTimer: () => () => {}, sleep: async () => {} },
        intake: async () => {
          now += 5;
          stopping = true;
          return { outcome: 'duplicate' } as Awaited<ReturnType<Parameters<typeof runPass>[2]['intake']>>;
        },
        stopped: () => stopping,
        sleep: async (ms) => {
          rests.push(ms);
        },
      },
    );
    expect(rests).toEqual([]);
  });
});
