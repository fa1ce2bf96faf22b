// A call still under way when its claim's lease runs out under it (the host's clock stepped forward
// past DELIVERY_LEASE_MS, or the process stalled that long): the store would hand the delivery to
// the next claim, and this process must not be that claim and send it a second time.
import { afterEach, describe, expect, test } from 'vitest';
import { startSimulator } from '../simulator/simulator.ts';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { ADMIN_TOKEN, shiftedClock, startService } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

const user = (i: number) => `U${(0x1ea5e + i).toString(16).padStart(32, '0')}`;
const orderFor = (i: number) => shopifyOrder({ id: 4_200 + i, note_attributes: [{ name: 'line_uid', value: user(i) }] });
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe.each(SERVICE_ENGINES)('$engine store', ({ engine, available }) => {
  test.skipIf(!available)('a lease that runs out while its call is under way: the delivery is sent once and recorded sent', async () => {
    const sim = await startSimulator();
    cleanup.push(() => sim.close());
    const clock = shiftedClock();
    const { app } = await startService(sim, { clock, env: { ...(await engineEnv(engine)), DELIVERY_LEASE_MS: '60000' } });
    cleanup.push(() => app.close());
    const get = async (url: string) => (await app.inject({ method: 'GET', url, headers: auth })).json();

    sim.set({ hold: true }); // MantaGO takes the first call and does not answer yet
    const first = (await app.inject(shopifyRequest(orderFor(1)))).json().deliveryId as number;
    await waitFor(() => sim.heldCalls === 1, { what: 'the first call to be under way' });

    clock.offset = 61_000; // past the claim's lease, with its call still under way
    // A second order wakes the worker: a claim now finds the first order's lease run out too.
    const second = (await app.inject(shopifyRequest(orderFor(2)))).json().deliveryId as number;
    await waitFor(() => sim.heldCalls === 2, { what: 'the second order to be called' });
    sim.set({ hold: false });

    for (const id of [first, second])
      await waitFor(async () => (await get(`/admin/deliveries/${id}`)).status === 'sent', { what: `delivery ${id} sent` });
    expect([sim.timesDelivered(user(1)), sim.timesDelivered(user(2))]).toEqual([1, 1]);
    expect(await get(`/admin/deliveries/${first}`)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await get(`/admin/deliveries/${second}`)).toMatchObject({ status: 'sent', attempts: 1 });
  });
});
