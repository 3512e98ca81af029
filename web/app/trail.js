// The audit trail for people, shared by /audit and a user's history: each row as a sentence in
// the console's language ("disabled user Mei Chen", from audit.say.<action>) with the actor and
// the target by name and linked when the reader may open them, the time in the viewer's language
// and timezone, and a before/after table of the fields that changed instead of raw JSON (kept
// under "Raw").

import { h } from './dom.js';
import { t, locale } from './i18n.js';
import { can } from './session.js';
import { countryName, fmtWhen, zoneLabel } from './format.js';

// Where a target of each type opens in the console (null: no page of its own).
const PAGES = {
  user: (e) => `/users/${e.target_id}`,
  session: (e) => `/users/${e.target_user_id}`,
  role: (e) => `/roles/${e.target_id}`,
  group: (e) => `/groups/${e.target_id}`,
  tenant: () => '/tenants',
  sso_source: (e) => `/sso-sources/${e.target_id}`,
};
const PERMS = {
  user: 'users.read',
  session: 'users.read',
  role: 'roles.read',
  group: 'groups.read',
  tenant: 'tenants.read',
  sso_source: 'settings.read',
};

const has = (key) => t(key) !== key;

// The target by name: a link when it still exists and the reader may open it; "user #12" when
// the server gave no name.
function targetNode(e) {
  const name = e.target_name || (e.target_id ? `${typeLabel(e.target_type)} #${e.target_id}` : '');
  const page = PAGES[e.target_type];
  if (e.target_visible && page && can(PERMS[e.target_type]))
    return h('a', { href: page(e), class: 'audit-target', text: name });
  return h('span', { class: 'audit-target', text: name });
}

const typeLabel = (type) => (has(`audit.type.${type}`) ? t(`audit.type.${type}`) : type || '');

// "{target}" in a sentence becomes the target's node; the rest stays text.
function fill(template, e, vars) {
  const parts = template.split(/(\{\w+\})/);
  return parts.map((p) => {
    if (p === '{target}') return targetNode(e);
    const m = /^\{(\w+)\}$/.exec(p);
    return m && m[1] in vars ? String(vars[m[1]]) : p;
  });
}

// The sentence of row e (without its actor), as nodes.
export function sentence(e) {
  const vars = { action: e.action };
  if (e.target_type === 'request' && e.outcome === 'denied')
    return fill(t('audit.say.denied'), e, vars);
  const key = `audit.say.${e.action}`;
  if (has(key)) return fill(t(key), e, vars);
  // an action this console does not know: its name and its target, plainly
  return [
    h('code', { text: e.action }),
    e.target_name || e.target_id ? [' ', targetNode(e)] : null,
  ];
}

// The label of an action for the filter list: audit.act.<action>, else its name.
export const actionLabel = (a) => (has(`audit.act.${a}`) ? t(`audit.act.${a}`) : a);

function actorNode(e) {
  const name = e.actor_name || e.actor;
  if (e.actor_id && e.actor_name && can('users.read'))
    return h('a', { href: `/users/${e.actor_id}`, class: 'audit-actor', text: name });
  return h('span', { class: 'audit-actor', text: name === 'system' ? t('audit.system') : name });
}

// ---- before and after ----

// Fields that change with every write and say nothing to a reader.
const NOISE = new Set(['updated_at', 'updated_by', 'id']);
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?Z$/;

function languageName(code) {
  try {
    return new Intl.DisplayNames([locale()], { type: 'language' }).of(code) || code;
  } catch {
    return code;
  }
}

// Values that have words in the console's language: a user's status, language and country.
const WORDS = {
  status: (v) => (has(`status.${v}`) ? t(`status.${v}`) : v),
  language: languageName,
  country: countryName,
};

function shown(v, k) {
  if (v === null || v === undefined || v === '') return '';
  // an event's times are seconds since the epoch (0: never)
  if (typeof v === 'number' && /_at$/.test(k))
    return v === 0 ? t('common.never') : fmtWhen(new Date(v * 1000).toISOString()).text;
  if (typeof v === 'string' && WORDS[k]) return WORDS[k](v);
  if (typeof v === 'boolean') return t(v ? 'common.yes' : 'common.no');
  if (typeof v === 'string' && ISO.test(v)) return fmtWhen(v).text;
  if (Array.isArray(v))
    return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : x)).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const fieldLabel = (k) => (has(`audit.field.${k}`) ? t(`audit.field.${k}`) : k.replace(/_/g, ' '));

