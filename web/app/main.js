// The console's entry: loads the session and the language, draws the frame (header, navigation,
// main), and routes paths to pages. Pages are modules loaded on first use; each gets a signal
// that aborts its requests and timers when the user navigates away.

import { h, mount } from './dom.js';
import { t, setLang, browserLang } from './i18n.js';
import { api, setSignedOutHandler } from './api.js';
import {
  session,
  loadSession,
  clearSession,
  signedIn,
  can,
  startWatch,
  stopWatch,
} from './session.js';
import { toast, closeMenu, errorBox } from './ui.js';

// [pattern, module, needs sign-in, permission to see it]
const ROUTES = [
  [/^\/signin$/, 'signin.js', false],
  [/^\/signin\/(totp|webauthn|enroll|password)$/, 'signin.js', false],
  [/^\/forgot$/, 'links.js', false],
  [/^\/onboarding\/([A-Za-z0-9_-]+)$/, 'links.js', false],
  [/^\/reset\/([A-Za-z0-9_-]+)$/, 'links.js', false],
  [/^\/setup\/([A-Za-z0-9_-]+)$/, 'setup.js', false],
  [/^\/users$/, 'users.js', true, 'users.read'],
  [/^\/users\/new$/, 'userform.js', true, 'users.create'],
  [/^\/users\/import$/, 'importusers.js', true, 'users.create'],
  [/^\/users\/(\d+)\/edit$/, 'userform.js', true, 'users.update'],
  [/^\/users\/(\d+)$/, 'userdetail.js', true, 'users.read'],
  [/^\/roles$/, 'roles.js', true, 'roles.read'],
  [/^\/roles\/(new|\d+)$/, 'roles.js', true, 'roles.read'],
  [/^\/groups$/, 'groups.js', true, 'groups.read'],
  [/^\/groups\/(new|\d+)$/, 'groups.js', true, 'groups.read'],
  [/^\/tenants$/, 'tenants.js', true, 'tenants.read'],
  [/^\/audit$/, 'audit.js', true, 'audit.read'],
  [/^\/sso-sources$/, 'sso.js', true, 'settings.read'],
  [/^\/sso-sources\/(new|\d+)$/, 'sso.js', true, 'settings.read'],
  [/^\/scim-clients$/, 'scim.js', true, 'settings.read'],
  [/^\/scim-clients\/(new)$/, 'scim.js', true, 'settings.update'],
  [/^\/webhooks$/, 'webhooks.js', true, 'settings.read'],
  [/^\/webhooks\/(new)$/, 'webhooks.js', true, 'settings.update'],
  [/^\/webhooks\/(\d+)$/, 'webhooks.js', true, 'settings.read'],
  [/^\/profile$/, 'profile.js', true],
];

const STEP_PATHS = {
  totp: '/signin/totp',
  webauthn: '/signin/webauthn',
  enroll_totp: '/signin/enroll',
  change_password: '/signin/password',
};

// SECURITY.md I5: after sign-in, only a relative path of the console's own sections.
export function safeNext(raw) {
  if (typeof raw !== 'string' || raw.length > 300) return null;
  return /^\/(users|roles|groups|tenants|audit|profile|sso-sources|scim-clients|webhooks)(\/[A-Za-z0-9_-]+)*(\?[A-Za-z0-9_=&%.+-]*)?$/.test(
    raw,
  )
    ? raw
    : null;
}

export const home = () => (can('users.read') ? '/users' : '/profile');

let current = null; // {controller}
let notice = null; // a message for the sign-in page
let frame = null; // {root, nav, main}

export function navigate(path, { replace = false, state = null } = {}) {
  if (replace) history.replaceState(state, '', path);
  else history.pushState(state, '', path);
  render({ focus: true });
}

export function setNotice(text) {
  notice = text;
}
export function takeNotice() {
  const n = notice;
  notice = null;
  return n;
}

// The session ended while the page was open (expired, disabled, signed out elsewhere).
function sessionEnded() {
  if (!session.user) return;
  clearSession();
  stopWatch();
  notice = t('signin.ended');
  const here = location.pathname + location.search;
  navigate(`/signin${safeNext(here) ? `?next=${encodeURIComponent(here)}` : ''}`, {
    replace: true,
  });
}

