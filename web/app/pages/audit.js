// /audit: the audit trail with filters (action from the server's list, actor by user name,
// target, time range in the viewer's timezone), newest first, page by page, each row as a sentence
// (trail.js), and Export CSV of everything the filter matches.

import { h, mount } from '../dom.js';
import { t, locale } from '../i18n.js';
import { get, qs } from '../api.js';
import { can } from '../session.js';
import { field, select, toast, loading, errorBox } from '../ui.js';
import { fmtTime, fmtWhen, fullName, zonedToUtc, zoneLabel } from '../format.js';
import { auditTable, auditRow, actionLabel } from '../trail.js';

const TYPES = ['', 'user', 'role', 'group', 'tenant', 'session', 'token'];
const EXPORT_MAX = 100000;

// One CSV cell: quoted, and a leading =, +, - or @ defused so a spreadsheet does not run it.
function cell(v) {
  let s =
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

const COLUMNS = [
  'id',
  'at',
  'actor_id',
  'actor',
  'action',
  'target_type',
  'target_id',
  'target_user_id',
  'provider_id',
  'outcome',
  'ip',
  'request_id',
  'before',
  'after',
  'actor_name',
  'target_name',
];

// The action filter: the server's list of actions, by their labels in the console's language.
async function actionSelect(current, signal) {
  let names = [];
  try {
    names = (await get('/audit/actions', { signal })).items.map((a) => a.name);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
  }
  if (current && !names.includes(current)) names.push(current);
  const options = names
    .map((n) => ({ value: n, label: actionLabel(n) }))
    .sort((a, b) => a.label.localeCompare(b.label, locale()));
  return select([{ value: '', label: t('filters.any') }, ...options], {
    value: current,
    name: 'action',
  });
}

// The actor filter: a user name, with the users the reader may see as suggestions while typing
// (an actor outside its scope, or gone, is still found by its exact user name).
function actorInput(value, signal) {
  const list = h('datalist', { id: 'audit-actors' });
  const input = h('input', {
    name: 'actor',
    value,
    autocomplete: 'off',
    spellcheck: false,
    attrs: { list: 'audit-actors', maxlength: '64' },
  });
  let timer = null;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (!can('users.read') || text.length < 1) return;
    timer = setTimeout(async () => {
      try {
        const data = await get(`/users${qs({ q: text, limit: 8 })}`, { signal });
        list.replaceChildren(
          ...data.items.map((u) =>
            h('option', { value: u.username, label: fullName(u) || u.username }),
          ),
        );
      } catch {
        /* suggestions only */
      }
    }, 200);
  });
  return { input, list };
}

