// The overview's shop connections (GET /admin/shops): per connected shop, its last poll, the
// watermark and the next poll, and its webhooks with their state and last repair.
import type { Maybe } from './api.ts';
import { NONE, badge, facts, h, text, time } from './dom.ts';

export interface ShopConnectionView {
  source?: Maybe<string>;
  settings?: Maybe<Record<string, string>>;
  lastPoll?: Maybe<{
    at?: Maybe<string>;
    outcome?: Maybe<string>;
    error?: Maybe<string>;
    orders?: Maybe<number>;
    recovered?: Maybe<number>;
  }>;
  watermark?: Maybe<string>;
  nextPollAt?: Maybe<string>;
  webhooks?: Maybe<{
    checkedAt?: Maybe<string>;
    error?: Maybe<string>;
    list?: Maybe<
      {
        topic?: Maybe<string>;
        address?: Maybe<string>;
        state?: Maybe<string>;
        ours?: Maybe<boolean>;
        lastRepair?: Maybe<{ action?: Maybe<string>; at?: Maybe<string> }>;
      }[]
    >;
  }>;
}

/** `shops`: the connections, or why they could not be read (the rest of the overview is shown all the same). */
export function shopsSection(shops: ShopConnectionView[] | { problem: string }): HTMLElement {
  return h(
    'section',
    { 'aria-labelledby': 'ov-shops' },
    h('h2', { id: 'ov-shops' }, 'Shop connections'),
    'problem' in shops
      ? h(
          'p',
          { 'data-field': 'shops', class: 'notice notice-alert', role: 'alert' },
          `Could not load the shop connections: ${shops.problem}`,
        )
      : shops.length === 0
        ? h('p', { 'data-field': 'shops' }, NONE)
        : h('div', { 'data-field': 'shops' }, ...shops.map(shop)),
    h(
      'p',
      { class: 'help' },
      'A connected shop is polled for the orders whose webhooks never came, and its webhooks are kept pointing at PUBLIC_URL.',
    ),
  );
}

function shop(view: ShopConnectionView): HTMLElement {
  const poll = view.lastPoll;
  const hooks = (view.webhooks?.list ?? []).filter((w) => w.ours);
  return h(
    'div',
    { 'data-shop': text(view.source) },
    h('h3', {}, text(view.source)),
    facts([
      [
        'Last poll',
        poll
          ? [badge(poll.outcome), ' ', time(poll.at), ` (${text(poll.orders)} orders read, ${text(poll.recovered)} events recovered)`]
          : 'not yet',
      ],
      ['Poll error', poll?.error ? h('span', { class: 'error-text' }, poll.error) : 'none'],
      ['Watermark', time(view.watermark)],
      ['Next poll', view.nextPollAt ? time(view.nextPollAt) : 'polling off'],
      [
        'Webhooks',
        hooks.length === 0
          ? (view.webhooks?.error ?? NONE)
          : h(
              'ul',
              {},
              ...hooks.map((w) =>
                h(
                  'li',
                  {},
                  badge(w.state),
                  ' ',
                  text(w.topic),
                  w.lastRepair ? ` (${text(w.lastRepair.action)} ` : null,
                  w.lastRepair ? time(w.lastRepair.at) : null,
                  w.lastRepair ? ')' : null,
                ),
              ),
            ),
      ],
    ]),
  );
}
