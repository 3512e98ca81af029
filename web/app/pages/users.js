// /users: the list of Back-Office users. Tabs by status (Active, Invited, Disabled, Banned), a
// search bar, filters (role, group, service provider), sorting by column, and cursor
// pagination (the API's next_cursor; no total count, so a page costs the same at a million
// users). Checkboxes select users for the Actions menu; each row has the same actions in its
// context menu (right click, the context-menu key, or the row's Actions button).

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { api, getAll, qs } from '../api.js';
import { can } from '../session.js';
import { fullName, timeEl, statusBadge, isBanned } from '../format.js';
import { tabs, menuButton, showMenu, loading, errorBox } from '../ui.js';
import { actionItems, mayAct, runAction } from '../actions.js';

const STATUSES = ['active', 'invited', 'disabled', 'banned'];
const SORTABLE = ['name', 'username', 'email', 'last_login'];
const PAGE_SIZES = [20, 50, 100, 200];

function readState(query, history) {
  const status = STATUSES.includes(query.get('status')) ? query.get('status') : 'active';
  const q = (query.get('q') || '').slice(0, 100);
  let sort = query.get('sort');
  if (!sort || !SORTABLE.includes(sort.replace(/^-/, ''))) sort = q ? '' : 'name';
  const limit = PAGE_SIZES.includes(Number(query.get('limit'))) ? Number(query.get('limit')) : 50;
  return {
    status,
    q,
    sort,
    limit,
    role_id: query.get('role_id') || '',
    group_id: query.get('group_id') || '',
    tenant_id: query.get('tenant_id') || '',
    cursor: query.get('cursor') || '',
    back: Array.isArray(history?.back) ? history.back : [], // cursors of the pages before this one
  };
}

function urlOf(s) {
  return `/users${qs({
    status: s.status === 'active' ? '' : s.status,
    q: s.q,
    sort: s.sort === (s.q ? '' : 'name') ? '' : s.sort,
    role_id: s.role_id,
    group_id: s.group_id,
    tenant_id: s.tenant_id,
    limit: s.limit === 50 ? '' : s.limit,
    cursor: s.cursor,
  })}`;
}

