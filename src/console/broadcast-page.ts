// A manual test broadcast (POST /admin/broadcasts): sent now through MantaGO with the service's
// credentials and recorded like any delivery (source "admin"); MantaGO's answer is shown.
import { ApiError, request, type BroadcastReply } from './api.ts';
import { badge, confirmDialog, facts, h, notice, reason, sentence, text } from './dom.ts';
import type { Page } from './page.ts';

/** Where the tab keeps a send not answered yet (its body and Idempotency-Key). */
const UNANSWERED_KEY = 'notifier.console.unansweredBroadcast';

export const broadcastPage: Page = ({ main }) => {
  const field = (id: string, label: string, control: HTMLElement, help?: string) =>
    h(
      'div',
      { class: 'field' },
      h('label', { for: id }, label),
      control,
      help ? h('span', { id: `${id}-help`, class: 'help' }, help) : null,
    );
  const platformInput = h(
    'select',
    { id: 'bc-platform', name: 'platform' },
    h('option', { value: 'line' }, 'LINE'),
    h('option', { value: 'facebook' }, 'Facebook Messenger'),
  );
  const usersInput = h('textarea', {
    id: 'bc-users',
    name: 'userIds',
    rows: 3,
    required: true,
    spellcheck: 'false',
    'aria-describedby': 'bc-users-help',
  });
  const intentInput = h('input', {
    id: 'bc-intent',
    name: 'intentId',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'bc-intent-help',
  });
  const messageInput = h('textarea', { id: 'bc-message', name: 'message', rows: 3, 'aria-describedby': 'bc-message-help' });
  const tagInput = h('input', {
    id: 'bc-tag',
    name: 'fbTag',
    type: 'text',
    autocomplete: 'off',
    placeholder: 'POST_PURCHASE_UPDATE',
    'aria-describedby': 'bc-tag-help',
  });
  const nameInput = h('input', { id: 'bc-name', name: 'name', type: 'text', autocomplete: 'off', maxlength: 100 });
  const tagField = field('bc-tag', 'Messenger tag', tagInput, 'Messenger only; POST_PURCHASE_UPDATE when empty.');
  const showTag = () => (tagField.hidden = platformInput.value !== 'facebook');
  platformInput.addEventListener('change', showTag);
  showTag();
  const problem = notice('alert');
  const send = h('button', { type: 'submit', class: 'button primary' }, 'Send test broadcast');
  const result = h('div', { class: 'result', 'aria-live': 'polite' });

  // A send whose answer never came (the connection dropped, the service restarted, a proxy answered
  // for it) goes again with the same Idempotency-Key: the service answers it from the first time and
  // never sends it twice. Kept in the tab's session, so a reload still sends it with its key.
  const unanswered = {
    get: (): { body: string; key: string } | undefined => JSON.parse(sessionStorage.getItem(UNANSWERED_KEY) ?? 'null') ?? undefined,
    set: (value: { body: string; key: string }) => sessionStorage.setItem(UNANSWERED_KEY, JSON.stringify(value)),
    clear: () => sessionStorage.removeItem(UNANSWERED_KEY),
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    problem.show('');
    const userIds = usersInput.value.split(/[\s,]+/).filter(Boolean);
    const body: Record<string, unknown> = { platform: platformInput.value, userIds };
    for (const [key, input] of [
      ['intentId', intentInput],
      ['message', messageInput],
      ['name', nameInput],
    ] as const)
      if (input.value.trim()) body[key] = input.value.trim();
    if (platformInput.value === 'facebook' && tagInput.value.trim()) body.fbTag = tagInput.value.trim();
    if (userIds.length === 0) return problem.show('Give at least one chat user id.');
    if (!body.intentId === !body.message) return problem.show('Give a conversation module id or a message, not both.');
    const confirmed = await confirmDialog({
      title: 'Send this broadcast?',
      body: `It goes to ${userIds.length} ${userIds.length === 1 ? 'user' : 'users'} on ${platformInput.value} now, through MantaGO.`,
      confirm: 'Send now',
    });
    if (!confirmed) return;
    send.disabled = true;
    const sent = JSON.stringify(body);
    const pending = unanswered.get();
    const key = pending?.body === sent ? pending.key : newKey();
    unanswered.set({ body: sent, key });
    try {
      const reply = await request<BroadcastReply>('POST', '/broadcasts', { body, expect: [202, 502], headers: { 'idempotency-key': key } });
      // The service's 502 names the deliveries; a proxy's (its HTML page, the service restarting) is no answer.
      if (!Array.isArray(reply.data?.deliveryIds))
        throw new ApiError(reply.status, `HTTP_${reply.status}`, `HTTP ${reply.status} not from the service`);
      unanswered.clear();
      result.replaceChildren(drawReply(reply.data));
    } catch (error) {
      // Refused (a bad request): a new try is a new send. Not answered, or still under way (409): the same key again.
      const refused = error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 409;
      result.replaceChildren(); // an earlier result is not this one's
      if (refused) {
        unanswered.clear();
        problem.show(`The broadcast was not sent: ${sentence(reason(error))}`);
      } else problem.show(`No answer yet: it may have been sent; sending it again as it is is safe (${reason(error)}).`);
    } finally {
      send.disabled = false;
    }
  };

  main.append(
    h('h1', { tabindex: -1 }, 'Test broadcast'),
    h(
      'p',
      {},
      'Sends one broadcast now, through MantaGO with the service\'s credentials. It is recorded like any delivery (source "admin").',
    ),
    h(
      'form',
      { class: 'card form', 'aria-labelledby': 'bc-form-title', novalidate: true, onsubmit: submit },
      h('h2', { id: 'bc-form-title', class: 'visually-hidden' }, 'Broadcast'),
      field('bc-platform', 'Platform', platformInput),
      field(
        'bc-users',
        'Chat user ids',
        usersInput,
        'One or more, separated by spaces, commas or new lines (LINE: U + 32 hex digits; Messenger: digits).',
      ),
      field(
        'bc-intent',
        'Conversation module (intentId)',
        intentInput,
        "The last segment of the module's URL in the dashboard; or leave empty and write a message.",
      ),
      field('bc-message', 'Message', messageInput, 'Plain text, instead of a module.'),
      tagField,
      field('bc-name', 'Broadcast name (optional)', nameInput),
      problem.element,
      h('div', { class: 'actions' }, send),
    ),
    result,
  );
};

