// Building the page: elements are made with text nodes only (never innerHTML), since much of what
// is shown comes from shops' webhooks. Plus the small formatting every page shares.
import { systemClock } from '../clock.ts';

export type Child = Node | string | number | null | undefined | false;
type Prop = string | number | boolean | null | undefined | ((event: Event) => void);

/** `h('button', { type: 'button', onclick: go }, 'Retry')`: attributes by name, `on…` functions as listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, Prop> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Element, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/** What is shown for a missing or null value. */
export const NONE = '—';

export const text = (value: unknown): string => (value === null || value === undefined || value === '' ? NONE : String(value));

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A time as a <time> element (the exact ISO time on hover), or NONE. */
export function time(iso: string | null | undefined): Node {
  if (!iso) return document.createTextNode(NONE);
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return document.createTextNode(iso);
  return h('time', { datetime: iso, title: iso }, dateTime.format(at));
}

/** A span of milliseconds for people: "850 ms", "42 s", "3 min", "5 h", "2 days". */
export function span(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1_000) return `${Math.round(abs)} ms`;
  if (abs < 60_000) return `${Math.round(abs / 1_000)} s`;
  if (abs < 3_600_000) return `${Math.round(abs / 60_000)} min`;
  if (abs < 172_800_000) return `${Math.round(abs / 3_600_000)} h`;
  return `${Math.round(abs / 86_400_000)} days`;
}

/** "in 3 h" or "5 min ago", from now. */
export function relative(iso: string | null | undefined, now = systemClock.now()): string {
  const at = iso ? new Date(iso).getTime() : NaN;
  if (Number.isNaN(at)) return '';
  return at >= now ? `in ${span(at - now)}` : `${span(now - at)} ago`;
}

/** A delivery's or an attempt's status as a coloured word (the colour is never the only sign). */
export function badge(status: string | null | undefined): HTMLElement {
  const value = status ?? 'unknown';
  return h('span', { class: `badge badge-${value.replace(/[^a-z_]/g, '')}`, 'data-status': value }, value.replace('_', ' '));
}

/** A definition list of label/value pairs; pairs whose value is `undefined` are left out. */
export function facts(pairs: [string, Child | Child[]][], props: Record<string, Prop> = {}): HTMLDListElement {
  const list = h('dl', { class: 'facts', ...props });
  for (const [label, value] of pairs) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value === null || value === '' ? NONE : value];
    list.append(h('div', { 'data-fact': label }, h('dt', {}, label), h('dd', {}, ...values)));
  }
  return list;
}

/** A message area that screen readers announce; `show` replaces its text. */
export function notice(kind: 'status' | 'alert' = 'status') {
  const element = h('p', { class: `notice notice-${kind}`, role: kind, hidden: true });
  return {
    element,
    show(message: string, tone: 'ok' | 'error' | 'info' = kind === 'alert' ? 'error' : 'info') {
      element.textContent = message;
      element.dataset.tone = tone;
      element.hidden = message === '';
    },
  };
}

let dialogCount = 0;

/** A modal confirmation (focus stays in it; Escape cancels). True when confirmed. */
export function confirmDialog(options: { title: string; body: string; confirm: string; danger?: boolean }): Promise<boolean> {
  const id = `dialog-${++dialogCount}`;
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-body` });
  const close = (value: string) => dialog.close(value);
  append(
    dialog,
    h('h2', { id: `${id}-title` }, options.title),
    h('p', { id: `${id}-body` }, options.body),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { type: 'button', class: options.danger ? 'button danger' : 'button primary', onclick: () => close('yes') },
        options.confirm,
      ),
      h('button', { type: 'button', class: 'button', onclick: () => close('no'), autofocus: true }, 'Cancel'),
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes');
      dialog.remove();
    });
  });
}

/** Runs `load` now (or, `now: false`, first after `everyMs`) and every `everyMs` while the tab is visible; at once when it shows again. Returns the stop. */
export function every(everyMs: number, load: () => Promise<void>, { now = true }: { now?: boolean } = {}): () => void {
  let timer: number | undefined;
  let stopped = false;
  let running = false;
  const run = async () => {
    window.clearTimeout(timer);
    if (stopped || running || document.hidden) return;
    running = true;
    try {
      await load();
    } finally {
      running = false;
    }
    if (!stopped && !document.hidden) timer = window.setTimeout(run, everyMs);
  };
  const onVisibility = () => void (document.hidden ? window.clearTimeout(timer) : run());
  document.addEventListener('visibilitychange', onVisibility);
  if (now) void run();
  else timer = window.setTimeout(run, everyMs);
  return () => {
    stopped = true;
    window.clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibility);
  };
}

/** The message of anything thrown, for a person. */
export const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** First letter up: the API's messages are lower-case sentence fragments. */
export const sentence = (message: string): string => (message ? message[0]?.toUpperCase() + message.slice(1) : message);
