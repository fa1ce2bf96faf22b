// The front page: is anything stuck (dead deliveries, dead tag jobs to try again), are MantaGO's
// credentials good, which shops can send orders. Refreshes every 10 s while the tab is visible.
import { systemClock } from '../clock.ts';
import { api, type Overview, type TagJob } from './api.ts';
import { deadTagsSection } from './dead-tags-section.ts';
import { NONE, badge, confirmDialog, every, facts, h, notice, reason, relative, sentence, span, text, time } from './dom.ts';
import type { Page } from './page.ts';
import { type ShopConnectionView, shopsSection } from './shops-section.ts';

const REFRESH_MS = 10_000;
/** Dead tag jobs listed on the overview, newest first. */
const DEAD_TAGS_SHOWN = 10;

export const overviewPage: Page = ({ main, sawOverview }) => {
  const updated = h('p', { class: 'muted', 'aria-live': 'off' }, 'Loading…');
  const problem = notice('alert');
  const message = notice('status');
  const body = h('div', { class: 'overview' });
  let refreshing = false;
  const load = async () => {
    refreshing = true;
    refresh.disabled = true;
    try {
      // The shops' trouble is shown in their section: what is stuck and the credentials are shown all the same.
      const [overview, shops] = await Promise.all([
        api<Overview>('GET', '/overview'),
        api<{ shops?: ShopConnectionView[] }>('GET', '/shops').then(
          (answer) => answer.shops ?? [],
          (error: unknown) => ({ problem: reason(error) }),
        ),
      ]);
      sawOverview(overview);
      const deadTags = overview.tagJobs?.dead ?? 0;
      const listed =
        deadTags > 0 ? ((await api<{ tagJobs?: TagJob[] }>('GET', `/tag-jobs?status=dead&limit=${DEAD_TAGS_SHOWN}`)).tagJobs ?? []) : [];
      const tags = deadTags > 0 ? [deadTagsSection(deadTags, listed, () => void redriveTags())] : [];
      body.replaceChildren(...draw(overview), ...tags, shopsSection(shops));
      problem.show('');
      updated.textContent = `Updated ${new Date(systemClock.now()).toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} s while this tab is visible.`;
    } catch (error) {
      problem.show(`Could not load the overview: ${reason(error)}`);
    } finally {
      refreshing = false;
      refresh.disabled = false;
    }
  };
  const redriveTags = async () => {
    const confirmed = await confirmDialog({
      title: 'Try dead tag jobs again?',
      body: 'Every dead tag job is tried again, its tries starting over; one a later job of its user and tag decides is ended instead. MantaGO may refuse them again if their cause is not mended.',
      confirm: 'Try all again',
      danger: true,
    });
    if (!confirmed) return;
    try {
      const done = await api<{ redriven?: number; superseded?: number; remaining?: number }>('POST', '/tag-jobs/redrive');
      const left = done.remaining ? ` ${done.remaining} dead remain: try again for the next thousand.` : '';
      message.show(
        `${done.redriven ?? 0} tried again; ${done.superseded ?? 0} ended, a later job of their user and tag deciding.${left}`,
        'ok',
      );
      await load();
    } catch (error) {
      message.show(`Trying the tag jobs again failed: ${sentence(reason(error))}`, 'error');
    }
  };
  const refresh = h('button', { type: 'button', class: 'button small', onclick: () => void (refreshing || load()) }, 'Refresh now');
  main.append(
    h('div', { class: 'title-row' }, h('h1', { tabindex: -1 }, 'Overview'), refresh),
    updated,
    problem.element,
    message.element,
    body,
  );
  return every(REFRESH_MS, load);
};

