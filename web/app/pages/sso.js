// /sso-sources (the list, with each source's Test action) and /sso-sources/new,
// /sso-sources/{id} (the form): the identity providers users sign in through (OpenID Connect).

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { api, getAll } from '../api.js';
import { can } from '../session.js';
import { field, select, checkbox, confirmDialog, toast, loading, showFieldErrors } from '../ui.js';

async function providers(signal) {
  const list = can('tenants.read')
    ? await getAll('/tenants?kind=service_provider', { signal }).catch(() => [])
    : [];
  return {
    list,
    name: (id) =>
      id === null ? t('sso.platform') : list.find((p) => p.id === id)?.name || t('sso.a_provider'),
  };
}

// What the Test action found, or where it failed.
function testReport(r) {
  if (!r.ok)
    return h(
      'div',
      { class: 'alert alert-error', attrs: { role: 'alert' } },
      t('sso.test_failed', { stage: t(`sso.stage.${r.stage}`) }),
      ' ',
      r.error,
    );
  const row = (k, v) => h('tr', {}, h('th', { scope: 'row', text: t(k) }), h('td', { text: v }));
  return h(
    'div',
    { class: 'alert alert-info', attrs: { role: 'status' } },
    h('p', { text: t('sso.test_ok') }),
    h(
      'table',
      { class: 'kv' },
      h(
        'tbody',
        {},
        row('sso.test.authorization', r.authorization_endpoint),
        row('sso.test.token', r.token_endpoint),
        row('sso.test.jwks', r.jwks_uri),
        row('sso.test.end_session', r.end_session_endpoint || '—'),
        row('sso.test.methods', r.token_auth_methods.join(', ')),
        row('sso.test.algs', r.signing_algs.join(', ') || '—'),
        row('sso.test.keys', String(r.keys)),
      ),
    ),
  );
}

async function listPage(ctx) {
  ctx.setTitle(t('sso.title'));
  mount(ctx.main, loading());
  const [sources, p] = await Promise.all([
    getAll('/sso-sources', { signal: ctx.signal }),
    providers(ctx.signal),
  ]);
  const report = h('div', { class: 'sso-report' });
  const test = async (s, button) => {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    mount(report, h('p', { class: 'muted', text: t('sso.testing', { name: s.display_name }) }));
    try {
      const { data } = await api('POST', `/sso-sources/${s.id}/test`);
      mount(report, h('h2', { text: s.display_name }), testReport(data));
    } catch (e) {
      mount(report, h('div', { class: 'alert alert-error', attrs: { role: 'alert' } }, e.message));
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  };
  const del = async (s) => {
    if (
      !(await confirmDialog({
        title: t('sso.confirm_delete', { name: s.display_name }),
        text: t('sso.confirm_delete_text'),
        confirm: t('confirm.delete.yes'),
        danger: true,
      }))
    )
      return;
    try {
      await api('DELETE', `/sso-sources/${s.id}`);
      toast(t('sso.deleted', { name: s.display_name }));
      ctx.navigate('/sso-sources', { replace: true });
    } catch (e) {
      toast(e.message, 'error');
    }
  };
  const writer = can('settings.update');
  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: t('sso.title') }),
      writer
        ? h('a', { class: 'button primary', href: '/sso-sources/new', text: t('sso.add') })
        : null,
    ),
    h('p', { class: 'hint', text: t('sso.intro') }),
    h(
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
            ['source', 'issuer', 'provider'].map((k) =>
              h('th', { scope: 'col', text: t(`sso.col.${k}`) }),
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
          sources.length
            ? sources.map((s) => {
                const testBtn = h('button', {
                  type: 'button',
                  class: 'small',
                  text: t('sso.test'),
                  attrs: { 'aria-label': `${t('sso.test')} ${s.display_name}` },
                });
                testBtn.addEventListener('click', () => test(s, testBtn));
                return h(
                  'tr',
                  {},
                  h(
                    'td',
                    {},
                    h('a', { href: `/sso-sources/${s.id}`, text: s.display_name }),
                    h('div', { class: 'hint', text: s.name }),
                  ),
                  h('td', { class: 'break', text: s.issuer }),
                  h('td', { text: p.name(s.provider_id) }),
                  h(
                    'td',
                    { class: 'row-buttons' },
                    writer ? testBtn : null,
                    writer
                      ? h('button', {
                          type: 'button',
                          class: 'small',
                          text: t('common.delete'),
                          attrs: { 'aria-label': `${t('common.delete')} ${s.display_name}` },
                          on: { click: () => del(s) },
                        })
                      : null,
                  ),
                );
              })
            : h(
                'tr',
                {},
                h('td', {
                  class: 'empty',
                  colSpan: 4,
                  text: writer ? t('sso.none_add') : t('sso.none'),
                }),
              ),
        ),
      ),
    ),
    report,
  );
}

