// What is sent: the mapping file's `rules`, first matching rule wins.
import type { Order, Source } from '../sources/order.ts';
import type { Platform } from './platform.ts';
import { renderTemplate, type Template } from './template.ts';

/** Facebook's message tags; MantaGO requires one for Messenger broadcasts. */
export const FB_TAGS = ['POST_PURCHASE_UPDATE', 'CONFIRMED_EVENT_UPDATE', 'ACCOUNT_UPDATE', 'HUMAN_AGENT'] as const;
export type FbTag = (typeof FB_TAGS)[number];
/** An order confirmation is what POST_PURCHASE_UPDATE is for. */
export const DEFAULT_FB_TAG: FbTag = 'POST_PURCHASE_UPDATE';

export interface When {
  platform?: Platform;
  source?: Source;
  shop?: string;
  currency?: string;
  minTotal?: number;
  maxTotal?: number;
}
export interface Rule {
  name: string;
  when: When;
  send: { intentId: string; fbTag?: FbTag | undefined } | { message: Template; fbTag?: FbTag | undefined };
}
export interface Content {
  intentId?: string;
  message?: string;
  fbTag?: FbTag;
}
export type ContentResult = { rule: string; content: Content } | { reason: string };

function matches(when: When, order: Order, platform: Platform): boolean {
  const total = Number(order.total);
  return (
    (when.platform === undefined || when.platform === platform) &&
    (when.source === undefined || when.source === order.source) &&
    (when.shop === undefined || when.shop === order.shop) &&
    (when.currency === undefined || when.currency.toUpperCase() === order.currency) &&
    (when.minTotal === undefined || total >= when.minTotal) &&
    (when.maxTotal === undefined || total <= when.maxTotal)
  );
}

/**
 * The first rule that matches and can be rendered for this order. A rule whose message needs a
 * value the order lacks (and has no fallback) is passed over, so no customer gets a blank.
 */
export function chooseContent(rules: readonly Rule[], order: Order, platform: Platform): ContentResult {
  const passedOver: string[] = [];
  for (const rule of rules) {
    if (!matches(rule.when, order, platform)) continue;
    const fbTag = platform === 'facebook' ? (rule.send.fbTag ?? DEFAULT_FB_TAG) : undefined;
    if ('intentId' in rule.send) return { rule: rule.name, content: { intentId: rule.send.intentId, ...(fbTag && { fbTag }) } };
    const rendered = renderTemplate(rule.send.message, order);
    if ('text' in rendered) return { rule: rule.name, content: { message: rendered.text, ...(fbTag && { fbTag }) } };
    passedOver.push(`rule ${rule.name} needs ${rendered.missing}, which the order lacks`);
  }
  return { reason: passedOver.length > 0 ? `no rule could be used: ${passedOver.join('; ')}` : `no rule matches this order on ${platform}` };
}
