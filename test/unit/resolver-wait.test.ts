// How soon the resolver looks again at an event that waits, through its seam (the store's calls): a
// tenth of the time it has waited, from a second up to a minute, whatever it waits for. A stage whose
// order's placed message waits out a MantaGO outage costs a claim a minute, not one a second.
import pino from 'pino';
import { expect, test } from 'vitest';
import { orderEventKey } from '../../src/domain/delivery.ts';
import type { StoredOrder } from '../../src/domain/order.ts';
import type { Lease } from '../../src/delivery/lease.ts';
import { Resolver, type ResolverDeps } from '../../src/delivery/resolver.ts';
import { parseMapping } from '../../src/mapping/mapping-file.ts';
import type { UnresolvedDelivery } from '../../src/store/store.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const mapping = parseMapping(
  `recipients:
  - mantago: { customerId: "{{customer.id}}" }
rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
  - name: shipped
    when: { event: shipped }
    send: { intentId: shipMod01 }
`,
  'mapping.yaml',
);
const placedKey = 'shopify\u001f\u001f1001';
const order = (event: 'placed' | 'shipped'): StoredOrder => ({
  source: 'shopify',
  event,
  orderId: '1001',
  shop: 's',
  customer: { id: '77' },
  attributes: {},
  ...(event === 'shipped' && { shipment: { id: 'F1', trackingNumber: 'TW1' } }),
});

/** When the resolver releases a shipment that has waited `waitedMs` for its placed message to find its recipient. */
async function releasedAfter(waitedMs: number): Promise<number> {
  const clock = new FakeClock();
  const now = clock.now();
  const released: number[] = [];
  const store: ResolverDeps['store'] = {
    findDelivery: async (key) =>
      key === placedKey ? { status: 'pending', receivedAt: now - waitedMs, resolving: true, order: order('placed') } : undefined,
    claimUnresolved: async () => [],
    resolveDeliveries: async () => undefined,
    recordAttempts: async () => undefined,
    release: async (_owner, _ids, at) => void released.push(at as number),
    optedOut: async () => new Map(),
  };
  const resolver = new Resolver({
    store,
    mapping,
    members: { lookup: async () => ({ clients: [], cached: true }) },
    directory: async () => undefined,
    credentials: { nextRefreshAt: () => undefined },
    policy: { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 3, maxAgeMs: 86_400_000 },
    log: pino({ level: 'silent' }),
    clock,
  });
  const shipment: UnresolvedDelivery = {
    id: 2,
    source: 'shopify',
    orderId: '1001',
    attempts: 0,
    receivedAt: now - waitedMs,
    waitingSince: now - waitedMs,
    dueAt: now,
    dedupeKey: orderEventKey(placedKey, 'shipped', 'F1'),
    order: order('shipped'),
  };
  await resolver.resolve('me', [shipment], { latestStart: () => now + 10_000 } as unknown as Lease);
  expect(released).toHaveLength(1);
  return (released[0] as number) - now;
}

test("a shipment waiting for its placed message's recipient: a second at first, a tenth of its wait later, a minute at most", async () => {
  expect(await releasedAfter(2_000)).toBe(1_000);
  expect(await releasedAfter(100_000)).toBe(10_000);
  expect(await releasedAfter(3_600_000)).toBe(60_000);
});
