// The actions on users, shared by the list's Actions menu, each row's context menu and the user's
// page: confirmation worded like the manuals ("Yes, disable it!"), then the API, then the result
// of each user. Disable, enable and delete go through POST /api/v1/users/bulk (per-id results);
// the others are one request per user. Items the admin lacks permission for are left out.

import { t } from './i18n.js';
import { api } from './api.js';
import { can, canResend, session } from './session.js';
import { confirmDialog, resultsDialog, progressDialog, toast, fmtCount } from './ui.js';
import { fullName, isBanned } from './format.js';

// Whether the server lets the viewer take action kind on user u now: its allowed_actions, worked
// out by the same rules that enforce (not on oneself, nothing on a stronger user); a user object
// without them (a selection known only by id) falls back to the viewer's permissions.
const permits = (kind, u) =>
  Array.isArray(u.allowed_actions)
    ? u.allowed_actions.includes(kind)
    : kind === 'resend'
      ? canResend()
      : can(ACTIONS[kind].perm);

const ACTIONS = {
  disable: {
    perm: 'users.disable',
    bulk: 'disable',
    danger: true,
    applies: (u) => u.status !== 'disabled' && u.status !== 'deleted' && permits('disable', u),
  },
  enable: {
    perm: 'users.disable',
    bulk: 'enable',
    applies: (u) => u.status === 'disabled' && permits('enable', u),
  },
  delete: {
    perm: 'users.delete',
    bulk: 'delete',
    danger: true,
    applies: (u) => u.status !== 'deleted' && permits('delete', u),
  },
  reset_mfa: {
    perm: 'users.mfa_reset',
    path: 'reset-mfa',
    applies: (u) => u.status !== 'deleted' && permits('reset_mfa', u),
  },
  force_reset: {
    perm: 'users.force_reset',
    path: 'force-password-reset',
    applies: (u) => u.status !== 'deleted' && u.status !== 'invited' && permits('force_reset', u),
  },
  resend: {
    perm: null,
    path: 'resend-onboarding',
    applies: (u) => u.status === 'invited' && permits('resend', u),
  },
  unban: {
    perm: 'users.unban',
    path: 'unban',
    confirm: false,
    applies: (u) => isBanned(u) && permits('unban', u),
  },
};

// Whether the viewer's permissions allow kind at all (the menus leave it out otherwise).
const allowed = (kind) => (kind === 'resend' ? canResend() : can(ACTIONS[kind].perm));
// Whether the viewer may edit u (its Edit item and button).
export const mayEdit = (u) => u.status !== 'deleted' && permits('update', u);
export const mayTake = (kind, u) => ACTIONS[kind].applies(u);

// What the API's per-user answer means, in words.
function resultText(kind, status, detail) {
  if (status >= 200 && status < 300) return t(`done.${kind}`);
  if (status === 404) return t('results.not_found');
  return detail || t('results.failed', { status });
}

// The most ids the API takes in one bulk request (GH_MAX_IDS).
const CHUNK = 200;
// From how many users on an action shows a progress bar.
const PROGRESS_FROM = 50;

const failedRow = (u, e) => ({
  name: u.username,
  ok: false,
  text:
    e.status === 429
      ? t('results.rate', { s: e.retryAfter || 60 })
      : resultText('', e.status, e.message),
});

async function perUser(kind, users, progress) {
  const rows = [];
  for (const u of users) {
    try {
      await api('POST', `/users/${u.id}/${ACTIONS[kind].path}`);
      rows.push({ name: u.username, ok: true, text: resultText(kind, 200) });
    } catch (e) {
      if (e.status === 401 || e.network) throw Object.assign(e, { rows });
      rows.push(failedRow(u, e));
    }
    progress(rows.length);
  }
  return rows;
}

// POST /api/v1/users/bulk, CHUNK ids at a time (each user is its own transaction on the server).
async function bulk(kind, users, progress) {
  const rows = [];
  const byId = new Map(users.map((u) => [u.id, u]));
  for (let i = 0; i < users.length; i += CHUNK) {
    const ids = users.slice(i, i + CHUNK).map((u) => u.id);
    let data;
    try {
      ({ data } = await api('POST', '/users/bulk', { body: { action: ACTIONS[kind].bulk, ids } }));
    } catch (e) {
      throw Object.assign(e, { rows });
    }
    for (const r of data.results)
      rows.push({
        name: byId.get(r.id)?.username ?? `#${r.id}`,
        ok: r.status < 300,
        text: resultText(kind, r.status, r.detail),
      });
    progress(rows.length);
  }
  return rows;
}

