// One delivery: why it went (or didn't), the order as received, who it was for and how they were
// found, what was sent, and every attempt as a timeline. A dead one (or a dead tag job of it) can
// be retried from here.
import { ApiError, api, type Attempt, type DeliveryDetail, type TagJob } from './api.ts';
import { NONE, badge, every, facts, h, notice, reason, relative, sentence, text, time } from './dom.ts';
import type { Page } from './page.ts';
import { orderSection } from './order-view.ts';
import { taggingSection } from './tagging-view.ts';

const PENDING_REFRESH_MS = 2_000;

export const deliveryPage: Page = ({ main, id }) => {
  const heading = h('h1', { tabindex: -1 }, `Delivery #${id}`);
  const message = notice('status');
  const body = h('div', { class: 'delivery' }, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('p', { class: 'crumbs' }, h('a', { href: '#/deliveries' }, '« All deliveries')), heading, message.element, body);

  let shown = '';
  const load = async (): Promise<string | null | undefined> => {
    try {
      const delivery = await api<DeliveryDetail>('GET', `/deliveries/${id}`);
      // Redrawn only when it changed, so what the operator opened or focused stays as it is.
      const seen = JSON.stringify(delivery);
      if (seen !== shown) {
        shown = seen;
        heading.replaceChildren(`Delivery #${id} `, badge(delivery.status));
        body.replaceChildren(...draw(delivery, (action, job) => void act(action, job)));
      }
      // Followed while its tags are still being put on, too.
      return delivery.tagging?.some((t) => t.status === 'pending') ? 'pending' : delivery.status;
    } catch (error) {
      const missing = error instanceof ApiError && error.status === 404;
      shown = '';
      body.replaceChildren(
        h(
          'p',
          { class: 'notice notice-alert', role: 'alert' },
          missing ? `There is no delivery #${id} (it may have been pruned).` : `Could not load the delivery: ${reason(error)}`,
        ),
      );
      // No answer, or the service's trouble: the delivery may still change. Anything else ends the following.
      const unanswered = !(error instanceof ApiError) || error.status === 0 || error.status >= 500;
      return missing || !unanswered ? 'ended' : 'unknown';
    }
  };
  // A waiting delivery changes by itself: follow it until it is settled (an answer that did not
  // come, as while the service restarts, says nothing of that: it goes on).
  const stillChanging = (status: string | null | undefined) => status === 'pending' || status === 'unknown';
  let stopWatching: (() => void) | undefined;
  let left = false; // the operator left the page: an action answered since starts no following
  /** `now`: read it at once (false: it was just read). */
  const watch = (now = true) => {
    stopWatching?.();
    if (left) return;
    stopWatching = every(
      PENDING_REFRESH_MS,
      async () => {
        if (!stillChanging(await load())) stopWatching?.();
      },
      { now },
    );
  };
  let acting = false; // a double click sends one request
  const act = async (action: Action, job?: TagJob) => {
    if (acting) return;
    acting = true;
    try {
      if (action === 'retry-tag') {
        const after = await api<TagJob>('POST', `/tag-jobs/${job?.id}/retry`);
        message.show(
          after.status === 'tagged'
            ? `Not tried: ${text(after.lastError)}.`
            : `The tag ${text(job?.tag)} is tried again: its tries start over. This page follows it.`,
          'ok',
        );
      } else {
        await api('POST', `/deliveries/${id}/retry`);
        message.show(
          action === 'retry' ? 'Sent again: its attempts start over. This page follows it.' : 'Due now: the worker will send it next.',
          'ok',
        );
      }
      heading.focus(); // the button goes away with the redraw; keep keyboard focus on the page
      // Redrawn before another click counts: a second click on the button just answered would be refused as "being sent".
      if (left) return;
      if (stillChanging(await load())) watch(false);
    } catch (error) {
      message.show(`${action === 'send-now' ? 'Send now' : 'Retry'} failed: ${sentence(reason(error))}`, 'error');
      watch(); // refused because it moved on (another operator resent it): shown as it is now
    } finally {
      acting = false;
    }
  };
  watch();
  return () => {
    left = true;
    stopWatching?.();
  };
};

type Action = 'retry' | 'send-now' | 'retry-tag';

