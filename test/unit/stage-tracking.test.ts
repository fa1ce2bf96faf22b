// A held stage told its shipment's tracking, through its seam (the store's three calls): an older
// update that reaches it after a newer one (two replicas taking the fulfillment's create and update
// at once, each past its own shipped row's check) never puts the older tracking back; a stage still
// waiting for its recipient keeps the tracking in its order; one store call failing costs only that.
import { expect, test } from 'vitest';
import type { Content } from '../../src/domain/content.ts';
import { orderEventKey } from '../../src/domain/delivery.ts';
import { type Shipment, type StoredOrder, updatedShipment } from '../../src/domain/order.ts';
import { retellPendingStages } from '../../src/delivery/stage-tracking.ts';
import { parseMapping } from '../../src/mapping/mapping-file.ts';
import type { KnownDelivery } from '../../src/domain/delivery.ts';

const mapping = parseMapping(
  `recipients:
  - attribute: line_uid
    platform: line
rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
  - name: out-for-delivery
    when: { event: out_for_delivery }
    delay: 1h
    send: { message: "{{order.number}} out for delivery: {{shipment.trackingUrl | \\"see your order page\\"}}" }
`,
  'mapping.yaml',
);
const placedKey = 'shopify\u001f\u001f1001';
const stageKey = orderEventKey(placedKey, 'out_for_delivery', 'F1');
const recipient = { platform: 'line', userId: 'U1', via: 'attribute line_uid' } as const;
const placedOrder: StoredOrder = {
  source: 'shopify',
  event: 'placed',
  orderId: '1001',
  orderNumber: '#1001',
  shop: 's',
  customer: {},
  attributes: {},
};

/** A store holding the placed order and one pending stage (bare: it came before its order), as the store's statements would change them. */
function storeWith(stage: Omit<KnownDelivery, 'order' | 'receivedAt'>, failing?: string) {
  const rows = new Map<string, KnownDelivery & { message?: Content }>([
    [placedKey, { status: 'sent', receivedAt: 0, resolving: false, order: placedOrder, recipient }],
    [
      stageKey,
      {
        ...stage,
        receivedAt: 0,
        order: {
          source: 'shopify',
          event: 'out_for_delivery',
          orderId: '1001',
          shop: 's',
          customer: {},
          attributes: {},
          shipment: { id: 'F1', status: 'out_for_delivery' },
        },
      },
    ],
  ]);
  const store = {
    async findDelivery(key: string) {
      return rows.get(key);
    },
    async updateShipment(key: string, shipment: Shipment) {
      if (failing === 'update') throw new Error('the store did not update the stage within 5000 ms');
      const row = rows.get(key);
      const merged = row?.order?.shipment && updatedShipment(row.order.shipment, shipment);
      if (!row?.order || !merged) return 'stale' as const;
      row.order = { ...row.order, shipment: merged };
      return 'changed' as const;
    },
    async refreshMessage(key: string, _rule: string, message: { content: Content }) {
      const row = rows.get(key);
      if (row?.status !== 'pending') return false;
      row.message = message.content;
      return true;
    },
  };
  return { store, stage: () => rows.get(stageKey) };
}

const tracked = (n: string, updatedAt: number): Shipment => ({
  id: 'F1',
  trackingNumber: n,
  trackingUrl: `https://t.example/${n}`,
  updatedAt,
});

test('a newer update told first, then an older one: the stage keeps the newer tracking, order and message', async () => {
  const { store, stage } = storeWith({ status: 'pending', resolving: false, recipient });
  const deps = { store, mapping, storeTimeoutMs: 1_000 };
  await retellPendingStages(deps, placedKey, tracked('T3', 3), 0);
  await retellPendingStages(deps, placedKey, tracked('T2', 2), 0);
  expect(stage()?.order?.shipment).toMatchObject({ trackingNumber: 'T3', status: 'out_for_delivery' });
  // Told with what the placed event stored (a stage names only the order).
  expect(stage()?.message).toEqual({ message: '#1001 out for delivery: https://t.example/T3' });
});

test('a stage still waiting for its recipient keeps the tracking in its order (it is planned from it), its message not made yet', async () => {
  const { store, stage } = storeWith({ status: 'pending', resolving: true });
  await retellPendingStages({ store, mapping, storeTimeoutMs: 1_000 }, placedKey, tracked('T1', 1), 0);
  expect(stage()?.order?.shipment).toMatchObject({ trackingNumber: 'T1' });
  expect(stage()?.message).toBeUndefined();
});

test('a stage gone already is left as it is; a store call that fails is logged, not thrown (the shipment is stored)', async () => {
  const sent = storeWith({ status: 'sent', resolving: false, recipient });
  await retellPendingStages({ store: sent.store, mapping, storeTimeoutMs: 1_000 }, placedKey, tracked('T1', 1), 0);
  expect(sent.stage()?.order?.shipment?.trackingNumber).toBeUndefined();

  const failing = storeWith({ status: 'pending', resolving: false, recipient }, 'update');
  const warned: unknown[] = [];
  const log = { warn: (...args: unknown[]) => warned.push(args) } as never;
  await retellPendingStages({ store: failing.store, mapping, storeTimeoutMs: 1_000, log }, placedKey, tracked('T1', 1), 0);
  expect(warned).toHaveLength(1);
  expect(failing.stage()?.message).toBeUndefined();
});

test('an update that says again what is kept is no change, in whatever order its fields come', () => {
  const kept: Shipment = { id: 'F1', trackingNumber: 'TW1', trackingUrl: 'https://t.example/TW1', company: 'Post', updatedAt: 5 };
  expect(
    updatedShipment(kept, { updatedAt: 5, id: 'F1', company: 'Post', trackingNumber: 'TW1', trackingUrl: 'https://t.example/TW1' }),
  ).toBe(undefined);
  expect(updatedShipment(kept, { id: 'F1', trackingNumber: 'TW2', updatedAt: 6 })).toEqual({
    id: 'F1',
    trackingNumber: 'TW2',
    updatedAt: 6,
  });
});
