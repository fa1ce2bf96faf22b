// A delivery's MantaGO tags on its page: each tag put on or taken off the user, where it stands,
// MantaGO's reason when it died (or why no call was needed), and every try; a dead one can be
// tried again. Tagging never changes the message above it.
import type { TagJob } from './api.ts';
import { badge, h, text, time } from './dom.ts';

/** What a job does to its user's tag, in words. */
export const tagAction = (job: TagJob): string => (job.action === 'remove' ? 'Take off' : 'Put on');

/** What a job's last error is, by where it stands: a done job's says why no call was needed. */
const lastErrorLabel = (status: string | null | undefined): string =>
  status === 'dead' ? "MantaGO's reason: " : status === 'pending' ? 'Last failure: ' : 'Note: ';

export function taggingSection(jobs: TagJob[], retry: (job: TagJob) => void): HTMLElement {
  const section = h(
    'section',
    { 'aria-labelledby': 'tagging-title', class: 'tagging', 'data-field': 'tagging' },
    h('h2', { id: 'tagging-title' }, `MantaGO tags (${jobs.length})`),
  );
  const list = h('ul', { class: 'tag-jobs' });
  for (const job of jobs) {
    const tries = (job.attemptLog ?? []).map((a) =>
      h(
        'li',
        {},
        time(a.startedAt),
        ' ',
        badge(a.outcome),
        ` ${a.httpStatus === null || a.httpStatus === undefined ? 'no HTTP answer' : `HTTP ${a.httpStatus}`}`,
        a.error ? ` · ${a.error}` : '',
      ),
    );
    list.append(
      h(
        'li',
        { class: 'attempt tag-job', 'data-tag': text(job.tag) },
        h('p', { class: 'attempt-head' }, `${tagAction(job)} `, h('code', {}, text(job.tag)), ' ', badge(job.status)),
        job.lastError ? h('p', { class: 'attempt-error' }, h('span', { class: 'label' }, lastErrorLabel(job.status)), job.lastError) : null,
        tries.length > 0 ? h('ol', { class: 'attempt-facts' }, ...tries) : h('p', { class: 'muted' }, 'Not tried yet.'),
        job.status === 'dead' && typeof job.id === 'number'
          ? h(
              'div',
              { class: 'actions' },
              h('button', { type: 'button', class: 'button small', onclick: () => retry(job) }, 'Try this tag again'),
            )
          : null,
      ),
    );
  }
  section.append(list);
  return section;
}
