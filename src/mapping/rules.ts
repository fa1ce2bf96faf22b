// What is sent: the mapping file's `rules`, first matching rule wins. A rule is for one or more
// order events (placed when it names none, so a mapping written for one message per order keeps
// sending exactly that), may hold its message (`delay`) or ignore the quiet hours, and names the
// events of the same order that withdraw its message while it is held (`withdrawnBy`).
import { DEFAULT_FB_TAG, MESSAGE_MAX_LENGTHS, textLimitOf, type Content, type FbTag } from '../domain/content.ts';
import type { Order, OrderEvent } from '../domain/order.ts';
import type { Platform } from '../domain/recipient.ts';
import { localeMatches } from './locale.ts';
import type { TagOp } from '../domain/tagging.ts';
import { renderTemplate, type Template } from './template.ts';

export interface When {
  event: readonly OrderEvent[];
  platform?: Platform;
  source?: string;
  shop?: string;
  currency?: string;
  minTotal?: number;
  maxTotal?: number;
  /** The customer's languages (canonical tags), each matching its region variants. */
  locale?: readonly string[];
}
export interface Rule {
  name: string;
  when: When;
  /** None: the rule only tags (`tag`), and the first rule with a message further down sends. */
  send?: { intentId: string; fbTag?: FbTag | undefined } | { message: Template; fbTag?: FbTag | undefined };
  /** MantaGO tags to put on or take off the recipient (every matching rule's, beside the message). */
  tags?: TagOp[];
  /** Hold the message this long after the order event arrived (events named by withdrawnBy withdraw it meanwhile). */
  delayMs?: number;
  /** Events of the same order that withdraw its message while not yet sent; unset: the default (withdrawnByOf). */
  withdrawnBy?: readonly OrderEvent[];
  /** An event older than this when it reaches us (by the shop's time) is skipped. */
  maxAgeMs?: number;
  /** False: send even inside the quiet hours. */
  quietHours: boolean;
}
/** A rule's content, or why none: `missing`, the order's fields some matching rule needed (a stage's tracking, say). */
export type ContentResult = { rule: Rule; content: Content } | { reason: string; missing: string[] };

export function matches(when: When, order: Order, platform: Platform): boolean {
  const total = Number(order.total);
  return (
    when.event.includes(order.event) &&
    (when.platform === undefined || when.platform === platform) &&
    (when.source === undefined || when.source === order.source) &&
    (when.shop === undefined || when.shop === order.shop) &&
    (when.currency === undefined || when.currency.toUpperCase() === order.currency) &&
    (when.minTotal === undefined || total >= when.minTotal) &&
    (when.maxTotal === undefined || total <= when.maxTotal) &&
    (when.locale === undefined || localeMatches(when.locale, order.customer.locale))
  );
}

/** What withdraws a message of `rule` for an `event`: the rule's list, else a cancel withdraws a placed message (as always). */
export function withdrawnByOf(rule: Pick<Rule, 'withdrawnBy'>, event: OrderEvent): readonly OrderEvent[] {
  return rule.withdrawnBy ?? (event === 'placed' ? ['cancelled'] : []);
}

/** What withdraws a message for `event` whose rule is not chosen yet: what any rule for the event is withdrawn by. */
export function anyWithdrawnBy(rules: readonly Rule[], event: OrderEvent): OrderEvent[] {
  return [...new Set(rules.filter((rule) => rule.when.event.includes(event)).flatMap((rule) => withdrawnByOf(rule, event)))];
}

/** The events that withdraw some rule's message: stored even without a rule of their own. */
export function withdrawingEvents(rules: readonly Rule[]): Set<OrderEvent> {
  return new Set(rules.flatMap((rule) => rule.when.event.flatMap((event) => withdrawnByOf(rule, event))));
}

/** Whether any rule could send a message for this event at all (else the webhook is ignored, with the reason). */
export function anyRuleFor(rules: readonly Rule[], event: OrderEvent): boolean {
  return rules.some((rule) => rule.when.event.includes(event));
}

/**
 * The first rule that matches and can be rendered for this order. A rule whose message needs a
 * value the order lacks (and has no fallback) is passed over, so no customer gets a blank.
 */
export function chooseContent(rules: readonly Rule[], order: Order, platform: Platform): ContentResult {
  const passedOver: string[] = [];
  let missing: string[] | undefined; // made only when a rule is passed over: not on every order's way
  for (const rule of rules) {
    if (!rule.send || !matches(rule.when, order, platform)) continue;
    const fbTag = platform === 'facebook' ? (rule.send.fbTag ?? DEFAULT_FB_TAG) : undefined;
    if ('intentId' in rule.send) return { rule, content: { intentId: rule.send.intentId, ...(fbTag && { fbTag }) } };
    const rendered = renderTemplate(rule.send.message, order);
    // Too long for the platform (an order's field may be anything): passed over like a blank, not refused at the call.
    if ('text' in rendered && rendered.text.length <= MESSAGE_MAX_LENGTHS[platform])
      return { rule, content: { message: rendered.text, ...(fbTag && { fbTag }) } };
    if (!('text' in rendered)) {
      missing ??= [];
      missing.push(rendered.missing);
    }
    passedOver.push(
      'text' in rendered
        ? `rule ${rule.name}'s message would be ${rendered.text.length} UTF-16 code units; ${textLimitOf(platform)}`
        : `rule ${rule.name} needs ${rendered.missing}, which the order lacks`,
    );
  }
  const which = order.event === 'placed' ? 'this order' : `this ${order.event} event`;
  return {
    reason: passedOver.length > 0 ? `no rule could be used: ${passedOver.join('; ')}` : `no rule matches ${which} on ${platform}`,
    missing: missing ?? [],
  };
}
