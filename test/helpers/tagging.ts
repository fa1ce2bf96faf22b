// What the tagging tests share: the mapping that tags buyers, a user per number, a delivery and its
// tag jobs once settled, and how many times the simulator saw a tag put on a user.
import type { MantagoSimulator } from '../../simulator/simulator.ts';
import { ADMIN_TOKEN, type startServiceWithSimulator } from './service.ts';
import { waitFor } from './wait.ts';
import { shopifyOrder, type shopifyRequest } from './webhooks.ts';

export const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
export const user = (i: number) => `U${(0x7a6000 + i).toString(16).padStart(32, '0')}`;
export const RECIPIENTS = `
recipients:
  - attribute: line_uid
    platform: line
`;
export const JOURNEY = `${RECIPIENTS}
rules:
  - name: buyer
    tag: { add: [{ name: buyer }] }
  - name: big-spender
    when: { minTotal: 5000 }
    tag: { add: [{ name: vip }] }
  - name: refund-tags
    when: { event: refunded }
    tag: { remove: [{ name: buyer }], add: [{ name: refunded }] }
  - name: default
    send: { intentId: rb2kYmMdW }
  - name: refunded
    when: { event: refunded }
    send: { message: "Order {{order.number}} was refunded." }
`;

export type App = Awaited<ReturnType<typeof startServiceWithSimulator>>['app'];
export type TagJob = {
  action: string;
  tag: string;
  status: string;
  lastError: string | null;
  attemptLog: { outcome: string; httpStatus: number | null }[];
};
export type Detail = { status: string; tagging: TagJob[] };

export const orderFor = (i: number, extra: Record<string, unknown> = {}) =>
  shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user(i) }], ...extra });

export const detail = async (app: App, id: number): Promise<Detail> =>
  (await app.inject({ method: 'GET', url: `/admin/deliveries/${id}`, headers: auth })).json();

/** The delivery once it and every one of its tag jobs reached an end. */
export const settled = (app: App, id: number) =>
  waitFor(
    async () => {
      const d = await detail(app, id);
      return d.status !== 'pending' && d.tagging.length > 0 && d.tagging.every((t) => t.status !== 'pending') ? d : undefined;
    },
    { what: `delivery ${id} and its tags to settle` },
  );

export async function post(app: App, request: ReturnType<typeof shopifyRequest>): Promise<{ status: number; id: number }> {
  const answer = await app.inject(request);
  return { status: answer.statusCode, id: answer.json().deliveryId };
}

export const added = (sim: MantagoSimulator, name: string, to: string) => {
  const tag = sim.tags.tags.find((t) => t.name === name);
  return sim.tags.changes.filter((c) => c.action === 'add' && c.tagId === tag?.id && c.clientId === to).length;
};