export async function signOut() {
  let logoutUrl = null;
  try {
    const { data } = await api('DELETE', '/session', { quiet401: true });
    logoutUrl = data?.logout_url || null; // a source that signs out at the provider too
  } catch {
    /* signed out anyway */
  }
  clearSession();
  if (logoutUrl && logoutUrl.startsWith('/sso/')) {
    stopWatch();
    location.assign(logoutUrl);
    return;
  }
  stopWatch();
  frame = null;
  notice = t('signin.signed_out');
  navigate('/signin', { replace: true });
}

// After a sign-in step finished: reload who we are, switch language, go on.
export async function afterSignIn(next) {
  await loadSession();
  if (session.language) await setLang(session.language);
  if (session.next && session.next !== 'done') {
    navigate(STEP_PATHS[session.next], { replace: true });
    return;
  }
  sessionStorage.removeItem('gh.next');
  if (returnToApp()) return;
  startWatch(sessionEnded);
  frame = null;
  navigate(safeNext(next) || home(), { replace: true });
}

// Forward-auth: a protected application sent the browser here (?rd=its URL); once signed in it
// goes back through /auth/return, which checks the URL's host against the server's --protect
// list (never trusted here). True when it left.
export function returnToApp() {
  const rd = sessionStorage.getItem('gh.rd');
  if (!rd) return false;
  sessionStorage.removeItem('gh.rd');
  location.assign(`/auth/return?rd=${encodeURIComponent(rd)}`);
  return true;
}

function navLink(path, label) {
  return h('a', { href: path, class: 'nav-link', text: label, dataset: { section: path } });
}

function drawFrame() {
  const nav = h(
    'nav',
    { class: 'nav', attrs: { 'aria-label': t('nav.main') } },
    can('users.read') ? navLink('/users', t('nav.users')) : null,
    can('roles.read') ? navLink('/roles', t('nav.roles')) : null,
    can('groups.read') ? navLink('/groups', t('nav.groups')) : null,
    can('tenants.read') ? navLink('/tenants', t('nav.tenants')) : null,
    can('audit.read') ? navLink('/audit', t('nav.audit')) : null,
    can('settings.read') ? navLink('/sso-sources', t('nav.sso')) : null,
    can('settings.read') ? navLink('/scim-clients', t('nav.scim')) : null,
    can('settings.read') ? navLink('/webhooks', t('nav.webhooks')) : null,
  );
  const main = h('main', { id: 'main', class: 'main', tabIndex: -1 });
  const who = session.user;
  // At phone width the navigation and the account links fold behind a Menu button; wider, the
  // button is hidden and the menu's box lays out as part of the bar.
  const menu = h(
    'div',
    { class: 'topbar-menu', id: 'topbar-menu' },
    nav,
    h(
      'div',
      { class: 'topbar-right' },
      h('a', {
        href: '/profile',
        class: 'nav-link',
        dataset: { section: '/profile' },
        text: t('nav.profile'),
        attrs: { title: who.username },
      }),
      h('span', { class: 'whoami', text: who.username }),
      h('button', {
        type: 'button',
        class: 'signout',
        text: t('nav.signout'),
        on: { click: signOut },
      }),
    ),
  );
  const toggle = h('button', {
    type: 'button',
    class: 'nav-toggle',
    text: t('nav.menu'),
    attrs: { 'aria-expanded': 'false', 'aria-controls': 'topbar-menu' },
    on: { click: () => setNavOpen(toggle.getAttribute('aria-expanded') !== 'true') },
  });
  const bar = h(
    'header',
    { class: 'topbar' },
    h(
      'a',
      { href: home(), class: 'brand' },
      h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }),
      t('app.name'),
    ),
    toggle,
    menu,
  );
  bar.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && toggle.getAttribute('aria-expanded') === 'true') {
      setNavOpen(false);
      toggle.focus();
    }
  });
  const root = h('div', { class: 'frame' }, bar, main);
  mount(document.getElementById('app'), root);
  frame = { root, nav, main };
}

// Opens or folds the phone-width navigation (the Menu button's state drives the CSS).
function setNavOpen(open) {
  const toggle = frame?.root.querySelector('.nav-toggle');
  if (!toggle) return;
  toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
  frame.root.querySelector('.topbar').classList.toggle('open', open);
}

