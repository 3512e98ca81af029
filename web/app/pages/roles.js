// /roles (the list), /roles/new and /roles/{id} (the form with the permission mask editor: the
// catalogue of GET /api/v1/permissions grouped by resource, with "All" per group).

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { api, get, getAll } from '../api.js';
import { can, providerNames } from '../session.js';
import { field, checkbox, select, confirmDialog, toast, loading, showFieldErrors } from '../ui.js';

const KINDS = ['service_provider', 'platform_account', 'platform_user'];

// The providers by name: those the admin reads, and its own (named even without tenants.read).
async function providerMap(signal) {
  const names = await providerNames(signal);
  return {
    list: [...names].map(([id, name]) => ({ id, name })),
    name: (id) => (id === null ? t('common.global') : names.get(id) || t('common.unnamed')),
  };
}

async function listPage(ctx) {
  ctx.setTitle(t('roles.title'));
  mount(ctx.main, loading());
  const [roles, providers] = await Promise.all([
    getAll('/roles', { signal: ctx.signal }),
    providerMap(ctx.signal),
  ]);
  const del = async (r) => {
    if (
      !(await confirmDialog({
        title: t('roles.confirm_delete', { name: r.name }),
        text: t('roles.confirm_delete_text'),
        confirm: t('confirm.delete.yes'),
        danger: true,
      }))
    )
      return;
    try {
      await api('DELETE', `/roles/${r.id}`);
      toast(t('roles.deleted', { name: r.name }));
      ctx.navigate('/roles', { replace: true });
    } catch (e) {
      toast(e.message, 'error');
    }
  };
  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: t('roles.title') }),
      can('roles.create')
        ? h('a', { class: 'button primary', href: '/roles/new', text: t('roles.add') })
        : null,
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'table roles-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['name', 'provider', 'kind', 'permissions', 'mfa'].map((k) =>
              h('th', { scope: 'col', text: t(`roles.col.${k}`) }),
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
          roles.length
            ? roles.map((r) =>
                h(
                  'tr',
                  { dataset: { id: String(r.id) } },
                  h(
                    'td',
                    {},
                    h('a', { href: `/roles/${r.id}`, text: r.name }),
                    r.description ? h('div', { class: 'hint', text: r.description }) : null,
                  ),
                  h('td', { text: providers.name(r.provider_id) }),
                  h('td', { text: t(`roles.kind.${r.kind}`) }),
                  h('td', { text: t('roles.perm_count', { n: r.permissions.length }) }),
                  h('td', { text: r.mfa_required ? t('common.yes') : t('common.no') }),
                  h(
                    'td',
                    { class: 'row-buttons' },
                    can('roles.update')
                      ? h('a', {
                          class: 'button small',
                          href: `/roles/${r.id}`,
                          text: t('common.edit'),
                          attrs: { 'aria-label': `${t('common.edit')} ${r.name}` },
                        })
                      : null,
                    can('roles.delete')
                      ? h('button', {
                          type: 'button',
                          class: 'small',
                          text: t('common.delete'),
                          attrs: { 'aria-label': `${t('common.delete')} ${r.name}` },
                          on: { click: () => del(r) },
                        })
                      : null,
                  ),
                ),
              )
            : h('tr', {}, h('td', { class: 'empty', colSpan: 6, text: t('roles.none') })),
        ),
      ),
    ),
  );
}

// The permission mask editor: {el, get(), set(names), setDisabled}.
function maskEditor(catalogue) {
  const groups = new Map();
  for (const p of catalogue) {
    const g = p.name.split('.')[0];
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(p);
  }
  const boxes = new Map();
  const groupEls = [...groups].map(([g, perms]) => {
    const all = h('input', { type: 'checkbox', id: `perm-all-${g}` });
    const items = perms.map((p) => {
      const b = h('input', {
        type: 'checkbox',
        value: p.name,
        id: `perm-${p.name.replace('.', '-')}`,
      });
      boxes.set(p.name, b);
      b.addEventListener('change', sync);
      return h(
        'label',
        { class: 'check-label', htmlFor: b.id, attrs: { title: p.description } },
        b,
        ` ${p.name.split('.').slice(1).join('.')}`,
        h('span', { class: 'visually-hidden', text: ` (${p.name})` }),
      );
    });
    all.addEventListener('change', () => {
      for (const p of perms) boxes.get(p.name).checked = all.checked;
      sync();
    });
    function sync() {
      const n = perms.filter((p) => boxes.get(p.name).checked).length;
      all.checked = n === perms.length;
      all.indeterminate = n > 0 && n < perms.length;
    }
    return {
      el: h(
        'fieldset',
        { class: 'perm-group' },
        h('legend', { text: g }),
        h(
          'label',
          { class: 'check-label perm-all', htmlFor: all.id },
          all,
          ` ${t('roles.all_of', { group: g })}`,
        ),
        items,
      ),
      sync,
    };
  });
  return {
    el: h(
      'div',
      { class: 'perm-grid' },
      groupEls.map((g) => g.el),
    ),
    get: () => [...boxes].filter(([, b]) => b.checked).map(([n]) => n),
    set(names) {
      const s = new Set(names);
      for (const [n, b] of boxes) b.checked = s.has(n);
      groupEls.forEach((g) => g.sync());
    },
  };
}