// [{field, before, after, kind: changed|added|removed}] of what differs between two snapshots
// (or every filled field of a lone one: a creation, a deletion, an event's detail).
export function diffRows(before, after) {
  const b = before && typeof before === 'object' ? before : null;
  const a = after && typeof after === 'object' ? after : null;
  const keys = [...new Set([...Object.keys(b || {}), ...Object.keys(a || {})])];
  const rows = [];
  for (const k of keys) {
    if (NOISE.has(k) && b && a) continue;
    const was = b ? shown(b[k], k) : '';
    const now = a ? shown(a[k], k) : '';
    if (was === now) continue;
    const kind = !b || was === '' ? 'added' : !a || now === '' ? 'removed' : 'changed';
    rows.push({ field: k, before: was, after: now, kind });
  }
  return rows;
}

function diffTable(rows, both) {
  const cell = (text, cls) =>
    h('td', { class: cls }, text === '' ? h('span', { class: 'muted', text: '—' }) : text);
  return h(
    'table',
    { class: 'diff' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col', text: t('audit.diff.field') }),
        both ? h('th', { scope: 'col', text: t('audit.before') }) : null,
        h('th', { scope: 'col', text: both ? t('audit.after') : t('audit.diff.value') }),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          { class: `diff-${r.kind}`, dataset: { field: r.field } },
          h('th', { scope: 'row', text: fieldLabel(r.field) }),
          both ? cell(r.before, 'diff-before') : null,
          both
            ? cell(r.after, 'diff-after')
            : cell(r.after || r.before, r.kind === 'removed' ? 'diff-before' : 'diff-after'),
        ),
      ),
    ),
  );
}

function raw(e) {
  return h(
    'details',
    { class: 'raw' },
    h('summary', { text: t('audit.raw') }),
    e.before ? [h('p', { class: 'hint', text: t('audit.before') }), pre(e.before)] : null,
    e.after ? [h('p', { class: 'hint', text: t('audit.after') }), pre(e.after)] : null,
  );
}
const pre = (v) => h('pre', { class: 'json', text: JSON.stringify(v, null, 1) });

// A change of both sides, or an event's few details, shows its table at once; a lone snapshot
// of many fields (a creation, a deletion) folds it under a count.
function changes(e) {
  if (!e.before && !e.after) return '';
  const both = !!(e.before && e.after);
  const rows = diffRows(e.before, e.after);
  if (!rows.length) return raw(e);
  const table = diffTable(rows, both);
  if ((both && rows.length <= 8) || rows.length <= 3) return [table, raw(e)];
  return [
    h(
      'details',
      { class: 'diff-fold' },
      h('summary', { text: t('audit.fields', { n: rows.length }) }),
      table,
    ),
    raw(e),
  ];
}

function when(iso) {
  if (!iso) return '';
  const w = fmtWhen(iso);
  return h(
    'time',
    { attrs: { datetime: iso, title: iso } },
    w.text,
    ' ',
    h('span', { class: 'zone', text: w.zone }),
  );
}

function outcome(e) {
  const cls =
    e.outcome === 'success'
      ? 'badge-active'
      : e.outcome === 'denied' || e.outcome === 'failure'
        ? 'badge-banned'
        : 'badge-neutral';
  const key = `audit.outcome.${e.outcome}`;
  return h('span', { class: `badge ${cls}`, text: has(key) ? t(key) : e.outcome });
}

export function auditRow(e) {
  return h(
    'tr',
    { class: `outcome-${e.outcome}`, dataset: { action: e.action, id: String(e.id) } },
    h('td', { class: 'audit-when' }, when(e.at)),
    h('td', {}, actorNode(e)),
    h('td', { class: 'audit-say' }, sentence(e)),
    h('td', {}, outcome(e)),
    h('td', { text: e.ip }),
    h('td', { class: 'audit-changes' }, changes(e)),
  );
}

export function auditTable(items) {
  return h(
    'table',
    { class: 'table compact audit' },
    h('caption', { class: 'visually-hidden' }, t('audit.caption', { zone: zoneLabel() })),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['at', 'actor', 'action', 'outcome', 'ip', 'changes'].map((k) =>
          h('th', { scope: 'col', text: t(`audit.col.${k}`) }),
        ),
      ),
    ),
    h('tbody', {}, items.map(auditRow)),
  );
}
