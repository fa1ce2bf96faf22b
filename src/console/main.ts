// The operator's console: sign-in, the header, and a hash router (#/deliveries/12) over the pages.
// The hash never holds the token: only which page, and a list's filters.
import { HEADER_TOKEN_PATTERN } from '../domain/header-token.ts';
import { ApiError, api, onUnauthorized, session, type Overview } from './api.ts';
import { broadcastPage } from './broadcast-page.ts';
import { deliveriesPage } from './deliveries-page.ts';
import { deliveryPage } from './delivery-page.ts';
import { h, notice, reason, sentence } from './dom.ts';
import { overviewPage } from './overview-page.ts';
import type { Page } from './page.ts';
import { recipientsPage } from './recipients-page.ts';

const SECTIONS: [path: string, label: string][] = [
  ['overview', 'Overview'],
  ['deliveries', 'Deliveries'],
  ['broadcast', 'Test broadcast'],
  ['recipients', 'Recipients'],
];

const links = SECTIONS.map(([path, label]) => h('a', { href: `#/${path}`, 'data-section': path }, label));
const nav = h('nav', { 'aria-label': 'Console sections', hidden: true }, h('ul', {}, ...links.map((link) => h('li', {}, link))));
const signOutButton = h('button', { type: 'button', class: 'button small', hidden: true, onclick: () => signOut() }, 'Sign out');
const dryRunBanner = h(
  'p',
  { class: 'dry-run', role: 'status', hidden: true },
  h('strong', {}, 'DRY RUN'),
  ' — MantaGO is never called: deliveries are recorded, but nothing reaches customers.',
);
const main = h('main', { id: 'main' });
const footer = h('footer', { class: 'footer' });

document.body.append(
  h('header', { class: 'top' }, h('p', { class: 'brand' }, 'MantaGO order notifier ', h('span', {}, 'console')), nav, signOutButton),
  dryRunBanner,
  main,
  footer,
);

let stopPage: (() => void) | undefined;
let signedIn = false;
let knowsDryRun = false;

/** Pages report what GET /admin/overview said: DRY_RUN shows on every page. */
function sawOverview(overview: Overview): void {
  knowsDryRun = true;
  dryRunBanner.hidden = overview.dryRun !== true;
  footer.textContent = overview.version ? `Service version ${overview.version}` : '';
}

function route(path: string): { page: Page; id?: string } | undefined {
  const [section = '', id, ...rest] = path.split('/');
  if (rest.length > 0) return undefined;
  if (section === '' || section === 'overview') return id === undefined ? { page: overviewPage } : undefined;
  if (section === 'deliveries')
    return id === undefined ? { page: deliveriesPage } : /^\d+$/.test(id) ? { page: deliveryPage, id } : undefined;
  if (section === 'broadcast' && id === undefined) return { page: broadcastPage };
  if (section === 'recipients' && id === undefined) return { page: recipientsPage };
  return undefined;
}

function render(): void {
  stopPage?.();
  stopPage = undefined;
  if (!session.token()) {
    showSignIn();
    return;
  }
  signedIn = true;
  nav.hidden = false;
  signOutButton.hidden = false;
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = hash.split('?');
  const found = route(path);
  // Opened on another page than the overview (a reload, a bookmark): ask once whether DRY_RUN is on.
  if (!knowsDryRun && found?.page !== overviewPage) void api<Overview>('GET', '/overview').then(sawOverview, () => undefined);
  for (const link of links) {
    if (found && link.dataset.section === (path.split('/')[0] || 'overview')) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  main.replaceChildren();
  if (!found) {
    main.append(
      h('h1', { tabindex: -1 }, 'Not found'),
      h('p', {}, 'There is no such page. ', h('a', { href: '#/overview' }, 'Go to the overview.')),
    );
  } else {
    stopPage = found.page({ main, params: new URLSearchParams(query), id: found.id, sawOverview }) ?? undefined;
  }
  const heading = main.querySelector('h1');
  document.title = `${heading?.textContent ?? 'Console'} · MantaGO order notifier`;
  heading?.focus();
}

function showSignIn(message = ''): void {
  signedIn = false;
  knowsDryRun = false;
  nav.hidden = true;
  signOutButton.hidden = true;
  dryRunBanner.hidden = true;
  const error = notice('alert');
  const input = h('input', {
    id: 'admin-token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'admin-token-help',
  });
  const button = h('button', { type: 'submit', class: 'button primary' }, 'Sign in');
  const submit = async (event: Event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return error.show('Paste the admin token first.');
    // The browser would refuse to send it at all, which reads as "the service did not answer".
    if (!new RegExp(HEADER_TOKEN_PATTERN).test(token))
      return error.show(
        'That is not the admin token: it holds a character no token has (a space, a curly quote or an invisible one, from copying?).',
      );
    button.disabled = true;
    session.signIn(token);
    try {
      sawOverview(await api<Overview>('GET', '/overview'));
      input.value = '';
      render();
    } catch (failure) {
      session.signOut();
      const refused = failure instanceof ApiError && failure.status === 401;
      error.show(refused ? `${sentence(failure.message)}: the admin API refused it (401).` : `Could not sign in: ${reason(failure)}`);
      input.select();
    } finally {
      button.disabled = false;
    }
  };
  main.replaceChildren(
    h(
      'form',
      { class: 'card sign-in', 'aria-labelledby': 'sign-in-title', onsubmit: submit, novalidate: true },
      h('h1', { id: 'sign-in-title', tabindex: -1 }, 'Sign in'),
      h('label', { for: 'admin-token' }, 'Admin token'),
      input,
      h(
        'p',
        { id: 'admin-token-help', class: 'help' },
        "The service's ADMIN_TOKEN. It stays in this tab only (until you sign out or close it) and goes to the admin API as a bearer token.",
      ),
      error.element,
      h('div', { class: 'actions' }, button),
    ),
  );
  if (message) error.show(message);
  document.title = 'Sign in · MantaGO order notifier';
  input.focus();
}

function signOut(message = ''): void {
  stopPage?.();
  stopPage = undefined;
  session.signOut();
  showSignIn(message);
}

// A token refused mid-session (rotated, or the service restarted with another): back to sign-in.
onUnauthorized((error) => {
  if (signedIn) signOut(`${sentence(error.message)}: the admin API refused the token (401). Sign in again.`);
});
window.addEventListener('hashchange', () => render());
render();