export default async function auditPage(ctx) {
  ctx.setTitle(t('audit.title'));
  const q = ctx.query;
  const localOf = (iso) => (iso ? fmtTime(iso).replace(' ', 'T') : '');
  const actor = actorInput(q.get('actor') || '', ctx.signal);
  const lang = document.documentElement.lang;
  const F = {
    action: field(t('audit.action'), await actionSelect(q.get('action') || '', ctx.signal)),
    actor: field(t('audit.actor'), actor.input, { hint: t('audit.actor_hint') }),
    target_type: field(
      t('audit.target_type'),
      select(
        TYPES.map((x) => ({ value: x, label: x ? t(`audit.type.${x}`) : t('filters.any') })),
        { value: q.get('target_type') || '' },
      ),
    ),
    target_id: field(
      t('audit.target_id'),
      h('input', { name: 'target_id', inputMode: 'numeric', value: q.get('target_id') || '' }),
    ),
    since: field(
      t('audit.since'),
      h('input', {
        type: 'datetime-local',
        name: 'since',
        value: localOf(q.get('since')),
        attrs: { lang },
      }),
    ),
    until: field(
      t('audit.until'),
      h('input', {
        type: 'datetime-local',
        name: 'until',
        value: localOf(q.get('until')),
        attrs: { lang },
      }),
    ),
  };
  F.actor.input.after(actor.list);
  // the native pickers follow the browser's own locale: each says what it holds in the
  // console's language and the viewer's timezone too
  for (const f of [F.since, F.until]) {
    const echo = h('p', { class: 'hint picker-echo' });
    const say = () => {
      const w = f.input.value ? fmtWhen(zonedToUtc(f.input.value)) : null;
      echo.textContent = w ? `${w.text} ${w.zone}` : '';
    };
    f.input.after(echo);
    f.input.addEventListener('input', say);
    say();
  }
  const filter = () => ({
    action: F.action.input.value,
    actor: F.actor.input.value.trim(),
    target_type: F.target_type.input.value,
    target_id: F.target_id.input.value.trim(),
    since: zonedToUtc(F.since.input.value),
    until: zonedToUtc(F.until.input.value),
  });
  const applied = Object.fromEntries(
    ['action', 'actor', 'actor_id', 'target_type', 'target_id', 'since', 'until'].map((k) => [
      k,
      q.get(k) || '',
    ]),
  );
  const status = h('p', { class: 'hint', attrs: { role: 'status' } });
  const exportBtn = h('button', { type: 'button', text: t('audit.export') });
  const form = h(
    'form',
    { class: 'panel audit-filter', attrs: { 'aria-label': t('audit.filter') } },
    h(
      'div',
      { class: 'form-grid' },
      Object.values(F).map((f) => f.el),
    ),
    h(
      'div',
      { class: 'form-buttons plain' },
      h('button', { type: 'submit', class: 'primary', text: t('audit.apply') }),
      h('a', { class: 'button', href: '/audit', text: t('audit.reset') }),
      h('span', { class: 'spacer' }),
      exportBtn,
    ),
    h('p', { class: 'hint', text: t('audit.zone', { zone: zoneLabel() }) }),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate(`/audit${qs(filter())}`);
  });

  const wrap = h('div', { class: 'table-wrap' }, loading());
  const more = h('button', { type: 'button', text: t('common.more'), hidden: true });
  mount(
    ctx.main,
    h('div', { class: 'page-head' }, h('h1', { text: t('audit.title') })),
    form,
    status,
    wrap,
    h('p', {}, more),
  );

  let cursor = null,
    table = null;
  async function page() {
    try {
      const data = await get(`/audit${qs({ ...applied, limit: 100, cursor })}`, {
        signal: ctx.signal,
      });
      if (!table) {
        table = auditTable(data.items);
        mount(
          wrap,
          data.items.length ? table : h('p', { class: 'empty muted', text: t('audit.none') }),
        );
      } else table.tBodies[0].append(...data.items.map(auditRow));
      cursor = data.next_cursor;
      more.hidden = !cursor;
    } catch (e) {
      if (e.name !== 'AbortError') mount(wrap, errorBox(e));
    }
  }
  more.addEventListener('click', page);

  exportBtn.addEventListener('click', async () => {
    exportBtn.disabled = true;
    const lines = [COLUMNS.join(',')];
    let c = null,
      n = 0;
    try {
      do {
        const data = await get(`/audit${qs({ ...applied, limit: 200, cursor: c })}`, {
          signal: ctx.signal,
        });
        for (const e of data.items) lines.push(COLUMNS.map((k) => cell(e[k])).join(','));
        n += data.items.length;
        status.textContent = t('audit.exporting', { n });
        c = data.next_cursor;
      } while (c && n < EXPORT_MAX);
      const blob = new Blob([`\ufeff${lines.join('\r\n')}\r\n`], {
        type: 'text/csv;charset=utf-8',
      });
      const a = h('a', {
        href: URL.createObjectURL(blob),
        download: `audit-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.csv`,
        hidden: true,
      });
      document.body.append(a);
      a.click();
      setTimeout(() => {
        URL.revokeObjectURL(a.href);
        a.remove();
      }, 1000);
      status.textContent = t('audit.exported', { n });
    } catch (e) {
      if (e.name !== 'AbortError') toast(e.message, 'error');
    } finally {
      exportBtn.disabled = false;
    }
  });
  await page();
}
