// A delivery: one order event's message to one recipient, and every attempt to send it.
// Times are milliseconds since the epoch throughout.
import type { Content } from './content.ts';
import type { OrderEvent, StoredOrder } from './order.ts';
import type { Platform, Recipient } from './recipient.ts';
import type { Tagging } from './tagging.ts';

export const DELIVERY_STATUSES = ['pending', 'sent', 'dead', 'skipped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** How a delivery ended, as the metrics count it: sent (only recorded, under DRY_RUN), dead, or skipped. */
export const DELIVERY_ENDINGS = ['sent', 'dry_run', 'dead', 'skipped'] as const;
/** How a delivery the worker tried ended. */
export type SendEnding = Exclude<(typeof DELIVERY_ENDINGS)[number], 'skipped'>;

/**
 * What one attempt came to (`lookup_failed`: MantaGO's member lookup for its recipient failed). `dry_run`: DRY_RUN was on, so everything happened except the call to
 * MantaGO. `credentials_expired`: MantaGO said the pair expired and it was renewed (the same claim
 * sends again). `credentials_unavailable`: it could not be renewed (yet): the delivery waits for
 * the credentials, and the wait is not counted as an attempt. `bot_refused`: MantaGO refuses the bot
 * itself (its plan, its id, not published): the delivery waits for it, uncounted.
 */
export const ATTEMPT_OUTCOMES = [
  'sent',
  'dry_run',
  'failed',
  'credentials_expired',
  'credentials_unavailable',
  'batch_refused',
  'lookup_failed',
  'bot_refused',
] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** The source of a manual broadcast's deliveries: the operator, not a shop. */
export const ADMIN_SOURCE = 'admin';

/** What the mapping decided for one order: who gets which message, or why nobody does. */
export type DeliveryPlan =
  | {
      kind: 'send';
      recipient: Recipient;
      rule: string;
      content: Content;
      name: string;
      /** When it may go: at once, or after its rule's delay or the quiet hours. */
      dueAt?: number;
      /** Why it waits before its first attempt (a delay, quiet hours), for the operator. */
      holdReason?: string;
      /** Once sent, bind this shop id to the recipient in MantaGO (`bind: true`). */
      bindCustomerId?: string;
      /** Events of the same order that withdraw it while it is not yet sent (its rule's withdrawnBy). */
      withdrawnBy?: readonly OrderEvent[];
      /** MantaGO tags to put on or take off the recipient, beside the message (never holding it back). */
      tagging?: Tagging;
    }
  /** Nobody gets a message; the recipient may still be tagged (a rule with only `tag`). */
  | { kind: 'skip'; reason: string; tagging?: Tagging }
  /** Stored pending: the worker finds the recipient (a MantaGO member lookup), then the rule; what any of its rules is withdrawn by withdraws it meanwhile. */
  | { kind: 'resolve'; reason: string; withdrawnBy?: readonly OrderEvent[] };

/** The tags a plan puts on its recipient (one still to find its recipient has none yet). */
export const tagsOf = (plan: DeliveryPlan): Tagging | undefined => (plan.kind === 'resolve' ? undefined : plan.tagging);

/** An order that passed verification, with what the mapping decided for it. */
export interface IncomingOrder {
  /** Two webhooks with the same key are the same order: the second is a duplicate. */
  dedupeKey: string;
  /** Where it came from: a webhook source, or the operator (ADMIN_SOURCE). */
  source: string;
  shop: string;
  orderId: string;
  /** The order as received; none for a manual broadcast. */
  order: StoredOrder | null;
  /** None for a manual broadcast: it is no order's event. */
  event: OrderEvent | null;
  topic: string | undefined;
  receivedAt: number;
  plan: DeliveryPlan;
  /** Deliveries with the same key may share one broadcast. */
  batchKey: string | undefined;
  /** Stored already claimed by this owner (a manual broadcast sends it at once, not the worker). */
  leasedTo?: { owner: string; until: number };
  /** An event that withdraws its order's messages not yet sent whose rule names it (withdrawnBy): the order's key (placedKeyOf). */
  withdraws?: { orderKey: string; event: OrderEvent };
  /** The customer's directory keys: an opt-out of any, found as it is stored, makes it skipped (`opted out`). */
  optOutKeys?: string[];
  /**
   * Stored with it, in the same transaction: an event of the same order that comes with it (an order
   * first seen completed: its spent shipment with its placed event, or its placed event, skipped, with its shipment).
   */
  alongside?: IncomingOrder;
  /** Stored in place of the delivery under its key skipped for this reason (a shipment spent as its order was first seen: SPENT_AT_FIRST_SIGHT). */
  replacesSkipped?: string;
  /** The replacement is not made when any of these keys is stored (the order's endings), checked as it is stored. */
  replacesUnless?: string[];
}

/** Why an order ending (cancelled, refunded) come again after retention pruned its told delivery is not sent (an edit of the order). */
export const TOLD_BEFORE_PRUNED =
  'told already: the order ended long ago (its delivery since pruned by retention); an edit of it is no news';

/** Why a shipment stored with its order's first sight (WooCommerce's completed) is not sent: that order's placed message went instead. */
export const SPENT_AT_FIRST_SIGHT = 'the order was first seen at this status: its placed message is the one sent';

/** Why a delivery waits while the worker asks MantaGO who its customer is. */
export const AWAITING_MEMBER_LOOKUP = 'waiting for a MantaGO member lookup';

/** The reason a withdrawn message shows: the event that withdrew it ("order cancelled before the message went out"). */
export const withdrawnReason = (event: OrderEvent): string => `order ${event.replaceAll('_', ' ')} before the message went out`;

/**
 * The plan of an event the shop shows was followed by one its rule is withdrawn by (a poll finding an
 * order placed and cancelled while its webhooks were lost): skipped as stored, as it would have been
 * withdrawn held; a message's tags still go, as a withdrawn message's do (one still to find its
 * recipient has none yet).
 */
export function withdrawnAlready(plan: DeliveryPlan, followedBy: readonly OrderEvent[] | undefined): DeliveryPlan {
  if (!followedBy?.length || plan.kind === 'skip') return plan;
  const withdrawing = plan.withdrawnBy?.find((event) => followedBy.includes(event));
  if (withdrawing === undefined) return plan;
  return { kind: 'skip', reason: withdrawnReason(withdrawing), ...(plan.kind === 'send' && plan.tagging && { tagging: plan.tagging }) };
}

/** What the intake made of a shop's order event: stored, stored already, or not one to store. */
export const INTAKE_OUTCOMES = ['accepted', 'duplicate', 'ignored'] as const;

export interface RecordedOrder {
  outcome: Exclude<(typeof INTAKE_OUTCOMES)[number], 'ignored'>;
  deliveryId: number;
  status: DeliveryStatus;
  /** Why the store skipped it as it stored it (the customer opted out). */
  reason?: string;
  /** How many of the order's held messages this event withdrew (when any). */
  withdrawn?: number;
}

/** A pending delivery a worker has leased: nobody else takes it until the lease runs out. */
export interface ClaimedDelivery {
  id: number;
  source: string;
  orderId: string;
  platform: Platform;
  clientId: string;
  rule: string;
  intentId: string | null;
  message: string | null;
  fbTag: string | null;
  name: string;
  /** Counted attempts so far. */
  attempts: number;
  receivedAt: number;
  /** Where its retry age counts from: when it arrived, or when the operator redrove it. */
  waitingSince: number;
  /** When it fell due, as claimed (its first attempt, a retry, or when the operator asked for it). */
  dueAt: number;
}

/** One call's result for one delivery: written once, never updated. */
export interface Attempt {
  deliveryId: number;
  startedAt: number;
  durationMs: number;
  outcome: AttemptOutcome;
  httpStatus: number | null;
  error: string | null;
  batchSize: number;
}

/** What becomes of a delivery after an attempt. */
export type Transition =
  | { to: 'sent' }
  | { to: 'retry'; at: number; counted: boolean }
  | { to: 'dead'; reason: string }
  /** The same claim goes on at once (credentials renewed, a refused batch split): the lease stays. */
  | { to: 'in_flight' };

export interface AttemptResult {
  attempt: Attempt;
  transition: Transition;
}

/** A delivery as the operator sees it. */
export interface DeliveryRecord {
  id: number;
  source: string;
  event: OrderEvent | null;
  shop: string;
  orderId: string;
  topic: string | null;
  status: DeliveryStatus;
  platform: string | null;
  clientId: string | null;
  recipientVia: string | null;
  rule: string | null;
  intentId: string | null;
  message: string | null;
  fbTag: string | null;
  name: string | null;
  attempts: number;
  receivedAt: number;
  /** Pending: when it is next due (while claimed, when the claim runs out). */
  nextAttemptAt: number | null;
  /** Pending and claimed by a worker right now. */
  inFlight: boolean;
  finishedAt: number | null;
  redrivenAt: number | null;
  /** Why it was skipped or died, or the last failure of a pending one. */
  lastError: string | null;
  /** Pending: why it waits — held (a delay, quiet hours), its recipient still to be found, or a retry. */
  waitReason: string | null;
  /** The customer's shop id and e-mail, as the order gave them. */
  customerId: string | null;
  customerEmail: string | null;
  /** The order's number as the shop shows it (Shopify's #1004), when it has one. */
  orderNumber: string | null;
}

export interface AttemptRecord extends Omit<Attempt, 'deliveryId'> {
  /** When the retry it led to was due, if it led to one. */
  nextAttemptAt: number | null;
}

export interface DeliveryDetail extends DeliveryRecord {
  order: StoredOrder | null;
  attemptLog: AttemptRecord[];
}

/** Between the parts of a dedupe key. */
const KEY_SEPARATOR = '\u001f';

/**
 * Webhooks with the same key are the same order event: one message, however often (or however
 * altered) the shop sends it. An order's placed event keeps the key orders had before there were events.
 */
export function dedupeKey(source: string, scope: string, orderId: string, event: OrderEvent = 'placed', eventKey?: string): string {
  // Built by concatenation, not an array joined: this runs for every webhook.
  const placed = source + KEY_SEPARATOR + scope + KEY_SEPARATOR + orderId;
  return event === 'placed' ? placed : orderEventKey(placed, event, eventKey);
}

/** The key of an order's event other than placed (of one shipment, for a shipment's events), from its placed key. */
export function orderEventKey(placedKey: string, event: OrderEvent, eventKey?: string): string {
  return eventKey === undefined ? placedKey + KEY_SEPARATOR + event : placedKey + KEY_SEPARATOR + event + KEY_SEPARATOR + eventKey;
}

/** The key of an order's placed event (its first three parts), from the key of any of its events. */
export function placedKeyOf(key: string): string {
  let end = -1;
  for (let part = 0; part < 3; part++) {
    end = key.indexOf(KEY_SEPARATOR, end + 1);
    if (end < 0) return key;
  }
  return key.slice(0, end);
}

/** What every key of an order's events but its placed one starts with: the placed key, then this. */
export const ORDER_KEY_SEPARATOR = KEY_SEPARATOR;

/** A delivery as its order's later events see it (by its dedupe key). */
export interface KnownDelivery {
  status: DeliveryStatus;
  /** When it was stored. */
  receivedAt: number;
  /** Its recipient, once known. */
  recipient?: Recipient;
  /** The worker still has to find its recipient. */
  resolving: boolean;
  order: StoredOrder | null;
  /** Why it was skipped, when it was. */
  reason?: string;
}