function draw(d: DeliveryDetail, act: (action: Action, job?: TagJob) => void): Node[] {
  const nodes: Node[] = [];
  if (d.lastError && (d.status === 'skipped' || d.status === 'dead' || d.status === 'pending')) {
    const title =
      d.status === 'skipped' ? 'Why it was skipped' : d.status === 'dead' ? 'Why it is dead' : 'Why it is still waiting (the last failure)';
    nodes.push(
      h(
        'section',
        { class: `why why-${d.status}`, 'aria-labelledby': 'why-title', 'data-field': 'why' },
        h('h2', { id: 'why-title' }, title),
        h('p', {}, d.lastError),
      ),
    );
  }
  const actions = h('div', { class: 'actions' });
  if (d.status === 'dead')
    actions.append(h('button', { type: 'button', class: 'button primary', onclick: () => act('retry') }, 'Retry this delivery'));
  if (d.status === 'pending' && !d.inFlight)
    actions.append(h('button', { type: 'button', class: 'button', onclick: () => act('send-now') }, 'Send now'));
  if (d.status === 'pending' && d.inFlight) actions.append(h('p', { class: 'muted' }, 'Being sent right now.'));
  if (actions.childElementCount > 0) nodes.push(actions);

  nodes.push(
    h(
      'div',
      { class: 'columns' },
      h(
        'section',
        { 'aria-labelledby': 'recipient-title' },
        h('h2', { id: 'recipient-title' }, 'Recipient'),
        facts([
          ['Platform', text(d.platform)],
          ['Chat user', d.clientId ? h('code', {}, d.clientId) : 'nobody'],
          ['Found by', text(d.recipientVia)],
        ]),
      ),
      h(
        'section',
        { 'aria-labelledby': 'content-title' },
        h('h2', { id: 'content-title' }, 'Rule and content'),
        facts([
          ['Rule', text(d.rule)],
          ['Conversation module', d.intentId ? h('code', {}, d.intentId) : undefined],
          ['Message', d.message ? h('span', { class: 'message-text' }, d.message) : undefined],
          ['Messenger tag', d.fbTag ?? undefined],
          ['Broadcast name', text(d.name)],
          ['Content', !d.intentId && !d.message ? NONE : undefined],
        ]),
      ),
      h(
        'section',
        { 'aria-labelledby': 'progress-title' },
        h('h2', { id: 'progress-title' }, 'Delivery'),
        facts([
          ['Status', badge(d.status)],
          ['Source', `${text(d.source)}${d.shop ? ` (${d.shop})` : ''}`],
          ['Order id', text(d.orderId)],
          ['Order number', d.orderNumber ? text(d.orderNumber) : undefined],
          ['Event', d.event ? text(d.event) : undefined],
          ['Topic', text(d.topic)],
          ['Received', time(d.receivedAt)],
          ['Attempts', text(d.attempts)],
          ['Next try', d.status === 'pending' && d.nextAttemptAt ? [time(d.nextAttemptAt), ` (${relative(d.nextAttemptAt)})`] : undefined],
          ['Finished', d.finishedAt ? time(d.finishedAt) : undefined],
          ['Redriven', d.redrivenAt ? time(d.redrivenAt) : undefined],
        ]),
      ),
    ),
  );
  nodes.push(timeline(d.attemptLog ?? [], d.status));
  if (d.tagging && d.tagging.length > 0) nodes.push(taggingSection(d.tagging, (job) => act('retry-tag', job)));
  nodes.push(orderSection(d.order));
  return nodes;
}

function timeline(attempts: Attempt[], status: string | null | undefined): HTMLElement {
  const section = h(
    'section',
    { 'aria-labelledby': 'attempts-title', class: 'attempts' },
    h('h2', { id: 'attempts-title' }, `Attempts (${attempts.length})`),
  );
  if (attempts.length === 0) {
    section.append(h('p', { class: 'empty' }, status === 'skipped' ? 'None: a skipped delivery is never sent.' : 'None yet.'));
    return section;
  }
  const list = h('ol', { class: 'timeline' });
  attempts.forEach((a, index) => {
    const details: (Node | string)[] = [];
    details.push(a.httpStatus === null || a.httpStatus === undefined ? 'no HTTP answer' : `HTTP ${a.httpStatus}`);
    if (typeof a.durationMs === 'number') details.push(`${a.durationMs} ms`);
    if (typeof a.batchSize === 'number' && a.batchSize > 1) details.push(`in a batch of ${a.batchSize}`);
    list.append(
      h(
        'li',
        { class: `attempt attempt-${text(a.outcome).replace(/[^a-z_]/g, '')}`, 'data-attempt': index + 1 },
        h(
          'p',
          { class: 'attempt-head' },
          h('span', { class: 'attempt-number' }, `#${index + 1}`),
          ' ',
          time(a.startedAt),
          ' ',
          badge(a.outcome),
        ),
        h('p', { class: 'attempt-facts', 'data-field': 'httpStatus' }, details.join(' · ')),
        a.error
          ? h(
              'p',
              { class: 'attempt-error' },
              h('span', { class: 'label' }, "MantaGO's reason: "),
              h('span', { 'data-field': 'error' }, a.error),
            )
          : null,
        a.nextAttemptAt ? h('p', { class: 'attempt-next' }, 'Next try ', time(a.nextAttemptAt)) : null,
      ),
    );
  });
  section.append(list);
  return section;
}
