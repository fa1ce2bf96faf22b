// A shipment's tracking that came after its delivery stages were stored (its fulfillment's update,
// or the fulfillment itself come after its first stage): a stage whose message has not gone yet
// (held: a delay, the quiet hours; or still waiting for its recipient) keeps it in its stored order,
// and a held one's message is told anew with it, as a held shipment's message is. A stage carries
// its own news (status, city, the carrier's words); its tracking is the shipment's.
import type { Logger } from 'pino';
import type { Content } from '../domain/content.ts';
import { type KnownDelivery, orderEventKey } from '../domain/delivery.ts';
import { DELIVERY_STAGES, isShipmentEvent, type OrderEvent, type Shipment, type ShipmentUpdate, updatedShipment } from '../domain/order.ts';
import type { Mapping } from '../mapping/mapping-file.ts';
import { anyRuleFor, chooseContent } from '../mapping/rules.ts';
import { withDeadline } from '../store/errors.ts';
import { batchKey } from './batching.ts';
import { withPlacedDetails } from './order-details.ts';

export interface StageTrackingDeps {
  store: {
    findDelivery(dedupeKey: string): Promise<KnownDelivery | undefined>;
    updateShipment(dedupeKey: string, shipment: Shipment): Promise<ShipmentUpdate>;
    refreshMessage(dedupeKey: string, rule: string, message: { content: Content; batchKey: string }, now: number): Promise<boolean>;
  };
  mapping: Mapping;
  storeTimeoutMs: number;
  log?: Logger;
}

/** The fields of a shipment its stages take from it; its update time too, so an older update never overwrites a newer one. */
const trackingOf = ({ id, trackingNumber, trackingUrl, company, updatedAt }: Shipment): Shipment => ({
  id,
  ...(trackingNumber !== undefined && { trackingNumber }),
  ...(trackingUrl !== undefined && { trackingUrl }),
  ...(company !== undefined && { company }),
  ...(updatedAt !== undefined && { updatedAt }),
});

export const hasTracking = (shipment: Shipment | undefined): shipment is Shipment =>
  (shipment?.trackingNumber ?? shipment?.trackingUrl ?? shipment?.company) !== undefined;

/**
 * Whether an event of a shipment may wait for its tracking (a fulfillment's update may add what the
 * fulfillment came without, any part of it): the plan waits only for a message that needs what is missing.
 */
export const awaitsTracking = (event: OrderEvent, shipment: Shipment | undefined): boolean =>
  shipment?.id !== undefined && isShipmentEvent(event);

/**
 * Tells the shipment's pending stages its tracking. Best effort: the shipment is stored already, so
 * a store too slow here costs a held stage its tracking (it goes with its rule's fallback), never
 * the shop a 503 for an event we keep.
 */
export async function retellPendingStages(deps: StageTrackingDeps, placedKey: string, shipment: Shipment, now: number): Promise<void> {
  const { store, storeTimeoutMs, mapping } = deps;
  const find = (key: string) => withDeadline(store.findDelivery(key), storeTimeoutMs, 'look the stage up');
  const tracking = trackingOf(shipment);
  // The order's placed event, looked up once for all its held stages (and only if one is held).
  let placed: ReturnType<typeof find> | undefined;
  const retell = async (key: string) => {
    const found = await find(key);
    if (found?.status !== 'pending' || !found.order?.shipment) return;
    if ((await withDeadline(store.updateShipment(key, tracking), storeTimeoutMs, 'update the stage')) !== 'changed') return;
    const { recipient } = found;
    if (!recipient) return; // its recipient found later, it is planned from the order just updated
    // Told as the worker plans it: with what the order's placed event stored (a stage names only the order).
    placed ??= find(placedKey);
    const stage = { ...found.order, shipment: updatedShipment(found.order.shipment, tracking) ?? found.order.shipment, items: [] };
    const chosen = chooseContent(mapping.rules, withPlacedDetails(stage, (await placed)?.order), recipient.platform);
    if (!('content' in chosen)) return;
    const message = { content: chosen.content, batchKey: batchKey(recipient.platform, chosen.content) };
    await withDeadline(store.refreshMessage(key, chosen.rule.name, message, now), storeTimeoutMs, 'tell the stage anew');
  };
  const stages = DELIVERY_STAGES.filter((stage) => anyRuleFor(mapping.rules, stage));
  await Promise.all(
    stages.map((stage) =>
      retell(orderEventKey(placedKey, stage, shipment.id)).catch((error: unknown) =>
        deps.log?.warn({ error: (error as Error).message, stage }, 'a held stage could not be told its tracking; it goes without'),
      ),
    ),
  );
}
