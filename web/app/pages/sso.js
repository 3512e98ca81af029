// /sso-sources (the list), /sso-sources/new and /sso-sources/{id} (the form): the identity
// providers (OpenID Connect) whose "Sign in with …" buttons the sign-in page shows. The client
// secret is write-only: the API says only whether one is set. Test asks the server to read the
// provider's discovery document and keys, as a sign-in would, and shows what it found.

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { api, get, getAll } from '../api.js';
import { session, can } from '../session.js';
import {
  field,
  checkbox,
  select,
  confirmDialog,
  infoDialog,
  toast,
  loading,
  showFieldErrors,
} from '../ui.js';

const DEFAULT_SCOPES = 'openid email profile';
const DEFAULT_CLAIM = 'sub';

// Service providers by id: the list when the viewer may read tenants, else one GET per id it
// needs (a provider's own admin); a name it cannot read shows as "Service provider #3".
export async function providerNames(ids, signal) {
  const names = new Map();
  if (can('tenants.read')) {
    const list = await getAll('/tenants?kind=service_provider', { signal }).catch(() => []);
    for (const p of list) names.set(p.id, p.name);
  }
  await Promise.all(
    [...new Set(ids)]
      .filter((id) => id !== null && !names.has(id))
      .map((id) =>
        get(`/tenants/${id}`, { signal })
          .then((p) => names.set(id, p.name))
          .catch(() => {}),
      ),
  );
  return {
    names,
    name: (id) => (id === null ? t('sso.platform') : names.get(id) || t('sso.provider_n', { id })),
  };
}

// The Test action: POST /sso-sources/{id}/test, its answer in a dialog.
export async function testSource(src, button) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = t('sso.testing');
  let res;
  try {
    res = (await api('POST', `/sso-sources/${src.id}/test`)).data;
  } catch (e) {
    if (e.status !== 401) toast(e.message, 'error');
    return;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
  }
  await infoDialog(t('sso.test_title', { name: src.display_name }), testReport(res));
  button.focus();
}

function testReport(res) {
  if (!res.ok)
    return [
      h('div', {
        class: 'alert alert-error test-result',
        text: t('sso.test_failed', { stage: t(`sso.stage.${res.stage}`) }),
      }),
      h(
        'dl',
        { class: 'details' },
        h('dt', { text: t('sso.test.stage') }),
        h('dd', { text: t(`sso.stage.${res.stage}`) }),
        h('dt', { text: t('sso.test.error') }),
        h('dd', {}, h('code', { text: res.error })),
      ),
      h('p', { class: 'hint', text: t(`sso.test_hint.${res.stage}`) }),
    ];
  const row = (key, value) => [
    h('dt', { text: t(`sso.test.${key}`) }),
    h('dd', {}, value instanceof Node ? value : h('code', { text: value })),
  ];
  const list = (xs) =>
    xs.length
      ? h(
          'span',
          { class: 'chips' },
          xs.map((x) => h('code', { class: 'chip', text: x })),
        )
      : h('span', { class: 'muted', text: t('common.none') });
  return [
    h('div', { class: 'alert alert-ok test-result', text: t('sso.test_ok') }),
    h(
      'dl',
      { class: 'details' },
      row('issuer', res.issuer),
      row('authorization_endpoint', res.authorization_endpoint),
      row('token_endpoint', res.token_endpoint),
      row('jwks_uri', res.jwks_uri),
      row(
        'end_session_endpoint',
        res.end_session_endpoint ?? h('span', { class: 'muted', text: t('sso.test.no_logout') }),
      ),
      row('token_auth_methods', list(res.token_auth_methods || [])),
      row('signing_algs', list(res.signing_algs || [])),
      row('keys', h('span', { text: String(res.keys) })),
    ),
    h('p', { class: 'hint', text: t('sso.test_ok_hint') }),
  ];
}