function drawReply(reply: BroadcastReply): HTMLElement {
  const mantago = reply.mantago;
  const ids = reply.deliveryIds ?? [];
  const notSent = (reply.deliveries ?? []).filter((d) => d.status === 'dead').map((d) => d.userId);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'bc-result-title' },
    h('h2', { id: 'bc-result-title' }, 'Result ', badge(reply.status)),
    facts([
      [
        'Deliveries',
        ids.length === 0 ? null : ids.flatMap((id, i) => [i > 0 ? ', ' : null, h('a', { href: `#/deliveries/${id}` }, `#${id}`)]),
      ],
      ['MantaGO HTTP status', mantago ? text(mantago.httpStatus) : 'not called'],
      ['Duration', mantago?.durationMs === undefined || mantago?.durationMs === null ? undefined : `${mantago.durationMs} ms`],
      ["MantaGO's reason", mantago?.error ? h('span', { class: 'error-text' }, mantago.error) : undefined],
      [
        'Not sent to',
        notSent.length > 0 && reply.status === 'partly_sent' ? h('span', { class: 'error-text' }, notSent.join(', ')) : undefined,
      ],
      [
        'Opted out',
        reply.optedOutUserIds?.length
          ? h(
              'span',
              { class: 'error-text' },
              `${reply.optedOutUserIds.join(', ')}: bound to a customer who asked for no more chat messages`,
            )
          : undefined,
      ],
    ]),
    mantago?.reply ? h('pre', { class: 'json', tabindex: 0 }, JSON.stringify(mantago.reply, null, 2)) : null,
  );
}

/** A fresh Idempotency-Key (getRandomValues: randomUUID needs a secure context, and a console may be served over plain http). */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
