// The recipient directory (GET, PUT, DELETE /admin/recipients/:key): which chat user a customer
// key names. Lookups stay out of the URL (emails and phones are personal data).
import { ApiError, api, request, type Recipient } from './api.ts';
import { confirmDialog, facts, h, notice, reason, sentence, text, time } from './dom.ts';
import type { Page } from './page.ts';

const KEY_HELP = 'customer:<shop customer id>, email:<lower-cased address> or phone:<digits>';

export const recipientsPage: Page = ({ main }) => {
  const lookupKey = h('input', {
    id: 'lookup-key',
    name: 'key',
    type: 'search',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'email:ann@example.com',
    'aria-describedby': 'lookup-key-help',
  });
  const found = h('div', { class: 'result', 'aria-live': 'polite' });
  const lookup = async (key: string) => {
    try {
      const entry = await api<Recipient>('GET', `/recipients/${encodeURIComponent(key)}`);
      found.replaceChildren(drawEntry(entry, () => void unbind(key)));
    } catch (error) {
      const missing = error instanceof ApiError && error.status === 404;
      found.replaceChildren(
        h(
          'p',
          { class: missing ? 'empty' : 'notice notice-alert', role: missing ? 'status' : 'alert' },
          missing ? `${key} is not bound to anyone.` : `Could not look it up: ${sentence(reason(error))}`,
        ),
      );
    }
  };
  const unbind = async (key: string) => {
    if (
      !(await confirmDialog({
        title: 'Remove this binding?',
        body: `Orders of ${key} will no longer find a chat user through the directory.`,
        confirm: 'Unbind',
        danger: true,
      }))
    )
      return;
    try {
      await api('DELETE', `/recipients/${encodeURIComponent(key)}`);
      found.replaceChildren(h('p', { class: 'notice', role: 'status', 'data-tone': 'ok' }, `${key} is unbound.`));
    } catch (error) {
      found.replaceChildren(h('p', { class: 'notice notice-alert', role: 'alert' }, `Could not unbind: ${sentence(reason(error))}`));
    }
  };

  const bindKey = h('input', {
    id: 'bind-key',
    name: 'key',
    type: 'text',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'bind-key-help',
  });
  const bindPlatform = h(
    'select',
    { id: 'bind-platform', name: 'platform' },
    h('option', { value: 'line' }, 'LINE'),
    h('option', { value: 'facebook' }, 'Facebook Messenger'),
  );
  const bindUser = h('input', { id: 'bind-user', name: 'userId', type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' });
  const bound = notice('status');
  const bind = async (event: Event) => {
    event.preventDefault();
    const key = bindKey.value.trim();
    try {
      const entry = await api<Recipient>('PUT', `/recipients/${encodeURIComponent(key)}`, {
        platform: bindPlatform.value,
        userId: bindUser.value.trim(),
      });
      bound.show(`Bound ${text(entry.key)} to ${text(entry.platform)} user ${text(entry.userId)}.`, 'ok');
    } catch (error) {
      bound.show(`Not bound: ${sentence(reason(error))}`, 'error');
    }
  };

  main.append(
    h('h1', { tabindex: -1 }, 'Recipients'),
    h('p', {}, 'The recipient directory: the mapping\'s "directory: true" looks customers up here by customer id, email, then phone.'),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'lookup-title' },
      h('h2', { id: 'lookup-title' }, 'Look up a customer key'),
      h(
        'form',
        {
          class: 'inline-form',
          role: 'search',
          'aria-labelledby': 'lookup-title',
          novalidate: true,
          onsubmit: (event: Event) => {
            event.preventDefault();
            if (lookupKey.value.trim()) void lookup(lookupKey.value.trim());
          },
        },
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'lookup-key' }, 'Customer key'),
          lookupKey,
          h('span', { id: 'lookup-key-help', class: 'help' }, KEY_HELP),
        ),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Look up')),
      ),
      found,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'bind-title' },
      h('h2', { id: 'bind-title' }, 'Bind a customer key to a chat user'),
      h(
        'form',
        { class: 'form', 'aria-labelledby': 'bind-title', novalidate: true, onsubmit: bind },
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'bind-key' }, 'Customer key'),
          bindKey,
          h('span', { id: 'bind-key-help', class: 'help' }, KEY_HELP),
        ),
        h('div', { class: 'field' }, h('label', { for: 'bind-platform' }, 'Platform'), bindPlatform),
        h('div', { class: 'field' }, h('label', { for: 'bind-user' }, 'Chat user id'), bindUser),
        bound.element,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Bind')),
      ),
    ),
    resolveSection(),
  );
};

function drawEntry(entry: Recipient, unbind: () => void): HTMLElement {
  return h(
    'div',
    { 'data-field': 'binding' },
    facts([
      ['Key', text(entry.key)],
      ['Platform', text(entry.platform)],
      ['Chat user', h('code', {}, text(entry.userId))],
      ['Updated', time(entry.updatedAt)],
    ]),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button danger', onclick: unbind }, 'Unbind…')),
  );
}

/**
 * Reserved for GET /admin/recipients/resolve (how the mapping would find a customer's chat user).
 * It shows only once the admin API answers that route; while it answers 404 (no such route yet)
 * the section stays hidden.
 */
function resolveSection(): HTMLElement {
  const fields = [
    ['customer', 'Customer id'],
    ['email', 'Email'],
    ['phone', 'Phone'],
  ] as const;
  const inputs = fields.map(([name]) =>
    h('input', { id: `resolve-${name}`, name, type: 'text', autocomplete: 'off', spellcheck: 'false' }),
  );
  const answer = h('div', { class: 'result', 'aria-live': 'polite' });
  const explain = async (event: Event) => {
    event.preventDefault();
    const query = new URLSearchParams(fields.map(([name], i) => [name, inputs[i]?.value.trim() ?? '']));
    try {
      const reply = await request<unknown>('GET', `/recipients/resolve?${query}`, { expect: [400, 404] });
      answer.replaceChildren(h('pre', { class: 'json', tabindex: 0 }, JSON.stringify(reply.data, null, 2)));
    } catch (error) {
      answer.replaceChildren(h('p', { class: 'notice notice-alert', role: 'alert' }, sentence(reason(error))));
    }
  };
  const section = h(
    'section',
    { class: 'card', id: 'resolve', 'aria-labelledby': 'resolve-title', hidden: true, 'data-section': 'resolve' },
    h('h2', { id: 'resolve-title' }, 'How would this customer be found?'),
    h('p', { class: 'help' }, 'Explains which recipient the mapping would choose for a customer, and why (GET /admin/recipients/resolve).'),
    h(
      'form',
      { class: 'form', 'aria-labelledby': 'resolve-title', novalidate: true, onsubmit: explain },
      ...fields.map(([name, label], i) => h('div', { class: 'field' }, h('label', { for: `resolve-${name}` }, label), inputs[i] ?? null)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Explain')),
    ),
    answer,
  );
  // Any 404 means the route is not there: today "resolve" is taken as a key and "no recipient" found.
  request('GET', '/recipients/resolve', { expect: [400, 404] })
    .then((probe) => (section.hidden = probe.status === 404))
    .catch(() => (section.hidden = true));
  return section;
}
