// /scim-clients (the list) and /scim-clients/new (the form): the SCIM clients through which an
// identity provider (Okta, Microsoft Entra ID) provisions one service provider's users. A
// client acts with its creator's rights; its token is shown once, right after it is made, and
// never again. The form offers only what the server would accept: the providers the admin may
// place users at and, for the chosen one, the roles it may grant (GET /me/grantable).

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { api, getAll } from '../api.js';
import { can, grantable } from '../session.js';
import {
  field,
  select,
  multiSelect,
  confirmDialog,
  infoDialog,
  toast,
  loading,
  showFieldErrors,
  copyButton,
} from '../ui.js';
import { fmtTime } from '../format.js';

// The providers (and their grantable roles) the admin may give a client: not the platform's
// staff (a client serves one service provider), no Platform User role (it needs sub-account
// access, which a client does not give).
async function choices(signal) {
  const g = await grantable(undefined, { signal }).catch(() => null);
  return (g?.providers || [])
    .filter((p) => p.id !== null)
    .map((p) => ({ ...p, roles: p.roles.filter((r) => r.kind !== 'platform_user') }));
}

async function revoke(ctx, c) {
  const yes = await confirmDialog({
    title: t('scim.confirm_revoke', { name: c.name }),
    text: t('scim.confirm_revoke_text'),
    confirm: t('scim.revoke'),
    danger: true,
    focusCancel: true,
  });
  if (!yes) return;
  try {
    await api('DELETE', `/scim-clients/${c.id}`);
    toast(t('scim.revoked', { name: c.name }));
    ctx.navigate('/scim-clients', { replace: true });
  } catch (e) {
    if (e.status !== 401) toast(e.message, 'error');
  }
}

function clientsTable(ctx, clients, providerName) {
  const write = can('settings.update');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table sso-table scim-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['name', 'provider', 'created_by', 'created_at'].map((k) =>
            h('th', { scope: 'col', text: t(`scim.col.${k}`) }),
          ),
          write
            ? h(
                'th',
                { scope: 'col', class: 'row-buttons' },
                h('span', { class: 'visually-hidden', text: t('users.actions') }),
              )
            : null,
        ),
      ),
      h(
        'tbody',
        {},
        clients.map((c) =>
          h(
            'tr',
            { dataset: { id: String(c.id) } },
            h('td', { dataset: { label: t('scim.col.name') }, text: c.name }),
            h('td', {
              dataset: { label: t('scim.col.provider') },
              text: providerName(c.provider_id),
            }),
            h('td', {
              dataset: { label: t('scim.col.created_by') },
              text: c.created_by_name || `#${c.created_by}`,
            }),
            h('td', {
              dataset: { label: t('scim.col.created_at') },
              text: fmtTime(c.created_at),
            }),
            write
              ? h(
                  'td',
                  { class: 'row-buttons' },
                  h('button', {
                    type: 'button',
                    class: 'small',
                    text: t('scim.revoke'),
                    attrs: { 'aria-label': `${t('scim.revoke')} ${c.name}` },
                    on: { click: () => revoke(ctx, c) },
                  }),
                )
              : null,
          ),
        ),
      ),
    ),
  );
}

async function listPage(ctx) {
  ctx.setTitle(t('scim.title'));
  mount(ctx.main, loading());
  const clients = await getAll('/scim-clients', { signal: ctx.signal });
  const names = new Map((await choices(ctx.signal)).map((p) => [p.id, p.name]));
  const providerName = (id) => names.get(id) || t('sso.provider_n', { id });
  const add = can('settings.update')
    ? h('a', { class: 'button primary', href: '/scim-clients/new', text: t('scim.add') })
    : null;
  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', { text: t('scim.title') }),
        h('p', { class: 'sub', text: t('scim.intro') }),
      ),
      clients.length ? add : null,
    ),
    clients.length
      ? clientsTable(ctx, clients, providerName)
      : h(
          'div',
          { class: 'panel empty-state' },
          h('h2', { text: t('scim.none') }),
          h('p', { class: 'sub', text: t('scim.none_text') }),
          add,
        ),
  );
}