async function formPage(ctx) {
  const id = ctx.params[0] === 'new' ? null : Number(ctx.params[0]);
  const writer = can('settings.update');
  if (!id && !writer) {
    ctx.navigate('/sso-sources', { replace: true });
    return;
  }
  mount(ctx.main, loading());
  const [res, p] = await Promise.all([
    id ? api('GET', `/sso-sources/${id}`, { signal: ctx.signal }) : null,
    providers(ctx.signal),
  ]);
  const s = res?.data;
  const title = s ? t('sso.edit_title', { name: s.display_name }) : t('sso.new_title');
  ctx.setTitle(title);
  const input = (name, value, attrs = {}) => h('input', { name, value: value ?? '', attrs });
  const F = {
    name: field(t('sso.name'), input('name', s?.name, { maxlength: '63' }), {
      required: true,
      hint: t('sso.name_hint'),
    }),
    display_name: field(
      t('sso.display_name'),
      input('display_name', s?.display_name, { maxlength: '100' }),
      { required: true, hint: t('sso.display_name_hint') },
    ),
    issuer: field(
      t('sso.issuer'),
      input('issuer', s?.issuer, { maxlength: '1024', inputmode: 'url' }),
      { required: true, hint: t('sso.issuer_hint') },
    ),
    client_id: field(t('sso.client_id'), input('client_id', s?.client_id, { maxlength: '255' }), {
      required: true,
    }),
    client_secret: field(
      t('sso.client_secret'),
      h('input', {
        type: 'password',
        name: 'client_secret',
        autocomplete: 'new-password',
        attrs: { maxlength: '512' },
      }),
      { required: !s, hint: s ? t('sso.client_secret_keep') : null },
    ),
    scopes: field(t('sso.scopes'), input('scopes', s?.scopes ?? 'openid email profile')),
    claim: field(t('sso.claim'), input('claim', s?.claim ?? 'sub', { maxlength: '64' }), {
      hint: t('sso.claim_hint'),
    }),
    provider_id: field(
      t('sso.provider'),
      select(
        [
          { value: '', label: t('sso.platform') },
          ...p.list.map((x) => ({ value: x.id, label: x.name })),
        ],
        { value: s?.provider_id ?? '' },
      ),
    ),
    trust_idp_mfa: checkbox(t('sso.trust_idp_mfa'), {
      checked: !!s?.trust_idp_mfa,
      name: 'trust_idp_mfa',
      hint: t('sso.trust_idp_mfa_hint'),
    }),
    rp_logout: checkbox(t('sso.rp_logout'), {
      checked: !!s?.rp_logout,
      name: 'rp_logout',
      hint: t('sso.rp_logout_hint'),
    }),
  };
  if (s) {
    F.name.input.disabled = true;
    F.provider_id.input.disabled = true;
  }
  if (!writer) for (const f of Object.values(F)) f.input.disabled = true;
  const alert = h('div', { class: 'alert alert-error', attrs: { role: 'alert' }, hidden: true });
  const saveBtn = h('button', {
    type: 'submit',
    class: 'primary',
    text: t('common.save'),
    disabled: !writer,
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
        F.display_name.el,
        F.name.el,
        h('div', { class: 'span-2' }, F.issuer.el),
        F.client_id.el,
        F.client_secret.el,
        F.scopes.el,
        F.claim.el,
        F.provider_id.el,
        h('div', { class: 'span-2' }, F.trust_idp_mfa.el, F.rp_logout.el),
      ),
    ),
    h(
      'div',
      { class: 'form-buttons' },
      saveBtn,
      h('a', { class: 'button', href: '/sso-sources', text: t('common.cancel') }),
    ),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const f of Object.values(F)) f.setError('');
    alert.hidden = true;
    const body = {
      display_name: F.display_name.input.value.trim(),
      issuer: F.issuer.input.value.trim(),
      client_id: F.client_id.input.value.trim(),
      scopes: F.scopes.input.value.trim(),
      claim: F.claim.input.value.trim(),
      trust_idp_mfa: F.trust_idp_mfa.input.checked,
      rp_logout: F.rp_logout.input.checked,
    };
    if (F.client_secret.input.value) body.client_secret = F.client_secret.input.value;
    if (!s) {
      body.name = F.name.input.value.trim();
      body.provider_id =
        F.provider_id.input.value === '' ? null : Number(F.provider_id.input.value);
    }
    saveBtn.disabled = true;
    try {
      const r = s
        ? await api('PATCH', `/sso-sources/${s.id}`, { body, etag: res.etag })
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
    } finally {
      saveBtn.disabled = !writer;
    }
  });
  mount(
    ctx.main,
    h('p', {}, h('a', { href: '/sso-sources', text: `← ${t('sso.title')}` })),
    h('div', { class: 'page-head' }, h('h1', { text: title })),
    form,
  );
  (s ? F.display_name : F.display_name).input.focus();
}

export default function ssoPage(ctx) {
  return ctx.params[0] ? formPage(ctx) : listPage(ctx);
}
