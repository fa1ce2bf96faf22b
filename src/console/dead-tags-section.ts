// The overview's dead tag jobs, shown while there are any: the newest few with MantaGO's reason and
// their delivery, and one button to try them all again once the cause is mended (a job a later one
// of its user and tag decides is ended superseded instead, never made).
import type { TagJob } from './api.ts';
import { h, text, time } from './dom.ts';
import { tagAction } from './tagging-view.ts';

export function deadTagsSection(count: number, jobs: TagJob[], redrive: () => void): HTMLElement {
  const shown = jobs.map((job) =>
    h(
      'li',
      { 'data-tag-job': text(job.id) },
      `${tagAction(job)} `,
      h('code', {}, text(job.tag)),
      ' for ',
      h('code', {}, text(job.clientId)),
      ` (${text(job.platform)}), dead `,
      time(job.finishedAt),
      job.lastError ? ': ' : '',
      job.lastError ? h('span', { class: 'error-text' }, job.lastError) : '',
      ' · ',
      h('a', { href: `#/deliveries/${job.deliveryId}` }, `delivery #${text(job.deliveryId)}`),
    ),
  );
  return h(
    'section',
    { 'aria-labelledby': 'ov-dead-tags', 'data-field': 'deadTags' },
    h('h2', { id: 'ov-dead-tags' }, 'Dead tag jobs'),
    h(
      'p',
      { class: 'why', role: 'note' },
      `${count} ${count === 1 ? 'tag job' : 'tag jobs'} died: those users' tags are not what the mapping says. `,
      "Mend the cause (the tag in MantaGO's dashboard, the mapping's tag id, the user's binding), then try them again.",
    ),
    h('ul', { class: 'dead-tags' }, ...shown),
    count > jobs.length
      ? h('p', { class: 'muted' }, `The newest ${jobs.length} of ${count}; GET /admin/tag-jobs?status=dead lists them all.`)
      : null,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button danger', onclick: redrive }, 'Try dead tag jobs again…')),
  );
}