// The token, once: with the base URL the identity provider is given.
async function showToken(res) {
  const base = res.scim_base_url;
  const row = (label, value) => [
    h('dt', { text: label }),
    h(
      'dd',
      {},
      h('code', { class: 'secret', text: value }),
      ' ',
      copyButton(() => value),
    ),
  ];
  await infoDialog(t('scim.token_title', { name: res.name }), [
    h('p', { text: t('scim.token_once') }),
    h('dl', { class: 'details' }, row(t('scim.base_url'), base), row(t('scim.token'), res.token)),
  ]);
}

async function formPage(ctx) {
  if (!can('settings.update')) {
    ctx.navigate('/scim-clients', { replace: true });
    return;
  }
  mount(ctx.main, loading());
  const providers = await choices(ctx.signal);
  const title = t('scim.new_title');
  ctx.setTitle(title);
  const F = {
    name: field(
      t('scim.name'),
      h('input', { name: 'name', autocomplete: 'off', attrs: { maxlength: '100' } }),
      { required: true, hint: t('scim.name_hint') },
    ),
    provider_id: field(
      t('scim.provider'),
      select(
        providers.map((p) => ({ value: p.id, label: p.name })),
        { value: providers[0]?.id ?? '', name: 'provider_id' },
      ),
      { required: true, hint: t('scim.provider_hint') },
    ),
    access: field(
      t('scim.access'),
      select(
        [
          { value: 'provider', label: t('scim.access_provider') },
          { value: 'all', label: t('scim.access_all') },
        ],
        { value: 'provider', name: 'access' },
      ),
      { hint: t('scim.access_hint') },
    ),
  };
  const roles = multiSelect(t('scim.roles'), {
    hint: t('scim.roles_hint'),
    emptyText: t('form.no_roles_grantable'),
  });
  const syncRoles = () => {
    const p = providers.find((x) => String(x.id) === F.provider_id.input.value);
    roles.setOptions((p?.roles || []).map((r) => ({ value: r.id, label: r.name })));
  };
  F.provider_id.input.addEventListener('change', syncRoles);
  syncRoles();
  const alert = h('div', { class: 'alert alert-error', attrs: { role: 'alert' }, hidden: true });
  const saveBtn = h('button', { type: 'submit', class: 'primary', text: t('scim.create') });
  const form = h(
    'form',
    { class: 'form scim-form', attrs: { novalidate: true, 'aria-label': title } },
    alert,
    h(
      'section',
      { class: 'form-section' },
      h(
        'div',
        { class: 'form-grid' },
        F.name.el,
        F.provider_id.el,
        F.access.el,
        h('div', { class: 'span-2' }, roles.el),
      ),
    ),
    h(
      'div',
      { class: 'form-buttons' },
      saveBtn,
      h('a', { class: 'button', href: '/scim-clients', text: t('common.cancel') }),
    ),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const f of Object.values(F)) f.setError('');
    roles.setError('');
    alert.hidden = true;
    if (!F.name.input.value.trim()) {
      F.name.setError(t('form.required'));
      F.name.input.focus();
      return;
    }
    if (!F.provider_id.input.value) {
      F.provider_id.setError(t('form.required'));
      return;
    }
    saveBtn.disabled = true;
    const body = {
      name: F.name.input.value.trim(),
      provider_id: Number(F.provider_id.input.value),
      role_ids: roles.get(),
      access:
        F.access.input.value === 'all'
          ? { level: 'account', account_ids: 'all' }
          : { level: 'provider' },
    };
    try {
      const r = await api('POST', '/scim-clients', { body });
      await showToken(r.data);
      toast(t('scim.saved', { name: r.data.name }));
      ctx.navigate('/scim-clients');
    } catch (err) {
      if (err.status === 401) return;
      const rest = showFieldErrors(err, { ...F, role_ids: roles });
      if (rest.length) {
        alert.textContent = rest.join(' ');
        alert.hidden = false;
      }
      (ctx.main.querySelector('[aria-invalid=true]') || alert).focus?.();
    } finally {
      saveBtn.disabled = false;
    }
  });
  mount(
    ctx.main,
    h('p', {}, h('a', { href: '/scim-clients', text: `← ${t('scim.title')}` })),
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { text: title }))),
    providers.length ? form : h('div', { class: 'panel', text: t('scim.no_providers') }),
  );
  if (providers.length) F.name.input.focus();
}

export default function scimPage(ctx) {
  return ctx.params[0] ? formPage(ctx) : listPage(ctx);
}
