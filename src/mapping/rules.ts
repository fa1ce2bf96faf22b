// What is sent: the mapping file's `rules`, first matching rule wins.
import { DEFAULT_FB_TAG, type Content, type FbTag } from '../domain/content.ts';
import type { Order } from '../domain/order.ts';
import type { Platform } from '../domain/recipient.ts';
import { renderTemplate, type Template } from './template.ts';

export interface When {
  platform?: Platform;
  source?: string;
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
  return {
    reason: passedOver.length > 0 ? `no rule could be used: ${passedOver.join('; ')}` : `no rule matches this order on ${platform}`,
  };
}
