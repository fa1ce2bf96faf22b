// The recipient directory (GET, PUT /admin/recipients/:key, DELETE …/:key/binding): which chat user a customer
// key names, and whether the customer opted out (opt-out.ts). Lookups stay out of the URL (emails
// and phones are personal data).
import { ApiError, api, type Recipient, type Resolution, recipientPath } from './api.ts';
import { confirmDialog, facts, h, notice, reason, sentence, text, time } from './dom.ts';
import { optOutControl } from './opt-out.ts';
import type { Page } from './page.ts';

const KEY_HELP = 'customer:<shop customer id>, email:<lower-cased address> or phone:<digits>';

export const recipientsPage: Page = ({ main }) => {
  const lookupKey = h('input', {
    id: 'lookup-key',
    maxlength: 400,
    name: 'key',
    type: 'search',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'email:ann@example.com',
    'aria-describedby': 'lookup-key-help',
  });
  const found = h('div', { class: 'result', 'aria-live': 'polite' });
  let shownKey: string | undefined; // the key the lookup shows, read again when it is bound below
  const lookup = async (key: string) => {
    shownKey = key;
    try {
      const entry = await api<Recipient>('GET', recipientPath(key));
      found.replaceChildren(
        drawEntry(entry, () => void unbind(key, entry.optedOutAt)),
        optOutControl(key, entry.optedOutAt, () => void lookup(key)),
      );
    } catch (error) {
      const missing = error instanceof ApiError && error.status === 404;
      found.replaceChildren(
        h(
          'p',
          { class: missing ? 'empty' : 'notice notice-alert', role: missing ? 'status' : 'alert' },
          missing ? `${key} is not bound to anyone.` : `Could not look it up: ${sentence(reason(error))}`,
        ),
        ...(missing ? [optOutControl(key, undefined, () => void lookup(key))] : []),
      );
    }
  };
  const unbind = async (key: string, optedOutAt: string | null | undefined) => {
    if (
      !(await confirmDialog({
        title: 'Remove this binding?',
        body: `Orders of ${key} will no longer find a chat user through the directory${optedOutAt ? '; the opt-out stays' : ''}.`,
        confirm: 'Unbind',
        danger: true,
      }))
    )
      return;
    try {
      // The binding only: a customer who opted out stays opted out (DELETE /recipients/:key would lift it).
      await api('DELETE', `${recipientPath(key)}/binding`);
      found.replaceChildren(
        h('p', { class: 'notice', role: 'status', 'data-tone': 'ok' }, `${key} is unbound.`),
        optOutControl(key, optedOutAt, () => void lookup(key)),
      );
    } catch (error) {
      found.replaceChildren(h('p', { class: 'notice notice-alert', role: 'alert' }, `Could not unbind: ${sentence(reason(error))}`));
    }
  };

  const bindKey = h('input', {
    id: 'bind-key',
    maxlength: 400,
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
  const bindUser = h('input', {
    id: 'bind-user',
    name: 'userId',
    type: 'text',
    required: true,
    maxlength: 64,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const bound = notice('status');
  const bind = async (event: Event) => {
    event.preventDefault();
    const key = bindKey.value.trim();
    try {
      const entry = await api<Recipient>('PUT', recipientPath(key), {
        platform: bindPlatform.value,
        userId: bindUser.value.trim(),
      });
      bound.show(`Bound ${text(entry.key)} to ${text(entry.platform)} user ${text(entry.userId)}.`, 'ok');
      if (shownKey !== undefined && (shownKey === key || shownKey === entry.key)) await lookup(shownKey);
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
  if (!entry.userId) return h('p', { class: 'empty', role: 'status' }, `${text(entry.key)} is not bound to anyone.`);
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
 * GET /admin/recipients/resolve: how the mapping would find this customer's chat user now — each
 * recipient entry tried and what it found (MantaGO's answer included), the winner, and the rule.
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
    const query = new URLSearchParams(
      fields.flatMap(([name], i) => (inputs[i]?.value.trim() ? [[name, inputs[i]?.value.trim() ?? '']] : [])),
    );
    try {
      answer.replaceChildren(drawResolution(await api<Resolution>('GET', `/recipients/resolve?${query}`)));
    } catch (error) {
      answer.replaceChildren(h('p', { class: 'notice notice-alert', role: 'alert' }, sentence(reason(error))));
    }
  };
  return h(
    'section',
    { class: 'card', id: 'resolve', 'aria-labelledby': 'resolve-title', 'data-section': 'resolve' },
    h('h2', { id: 'resolve-title' }, 'How would this customer be found?'),
    h(
      'p',
      { class: 'help' },
      "Tries the mapping file's recipient entries for a customer now, asking MantaGO afresh, and says which wins and why.",
    ),
    h(
      'form',
      { class: 'form', 'aria-labelledby': 'resolve-title', novalidate: true, onsubmit: explain },
      ...fields.map(([name, label], i) => h('div', { class: 'field' }, h('label', { for: `resolve-${name}` }, label), inputs[i] ?? null)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Explain')),
    ),
    answer,
  );
}

function drawResolution(r: Resolution): HTMLElement {
  return h(
    'div',
    {},
    h('ol', { class: 'steps' }, ...(r.steps ?? []).map((step) => h('li', {}, h('strong', {}, text(step.entry)), ': ', text(step.found)))),
    facts([
      ['Recipient', r.recipient ? `${r.recipient.platform} user ${r.recipient.userId} (${r.recipient.via})` : 'nobody'],
      ['Why not', r.skipped ? sentence(r.skipped) : null],
      ['Rule', r.rule],
      [
        'MantaGO binds',
        r.binds?.length ? r.binds.map((b) => `${b.clientId}: ${b.status}${b.lastError ? ` (${b.lastError})` : ''}`).join('; ') : null,
      ],
    ]),
  );
}