async function deleteSource(ctx, src) {
  const yes = await confirmDialog({
    title: t('sso.confirm_delete', { name: src.display_name }),
    text: t('sso.confirm_delete_text', { name: src.name }),
    confirm: t('confirm.delete.yes'),
    danger: true,
    focusCancel: true,
  });
  if (!yes) return;
  try {
    await api('DELETE', `/sso-sources/${src.id}`);
    toast(t('sso.deleted', { name: src.display_name }));
    ctx.navigate('/sso-sources', { replace: true });
  } catch (e) {
    if (e.status !== 401) toast(e.message, 'error');
  }
}

function emptyState() {
  return h(
    'div',
    { class: 'panel empty-state' },
    h('h2', { text: t('sso.none') }),
    h('p', { class: 'sub', text: t('sso.none_text') }),
    can('settings.update')
      ? h('a', { class: 'button primary', href: '/sso-sources/new', text: t('sso.add') })
      : null,
  );
}

function sourcesTable(ctx, sources, providers) {
  const write = can('settings.update');
  const rowButtons = (s) => {
    if (!write) return null;
    const test = h('button', {
      type: 'button',
      class: 'small',
      text: t('sso.test'),
      attrs: { 'aria-label': t('sso.test_label', { name: s.display_name }) },
    });
    test.addEventListener('click', () => testSource(s, test));
    return [
      test,
      h('a', {
        class: 'button small',
        href: `/sso-sources/${s.id}`,
        text: t('common.edit'),
        attrs: { 'aria-label': `${t('common.edit')} ${s.display_name}` },
      }),
      h('button', {
        type: 'button',
        class: 'small',
        text: t('common.delete'),
        attrs: { 'aria-label': `${t('common.delete')} ${s.display_name}` },
        on: { click: () => deleteSource(ctx, s) },
      }),
    ];
  };
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table sso-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['display_name', 'name', 'issuer', 'provider'].map((k) =>
            h('th', { scope: 'col', text: t(`sso.col.${k}`) }),
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
        sources.map((s) =>
          h(
            'tr',
            { dataset: { id: String(s.id) } },
            // data-label: the column's name, shown before the value when narrow rows stack
            h(
              'td',
              { dataset: { label: t('sso.col.display_name') } },
              h('a', { href: `/sso-sources/${s.id}`, text: s.display_name }),
            ),
            h('td', { dataset: { label: t('sso.col.name') } }, h('code', { text: s.name })),
            h('td', {
              class: 'issuer',
              dataset: { label: t('sso.col.issuer') },
              text: s.issuer,
            }),
            h('td', {
              dataset: { label: t('sso.col.provider') },
              text: providers.name(s.provider_id),
            }),
            write ? h('td', { class: 'row-buttons' }, rowButtons(s)) : null,
          ),
        ),
      ),
    ),
  );
}

async function listPage(ctx) {
  ctx.setTitle(t('sso.title'));
  mount(ctx.main, loading());
  const sources = await getAll('/sso-sources', { signal: ctx.signal });
  const providers = await providerNames(
    sources.map((s) => s.provider_id),
    ctx.signal,
  );
  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', { text: t('sso.title') }),
        h('p', { class: 'sub', text: t('sso.intro') }),
      ),
      can('settings.update') && sources.length
        ? h('a', { class: 'button primary', href: '/sso-sources/new', text: t('sso.add') })
        : null,
    ),
    sources.length ? sourcesTable(ctx, sources, providers) : emptyState(),
  );
}

// The provider picker: the platform's staff and every provider for a platform admin; a
// provider's admin has only its own.
export function providerOptions(providers, current) {
  const mine = session.user.provider_id;
  const opts = [];
  if (mine === null) {
    opts.push({ value: '', label: t('sso.platform') });
    for (const [id, name] of [...providers.names].sort((a, b) => a[1].localeCompare(b[1])))
      opts.push({ value: id, label: name });
  } else opts.push({ value: mine, label: providers.name(mine) });
  if (current !== undefined && !opts.some((o) => String(o.value) === String(current ?? '')))
    opts.push({ value: current ?? '', label: providers.name(current) });
  return opts;
}

