// /users: the list of Back-Office users. Tabs by status (Active, Invited, Disabled, Banned, and
// Deleted: tombstones, read-only), each with its count for the filter (GET /users/counts: exact
// up to 10,000, "10,000+" beyond), a search bar, filters (role, group, service provider),
// sorting by column, and cursor pagination (the API's next_cursor, "1-50 of N"). Checkboxes
// select users for the Actions menu, on this page or every user the filter matches; each row
// has the same actions in its context menu (right click, the context-menu key, or the row's
// Actions button). At phone width the rows become cards.

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { api, getAll, qs } from '../api.js';
import { can, session } from '../session.js';
import { fullName, timeEl, statusBadge, isBanned } from '../format.js';
import { tabs, menuButton, showMenu, loading, errorBox, fmtCount } from '../ui.js';
import { actionItems, mayAct, runAction } from '../actions.js';

const STATUSES = ['active', 'invited', 'disabled', 'banned', 'deleted'];
// How many users one request of the list returns at most (the API's limit).
const FETCH_MAX = 200;
const SORTABLE = ['name', 'username', 'email', 'last_login'];
const PAGE_SIZES = [20, 50, 100, 200];
// the users list's "inactive for more than N days" choices (inactive_days=N, the dormant rule's count)
const INACTIVE_DAYS = [30, 60, 90, 180, 365];

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
    inactive_days: INACTIVE_DAYS.includes(Number(query.get('inactive_days')))
      ? query.get('inactive_days')
      : '',
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
    inactive_days: s.inactive_days,
    limit: s.limit === 50 ? '' : s.limit,
    cursor: s.cursor,
  })}`;
}

export default async function usersPage(ctx) {
  ctx.setTitle(t('users.title'));
  const s = readState(ctx.query, ctx.state);
  let page = { items: [], next_cursor: null };
  const selected = new Map(); // id -> user (of this page, or every match: allMatching)
  let allMatching = false;
  let inflight = null;
  let counts = null; // GET /users/counts for countsFor
  let countsFor = null;
  let countsSeq = 0;
  const readOnly = () => s.status === 'deleted'; // tombstones: nothing to act on
  const acts = () => mayAct() && !readOnly();
  // platform staff see the users of every service provider: the list names each one's
  const showProvider = session.user?.provider_id == null;

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
      filterSelect(
        'inactive_days',
        t('filters.inactive'),
        INACTIVE_DAYS.map((n) => ({ id: n, name: t('filters.inactive_days', { n }) })),
      ),
    );
  });

  const selCount = h('span', { class: 'sel-count', attrs: { 'aria-live': 'polite' } });
  const actionsBtn = menuButton(
    t('users.actions'),
    () => actionItems([...selected.values()], { navigate: ctx.navigate, after: reload }),
    { cls: 'actions-button' },
  );
  // Export CSV: a plain download of GET /api/v1/users.csv for what the filter, tab and sort show
  // (the session cookie authenticates a GET), with a byte-order mark so that Excel reads UTF-8.
  const exportLink = h('a', {
    class: 'button export-csv',
    text: t('users.export_csv'),
    title: t('users.export_csv_hint'),
    attrs: { download: 'users.csv' },
  });
  const setExportHref = () => {
    exportLink.href = `/api/v1/users.csv${qs({ ...filterOf(), status: s.status, sort: s.sort, bom: 1 })}`;
  };
  // Import CSV: a page of its own (check, then import), for who may create and edit users
  const importLink = can('users.create', 'users.update')
    ? h('a', { class: 'button import-csv', href: '/users/import', text: t('users.import_csv') })
    : null;
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    h('div', { class: 'search' }, search),
    filters,
    h(
      'div',
      { class: 'toolbar-right' },
      selCount,
      exportLink,
      importLink,
      mayAct() ? actionsBtn : null,
    ),
  );

  const selectBar = h('div', { class: 'select-bar', hidden: true, attrs: { role: 'status' } });
  const table = h('table', {
    class: 'table users-table stack',
    attrs: { 'aria-describedby': 'users-caption', 'aria-busy': 'true' },
  });
  const pager = h('nav', { class: 'pager', attrs: { 'aria-label': t('pager.label') } });
  const panel = h(
    'div',
    { id: 'users-panel', attrs: { role: 'tabpanel', 'aria-labelledby': `tab-${s.status}` } },
    toolbar,
    selectBar,
    h('div', { class: 'table-wrap users-wrap' }, table),
    pager,
  );
  mount(
    ctx.main,
    h('div', { class: 'page-head' }, h('h1', { text: t('users.title') }), addButton),
    tablist,
    panel,
  );

  const filterOf = () => ({
    q: s.q,
    role_id: s.role_id,
    group_id: s.group_id,
    tenant_id: s.tenant_id,
    inactive_days: s.inactive_days,
  });
  const filterKey = () => JSON.stringify(filterOf());
  setExportHref();
  const tabCount = () => (counts && countsFor === filterKey() ? counts[s.status] : null);

  function syncSelection() {
    const n = selected.size;
    selCount.textContent = n ? t('users.selected', { n: fmtCount(n) }) : '';
    actionsBtn.disabled = n === 0;
    actionsBtn.title = n === 0 ? t('users.select_first') : '';
    const onPage = page.items.filter((u) => selected.has(u.id)).length;
    const all = table.querySelector('thead input[type=checkbox]');
    if (all) {
      all.checked = onPage > 0 && onPage === page.items.length;
      all.indeterminate = onPage > 0 && onPage < page.items.length;
    }
    drawSelectBar();
  }

  // Once the whole page is selected: an offer to select every user the filter matches (when
  // the count is exact), or, once done, how many are selected and a way back.
  function drawSelectBar() {
    const c = tabCount();
    const pageAll = page.items.length > 0 && page.items.every((u) => selected.has(u.id));
    selectBar.hidden = true;
    if (allMatching) {
      mount(
        selectBar,
        h('span', { text: t('users.all_matching_selected', { n: fmtCount(selected.size) }) }),
        h('button', {
          type: 'button',
          class: 'link-button',
          text: t('users.clear_selection'),
          on: { click: clearSelection },
        }),
      );
      selectBar.hidden = false;
    } else if (pageAll && c && (c.more || c.count > page.items.length)) {
      mount(
        selectBar,
        h('span', { text: t('users.page_selected', { n: fmtCount(page.items.length) }) }),
        c.more
          ? h('span', {
              class: 'hint',
              text: t('users.too_many_to_select', { n: fmtCount(c.count) }),
            })
          : h('button', {
              type: 'button',
              class: 'link-button',
              text: t('users.select_all_matching', { n: fmtCount(c.count) }),
              on: { click: selectAllMatching },
            }),
      );
      selectBar.hidden = false;
    }
  }

  function clearSelection() {
    selected.clear();
    allMatching = false;
    for (const tr of table.tBodies[0]?.rows || []) {
      const cb = tr.querySelector('input[type=checkbox]');
      if (cb) cb.checked = false;
      tr.classList.remove('selected');
    }
    syncSelection();
  }

  // Every user of the filter, FETCH_MAX a request, with the progress in the bar.
  async function selectAllMatching() {
    const total = tabCount()?.count || 0;
    const line = h('span', { text: t('users.collecting', { n: 0, total: fmtCount(total) }) });
    mount(selectBar, line);
    const found = new Map();
    let cursor = '';
    try {
      do {
        const { data } = await api(
          'GET',
          `/users${qs({ ...filterOf(), status: s.status, sort: 'id', limit: FETCH_MAX, cursor })}`,
          { signal: ctx.signal },
        );
        for (const u of data.items) found.set(u.id, u);
        line.textContent = t('users.collecting', {
          n: fmtCount(found.size),
          total: fmtCount(total),
        });
        cursor = data.next_cursor;
      } while (cursor);
    } catch (e) {
      if (e.name === 'AbortError') return;
      mount(selectBar, errorBox(e));
      return;
    }
    selected.clear();
    for (const [id, u] of found) selected.set(id, u);
    allMatching = true;
    syncSelection();
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
      allMatching = false;
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
    const col = (key, cls, ...content) =>
      h('td', { class: cls, dataset: { label: t(`users.col.${key}`) } }, ...content);
    const lock = u.lockout;
    const cells = [
      acts() ? h('td', { class: 'check' }, box) : null,
      h('td', { class: 'name' }, h('a', { href: `/users/${u.id}`, text: name || u.username })),
      col('username', 'username', u.username),
      col('email', 'email', u.email),
      showProvider
        ? col('provider', 'provider', u.provider?.name || t('users.platform_staff'))
        : null,
      col('roles', 'roles', (u.roles || []).map((r) => r.name).join(', ') || '—'),
      col('last_login', 'last-login', timeEl(h, u.last_login_at, t('users.never'))),
      col('status', 'status', statusBadge(h, u)),
      s.status === 'banned' ? col('banned_until', 'banned-until', timeEl(h, u.banned_until)) : null,
      s.status === 'banned' ? col('failures', 'failures', fmtCount(lock?.failures ?? 0)) : null,
      s.status === 'banned'
        ? col(
            'last_failure',
            'last-failure',
            lock?.last_failure_at
              ? [
                  timeEl(h, lock.last_failure_at),
                  h('br'),
                  h('span', { class: 'ip', text: lock.last_failure_ip || '' }),
                ]
              : '—',
          )
        : null,
      readOnly()
        ? null
        : h(
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
      if (!acts() || e.target.closest('a, input')) return;
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
      allMatching = false;
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
        acts() ? h('th', { scope: 'col', class: 'check' }, allBox) : null,
        sortHeader('name'),
        sortHeader('username'),
        sortHeader('email'),
        showProvider ? h('th', { scope: 'col', text: t('users.col.provider') }) : null,
        h('th', { scope: 'col', text: t('users.col.roles') }),
        sortHeader('last_login'),
        h('th', { scope: 'col', text: t('users.col.status') }),
        ...(s.status === 'banned'
          ? ['banned_until', 'failures', 'last_failure'].map((k) =>
              h('th', { scope: 'col', text: t(`users.col.${k}`) }),
            )
          : []),
        readOnly()
          ? null
          : h(
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
              colSpan: 12,
              text: page.partial
                ? t('users.none_yet')
                : s.q
                  ? t('users.none_found')
                  : t(`users.none.${s.status}`),
            }),
          ),
    );
    mount(table, caption, head, body);
    actionsBtn.hidden = readOnly();
    syncSelection();
  }

  // "1-50 of 1,234" (or "of 10,000+") when the tab's count is known, else the page's number
  function pageText(pageNo) {
    const c = tabCount();
    // a lower bound below the cap (a filter with more matches than a count reads) says too little
    const lower = c?.more && c.count < counts.cap;
    if (!c || lower || !page.items.length)
      return t('pager.page', { n: pageNo, count: page.items.length });
    const from = s.back.length * s.limit + 1;
    return t('pager.range', {
      from: fmtCount(from),
      to: fmtCount(from + page.items.length - 1),
      total: fmtCount(c.count, c.more),
    });
  }

  // Each tab's count after its name (none when unknown).
  function drawCounts() {
    for (const id of STATUSES) {
      const tab = tablist.querySelector(`#tab-${id}`);
      tab.querySelector('.tab-count')?.remove();
      const c = countsFor === filterKey() ? counts?.[id] : null;
      if (c && (c.count > 0 || !c.more))
        tab.append(h('span', { class: 'tab-count', text: fmtCount(c.count, c.more) }));
    }
  }

  async function loadCounts() {
    const key = filterKey();
    const seq = ++countsSeq;
    try {
      const { data } = await api('GET', `/users/counts${qs(filterOf())}`, { signal: ctx.signal });
      if (seq !== countsSeq) return;
      counts = data;
      countsFor = key;
    } catch (e) {
      if (e.name === 'AbortError' || seq !== countsSeq) return;
      counts = null; // the list works without its counts
    }
    drawCounts();
    const pageNo = s.back.length + 1;
    const label = pager.querySelector('.pager-page');
    if (label) label.textContent = pageText(pageNo);
    drawSelectBar();
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
          text: pageText(pageNo),
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
        `/users${qs({ status: s.status, q: s.q, sort: s.sort, role_id: s.role_id, group_id: s.group_id, tenant_id: s.tenant_id, inactive_days: s.inactive_days, limit: s.limit, cursor: s.cursor })}`,
        { signal: ac.signal },
      );
      page = data;
      if (!allMatching) selected.clear();
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
    setExportHref();
    panel.setAttribute('aria-labelledby', `tab-${s.status}`);
    allMatching = false;
    selected.clear();
    if (countsFor !== filterKey()) loadCounts();
    load();
  }
  // Another page: its own history entry, so Back goes to the page before.
  function go() {
    history.pushState({ back: s.back }, '', urlOf(s));
    load().then(() => table.querySelector('tbody a, tbody input')?.focus({ preventScroll: false }));
  }
  async function reload() {
    allMatching = false;
    selected.clear();
    loadCounts();
    await load();
  }

  mount(table, h('tbody', {}, h('tr', {}, h('td', {}, loading()))));
  loadCounts();
  await load();
}
