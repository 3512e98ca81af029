// /groups (the list), /groups/new and /groups/{id} (name, description, service provider, the
// roles its members get, and its members).

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { api, get, getAll, qs } from '../api.js';
import { can, grantable, providerNames, session } from '../session.js';
import {
  field,
  multiSelect,
  select,
  confirmDialog,
  toast,
  loading,
  showFieldErrors,
  dataTable,
  errorBox,
} from '../ui.js';
import { fullName } from '../format.js';

// The providers and roles by name: those the admin reads, its own provider (named even without
// tenants.read) and the roles it may grant (named even without roles.read).
async function context(signal) {
  const mine = session.user?.provider_id ?? null;
  const [names, roles, g] = await Promise.all([
    providerNames(signal),
    can('roles.read') ? getAll('/roles', { signal }).catch(() => []) : [],
    can('roles.read')
      ? null
      : grantable(mine === null ? 'platform' : mine, { signal }).catch(() => null),
  ]);
  const roleNames = new Map(roles.map((r) => [r.id, r.name]));
  for (const p of g?.providers || []) for (const r of p.roles) roleNames.set(r.id, r.name);
  return {
    providers: [...names].map(([id, name]) => ({ id, name })),
    roles,
    roleName: (id) => roleNames.get(id) || t('common.unnamed'),
    providerName: (id) => (id === null ? t('common.global') : names.get(id) || t('common.unnamed')),
  };
}

async function listPage(ctx) {
  ctx.setTitle(t('groups.title'));
  mount(ctx.main, loading());
  const [groups, c] = await Promise.all([
    getAll('/groups', { signal: ctx.signal }),
    context(ctx.signal),
  ]);
  const del = async (g) => {
    if (
      !(await confirmDialog({
        title: t('groups.confirm_delete', { name: g.name }),
        text: t('groups.confirm_delete_text'),
        confirm: t('confirm.delete.yes'),
        danger: true,
      }))
    )
      return;
    try {
      await api('DELETE', `/groups/${g.id}`);
      toast(t('groups.deleted', { name: g.name }));
      ctx.navigate('/groups', { replace: true });
    } catch (e) {
      toast(e.message, 'error');
    }
  };
  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: t('groups.title') }),
      can('groups.create')
        ? h('a', { class: 'button primary', href: '/groups/new', text: t('groups.add') })
        : null,
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'table groups-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['name', 'provider', 'roles', 'members'].map((k) =>
              h('th', { scope: 'col', text: t(`groups.col.${k}`) }),
            ),
            h(
              'th',
              { scope: 'col', class: 'row-buttons' },
              h('span', { class: 'visually-hidden', text: t('users.actions') }),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          groups.length
            ? groups.map((g) =>
                h(
                  'tr',
                  {},
                  h(
                    'td',
                    {},
                    h('a', { href: `/groups/${g.id}`, text: g.name }),
                    g.description ? h('div', { class: 'hint', text: g.description }) : null,
                  ),
                  h('td', { text: c.providerName(g.provider_id) }),
                  h(
                    'td',
                    {},
                    h(
                      'div',
                      { class: 'chips' },
                      g.role_ids.map((r) => h('span', { class: 'chip', text: c.roleName(r) })),
                    ),
                  ),
                  h('td', { text: t('groups.member_count', { n: g.member_count }) }),
                  h(
                    'td',
                    { class: 'row-buttons' },
                    can('groups.update')
                      ? h('a', {
                          class: 'button small',
                          href: `/groups/${g.id}`,
                          text: t('common.edit'),
                          attrs: { 'aria-label': `${t('common.edit')} ${g.name}` },
                        })
                      : null,
                    can('groups.delete')
                      ? h('button', {
                          type: 'button',
                          class: 'small',
                          text: t('common.delete'),
                          attrs: { 'aria-label': `${t('common.delete')} ${g.name}` },
                          on: { click: () => del(g) },
                        })
                      : null,
                  ),
                ),
              )
            : h('tr', {}, h('td', { class: 'empty', colSpan: 5, text: t('groups.none') })),
        ),
      ),
    ),
  );
}

