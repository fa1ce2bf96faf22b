// An event the shop shows was followed by one its rule is withdrawn by: the pure rule that decides
// its plan (the poll that finds an order placed and cancelled, over HTTP: test/reconcile-shopify.test.ts).
import { expect, test } from 'vitest';
import { type DeliveryPlan, withdrawnAlready } from '../../src/domain/delivery.ts';
import type { Tagging } from '../../src/domain/tagging.ts';

const recipient = { platform: 'line', userId: 'U1', via: 'attribute line_uid' } as const;
const tagging: Tagging = { recipient, ops: [{ action: 'add', tag: { name: 'buyer' } }] };
const send: DeliveryPlan = {
  kind: 'send',
  recipient,
  rule: 'default',
  content: { intentId: 'rb2kYmMdW' },
  name: 'default #1001',
  withdrawnBy: ['refunded', 'cancelled'],
  tagging,
};

test('followed by an event its rule is withdrawn by: skipped with that withdrawal, its tags kept', () => {
  expect(withdrawnAlready(send, ['shipped', 'cancelled'])).toEqual({
    kind: 'skip',
    reason: 'order cancelled before the message went out',
    tagging,
  });
  // The first withdrawing event its rule names gives the reason, whatever the order they came in.
  expect(withdrawnAlready(send, ['cancelled', 'refunded'])).toMatchObject({ reason: 'order refunded before the message went out' });
});

test('a customer still to be found is withdrawn the same way (no tags: nobody known to tag)', () => {
  const resolve: DeliveryPlan = { kind: 'resolve', reason: 'waiting for a MantaGO member lookup', withdrawnBy: ['cancelled'] };
  expect(withdrawnAlready(resolve, ['cancelled'])).toEqual({ kind: 'skip', reason: 'order cancelled before the message went out' });
});

test('followed by nothing that withdraws it, or by nothing at all: the plan stands', () => {
  expect(withdrawnAlready(send, ['shipped'])).toBe(send);
  expect(withdrawnAlready(send, [])).toBe(send);
  expect(withdrawnAlready(send, undefined)).toBe(send);
  const { withdrawnBy: _none, ...kept } = send;
  expect(withdrawnAlready(kept, ['cancelled'])).toBe(kept);
  const skip: DeliveryPlan = { kind: 'skip', reason: 'older than 6h' };
  expect(withdrawnAlready(skip, ['cancelled'])).toBe(skip);
});
