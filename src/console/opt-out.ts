// A customer key's opt-out ("no more chat messages") on the recipients page: shown with the key's
// lookup, set there (after confirming) and lifted there (PUT /admin/recipients/:key {optOut}).
import { api, recipientPath } from './api.ts';
import { confirmDialog, facts, h, notice, reason, sentence, time } from './dom.ts';

/** What the lookup shows of the opt-out, and the button that sets or lifts it; `after` redraws the lookup. */
export function optOutControl(key: string, optedOutAt: string | null | undefined, after: () => void): HTMLElement {
  const failed = notice('alert');
  const change = async () => {
    const optOut = !optedOutAt;
    if (
      optOut &&
      !(await confirmDialog({
        title: 'Opt this customer out?',
        body: `Every order event of ${key} will be skipped ("opted out") and nothing sent; a manual broadcast still reaches them.`,
        confirm: 'Opt out',
        danger: true,
      }))
    )
      return;
    try {
      await api('PUT', recipientPath(key), { optOut });
      after();
    } catch (error) {
      failed.show(`Not changed: ${sentence(reason(error))}`);
    }
  };
  return h(
    'div',
    { 'data-field': 'opt-out' },
    facts([['Chat messages', optedOutAt ? ['opted out since ', time(optedOutAt)] : 'allowed']]),
    failed.element,
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { type: 'button', class: optedOutAt ? 'button' : 'button danger', onclick: () => void change() },
        optedOutAt ? 'Lift opt-out' : 'Opt out…',
      ),
    ),
  );
}