// A user as a confirmation names it: "Mei Chen (mchen)", or the user name alone.
function confirmName(u) {
  const name = fullName(u);
  return name ? t('confirm.user', { name, username: u.username }) : u.username;
}

// Refresh two-factor keeps an enrolled user on two-factor: the server turns mfa_required on for
// those who had a device without the requirement, and the confirmation says so.
function mfaTurnsOn(targets, one) {
  const n = targets.filter((u) => u.mfa_enrolled && !u.mfa_required).length;
  if (!n) return '';
  return one
    ? t('confirm.reset_mfa.turns_on_one')
    : t('confirm.reset_mfa.turns_on', { n: fmtCount(n) });
}

// Runs an action on users (after confirming); calls after() when something may have changed.
export async function runAction(kind, users, after = () => {}) {
  const a = ACTIONS[kind];
  const targets = users.filter(a.applies);
  if (!targets.length) {
    toast(t('actions.nothing_to_do'), 'error');
    return;
  }
  if (a.confirm !== false) {
    // one user is named in the sentence; several are listed (the first ten, then "and N more")
    const names = targets.map(confirmName);
    const one = targets.length === 1;
    const ok = await confirmDialog({
      title: t(`confirm.${kind}.title`, { n: fmtCount(targets.length) }),
      text: [
        one
          ? t(`confirm.${kind}.text_one`, { name: names[0] })
          : t(`confirm.${kind}.text`, { n: fmtCount(targets.length) }),
        kind === 'reset_mfa' ? mfaTurnsOn(targets, one) : '',
      ]
        .filter(Boolean)
        .join(' '),
      confirm: t(`confirm.${kind}.yes`),
      danger: !!a.danger,
      items: one ? [] : names,
    });
    if (!ok) return;
  }
  const bar = targets.length >= PROGRESS_FROM ? progressDialog(t(`progress.${kind}`)) : null;
  bar?.update(0, targets.length);
  const progress = (n) => bar?.update(n, targets.length);
  let rows;
  try {
    rows = a.bulk ? await bulk(kind, targets, progress) : await perUser(kind, targets, progress);
  } catch (e) {
    bar?.close();
    if (e.status === 401) return;
    if (!e.rows?.length) {
      toast(e.message, 'error');
      return;
    }
    // stopped part-way: what was done, then the rest as not done, with the reason
    const rest = targets
      .slice(e.rows.length)
      .map((u) => ({ name: u.username, ok: false, text: e.message }));
    rows = [...e.rows, ...rest];
  }
  bar?.close();
  if (rows.length === 1) toast(`${rows[0].name}: ${rows[0].text}`, rows[0].ok ? 'ok' : 'error');
  else await resultsDialog(t(`results.title.${kind}`), rows);
  await after(kind, rows);
}

// Menu items for users (the selection, or one row). navigate(path, opts) opens the editor.
export function actionItems(users, { navigate, after, edit = true, withLabelsFor = 'menu' }) {
  const long = withLabelsFor === 'menu';
  const any = (kind) => users.some(ACTIONS[kind].applies) && allowed(kind);
  const item = (kind) =>
    any(kind)
      ? {
          label: t(long ? `actions.${kind}` : `row.${kind}`),
          danger: ACTIONS[kind].danger,
          action: () => runAction(kind, users, after),
        }
      : null;
  const items = [];
  if (edit && users.some(mayEdit)) {
    const editable = users.filter(mayEdit);
    items.push({
      label: t(long ? 'actions.edit' : 'row.edit'),
      action: () =>
        navigate(`/users/${editable[0].id}/edit`, {
          state: { queue: editable.slice(1).map((u) => u.id) },
        }),
    });
  }
  for (const kind of ['disable', 'enable', 'unban', 'reset_mfa', 'force_reset', 'resend', 'delete'])
    items.push(item(kind));
  return items.filter(Boolean);
}

export const mayAct = () =>
  can('users.update') ||
  can('users.disable') ||
  can('users.delete') ||
  can('users.mfa_reset') ||
  can('users.force_reset') ||
  can('users.unban') ||
  canResend();

export const isSelf = (u) => session.user && u.id === session.user.id;