function authFrame() {
  const main = h('main', { id: 'main', class: 'auth-main', tabIndex: -1 });
  mount(document.getElementById('app'), h('div', { class: 'auth-frame' }, main));
  frame = null;
  return main;
}

function markNav(path) {
  if (!frame) return;
  setNavOpen(false);
  for (const a of frame.root.querySelectorAll('[data-section]')) {
    const on = path === a.dataset.section || path.startsWith(`${a.dataset.section}/`);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function notFound(main) {
  mount(
    main,
    h('h1', { tabIndex: -1, text: t('common.not_found') }),
    h('p', {}, h('a', { href: home(), text: t('common.go_home') })),
  );
}

async function render({ focus = false } = {}) {
  closeMenu();
  current?.controller.abort();
  const controller = new AbortController();
  current = { controller };
  const path = location.pathname;
  if (path === '/' || path === '/index.html') {
    navigate(signedIn() ? home() : '/signin', { replace: true });
    return;
  }
  const hit = ROUTES.map((r) => [r, r[0].exec(path)]).find(([, m]) => m);
  if (hit && hit[0][2]) {
    // needs sign-in
    if (!session.next) {
      navigate(`/signin?next=${encodeURIComponent(path + location.search)}`, { replace: true });
      return;
    }
    if (session.next !== 'done') {
      navigate(STEP_PATHS[session.next] || '/signin', { replace: true });
      return;
    }
  }
  let main;
  if (hit && !hit[0][2]) main = authFrame();
  else {
    if (!frame) drawFrame();
    main = frame.main;
    markNav(path);
  }
  if (!hit || (hit[0][3] && !can(hit[0][3]))) {
    notFound(main);
    return;
  }
  const [route, m] = hit;
  const ctx = {
    main,
    params: m.slice(1),
    query: new URLSearchParams(location.search),
    path,
    signal: controller.signal,
    navigate,
    state: history.state,
    setTitle(title) {
      document.title = `${title} · ${t('app.name')}`;
    },
  };
  try {
    const mod = await import(`./pages/${route[1]}`);
    if (controller.signal.aborted) return;
    await mod.default(ctx);
  } catch (e) {
    if (e.name === 'AbortError' || controller.signal.aborted) return;
    if (e.status === 404) {
      notFound(main);
      return;
    }
    if (e.status === 401) return;
    mount(
      main,
      h('h1', { tabIndex: -1, text: t('common.error') }),
      errorBox(e, { retry: () => render({ focus: true }) }),
    );
  }
  if (focus && !controller.signal.aborted) {
    const target = main.querySelector('[autofocus]') || main.querySelector('h1');
    if (target) {
      if (!target.hasAttribute('tabindex') && target.tagName === 'H1') target.tabIndex = -1;
      target.focus({ preventScroll: true });
    }
  }
}

// Same-origin links navigate inside the app (Ctrl/⌘-click still opens a new tab).
document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[href]');
  if (
    !a ||
    e.defaultPrevented ||
    e.button !== 0 ||
    e.metaKey ||
    e.ctrlKey ||
    e.shiftKey ||
    e.altKey ||
    a.target ||
    a.hasAttribute('download')
  )
    return;
  if (a.getAttribute('href').startsWith('#')) {
    // the skip link: focus the target
    const target = document.querySelector(a.getAttribute('href'));
    if (target) {
      e.preventDefault();
      target.focus();
    }
    return;
  }
  const url = new URL(a.href, location.href);
  // the API and single sign-on's redirects are the server's, not pages of the console
  if (
    url.origin !== location.origin ||
    url.pathname.startsWith('/api/') ||
    url.pathname.startsWith('/sso/')
  )
    return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
addEventListener('popstate', () => render({ focus: true }));

// Re-draw the frame after a change of the signed-in user's own language or permissions.
export async function refreshSelf() {
  await loadSession();
  if (session.language) await setLang(session.language);
  frame = null;
  render();
}

export { toast };

async function boot() {
  setSignedOutHandler(sessionEnded);
  await loadSession().catch(() => clearSession());
  await setLang(session.language || browserLang());
  if (signedIn()) startWatch(sessionEnded);
  await render();
}

boot();
