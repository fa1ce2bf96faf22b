// An order event that passed verification: decide who gets what and when, and store it with its
// delivery. The caller answers the shop only after this resolves, so an acknowledged order is
// durable; each store call has a deadline, so a wedged store answers 503 (and the shop retries)
// instead of hanging. No MantaGO call is made here: a member lookup is left to the worker.
import type { Logger } from 'pino';
import type { Content } from '../domain/content.ts';
import {
  type DeliveryPlan,
  dedupeKey,
  type IncomingOrder,
  type KnownDelivery,
  orderEventKey,
  type RecordedOrder,
  SPENT_AT_FIRST_SIGHT,
  TOLD_BEFORE_PRUNED,
  tagsOf,
  withdrawnAlready,
} from '../domain/delivery.ts';
import {
  DELIVERY_STAGES,
  isBeforeDelivery,
  isDeliveryStage,
  isShipmentEvent,
  isOrderEnding,
  ORDER_ENDINGS,
  type Order,
  type OrderEvent,
  type ReceivedOrder,
  type Shipment,
  type ShipmentUpdate,
  type SpentShipmentNews,
  type StoredOrder,
} from '../domain/order.ts';
import { NO_CHAT_USER } from '../domain/recipient.ts';
import { customerKeys } from '../mapping/directory-keys.ts';
import type { Mapping } from '../mapping/mapping-file.ts';
import { planDelivery } from '../mapping/plan.ts';
import type { DirectoryLookup } from '../mapping/recipients.ts';
import { anyRuleFor, withdrawingEvents } from '../mapping/rules.ts';
import { withDeadline } from '../store/errors.ts';
import { batchKey } from './batching.ts';
import { withoutTags, withTagsOf } from './first-sight-tags.ts';
import { formatDuration } from '../mapping/durations.ts';
import { lateReason, mayComeLate } from './late-stage.ts';
import { withPlacedDetails, withShipmentDetails } from './order-details.ts';
import { awaitsTracking, hasTracking, retellPendingStages } from './stage-tracking.ts';

export type IntakeResult = (RecordedOrder & { reason?: string }) | { outcome: 'ignored'; reason: string };
export type Intake = (received: ReceivedOrder, topic: string | undefined) => Promise<IntakeResult>;

/** One message per shipment and shipment event (shipped, each delivery stage); one each for the other events. */
const eventKeyOf = (order: Order) => (isShipmentEvent(order.event) ? order.shipment?.id : undefined);

export interface IntakeDeps {
  store: {
    recordOrder(incoming: IncomingOrder): Promise<RecordedOrder>;
    findDelivery(dedupeKey: string): Promise<KnownDelivery | undefined>;
    prunedEnding(dedupeKey: string): Promise<boolean>;
    updateShipment(dedupeKey: string, shipment: Shipment): Promise<ShipmentUpdate>;
    noteSpentShipment(dedupeKey: string, reason: string, news: SpentShipmentNews): Promise<StoredOrder | undefined>;
    refreshMessage(dedupeKey: string, rule: string, message: { content: Content; batchKey: string }, now: number): Promise<boolean>;
  };
  mapping: Mapping;
  directory?: DirectoryLookup;
  /** The deadline of each store call (STORE_TIMEOUT_MS). */
  storeTimeoutMs: number;
  /** For what goes wrong after an event is stored (its answer stands). */
  log?: Logger;
  /** How long finished deliveries are kept (RETENTION_DAYS): an event older than that is no news (plan.ts). */
  retentionMs?: number;
  /** When the store was made: a webhook's event from before is news whatever its age (plan.ts). */
  storeCreatedAt?: number;
  now: () => number;
}

