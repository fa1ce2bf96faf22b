// The admin API as curl uses it, for the tests that drive it: a service on a simulator and a call helper.
import type { InjectOptions } from 'fastify';
import type { MantagoSimulator } from '../../simulator/simulator.ts';
import { ADMIN_TOKEN, startServiceWithSimulator } from './service.ts';
import { waitFor } from './wait.ts';
import { shopifyOrder } from './webhooks.ts';

export async function adminSetup(options: { env?: Record<string, string | undefined>; mapping?: string } = {}) {
  const { sim, ...service } = await startServiceWithSimulator(options);
  const admin = async (method: InjectOptions['method'], url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const response = await service.app.inject({
      method,
      url: `/admin${url}`,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(payload !== undefined && typeof payload !== 'string' && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(payload !== undefined && { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
    return { status: response.statusCode, body: response.body ? response.json() : undefined, headers: response.headers };
  };
  // MantaGO's 200 reaches the simulator before the service has recorded it: wait for the record.
  const recorded = (deliveryId: number) =>
    waitFor(
      async () => {
        const delivery = await admin('GET', `/deliveries/${deliveryId}`);
        return delivery.body.status !== 'pending' ? delivery : undefined;
      },
      { what: `delivery ${deliveryId} to be recorded` },
    );
  return { sim, app: service.app, logs: service.logs, admin, recorded };
}

/** An order whose customer has no chat id in its attributes: only a directory can name them. */
export const anonymousOrder = (email: string, customerId: number) =>
  shopifyOrder({ email, customer: { id: customerId, email, first_name: 'Ann' }, note_attributes: [] });

export type App = Awaited<ReturnType<typeof startServiceWithSimulator>>['app'];
export const ADMIN_AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** A delivery as GET /admin/deliveries/{id} shows it. */
export const deliveryOf = async (app: App, id: number) =>
  (await app.inject({ method: 'GET', url: `/admin/deliveries/${id}`, headers: ADMIN_AUTH })).json();

/** The delivery once it is no longer pending. */
export const settledDelivery = (app: App, id: number) =>
  waitFor(
    async () => {
      const d = await deliveryOf(app, id);
      return d.status === 'pending' ? undefined : d;
    },
    { what: `delivery ${id} settled` },
  );

/** What the simulator was asked to broadcast to one user. */
export const messagesTo = (sim: MantagoSimulator, to: string) => sim.broadcasts.filter((b) => b.clientIds.includes(to));
