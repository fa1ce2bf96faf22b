// What the delivery-stage tests share: the example mapping's recipients, rule sets for the delivery
// stages, the review request, pickup and languages, a user per number, the messages a user got,
// and a Shopify fulfillment event.
import type { MantagoSimulator } from '../../simulator/simulator.ts';
import { ADMIN_TOKEN, EXAMPLE_MAPPING } from './service.ts';
import { shopifyRequest } from './webhooks.ts';

export const RECIPIENTS = EXAMPLE_MAPPING.slice(0, EXAMPLE_MAPPING.indexOf('rules:'));
export const DAY = 24 * 60 * 60 * 1000;
export const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
export const user = (i: number) => `U${(0x20d000 + i).toString(16).padStart(32, '0')}`;
export const messages = (sim: MantagoSimulator, to: string) =>
  sim.broadcasts.filter((b) => b.clientIds.includes(to)).map((b) => b.message ?? b.intentId);

export const STAGES = `${RECIPIENTS}rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
  - name: out-for-delivery
    when: { event: out_for_delivery }
    send:
      message: "Order {{order.number}} is out for delivery with {{shipment.company}} ({{shipment.trackingNumber}}): {{shipment.trackingUrl}}"
  - name: delivered
    when: { event: delivered }
    send:
      message: "Order {{order.number}} {{shipment.status}} in {{shipment.city | \\"your town\\"}}."
`;

export const REVIEW = `${RECIPIENTS}rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
  - name: review-request
    when: { event: delivered }
    delay: 7d
    withdrawnBy: [refunded, cancelled]
    send:
      message: "How was order {{order.number}}? Tell us: {{order.statusUrl}}"
`;

export const PICKUP = `${RECIPIENTS}rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
  - name: pickup-zh
    when: { event: ready_for_pickup, locale: zh-TW }
    send: { message: "訂單 {{order.number}} 已送達門市，請取貨。" }
  - name: pickup
    when: { event: ready_for_pickup }
    send: { message: "Order {{order.number}} is ready for pickup." }
`;

export const BY_LANGUAGE = `${RECIPIENTS}rules:
  - name: confirmation-zh-ja
    when: { locale: [zh, ja] }
    send: { message: "{{customer.locale}}: 訂單 {{order.number}} 已成立" }
  - name: confirmation
    send: { message: "Order {{order.number}} is confirmed" }
`;

export const fulfillmentEvent = (orderId: number, fulfillmentId: number, status: string, extra: Record<string, unknown> = {}) =>
  shopifyRequest(
    { id: Math.floor(Math.random() * 1e9), fulfillment_id: fulfillmentId, order_id: orderId, status, happened_at: null, ...extra },
    { topic: 'fulfillment_events/create' },
  );
