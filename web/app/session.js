// Who is signed in: GET /api/v1/session gives the sign-in step still due (next: done, totp,
// enroll_totp, change_password) and, once it is done, the user and its effective permissions (a
// partial session reads only its language: user stays null). Controls the user lacks
// permission for are hidden with can().

import { api, get, getAll } from './api.js';

export const session = { user: null, permissions: new Set(), next: null, id: null, language: null };

export async function loadSession() {
  try {
    const { data } = await api('GET', '/session', { quiet401: true });
    session.user = data.user ?? null;
    session.permissions = new Set(data.permissions || []);
    session.next = data.next;
    session.language = data.user?.language ?? data.language ?? null;
    session.id = data.session?.id ?? null;
  } catch (e) {
    if (e.status !== 401 && e.status !== 403) throw e;
    clearSession();
  }
  return session;
}

export function clearSession() {
  session.user = null;
  session.permissions = new Set();
  session.next = null;
  session.language = null;
  session.id = null;
}

export const signedIn = () => session.user !== null && session.next === 'done';
export const can = (...perms) => perms.every((p) => session.permissions.has(p));
// Re-sending onboarding is only for admins whose roles hold every users.* permission.
export const USER_PERMS = [
  'users.read',
  'users.create',
  'users.update',
  'users.disable',
  'users.delete',
  'users.onboard',
  'users.mfa_reset',
  'users.unban',
  'users.force_reset',
];
export const canResend = () => can(...USER_PERMS);

// What the signed-in admin may grant (GET /api/v1/me/grantable, worked out by the rules that
// enforce): per service provider (id null: the platform's staff) the access levels, accounts,
// sub-accounts, roles and groups a create or an edit will accept, and the admin's own provider
// and account by name. provider: an id, 'platform' or undefined (every provider).
export const grantable = (provider, opts = {}) =>
  get(`/me/grantable${provider === undefined ? '' : `?provider_id=${provider}`}`, opts);

// The names of the service providers the admin may see: the tenants it reads, and its own
// provider (named even to an admin who may not read it).
export async function providerNames(signal) {
  const mine = session.user?.provider_id ?? null;
  const [list, g] = await Promise.all([
    can('tenants.read') && mine === null
      ? getAll('/tenants?kind=service_provider', { signal }).catch(() => [])
      : [],
    grantable(mine === null ? 'platform' : mine, { signal }).catch(() => null),
  ]);
  const names = new Map(list.map((p) => [p.id, p.name]));
  if (g?.provider) names.set(g.provider.id, g.provider.name);
  return names;
}
// The viewer's timezone: the signed-in user's, else the browser's.
export const viewerZone = () =>
  session.user?.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

// While the page is in use, checks every few seconds that the session still stands, so a page
// whose account was disabled (or signed out elsewhere) leaves at once. It checks only after
// recent activity, so an unattended page does not keep its session alive past the idle timeout.
const POLL_MS = 5000;
const ACTIVE_MS = 120000;
let lastActivity = Date.now();
let timer = null;

let ended = () => {};
let listening = false;
const mark = () => {
  lastActivity = Date.now();
};
async function check() {
  if (!signedIn() || Date.now() - lastActivity > ACTIVE_MS || document.hidden) return;
  try {
    await api('GET', '/session', { quiet401: true });
  } catch (e) {
    if (e.status === 401) ended();
  }
}

export function startWatch(onEnded) {
  stopWatch();
  ended = onEnded;
  mark();
  if (!listening) {
    listening = true;
    for (const ev of ['pointerdown', 'keydown', 'pointermove', 'wheel'])
      addEventListener(ev, mark, { passive: true });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && timer) {
        mark();
        check();
      }
    });
  }
  timer = setInterval(check, POLL_MS);
}

export function stopWatch() {
  if (timer) clearInterval(timer);
  timer = null;
}