async function formPage(ctx) {
  const id = ctx.params[0] === 'new' ? null : Number(ctx.params[0]);
  if (!id && !can('groups.create')) {
    ctx.navigate('/groups', { replace: true });
    return;
  }
  mount(ctx.main, loading());
  const [res, c] = await Promise.all([
    id ? api('GET', `/groups/${id}`, { signal: ctx.signal }) : null,
    context(ctx.signal),
  ]);
  const g = res?.data;
  const title = g ? t('groups.edit_title', { name: g.name }) : t('groups.new_title');
  ctx.setTitle(title);
  const F = {
    name: field(
      t('groups.name'),
      h('input', { name: 'name', value: g?.name || '', attrs: { maxlength: '100' } }),
      { required: true },
    ),
    description: field(
      t('groups.description'),
      h('textarea', {
        name: 'description',
        value: g?.description || '',
        attrs: { maxlength: '1000' },
      }),
    ),
    provider_id: field(
      t('groups.provider'),
      select(
        [
          { value: '', label: t('common.global') },
          ...c.providers.map((p) => ({ value: p.id, label: p.name })),
        ],
        { value: g?.provider_id ?? '' },
      ),
    ),
    role_ids: multiSelect(t('groups.roles'), { emptyText: t('form.no_roles') }),
  };
  if (g) F.provider_id.input.disabled = true;
  const providerId = () =>
    F.provider_id.input.value === '' ? null : Number(F.provider_id.input.value);
  const syncRoles = () =>
    F.role_ids.setOptions(
      c.roles
        .filter((r) => r.provider_id === null || r.provider_id === providerId())
        .map((r) => ({ value: r.id, label: `${r.name} (${t(`roles.kind.${r.kind}`)})` })),
    );
  F.provider_id.input.addEventListener('change', () => {
    F.role_ids.set([]);
    syncRoles();
  });
  syncRoles();
  F.role_ids.set(g?.role_ids || []);
  const alert = h('div', { class: 'alert alert-error', attrs: { role: 'alert' }, hidden: true });
  const saveBtn = h('button', {
    type: 'submit',
    class: 'primary',
    text: t('common.save'),
    disabled: !!g && !can('groups.update'),
  });
  const form = h(
    'form',
    { class: 'form', attrs: { novalidate: true, 'aria-label': title } },
    alert,
    h(
      'section',
      { class: 'form-section' },
      h(
        'div',
        { class: 'form-grid' },
        F.name.el,
        F.provider_id.el,
        h('div', { class: 'span-2' }, F.description.el),
        h('div', { class: 'span-2' }, F.role_ids.el),
      ),
    ),
    h(
      'div',
      { class: 'form-buttons' },
      saveBtn,
      h('a', { class: 'button', href: '/groups', text: t('common.cancel') }),
    ),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const f of Object.values(F)) f.setError('');
    alert.hidden = true;
    if (!F.name.input.value.trim()) {
      F.name.setError(t('form.required'));
      F.name.input.focus();
      return;
    }
    const body = {
      name: F.name.input.value.trim(),
      description: F.description.input.value,
      role_ids: F.role_ids.get(),
    };
    if (!g) body.provider_id = providerId();
    saveBtn.disabled = true;
    try {
      const r = g
        ? await api('PATCH', `/groups/${g.id}`, { body, etag: res.etag })
        : await api('POST', '/groups', { body });
      toast(t('groups.saved', { name: r.data.name }));
      ctx.navigate('/groups');
    } catch (err) {
      if (err.status === 401) return;
      const rest = showFieldErrors(err, F);
      if (err.status === 412) rest.splice(0, rest.length, t('common.conflict'));
      if (rest.length) {
        alert.textContent = rest.join(' ');
        alert.hidden = false;
      }
    } finally {
      saveBtn.disabled = false;
    }
  });
  const members = g && can('users.read') ? h('section', { class: 'panel members-box' }) : null;
  if (members) drawMembers(ctx, g, members);
  mount(
    ctx.main,
    h('p', {}, h('a', { href: '/groups', text: `← ${t('groups.title')}` })),
    h('div', { class: 'page-head' }, h('h1', { text: title })),
    form,
    members,
  );
  F.name.input.focus();
}

// How many members the group page lists (the users list shows them all: Show all).
const MEMBERS_SHOWN = 50;

