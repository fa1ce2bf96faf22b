// A shipment's tracking that came after its delivery stages were stored (its fulfillment's update,
// or the fulfillment itself come after its first stage): a stage whose message has not gone yet
// (held: a delay, the quiet hours) is told anew with it, as a held shipment's message is. A stage
// carries its own news (status, city, the carrier's words); its tracking is the shipment's.
import type { Content } from '../domain/content.ts';
import { orderEventKey } from '../domain/delivery.ts';
import { DELIVERY_STAGES, type Shipment } from '../domain/order.ts';
import type { Mapping } from '../mapping/mapping-file.ts';
import { chooseContent } from '../mapping/rules.ts';
import { withDeadline } from '../store/errors.ts';
import type { KnownDelivery } from '../store/store.ts';
import { batchKey } from './batching.ts';

export interface StageTrackingDeps {
  store: {
    findDelivery(dedupeKey: string): Promise<KnownDelivery | undefined>;
    updateShipment(dedupeKey: string, shipment: Shipment): Promise<boolean>;
    refreshMessage(dedupeKey: string, rule: string, message: { content: Content; batchKey: string }, now: number): Promise<boolean>;
  };
  mapping: Mapping;
  storeTimeoutMs: number;
}

/** The fields of a shipment its stages take from it. */
const trackingOf = ({ id, trackingNumber, trackingUrl, company }: Shipment): Shipment => ({
  id,
  ...(trackingNumber !== undefined && { trackingNumber }),
  ...(trackingUrl !== undefined && { trackingUrl }),
  ...(company !== undefined && { company }),
});

export const hasTracking = (shipment: Shipment | undefined): shipment is Shipment =>
  (shipment?.trackingNumber ?? shipment?.trackingUrl ?? shipment?.company) !== undefined;

/** Tells the shipment's pending stages its tracking (the stored order, and the message while its rule stays the same). */
export async function retellPendingStages(deps: StageTrackingDeps, placedKey: string, shipment: Shipment, now: number): Promise<void> {
  const { store, storeTimeoutMs, mapping } = deps;
  const tracking = trackingOf(shipment);
  await Promise.all(
    DELIVERY_STAGES.map(async (stage) => {
      const key = orderEventKey(placedKey, stage, shipment.id);
      const found = await withDeadline(store.findDelivery(key), storeTimeoutMs, 'look the stage up');
      if (found?.status !== 'pending' || !found.recipient || !found.order?.shipment) return;
      if (!(await withDeadline(store.updateShipment(key, tracking), storeTimeoutMs, 'update the stage'))) return;
      const order = { ...found.order, shipment: { ...found.order.shipment, ...tracking }, items: [] };
      const chosen = chooseContent(mapping.rules, order, found.recipient.platform);
      if (!('content' in chosen)) return;
      const message = { content: chosen.content, batchKey: batchKey(found.recipient.platform, chosen.content) };
      await withDeadline(store.refreshMessage(key, chosen.rule.name, message, now), storeTimeoutMs, 'tell the stage anew');
    }),
  );
}