export default async function usersPage(ctx) {
  ctx.setTitle(t('users.title'));
  const s = readState(ctx.query, ctx.state);
  let page = { items: [], next_cursor: null };
  const selected = new Map(); // id -> user (of this page)
  let inflight = null;

  // ---- the frame of the page: drawn once, the table is redrawn ----
  const addButton = can('users.create')
    ? h('a', { class: 'button primary', href: '/users/new', text: t('users.add') })
    : null;
  const tablist = tabs(
    STATUSES.map((id) => ({ id, label: t(`tabs.${id}`) })),
    s.status,
    (id) => {
      s.status = id;
      s.cursor = '';
      s.back = [];
      refresh();
    },
    { label: t('users.tabs_label'), controls: 'users-panel' },
  );

  const search = h('input', {
    type: 'search',
    id: 'user-search',
    value: s.q,
    placeholder: t('users.search_placeholder'),
    autocomplete: 'off',
    attrs: { 'aria-label': t('users.search') },
  });
  let debounce = null;
  search.addEventListener('input', () => {
    clearTimeout(debounce);
    table.setAttribute('aria-busy', 'true');
    debounce = setTimeout(() => {
      const q = search.value.trim().slice(0, 100);
      if (q === s.q) {
        if (!inflight) table.removeAttribute('aria-busy');
        return;
      }
      if (!s.q && q && s.sort === 'name') s.sort = ''; // a search lists matches fast in index order
      if (s.q && !q && !s.sort) s.sort = 'name';
      s.q = q;
      s.cursor = '';
      s.back = [];
      refresh();
    }, 300);
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      search.dispatchEvent(new Event('input'));
    }
  });

  const filters = h('div', { class: 'filters' });
  const filterSelect = (key, labelText, options) => {
    const sel = h(
      'select',
      { id: `filter-${key}` },
      h('option', { value: '', text: t('filters.any') }),
      options.map((o) =>
        h('option', { value: String(o.id), text: o.name, selected: String(o.id) === s[key] }),
      ),
    );
    sel.addEventListener('change', () => {
      s[key] = sel.value;
      s.cursor = '';
      s.back = [];
      refresh();
    });
    return h('div', { class: 'filter' }, h('label', { htmlFor: sel.id, text: labelText }), sel);
  };
  // the filters' options load in the background; the list does not wait for them
  Promise.all([
    can('roles.read') ? getAll('/roles', { signal: ctx.signal }).catch(() => []) : [],
    can('groups.read') ? getAll('/groups', { signal: ctx.signal }).catch(() => []) : [],
    can('tenants.read')
      ? getAll('/tenants?kind=service_provider', { signal: ctx.signal }).catch(() => [])
      : [],
  ]).then(([roles, groups, providers]) => {
    if (ctx.signal.aborted) return;
    mount(
      filters,
      roles.length ? filterSelect('role_id', t('filters.role'), roles) : null,
      groups.length ? filterSelect('group_id', t('filters.group'), groups) : null,
      providers.length ? filterSelect('tenant_id', t('filters.provider'), providers) : null,
    );
  });

  const selCount = h('span', { class: 'sel-count', attrs: { 'aria-live': 'polite' } });
  const actionsBtn = menuButton(
    t('users.actions'),
    () => actionItems([...selected.values()], { navigate: ctx.navigate, after: reload }),
    { cls: 'actions-button' },
  );
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    h('div', { class: 'search' }, search),
    filters,
    h('div', { class: 'toolbar-right' }, selCount, mayAct() ? actionsBtn : null),
  );

  const table = h('table', {
    class: 'table users-table',
    attrs: { 'aria-describedby': 'users-caption', 'aria-busy': 'true' },
  });
  const pager = h('nav', { class: 'pager', attrs: { 'aria-label': t('pager.label') } });
  const panel = h(
    'div',
    { id: 'users-panel', attrs: { role: 'tabpanel', 'aria-labelledby': `tab-${s.status}` } },
    toolbar,
    h('div', { class: 'table-wrap' }, table),
    pager,
  );
  mount(
    ctx.main,
    h('div', { class: 'page-head' }, h('h1', { text: t('users.title') }), addButton),
    tablist,
    panel,
  );

  function syncSelection() {
    const n = selected.size;
    selCount.textContent = n ? t('users.selected', { n }) : '';
    actionsBtn.disabled = n === 0;
    actionsBtn.title = n === 0 ? t('users.select_first') : '';
    const all = table.querySelector('thead input[type=checkbox]');
    if (all) {
      all.checked = n > 0 && n === page.items.length;
      all.indeterminate = n > 0 && n < page.items.length;
    }
  }

  function sortHeader(col) {
    const dir = s.sort === col ? 'ascending' : s.sort === `-${col}` ? 'descending' : 'none';
    const b = h(
      'button',
      {
        type: 'button',
        class: 'sort',
        text: t(`users.col.${col}`),
        on: {
          click: () => {
            s.sort = s.sort === col ? `-${col}` : col;
            s.cursor = '';
            s.back = [];
            refresh();
          },
        },
      },
      h('span', { class: `sort-mark sort-${dir}`, attrs: { 'aria-hidden': 'true' } }),
    );
    return h('th', { scope: 'col', attrs: { 'aria-sort': dir } }, b);
  }

  function rowMenu(u, opener, at) {
    showMenu(actionItems([u], { navigate: ctx.navigate, after: reload, withLabelsFor: 'row' }), {
      opener,
      at,
      label: t('users.row_actions', { name: u.username }),
    });
  }

  function row(u) {
    const box = h('input', {
      type: 'checkbox',
      checked: selected.has(u.id),
      attrs: { 'aria-label': t('users.select_user', { name: u.username }) },
    });
    box.addEventListener('change', () => {
      if (box.checked) selected.set(u.id, u);
      else selected.delete(u.id);
      tr.classList.toggle('selected', box.checked);
      syncSelection();
    });
    const name = fullName(u);
    const menuBtn = h('button', {
      type: 'button',
      class: 'icon-button row-actions',
      text: '⋯',
      attrs: {
        'aria-label': t('users.row_actions', { name: u.username }),
        'aria-haspopup': 'menu',
        'aria-expanded': 'false',
      },
    });
    menuBtn.addEventListener('click', () => rowMenu(u, menuBtn));
    const cells = [
      mayAct() ? h('td', { class: 'check' }, box) : null,
      h('td', { class: 'name' }, h('a', { href: `/users/${u.id}`, text: name || u.username })),
      h('td', { class: 'username', text: u.username }),
      h('td', { class: 'email', text: u.email }),
      h('td', { class: 'last-login' }, timeEl(h, u.last_login_at, t('users.never'))),
      h('td', { class: 'status' }, statusBadge(h, u)),
      s.status === 'banned' ? h('td', { class: 'banned-until' }, timeEl(h, u.banned_until)) : null,
      h(
        'td',
        { class: 'row-buttons' },
        s.status === 'banned' && can('users.unban') && isBanned(u)
          ? h('button', {
              type: 'button',
              class: 'small',
              text: t('row.unban'),
              on: { click: () => runAction('unban', [u], reload) },
            })
          : null,
        can('users.update') && u.status !== 'deleted'
          ? h('a', {
              class: 'button small',
              href: `/users/${u.id}/edit`,
              text: t('row.edit'),
              attrs: { 'aria-label': t('users.edit_user', { name: u.username }) },
            })
          : null,
        mayAct() ? menuBtn : null,
      ),
    ];
    const tr = h(
      'tr',
      {
        class: selected.has(u.id) ? 'selected' : '',
        dataset: { id: String(u.id), username: u.username },
      },
      cells,
    );
    tr.addEventListener('contextmenu', (e) => {
      if (!mayAct() || e.target.closest('a, input')) return;
      e.preventDefault();
      const keyboard = e.clientX === 0 && e.clientY === 0; // the context-menu key
      rowMenu(u, menuBtn, keyboard ? null : { x: e.clientX, y: e.clientY });
    });
    return tr;
  }

  function drawTable() {
    const allBox = h('input', { type: 'checkbox', attrs: { 'aria-label': t('users.select_all') } });
    allBox.addEventListener('change', () => {
      selected.clear();
      if (allBox.checked) for (const u of page.items) selected.set(u.id, u);
      for (const tr of table.tBodies[0].rows) {
        const cb = tr.querySelector('input[type=checkbox]');
        if (cb) cb.checked = allBox.checked;
        tr.classList.toggle('selected', allBox.checked);
      }
      syncSelection();
    });
    const caption = h('caption', {
      id: 'users-caption',
      class: 'visually-hidden',
      text: t('users.caption', { status: t(`tabs.${s.status}`) }),
    });
    const head = h(
      'thead',
      {},
      h(
        'tr',
        {},
        mayAct() ? h('th', { scope: 'col', class: 'check' }, allBox) : null,
        sortHeader('name'),
        sortHeader('username'),
        sortHeader('email'),
        sortHeader('last_login'),
        h('th', { scope: 'col', text: t('users.col.status') }),
        s.status === 'banned' ? h('th', { scope: 'col', text: t('users.col.banned_until') }) : null,
        h(
          'th',
          { scope: 'col', class: 'row-buttons' },
          h('span', { class: 'visually-hidden', text: t('users.actions') }),
        ),
      ),
    );
    const body = h(
      'tbody',
      {},
      page.items.length
        ? page.items.map(row)
        : h(
            'tr',
            {},
            h('td', {
              class: 'empty',
              colSpan: 9,
              text: page.partial
                ? t('users.none_yet')
                : s.q
                  ? t('users.none_found')
                  : t(`users.none.${s.status}`),
            }),
          ),
    );
    mount(table, caption, head, body);
    syncSelection();
  }

  function drawPager() {
    const pageNo = s.back.length + 1;
    const prev = h('button', {
      type: 'button',
      text: t('pager.previous'),
      disabled: s.back.length === 0,
      on: {
        click: () => {
          s.cursor = s.back.pop() || '';
          go();
        },
      },
    });
    const next = h('button', {
      type: 'button',
      text: t('pager.next'),
      disabled: !page.next_cursor,
      on: {
        click: () => {
          s.back.push(s.cursor);
          s.cursor = page.next_cursor;
          go();
        },
      },
    });
    const size = h(
      'select',
      { id: 'page-size' },
      PAGE_SIZES.map((n) =>
        h('option', { value: String(n), text: String(n), selected: n === s.limit }),
      ),
    );
    size.addEventListener('change', () => {
      s.limit = Number(size.value);
      s.cursor = '';
      s.back = [];
      refresh();
    });
    mount(
      pager,
      h(
        'div',
        { class: 'pager-size' },
        h('label', { htmlFor: size.id, text: t('pager.rows') }),
        size,
      ),
      h(
        'div',
        { class: 'pager-buttons' },
        prev,
        h('span', {
          class: 'pager-page',
          attrs: { 'aria-live': 'polite' },
          text: t('pager.page', { n: pageNo, count: page.items.length }),
        }),
        next,
      ),
      page.partial
        ? h('p', { class: 'pager-partial', role: 'status', text: t('users.partial') })
        : null,
    );
  }

  async function load() {
    inflight?.abort();
    const ac = new AbortController();
    inflight = ac;
    ctx.signal.addEventListener('abort', () => ac.abort(), { once: true });
    table.setAttribute('aria-busy', 'true');
    try {
      const { data } = await api(
        'GET',
        `/users${qs({ status: s.status, q: s.q, sort: s.sort, role_id: s.role_id, group_id: s.group_id, tenant_id: s.tenant_id, limit: s.limit, cursor: s.cursor })}`,
        { signal: ac.signal },
      );
      page = data;
      selected.clear();
      drawTable();
      drawPager();
    } catch (e) {
      if (e.name === 'AbortError') return;
      if (e.status === 400 && s.cursor) {
        s.cursor = '';
        s.back = [];
        refresh();
        return;
      } // a stale cursor
      mount(table, h('tbody', {}, h('tr', {}, h('td', {}, errorBox(e, { retry: load })))));
    } finally {
      if (inflight === ac) {
        inflight = null;
        table.removeAttribute('aria-busy');
      }
    }
  }

  // A new filter, sort or tab: the URL follows (replace), then the first page loads.
  function refresh() {
    history.replaceState({ back: s.back }, '', urlOf(s));
    panel.setAttribute('aria-labelledby', `tab-${s.status}`);
    load();
  }
  // Another page: its own history entry, so Back goes to the page before.
  function go() {
    history.pushState({ back: s.back }, '', urlOf(s));
    load().then(() => table.querySelector('tbody a, tbody input')?.focus({ preventScroll: false }));
  }
  async function reload() {
    await load();
  }

  mount(table, h('tbody', {}, h('tr', {}, h('td', {}, loading()))));
  await load();
}