// The group's members, each with Remove, and Add a member: a search among the users the admin
// may edit. Membership is the user's group_ids: each change is PATCH /users/{id} with its ETag,
// so the server's rules on groups (scope, no escalation through the group's roles) decide.
async function drawMembers(ctx, g, box) {
  const redraw = () => drawMembers(ctx, g, box);
  let list;
  try {
    list = await get(`/users${qs({ group_id: g.id, limit: MEMBERS_SHOWN })}`, {
      signal: ctx.signal,
    });
  } catch (e) {
    if (e.name !== 'AbortError') mount(box, h('h2', { text: t('groups.members') }), errorBox(e));
    return;
  }
  const mayChange = (u) => can('users.update') && (u.allowed_actions || []).includes('update');
  // one user's group_ids changed (add: with this group, else without it)
  async function change(u, add) {
    try {
      const { data: cur, etag } = await api('GET', `/users/${u.id}`);
      const ids = new Set(cur.group_ids || []);
      if (add) ids.add(g.id);
      else ids.delete(g.id);
      await api('PATCH', `/users/${u.id}`, { body: { group_ids: [...ids] }, etag });
      toast(t(add ? 'groups.member_added' : 'groups.member_removed', { name: u.username }));
    } catch (e) {
      if (e.status !== 401) toast(e.message, 'error');
    }
    redraw();
  }
  async function remove(u) {
    const ok = await confirmDialog({
      title: t('groups.remove_confirm', { name: fullName(u) || u.username, group: g.name }),
      text: t('groups.remove_text'),
      confirm: t('groups.remove_yes'),
      danger: true,
    });
    if (ok) await change(u, false);
  }

  const search = h('input', {
    type: 'search',
    id: 'member-search',
    autocomplete: 'off',
    placeholder: t('users.search_placeholder'),
  });
  const found = h('div', { class: 'member-found', attrs: { 'aria-live': 'polite' } });
  let debounce = null,
    seq = 0;
  search.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(async () => {
      const q = search.value.trim().slice(0, 100);
      const mine = ++seq;
      if (!q) return mount(found);
      let items = [];
      try {
        ({ items } = await get(`/users${qs({ q, limit: 10, tenant_id: g.provider_id ?? '' })}`, {
          signal: ctx.signal,
        }));
      } catch (e) {
        if (e.name !== 'AbortError' && mine === seq) mount(found, errorBox(e));
        return;
      }
      if (mine !== seq) return;
      const current = new Set(list.items.map((u) => u.id));
      const candidates = items.filter((u) => !current.has(u.id) && mayChange(u));
      mount(
        found,
        candidates.length
          ? h(
              'ul',
              { class: 'members' },
              candidates.map((u) =>
                h(
                  'li',
                  {},
                  h('span', { text: `${fullName(u) || u.username} (${u.username})` }),
                  h('button', {
                    type: 'button',
                    class: 'small',
                    text: t('groups.add_one'),
                    attrs: { 'aria-label': t('groups.add_user', { name: u.username }) },
                    on: { click: () => change(u, true) },
                  }),
                ),
              ),
            )
          : h('p', { class: 'muted', text: t('groups.none_to_add') }),
      );
    }, 250);
  });

  mount(
    box,
    h('h2', { text: t('groups.members') }),
    list.items.length
      ? dataTable({
          cls: 'members-table',
          items: list.items,
          columns: [
            {
              label: t('users.col.name'),
              head: true,
              cell: (u) => h('a', { href: `/users/${u.id}`, text: fullName(u) || u.username }),
            },
            { label: t('users.col.username'), cell: (u) => u.username },
            { label: t('users.col.email'), cell: (u) => u.email },
          ],
          buttons: (u) =>
            mayChange(u)
              ? h('button', {
                  type: 'button',
                  class: 'small',
                  text: t('groups.remove'),
                  attrs: { 'aria-label': t('groups.remove_user', { name: u.username }) },
                  on: { click: () => remove(u) },
                })
              : null,
        })
      : h('p', { class: 'muted', text: t('groups.no_members') }),
    list.next_cursor
      ? h(
          'p',
          {},
          h('a', {
            href: `/users${qs({ group_id: g.id })}`,
            text: t('groups.show_all_members'),
          }),
        )
      : null,
    can('users.update')
      ? h(
          'div',
          { class: 'field member-add' },
          h('label', { htmlFor: search.id, text: t('groups.add_member') }),
          search,
          found,
        )
      : null,
  );
}

export default function groupsPage(ctx) {
  return ctx.params[0] ? formPage(ctx) : listPage(ctx);
}