export function createIntake(deps: IntakeDeps): Intake {
  const { storeTimeoutMs, mapping } = deps;
  const { now } = deps;
  // An hour inside the retention: the shop's clock may be a little ahead of ours.
  const news = deps.retentionMs && { ms: deps.retentionMs - 3_600_000, said: formatDuration(deps.retentionMs) };
  const { storeCreatedAt } = deps;
  const newsFor = (polled: boolean | undefined, receivedAt: number) => {
    if (!news || (!polled && storeCreatedAt === undefined)) return {};
    return { news: { since: receivedAt - news.ms, retention: news.said, ...(!polled && { from: storeCreatedAt }) } };
  };
  // Stored with no rule of their own: an event some rule is withdrawn by; a shipment's shipped event
  // when a delivery stage has a rule (its tracking details fill the stage's message); its delivered
  // event when a stage before it has one (a late one is then known to be late).
  const withdrawing = withdrawingEvents(mapping.rules);
  const stagesRuled = DELIVERY_STAGES.some((stage) => anyRuleFor(mapping.rules, stage));
  const earlierRuled = DELIVERY_STAGES.some((stage) => isBeforeDelivery(stage) && anyRuleFor(mapping.rules, stage));
  const directory: DirectoryLookup | undefined =
    deps.directory && ((keys) => withDeadline((deps.directory as DirectoryLookup)(keys), storeTimeoutMs, 'look the customer up'));

  const find = (key: string, what: string) => withDeadline(deps.store.findDelivery(key), storeTimeoutMs, what);
  const lookUp = (key: string) => find(key, 'look the order up');
  /** The keys of the order's cancellation and refund (an event of those kinds itself aside: `but`). */
  const endingKeys = (placedKey: string, but?: OrderEvent) =>
    ORDER_ENDINGS.filter((e) => e !== but).map((e) => orderEventKey(placedKey, e));
  /** Whether the order's cancellation or refund is stored. */
  const orderEnded = async (placedKey: string) =>
    (await Promise.all(endingKeys(placedKey).map(lookUp))).some((ending) => ending !== undefined);

  /** `placedKey`: the order's placed key, made once per webhook; a placed event's own key is the same. */
  const incoming = (
    order: Order,
    scope: string,
    placedKey: string,
    topic: string | undefined,
    receivedAt: number,
    plan: DeliveryPlan,
  ): IncomingOrder => {
    const { items: _items, ...kept } = order;
    return {
      dedupeKey: order.event === 'placed' ? placedKey : dedupeKey(order.source, scope, order.orderId, order.event, eventKeyOf(order)),
      source: order.source,
      shop: order.shop,
      orderId: order.orderId,
      order: kept,
      event: order.event,
      topic,
      receivedAt,
      plan,
      batchKey: plan.kind === 'send' ? batchKey(plan.recipient.platform, plan.content) : undefined,
    };
  };

  /**
   * `replacesSkipped`: stored in place of the delivery under its key skipped for this reason (a spent
   * shipment revived, below); `alongside`: the order's placed event, stored with it (first seen, below).
   */
  const take = async (
    taken: ReceivedOrder,
    topic: string | undefined,
    { replacesSkipped, alongside }: { replacesSkipped?: string; alongside?: IncomingOrder } = {},
  ): Promise<IntakeResult> => {
    const { order: received, scope, placedIfFirst, placedAt } = taken;
    const receivedAt = now();
    const placedKey = dedupeKey(received.source, scope, received.orderId);
    const shipmentId = isShipmentEvent(received.event) ? received.shipment?.id : undefined;
    // A stage before its parcel's delivery is late once that is stored (late-stage.ts).
    const mayBeLate = mayComeLate(received.event, mapping.rules);
    // A placed event (most webhooks) looks nothing up: it starts its order.
    // An ending told and pruned long ago (dated by the order's last edit): only its kept key tells (not if newsIfPlaced).
    const [placed, shipped, delivered, toldLongAgo] =
      received.event === 'placed'
        ? [undefined, undefined, undefined, false]
        : await Promise.all([
            lookUp(placedKey),
            shipmentId === undefined || !isDeliveryStage(received.event)
              ? undefined
              : find(orderEventKey(placedKey, 'shipped', shipmentId), 'look the shipment up'),
            shipmentId === undefined || !mayBeLate
              ? undefined
              : find(orderEventKey(placedKey, 'delivered', shipmentId), 'look the delivery up'),
            isOrderEnding(received.event) &&
              !taken.newsIfPlaced &&
              withDeadline(deps.store.prunedEnding(orderEventKey(placedKey, received.event)), storeTimeoutMs, 'look the ending up'),
          ]);
    if (taken.newsIfPlaced && placed === undefined) return { outcome: 'ignored', reason: taken.newsIfPlaced };
    // An order first seen at a later status (WooCommerce's completed) starts with its placed message, if one is sent.
    const firstSeen = placedIfFirst === true && placed === undefined && anyRuleFor(mapping.rules, 'placed');
    const order: Order = firstSeen
      ? { ...received, event: 'placed', ...(placedAt !== undefined && { occurredAt: placedAt }) }
      : withShipmentDetails(withPlacedDetails(received, placed?.order), shipped?.order);
    const ruled = anyRuleFor(mapping.rules, order.event);
    // Stored even with no rule of their own: a placed event keeps the order (the customer) for the
    // events after it, a cancel (or any event a rule names in withdrawnBy) withdraws held messages.
    const kept =
      order.event === 'placed' ||
      order.event === 'cancelled' ||
      withdrawing.has(order.event) ||
      (order.event === 'shipped' && stagesRuled) ||
      (order.event === 'delivered' && earlierRuled);
    if (!ruled && !kept) return { outcome: 'ignored', reason: `no rule sends a message for ${order.event} events` };

    // A stage come after its parcel's delivered is stored skipped, so its redeliveries are duplicates.
    const late = lateReason(order.event, delivered) ?? (toldLongAgo && order.event === received.event ? TOLD_BEFORE_PRUNED : undefined);
    const decided: DeliveryPlan = late
      ? { kind: 'skip', reason: late }
      : ruled
        ? await planDelivery(order, mapping, {
            lookups: { ...(directory && { directory }) },
            ...(placed && { placed }),
            awaitOrder: true,
            awaitShipment: awaitsTracking(order.event, order.shipment),
            receivedAt,
            now: receivedAt,
            ...newsFor(taken.polled, receivedAt),
          })
        : { kind: 'skip', reason: `no rule sends a message for ${order.event} events` };
    // First seen so, with no placed message to send (no rule matches it, too old) while its status has
    // a rule: that status is news of its own, as for an order seen before, and its placed event is
    // kept, skipped, alongside (the recursion is not first seen: no spent shipment to overwrite; a
    // polled one is still judged by its own time).
    if (firstSeen && decided.kind === 'skip' && anyRuleFor(mapping.rules, received.event))
      return take({ ...taken, placedIfFirst: false }, topic, { alongside: incoming(order, scope, placedKey, topic, receivedAt, decided) });
    const tagged = firstSeen ? withTagsOf(decided, received, mapping) : decided;
    const plan = withdrawnAlready(replacesSkipped === SPENT_AT_FIRST_SIGHT ? withoutTags(tagged) : tagged, taken.followedBy);
    const stored = incoming(order, scope, placedKey, topic, receivedAt, plan);
    // A customer who asked for no more chat messages: the store skips it as it stores it (`opted out`),
    // in the same transaction, so taking an order in costs no extra store call. Its tags too, and those of
    // the placed event stored alongside (the store queues them with that one, first).
    const keys = plan.kind === 'skip' && !plan.tagging && !(alongside && tagsOf(alongside.plan)) ? [] : customerKeys(order.customer);
    if (keys.length > 0) stored.optOutKeys = keys;
    // First seen, its shipped event is spent with it, so a redelivery of the same status sends nothing
    // more; or it carries its placed event (the recursion above, which is never first seen).
    const withIt = firstSeen
      ? incoming(received, scope, placedKey, topic, receivedAt, { kind: 'skip', reason: SPENT_AT_FIRST_SIGHT })
      : alongside;
    if (withIt) stored.alongside = withIt;
    if (replacesSkipped !== undefined) {
      // Not once the order ended, checked again as it is stored (the ending may come meanwhile).
      stored.replacesSkipped = replacesSkipped;
      stored.replacesUnless = endingKeys(placedKey, order.event);
    }
    if (withdrawing.has(order.event)) stored.withdraws = { orderKey: placedKey, event: order.event };
    const recorded = await withDeadline(deps.store.recordOrder(stored), storeTimeoutMs, 'store the order');
    // A shipment come after its first stage (webhooks in any order): the stage, if held, tells its tracking.
    if (recorded.outcome === 'accepted' && order.event === 'shipped' && stagesRuled && hasTracking(order.shipment))
      await retellPendingStages(deps, placedKey, order.shipment, receivedAt);
    // Its placed event came meanwhile (another replica took the order's first webhook at the same
    // moment): the store kept nothing of this one, which is then an event of a known order.
    if (firstSeen && recorded.outcome === 'duplicate') return take({ ...taken, placedIfFirst: false }, topic);
    if (recorded.outcome === 'duplicate') {
      const instead = await afterDuplicate(taken, topic, {
        stored,
        plan,
        placedKey,
        status: recorded.status,
        replacesSkipped,
      });
      if (instead) return instead;
    }
    return plan.kind === 'skip' && recorded.outcome === 'accepted' ? { ...recorded, reason: plan.reason } : recorded;
  };

  /**
   * What a copy of an event stored already (most redeliveries) still does: WooCommerce's first-sight
   * follow-ups (below), a fulfillment update's tracking, a delivery skipped with nobody to send to
   * whose customer this copy finds. Its answer when it takes the stored delivery's place.
   */
  const afterDuplicate = async (
    taken: ReceivedOrder,
    topic: string | undefined,
    copy: { stored: IncomingOrder; plan: DeliveryPlan; placedKey: string; status: RecordedOrder['status']; replacesSkipped?: string },
  ): Promise<IntakeResult | undefined> => {
    const { order: received, scope, placedIfFirst, revivesShipment } = taken;
    const { stored, plan, placedKey, status } = copy;
    if (revivesShipment && received.event === 'placed')
      await reviveSpentShipment(scope, placedKey, topic, { processingAt: received.changedAt ?? 0 });
    // A fulfillment's update (tracking added after it shipped) sends nothing more, but its stages carry it.
    const update = received.event === 'shipped' ? received.shipment : undefined;
    if (hasTracking(update)) {
      const updated = await withDeadline(deps.store.updateShipment(stored.dedupeKey, update), storeTimeoutMs, 'update the shipment');
      if (updated === 'changed' && stagesRuled) await retellPendingStages(deps, placedKey, update, stored.receivedAt);
      // Its own message, not gone yet (held: a delay, the quiet hours), tells it too, even unchanged (a retry after its refresh failed).
      if (updated !== 'stale' && status === 'pending' && plan.kind === 'send') {
        const message = { content: plan.content, batchKey: batchKey(plan.recipient.platform, plan.content) };
        const refreshing = deps.store.refreshMessage(stored.dedupeKey, plan.rule, message, stored.receivedAt);
        await withDeadline(refreshing, storeTimeoutMs, 'tell the shipment anew');
      }
    }
    // Stored before with nobody to send to (a poll's order, which holds less of the customer than its
    // webhook; a directory binding made since): this one finds its customer here, and takes its place,
    // unless the order ended meanwhile (its tags would come after the ending's: the store checks, as it
    // stores it). Not one that waits for MantaGO's member lookup: the poll asks MantaGO as its webhook would.
    if (status === 'skipped' && plan.kind === 'send' && copy.replacesSkipped === undefined) {
      const before = await lookUp(stored.dedupeKey);
      if (before?.reason?.startsWith(NO_CHAT_USER)) return take(taken, topic, { replacesSkipped: before.reason });
    }
    if (placedIfFirst && received.event === 'shipped' && status === 'skipped') {
      const { items: _items, ...completed } = received;
      await reviveSpentShipment(scope, placedKey, topic, { completed });
    }
    return undefined;
  };

  /**
   * An order first seen at a later status (WooCommerce's completed) had its shipment spent then: its
   * placed message was the one sent. Once the order is seen in processing before a completion (its
   * processing webhook come late, or the shop moved it back and completed it again, in whichever order
   * these come), the shipment is announced. Not once the order was cancelled or refunded (news after
   * the refund, whose tags it would undo). Only such a source's redelivered events pay the lookups.
   */
  const reviveSpentShipment = async (scope: string, placedKey: string, topic: string | undefined, news: SpentShipmentNews) => {
    const shipment = (await lookUp(placedKey))?.order?.shipment;
    if (!shipment || (await orderEnded(placedKey))) return;
    const spentKey = orderEventKey(placedKey, 'shipped', shipment.id);
    const noting = deps.store.noteSpentShipment(spentKey, SPENT_AT_FIRST_SIGHT, news);
    const spent = await withDeadline(noting, storeTimeoutMs, 'note the order');
    if (spent?.processingSeenAt === undefined || spent.processingSeenAt > (spent.changedAt ?? Number.POSITIVE_INFINITY)) return;
    // The spent row's order: its latest completion's (noteSpentShipment), with the tracking added since.
    const { processingSeenAt: _seen, ...order } = spent;
    await take({ order: { ...order, event: 'shipped', items: [] }, scope }, topic, { replacesSkipped: SPENT_AT_FIRST_SIGHT });
  };

  return (received, topic) => take(received, topic);
}