async function formPage(ctx) {
  const id = ctx.params[0] === 'new' ? null : Number(ctx.params[0]);
  if (!id && !can('roles.create')) {
    ctx.navigate('/roles', { replace: true });
    return;
  }
  mount(ctx.main, loading());
  const [res, cat, providers] = await Promise.all([
    id ? api('GET', `/roles/${id}`, { signal: ctx.signal }) : null,
    get('/permissions', { signal: ctx.signal }),
    providerMap(ctx.signal),
  ]);
  const role = res?.data;
  const title = role ? t('roles.edit_title', { name: role.name }) : t('roles.new_title');
  ctx.setTitle(title);
  const readOnly = role && !can('roles.update');
  const F = {
    name: field(
      t('roles.name'),
      h('input', { name: 'name', value: role?.name || '', attrs: { maxlength: '100' } }),
      { required: true },
    ),
    description: field(
      t('roles.description'),
      h('textarea', {
        name: 'description',
        value: role?.description || '',
        attrs: { maxlength: '1000' },
      }),
    ),
    provider_id: field(
      t('roles.provider'),
      select(
        [
          { value: '', label: t('common.global') },
          ...providers.list.map((p) => ({ value: p.id, label: p.name })),
        ],
        { value: role?.provider_id ?? '' },
      ),
    ),
    kind: field(
      t('roles.kind'),
      select(
        KINDS.map((k) => ({ value: k, label: t(`roles.kind.${k}`) })),
        { value: role?.kind || 'service_provider' },
      ),
      { hint: t('roles.kind_hint') },
    ),
    mfa_required: checkbox(t('roles.mfa'), { checked: !!role?.mfa_required }),
  };
  if (role) F.provider_id.input.disabled = true;
  const mask = maskEditor(cat.items);
  mask.set(role?.permissions || []);
  const maskBox = h(
    'fieldset',
    { class: 'field' },
    h('legend', { text: t('roles.permissions') }),
    mask.el,
    h('p', { class: 'field-error', hidden: true }),
  );
  const maskField = {
    setError(m) {
      const e = maskBox.querySelector('.field-error');
      e.textContent = m || '';
      e.hidden = !m;
    },
  };
  const alert = h('div', { class: 'alert alert-error', attrs: { role: 'alert' }, hidden: true });
  const saveBtn = h('button', {
    type: 'submit',
    class: 'primary',
    text: t('common.save'),
    disabled: readOnly,
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
        F.kind.el,
        F.mfa_required.el,
        h('div', { class: 'span-2' }, F.description.el),
      ),
    ),
    h('section', { class: 'form-section' }, maskBox),
    h(
      'div',
      { class: 'form-buttons' },
      saveBtn,
      h('a', { class: 'button', href: '/roles', text: t('common.cancel') }),
    ),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const f of [...Object.values(F), maskField]) f.setError('');
    alert.hidden = true;
    if (!F.name.input.value.trim()) {
      F.name.setError(t('form.required'));
      F.name.input.focus();
      return;
    }
    const body = {
      name: F.name.input.value.trim(),
      description: F.description.input.value,
      kind: F.kind.input.value,
      permissions: mask.get(),
      mfa_required: F.mfa_required.input.checked,
    };
    if (!role)
      body.provider_id =
        F.provider_id.input.value === '' ? null : Number(F.provider_id.input.value);
    saveBtn.disabled = true;
    try {
      const r = role
        ? await api('PATCH', `/roles/${role.id}`, { body, etag: res.etag })
        : await api('POST', '/roles', { body });
      toast(t('roles.saved', { name: r.data.name }));
      ctx.navigate('/roles');
    } catch (err) {
      if (err.status === 401) return;
      const rest = showFieldErrors(err, { ...F, permissions: maskField });
      if (err.status === 412) rest.splice(0, rest.length, t('common.conflict'));
      if (rest.length) {
        alert.textContent = rest.join(' ');
        alert.hidden = false;
      }
    } finally {
      saveBtn.disabled = !!readOnly;
    }
  });
  mount(
    ctx.main,
    h('p', {}, h('a', { href: '/roles', text: `← ${t('roles.title')}` })),
    h('div', { class: 'page-head' }, h('h1', { text: title })),
    form,
  );
  F.name.input.focus();
}

export default function rolesPage(ctx) {
  return ctx.params[0] ? formPage(ctx) : listPage(ctx);
}