// What to register at the identity provider, from this console's own address.
function registration(nameInput) {
  const redirect = h('code', { class: 'secret' });
  const logout = h('code', { class: 'secret', text: `${location.origin}/signin` });
  const sync = () => {
    const n = nameInput.value.trim() || '{name}';
    redirect.textContent = `${location.origin}/sso/${n}/callback`;
  };
  nameInput.addEventListener('input', sync);
  sync();
  return h(
    'section',
    { class: 'form-section' },
    h('h2', { text: t('sso.register') }),
    h('p', { class: 'sub', text: t('sso.register_text') }),
    h(
      'dl',
      { class: 'details' },
      h('dt', { text: t('sso.redirect_uri') }),
      h('dd', {}, redirect),
      h('dt', { text: t('sso.logout_uri') }),
      h('dd', {}, logout),
    ),
  );
}

function formFields(src, providers) {
  const input = (name, value, max, extra = {}) =>
    h('input', {
      name,
      value: value ?? '',
      autocomplete: 'off',
      spellcheck: false,
      attrs: { maxlength: String(max) },
      ...extra,
    });
  const F = {
    name: field(t('sso.name'), input('name', src?.name, 63, { readOnly: !!src }), {
      required: !src,
      hint: src ? t('sso.name_fixed') : t('sso.name_hint'),
    }),
    display_name: field(t('sso.display_name'), input('display_name', src?.display_name, 100), {
      required: true,
      hint: t('sso.display_name_hint'),
    }),
    issuer: field(
      t('sso.issuer'),
      input('issuer', src?.issuer, 512, { type: 'url', placeholder: 'https://login.example.com' }),
      { required: true, hint: t('sso.issuer_hint') },
    ),
    client_id: field(t('sso.client_id'), input('client_id', src?.client_id, 255), {
      required: true,
      hint: t('sso.client_id_hint'),
    }),
    client_secret: field(
      t('sso.client_secret'),
      input('client_secret', '', 1024, { type: 'password', autocomplete: 'new-password' }),
      {
        required: !src,
        hint: src
          ? src.client_secret_set
            ? t('sso.client_secret_keep')
            : t('sso.client_secret_none')
          : t('sso.client_secret_hint'),
      },
    ),
    scopes: field(t('sso.scopes'), input('scopes', src?.scopes ?? DEFAULT_SCOPES, 255), {
      hint: t('sso.scopes_hint'),
    }),
    claim: field(t('sso.claim'), input('claim', src?.claim ?? DEFAULT_CLAIM, 64), {
      hint: t('sso.claim_hint'),
    }),
    provider_id: field(
      t('sso.provider'),
      select(providerOptions(providers, src ? src.provider_id : undefined), {
        value: src ? (src.provider_id ?? '') : (session.user.provider_id ?? ''),
        name: 'provider_id',
      }),
      { hint: src ? t('sso.provider_fixed') : t('sso.provider_hint') },
    ),
    trust_idp_mfa: checkbox(t('sso.trust_idp_mfa'), {
      checked: !!src?.trust_idp_mfa,
      name: 'trust_idp_mfa',
      hint: t('sso.trust_idp_mfa_hint'),
    }),
    rp_logout: checkbox(t('sso.rp_logout'), {
      checked: !!src?.rp_logout,
      name: 'rp_logout',
      hint: t('sso.rp_logout_hint'),
    }),
  };
  if (src) F.provider_id.input.disabled = true; // a source stays with its provider
  return F;
}

// The fields the user must fill before asking the server; true when all are there.
function checkLocally(F, src) {
  const need = ['display_name', 'issuer', 'client_id'];
  if (!src) need.unshift('name', 'client_secret');
  let ok = true;
  for (const k of need)
    if (!F[k].input.value.trim()) {
      F[k].setError(t('form.required'));
      ok = false;
    }
  return ok;
}

function formBody(F, src) {
  const v = (k) => F[k].input.value.trim();
  const b = {
    display_name: v('display_name'),
    issuer: v('issuer'),
    client_id: v('client_id'),
    scopes: v('scopes') || DEFAULT_SCOPES,
    claim: v('claim') || DEFAULT_CLAIM,
    trust_idp_mfa: F.trust_idp_mfa.input.checked,
    rp_logout: F.rp_logout.input.checked,
  };
  // the secret as typed (not trimmed); empty on edit keeps the stored one
  if (F.client_secret.input.value) b.client_secret = F.client_secret.input.value;
  if (!src) {
    b.name = v('name');
    b.provider_id = F.provider_id.input.value === '' ? null : Number(F.provider_id.input.value);
  }
  return b;
}

