// What later news of an order changes in its stored deliveries, written once for both engines: a
// shipment's tracking added by its fulfillment's update (kept for the stages to come, and put in its
// own message while that has not gone), and what came of an order whose shipment was spent at its
// first sight (WooCommerce: intake.ts).
import type { Content } from '../../domain/content.ts';
import {
  isOlderUpdate,
  type Shipment,
  type ShipmentUpdate,
  type SpentShipmentNews,
  type StoredOrder,
  updatedShipment,
} from '../../domain/order.ts';
import { asStored, type Param, type Runner } from '../runner.ts';

/**
 * A shipment's later details (tracking added by its fulfillment's update), kept with its shipped
 * event for the stages after it; the message already sent stays as it was. Whether anything changed.
 */
export function updateShipment(db: Runner, dedupeKey: string, shipment: Shipment): Promise<ShipmentUpdate> {
  return db.transaction(async (tx) => {
    // Written only over what was read, read again when another replica's update came in between
    // (each statement sees what was committed before it): the newer update wins, whichever lands last.
    for (let tries = 0; tries < 3; tries++) {
      const [row] = await tx.all('SELECT id, order_json FROM deliveries WHERE dedupe_key = ?', [dedupeKey]);
      const order = row ? (JSON.parse(String(row.order_json)) as StoredOrder | null) : null;
      if (!row || !order?.shipment) return 'stale';
      const merged = updatedShipment(order.shipment, shipment);
      if (!merged) return isOlderUpdate(order.shipment, shipment) ? 'stale' : 'same';
      const { changes } = await tx.run('UPDATE deliveries SET order_json = ? WHERE id = ? AND order_json = ?', [
        JSON.stringify({ ...order, shipment: merged }),
        row.id as Param,
        row.order_json as Param,
      ]);
      if (changes === 1) return 'changed';
    }
    return 'stale'; // overtaken three times over: the newer updates decide
  });
}

/**
 * Notes what came of an order whose shipment was spent at its first sight (intake.ts judges by it):
 * the earliest processing status seen, and the latest completion, whose order it keeps (the
 * shipment announced after all is of the order as completed last, with the tracking known of it).
 * Merged into the skipped row under its lock, so of a processing and a completion stored at once
 * the second sees both. The order as it stands after, or undefined when the row is not (or no
 * longer) skipped for this reason.
 */
export function noteSpentShipment(
  db: Runner,
  dedupeKey: string,
  reason: string,
  news: SpentShipmentNews,
): Promise<StoredOrder | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.all(
      `SELECT id, order_json FROM deliveries WHERE dedupe_key = ? AND status = 'skipped' AND last_error = ?${tx.dialect.forUpdate}`,
      [asStored(dedupeKey), reason],
    );
    const order = row ? (JSON.parse(String(row.order_json)) as StoredOrder | null) : null;
    if (!row || !order) return undefined;
    const noted =
      'processingAt' in news
        ? { ...order, processingSeenAt: Math.min(news.processingAt, order.processingSeenAt ?? news.processingAt) }
        : completedLater(order, news.completed);
    const json = JSON.stringify(noted);
    if (json !== row.order_json) await tx.run('UPDATE deliveries SET order_json = ? WHERE id = ?', [json, row.id as Param]);
    return noted;
  });
}

/** The order as completed last: a completion newer than the kept one (or the kept one undated) takes its place. */
function completedLater(kept: StoredOrder, completed: StoredOrder): StoredOrder {
  if (completed.changedAt === undefined || (kept.changedAt !== undefined && completed.changedAt <= kept.changedAt)) return kept;
  // Merged as a fulfillment's update is (updatedShipment: unchanged or older, the kept one stays).
  const shipment =
    kept.shipment && completed.shipment
      ? (updatedShipment(kept.shipment, completed.shipment) ?? kept.shipment)
      : (completed.shipment ?? kept.shipment);
  return {
    ...completed,
    ...(shipment && { shipment }),
    ...(kept.processingSeenAt !== undefined && { processingSeenAt: kept.processingSeenAt }),
  };
}

/**
 * The message of a delivery not sent yet, told anew (its shipment's tracking came after it was
 * planned): only while it is pending under the same rule and no claim holds it, so the message a
 * call is carrying is never changed under it. Whether it was.
 */
export async function refreshMessage(
  db: Runner,
  dedupeKey: string,
  rule: string,
  message: { content: Content; batchKey: string },
  now: number,
): Promise<boolean> {
  const { content, batchKey } = message;
  const { changes } = await db.run(
    `UPDATE deliveries SET intent_id = ?, message = ?, fb_tag = ?, batch_key = ?
     WHERE dedupe_key = ? AND status = 'pending' AND rule = ? AND (lease_until IS NULL OR lease_until <= ?)`,
    [content.intentId ?? null, content.message ?? null, content.fbTag ?? null, batchKey, asStored(dedupeKey), rule, now],
  );
  return changes > 0;
}