function draw(overview: Overview): Node[] {
  const queue = overview.deliveries ?? {};
  const oldest = queue.oldestPendingSince;
  const stat = (field: string, label: string, value: number | null | undefined, extra?: Node | string) =>
    h(
      'div',
      { class: `stat${(field === 'dead' || field === 'deadTagJobs') && (value ?? 0) > 0 ? ' alarm' : ''}` },
      h('dt', {}, label),
      h('dd', { 'data-field': field }, text(value)),
      extra ? h('dd', { class: 'muted' }, extra) : null,
    );
  const deliveries = h(
    'section',
    { 'aria-labelledby': 'ov-deliveries' },
    h('h2', { id: 'ov-deliveries' }, 'Deliveries'),
    h(
      'dl',
      { class: 'stats' },
      stat('pending', 'Waiting', queue.pending, h('a', { href: '#/deliveries?status=pending' }, 'Show waiting')),
      h(
        'div',
        { class: 'stat' },
        h('dt', {}, 'Oldest wait'),
        h('dd', { 'data-field': 'oldestWait' }, oldest ? span(systemClock.now() - new Date(oldest).getTime()) : NONE),
        h(
          'dd',
          { class: 'muted', 'data-field': 'oldestPendingSince' },
          ...(oldest ? ['since ', time(oldest)] : [(queue.pending ?? 0) > 0 ? 'held until later' : 'nothing is waiting']),
        ),
      ),
      stat('dead', 'Dead', queue.dead, h('a', { href: '#/deliveries?status=dead' }, 'Show dead')),
      stat('sentLastHour', 'Sent in the last hour', queue.sentLastHour),
      stat('deadTagJobs', 'Dead tag jobs', overview.tagJobs?.dead),
    ),
  );

  const c = overview.credentials ?? {};
  const m = overview.mantago ?? {};
  const credentials = h(
    'section',
    { 'aria-labelledby': 'ov-credentials' },
    h('h2', { id: 'ov-credentials' }, 'MantaGO credentials'),
    c.state === 'rejected'
      ? h(
          'p',
          { class: 'why', role: 'note' },
          h('strong', {}, 'MantaGO rejected the credentials. '),
          'Orders are stored and wait; install a new pair from the dashboard (PUT /admin/credentials).',
        )
      : null,
    m.state === 'bot_refused'
      ? h(
          'p',
          { class: 'why', role: 'note', 'data-field': 'botRefused' },
          h('strong', {}, `MantaGO refuses the bot (${text(m.reason)}, code ${text(m.code)}): ${text(m.message)}. `),
          'Orders are stored and wait, uncounted; one probe at a time asks again',
          ...(m.nextProbeAt ? [' (next ', time(m.nextProbeAt), ').'] : ['.']),
        )
      : null,
    facts(
      [
        ['MantaGO', m.usable ? badge(m.usable) : null],
        ['State', c.state ? badge(c.state) : null],
        ['Bot', text(c.botId)],
        ['Expires', c.expiresAt ? [time(c.expiresAt), ` (${relative(c.expiresAt)})`] : null],
        ['Last refresh', c.lastRefreshAt ? [time(c.lastRefreshAt), ` (${relative(c.lastRefreshAt)})`] : 'never'],
        ['Pair', c.generation === null || c.generation === undefined ? null : `generation ${c.generation}, from ${text(c.origin)}`],
        ['Last error', c.lastError ? h('span', { class: 'error-text' }, c.lastError) : 'none'],
      ],
      { 'data-field': 'credentials' },
    ),
  );

  const sources = overview.sources ?? [];
  const webhooks = h(
    'section',
    { 'aria-labelledby': 'ov-sources' },
    h('h2', { id: 'ov-sources' }, 'Webhook sources'),
    sources.length === 0
      ? h('p', {}, NONE)
      : h(
          'ul',
          { class: 'sources', 'data-field': 'sources' },
          ...sources.map((s) =>
            h(
              'li',
              { 'data-source': text(s.name) },
              h('span', { class: s.enabled ? 'badge badge-sent' : 'badge badge-skipped' }, s.enabled ? 'enabled' : 'disabled'),
              ' ',
              h('strong', {}, text(s.name)),
              ' ',
              h('code', {}, text(s.path)),
            ),
          ),
        ),
    h('p', { class: 'help' }, "A source is enabled when its secret is set; a disabled source's route answers 404."),
  );
  return [deliveries, credentials, webhooks];
}
