// A pass rests between pages in proportion to the time storing a page took, so webhooks arriving
// meanwhile keep most of the CPU: seen through the pass's seams (its clock, its sleep, its intake).
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.ts';
import type { IntakeResult } from '../../src/delivery/intake.ts';
import type { ReceivedOrder } from '../../src/domain/order.ts';
import type { OrderPage, ShopConnection } from '../../src/reconcile/connection.ts';
import { MAX_PAGES_PER_PASS, runPass } from '../../src/reconcile/pass.ts';
import { ShopCallError } from '../../src/reconcile/shop-call.ts';

const event = (orderId: string) => ({ order: { orderId, event: 'order_created' }, scope: 'shop.test' }) as unknown as ReceivedOrder;

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
async function pass(count: number, perPage: number, storeMs: number, stopAfterFirstEvent = false, sideBySide?: () => number) {
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
      ...(sideBySide && { sideBySide }),
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

  it('rests as many times longer as passes run side by side (two shops catching up), so together they still store a fifteenth of the time', async () => {
    expect((await pass(3, 5, 2, false, () => 2)).rests).toEqual([280, 280]);
    expect((await pass(2, 1, 60_000, false, () => 2)).rests).toEqual([2_000]);
  });

  it('does not rest once the service is stopping', async () => {
    expect((await pass(3, 1, 5, true)).rests).toEqual([]);
  });

  /** A pass over a connection whose pages `answer` gives; the page reads and the watermark steps it made. */
  async function over(answer: (cursor: string | undefined) => Promise<OrderPage>) {
    const clock: Clock = { now: () => 1_000_000, setTimer: () => () => {}, sleep: async () => {} };
    const reads: (string | undefined)[] = [];
    const steps: number[] = [];
    const connection = {
      ...pages(1, 1),
      page: async (_window: unknown, cursor: string | undefined) => {
        reads.push(cursor);
        return answer(cursor);
      },
    };
    const run = runPass(
      connection as ShopConnection,
      { since: 0 },
      {
        clock,
        intake: async () => ({ outcome: 'accepted' }) as IntakeResult,
        stopped: () => false,
        sleep: async () => {},
        onPage: async (through) => {
          steps.push(through);
          return true;
        },
      },
    );
    return { run, reads, steps };
  }

  it("ends with the shop's trouble when paging does not move on: the same cursor again", async () => {
    const same = await over(async () => ({ orders: 1, events: [event('1')], through: 5, next: 'c1' }));
    await expect(same.run).rejects.toThrow(new ShopCallError('unreachable', 'shopify paged without end (the same cursor again)'));
    expect(same.reads).toEqual([undefined, 'c1']);
    expect(same.steps).toEqual([5, 5]); // what it read is stored and counted first
  });

  it('goes on past an empty page with more to come (a shop that counted orders it could not load), within the page bound', async () => {
    let n = 0;
    const { run, reads } = await over(async (cursor) =>
      cursor === undefined
        ? { orders: 0, events: [], through: undefined, next: `c${++n}` }
        : { orders: 1, events: [event('2')], through: 2, next: undefined },
    );
    expect((await run).orders).toBe(1);
    expect(reads).toEqual([undefined, 'c1']);
    let m = 0;
    const endless = await over(async () => ({ orders: 0, events: [], through: undefined, next: `c${++m}` }));
    expect((await endless.run).orders).toBe(0);
    expect(endless.reads).toHaveLength(MAX_PAGES_PER_PASS);
  });

  it('ends after a bounded number of pages, however many the shop says are left', async () => {
    let n = 0;
    const { run, reads } = await over(async () => ({ orders: 1, events: [event(String(n))], through: n, next: `c${++n}` }));
    const result = await run;
    expect(result.orders).toBe(MAX_PAGES_PER_PASS);
    expect(reads).toHaveLength(MAX_PAGES_PER_PASS);
    // Orders were left: where to go on from is the latest update time stored through.
    expect(result.resumeFrom).toBe(MAX_PAGES_PER_PASS - 1);
  });

  it('says nothing of going on when it read to the window’s end', async () => {
    const { counts } = await pass(3, 2, 1);
    expect(counts).toEqual({ orders: 6, new: 6, duplicates: 0, ignored: 0, unreadable: 0 });
  });

  /** A pass with a deadline 20 s on, each page taking `pageMs` to read; `fail` makes a read throw instead. */
  async function byDeadline(pageMs: number, fail?: (cursor: string | undefined) => ShopCallError | undefined) {
    let now = 1_000_000;
    const clock: Clock = { now: () => now, setTimer: () => () => {}, sleep: async () => {} };
    const reads: (string | undefined)[] = [];
    const waits: number[] = [];
    const connection = {
      ...pages(10, 1),
      page: async (window: { since: number }, cursor: string | undefined) => {
        reads.push(cursor);
        now += pageMs;
        const error = fail?.(cursor);
        if (error) throw error;
        return pages(10, 1).page(window, cursor);
      },
    };
    const run = runPass(
      connection as ShopConnection,
      { since: 500 },
      {
        clock,
        intake: async () => ({ outcome: 'accepted' }) as IntakeResult,
        stopped: () => false,
        deadline: now + 20_000,
        sleep: async (ms) => {
          waits.push(ms);
          now += ms;
        },
      },
    );
    return { run, reads, waits };
  }

  it('begins no page past its deadline, and says where to go on from', async () => {
    const { run, reads } = await byDeadline(8_000);
    expect(await run).toMatchObject({ orders: 3, new: 3, resumeFrom: 2 });
    expect(reads).toEqual([undefined, '1', '2']);
  });

  it('waits for the shop no longer than its deadline; trouble past it answers what was stored, trouble on the first page is the shop’s', async () => {
    const throttled = () => new ShopCallError('throttled', 'Shopify throttled the query (THROTTLED)', 60_000);
    const second = await byDeadline(1_000, (cursor) => (cursor === '1' ? throttled() : undefined));
    expect(await second.run).toMatchObject({ orders: 1, new: 1, resumeFrom: 0 });
    expect(second.waits).toEqual([18_000]); // to the deadline, not the minute asked
    const first = await byDeadline(1_000, () => throttled());
    await expect(first.run).rejects.toThrow(throttled());
    expect(first.waits).toEqual([19_000]);
  });

  it("an answer the connection cannot read is the shop's trouble (retried, then said), not an error of ours", async () => {
    const { run, reads } = await over(async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'nodes')");
    });
    await expect(run).rejects.toThrow(
      new ShopCallError(
        'unreachable',
        "shopify answered orders that could not be read (Cannot read properties of undefined (reading 'nodes'))",
      ),
    );
    expect(reads.length).toBeGreaterThan(1); // backed off and tried again, as any unanswered call
  });

  it('tells of the orders a page held that could not be read, page by page', async () => {
    const told: { count: number; problem: string }[] = [];
    const clock: Clock = { now: () => 1_000_000, setTimer: () => () => {}, sleep: async () => {} };
    const connection = {
      ...pages(1, 1),
      page: async (): Promise<OrderPage> => ({
        orders: 3,
        events: [event('1')],
        through: 1,
        next: undefined,
        unreadable: { count: 2, problem: 'quantity must be integer' },
      }),
    };
    const counts = await runPass(
      connection as ShopConnection,
      { since: 0 },
      {
        clock,
        intake: async () => ({ outcome: 'accepted' }) as IntakeResult,
        stopped: () => false,
        onUnreadable: (unreadable) => told.push(unreadable),
      },
    );
    expect(told).toEqual([{ count: 2, problem: 'quantity must be integer' }]);
    expect(counts).toMatchObject({ orders: 3, new: 1, unreadable: 2 });
  });
});
