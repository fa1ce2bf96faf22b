// A delivery ended as its recipient's refusal, the way the service tells one from the bot's: refused
// alone (36000) it is tried again, since the bot may be the one refused (not published); once a
// broadcast to someone else has gone out since, the bot broadcasts, and the recipient's next refusal
// is theirs: dead. Tests that need a dead delivery make one so.
import type { InjectOptions } from 'fastify';
import { expect } from 'vitest';
import type { MantagoSimulator } from '../../simulator/simulator.ts';
import { type App, deliveryOf } from './admin.ts';
import { waitFor } from './wait.ts';
import { shopifyOrder, shopifyRequest } from './webhooks.ts';

/** The chat user of the order that shows the bot broadcasts: the simulator accepts them. */
export const WITNESS_USER = 'U00000000000000000000000000a11ce5';

/** An order to WITNESS_USER. */
export const witnessOrder = () => shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: WITNESS_USER }] }));

/**
 * Posts `refused` (an order to a chat user in the simulator's `refusedClientIds`), and once its first
 * refusal is recorded, `witness` (an order the simulator accepts; more orders to WITNESS_USER if it
 * showed nothing); returns the refused delivery dead, as GET /admin/deliveries/:id shows it.
 */
export async function deadByRefusal(app: App, sim: MantagoSimulator, refused: InjectOptions, witness: InjectOptions = witnessOrder()) {
  const posted = await app.inject(refused);
  expect(posted.statusCode, posted.body).toBe(202);
  const id: number = posted.json().deliveryId;
  const refusedOnce = async () => (await deliveryOf(app, id)).attemptLog.some((a: { httpStatus: number }) => a.httpStatus === 403);
  await waitFor(refusedOnce, { what: `delivery ${id} refused once` });
  const dead = async () => {
    const d = await deliveryOf(app, id);
    return d.status === 'dead' ? d : undefined;
  };
  // A witness whose broadcast showed nothing of it (say, it went out before the refusal was told):
  // another one is sent, the way a shop's next orders would.
  for (let witnesses = 1; ; witnesses++) {
    const sent = sim.broadcasts.length;
    const posted = await app.inject(witnesses === 1 ? witness : witnessOrder());
    expect(posted.statusCode, posted.body).toBe(202);
    await waitFor(() => sim.broadcasts.length > sent, { what: 'the broadcast that shows the bot broadcasts' });
    const ended = await waitFor(dead, { what: `delivery ${id} dead`, timeoutMs: 2_000 }).catch((error: unknown) => {
      if (witnesses === 5) throw error;
    });
    if (ended) return ended;
  }
}