async function formPage(ctx) {
  const id = ctx.params[0] === 'new' ? null : Number(ctx.params[0]);
  if (!id && !can('settings.update')) {
    ctx.navigate('/sso-sources', { replace: true });
    return;
  }
  mount(ctx.main, loading());
  const res = id ? await api('GET', `/sso-sources/${id}`, { signal: ctx.signal }) : null;
  const src = res?.data || null;
  const providers = await providerNames(
    [src?.provider_id ?? null, session.user.provider_id],
    ctx.signal,
  );
  const title = src ? t('sso.edit_title', { name: src.display_name }) : t('sso.new_title');
  ctx.setTitle(title);
  const readOnly = !can('settings.update');
  const F = formFields(src, providers);
  const alert = h('div', { class: 'alert alert-error', attrs: { role: 'alert' }, hidden: true });
  const saveBtn = h('button', { type: 'submit', class: 'primary', text: t('common.save') });
  const form = h(
    'form',
    { class: 'form sso-form', attrs: { novalidate: true, 'aria-label': title } },
    alert,
    h(
      'section',
      { class: 'form-section' },
      h('h2', { text: t('sso.section.source') }),
      h(
        'div',
        { class: 'form-grid' },
        F.name.el,
        F.display_name.el,
        F.provider_id.el,
        h('div', { class: 'span-2' }, F.issuer.el),
        F.client_id.el,
        F.client_secret.el,
      ),
    ),
    h(
      'section',
      { class: 'form-section' },
      h('h2', { text: t('sso.section.claims') }),
      h('div', { class: 'form-grid' }, F.scopes.el, F.claim.el, F.trust_idp_mfa.el, F.rp_logout.el),
    ),
    registration(F.name.input),
    h(
      'div',
      { class: 'form-buttons' },
      readOnly ? null : saveBtn,
      h('a', { class: 'button', href: '/sso-sources', text: t('common.cancel') }),
    ),
  );
  if (readOnly) for (const f of Object.values(F)) f.input.disabled = true;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const f of Object.values(F)) f.setError('');
    alert.hidden = true;
    if (!checkLocally(F, src)) {
      ctx.main.querySelector('[aria-invalid=true]')?.focus();
      return;
    }
    saveBtn.disabled = true;
    try {
      const body = formBody(F, src);
      const r = src
        ? await api('PATCH', `/sso-sources/${src.id}`, { body, etag: res.etag })
        : await api('POST', '/sso-sources', { body });
      toast(t('sso.saved', { name: r.data.display_name }));
      ctx.navigate('/sso-sources');
    } catch (err) {
      if (err.status === 401) return;
      const rest = showFieldErrors(err, F);
      if (err.status === 412) rest.splice(0, rest.length, t('common.conflict'));
      if (rest.length) {
        alert.textContent = rest.join(' ');
        alert.hidden = false;
      }
      (ctx.main.querySelector('[aria-invalid=true]') || alert).focus?.();
    } finally {
      saveBtn.disabled = false;
    }
  });
  let testBtn = null;
  if (src && !readOnly) {
    testBtn = h('button', { type: 'button', text: t('sso.test') });
    testBtn.addEventListener('click', () => testSource(src, testBtn));
  }
  mount(
    ctx.main,
    h('p', {}, h('a', { href: '/sso-sources', text: `← ${t('sso.title')}` })),
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', { text: title }),
        src ? h('p', { class: 'sub' }, h('code', { text: src.name })) : null,
      ),
      testBtn ? h('div', { class: 'head-buttons' }, testBtn) : null,
    ),
    form,
  );
  (src ? F.display_name.input : F.name.input).focus();
}

export default function ssoPage(ctx) {
  return ctx.params[0] ? formPage(ctx) : listPage(ctx);
}
