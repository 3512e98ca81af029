// /users/new and /users/{id}/edit: the Add/Edit Back-Office User form with every field of both
// manuals. Service Provider comes first: it decides the role, group and platform-account
// options. Sub-Accounts are enabled only for a role of the Platform User kind with exactly one
// platform account chosen. A new user either gets the onboarding email or a generated password
// that the admin may edit. Errors of the API (problem+json errors[].field) show next to their
// field. Save, Save and continue (the next user), Cancel.

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { api, get, getAll } from '../api.js';
import { session, can, grantable, viewerZone } from '../session.js';
import {
  field,
  checkbox,
  multiSelect,
  select,
  toast,
  infoDialog,
  loading,
  showFieldErrors,
  copyButton,
} from '../ui.js';
import { timezones, countries, fullName } from '../format.js';
import { attachRules } from '../password.js';
import { comboField } from '../combo.js';
import { mayTake, runAction } from '../actions.js';

const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

// 20 random characters from the CSPRNG in four groups: ~114 bits, not a dictionary word.
export function generatePassword() {
  const out = [];
  const buf = new Uint8Array(64);
  while (out.length < 20) {
    crypto.getRandomValues(buf);
    for (const b of buf) if (b < 224 && out.length < 20) out.push(ALPHABET[b % ALPHABET.length]);
  }
  return [0, 5, 10, 15].map((i) => out.slice(i, i + 5).join('')).join('-');
}

const cache = new Map();
function cached(key, fn) {
  if (!cache.has(key))
    cache.set(
      key,
      fn().catch((e) => {
        cache.delete(key);
        throw e;
      }),
    );
  return cache.get(key);
}

export default async function userForm(ctx) {
  cache.clear();
  const editId = ctx.params[0] ? Number(ctx.params[0]) : null;
  const queue = Array.isArray(ctx.state?.queue) ? ctx.state.queue : [];
  const queueTotal = ctx.state?.total || queue.length + 1;
  const queueIndex = queueTotal - queue.length;
  mount(ctx.main, loading());

  // what the admin may grant (the server's own rules), and what exists when it may read it, to
  // tell "none you can assign" from "none yet"
  const [user, grants, roles, groups] = await Promise.all([
    editId ? api('GET', `/users/${editId}`, { signal: ctx.signal }) : null,
    grantable(undefined, { signal: ctx.signal }),
    can('roles.read') ? getAll('/roles', { signal: ctx.signal }).catch(() => null) : null,
    can('groups.read') ? getAll('/groups', { signal: ctx.signal }).catch(() => null) : null,
  ]);
  let u = user?.data || null;
  let etag = user?.etag || null;
  const title = u ? t('form.edit_title', { name: u.username }) : t('form.add_title');
  ctx.setTitle(title);

  // ---- fields ----
  const F = {};
  const myProvider = session.user.provider_id;
  const keyOf = (id) => (id === null ? '' : String(id));
  const grantsOf = new Map(grants.providers.map((p) => [keyOf(p.id), p]));
  const providerOptions = grants.providers.map((p) => ({
    value: keyOf(p.id),
    label: p.id === null ? t('common.platform') : p.name,
  }));
  // an edited user stays with its provider, named even when the admin may grant nothing there
  if (u && !grantsOf.has(keyOf(u.provider_id)))
    providerOptions.push({
      value: keyOf(u.provider_id),
      label: u.provider ? u.provider.name : t('common.platform'),
    });
  const wanted = u ? keyOf(u.provider_id) : keyOf(ctx.state?.provider ?? myProvider);
  const initialProvider = providerOptions.some((o) => String(o.value) === wanted)
    ? wanted
    : (providerOptions[0]?.value ?? '');
  F.provider_id = field(
    t('form.provider'),
    select(providerOptions, { value: initialProvider, name: 'provider_id' }),
    { hint: t('form.provider_hint') },
  );
  if (u) F.provider_id.input.disabled = true; // a user stays with its provider

  F.username = field(
    t('form.username'),
    h('input', {
      name: 'username',
      autocomplete: 'off',
      spellcheck: false,
      value: u?.username || '',
      readOnly: !!u,
      attrs: { maxlength: '64' },
    }),
    { required: !u, hint: u ? null : t('form.username_hint') },
  );

  // the password: onboarding email, or a generated password the admin may edit
  let pwMode = null,
    pwInput = null,
    pwBlock = null;
  if (!u) {
    const name = 'pwmode';
    const rEmail = h('input', {
      type: 'radio',
      name,
      value: 'email',
      id: 'pw-mode-email',
      checked: ctx.state?.pwMode !== 'password',
    });
    const rPass = h('input', {
      type: 'radio',
      name,
      value: 'password',
      id: 'pw-mode-password',
      checked: ctx.state?.pwMode === 'password',
    });
    pwInput = h('input', {
      name: 'password',
      id: 'f-password',
      autocomplete: 'new-password',
      spellcheck: false,
      value: generatePassword(),
      attrs: { maxlength: '256' },
    });
    const gen = h('button', {
      type: 'button',
      text: t('form.generate'),
      on: {
        click: () => {
          pwInput.value = generatePassword();
          pwInput.focus();
        },
      },
    });
    F.password = field(t('form.password'), pwInput, { hint: t('form.password_hint') });
    const pwRow = h('div', { class: 'pw-row' });
    pwInput.replaceWith(pwRow);
    pwRow.append(pwInput, gen);
    attachRules(F.password, () => ({
      username: F.username.input.value,
      first_name: F.first_name?.input.value,
      last_name: F.last_name?.input.value,
      email: F.email?.input.value,
    }));
    pwBlock = F.password.el;
    pwMode = () => (rPass.checked ? 'password' : 'email');
    const sync = () => {
      pwBlock.hidden = pwMode() !== 'password';
    };
    rEmail.addEventListener('change', sync);
    rPass.addEventListener('change', sync);
    F.pwmode = {
      el: h(
        'fieldset',
        { class: 'field' },
        h('legend', { text: t('form.password_mode') }),
        h(
          'label',
          { class: 'check-label', htmlFor: rEmail.id },
          rEmail,
          ` ${t('form.mode_email')}`,
        ),
        h(
          'label',
          { class: 'check-label', htmlFor: rPass.id },
          rPass,
          ` ${t('form.mode_password')}`,
        ),
      ),
      setError() {},
    };
    sync();
  }

  F.first_name = field(
    t('form.first_name'),
    h('input', {
      name: 'first_name',
      autocomplete: 'off',
      value: u?.first_name || '',
      attrs: { maxlength: '100' },
    }),
  );
  F.last_name = field(
    t('form.last_name'),
    h('input', {
      name: 'last_name',
      autocomplete: 'off',
      value: u?.last_name || '',
      attrs: { maxlength: '100' },
    }),
  );
  F.email = field(
    t('form.email'),
    h('input', {
      type: 'email',
      name: 'email',
      autocomplete: 'off',
      spellcheck: false,
      value: u?.email || '',
      attrs: { maxlength: '254' },
    }),
    { required: true, hint: t('form.email_hint') },
  );
  F.phone = field(
    t('form.phone'),
    h('input', {
      type: 'tel',
      name: 'phone',
      autocomplete: 'off',
      value: u?.phone || '',
      attrs: { maxlength: '16' },
    }),
    { hint: t('form.phone_hint') },
  );
  F.language = field(
    t('form.language'),
    select(
      [
        { value: 'en', label: t('form.lang_en') },
        { value: 'zh', label: t('form.lang_zh') },
      ],
      { value: u?.language || 'en', name: 'language' },
    ),
  );
  F.timezone = comboField(
    t('form.timezone'),
    timezones().map((z) => ({ value: z, label: z })),
    { value: u?.timezone || viewerZone(), name: 'timezone' },
  );
  F.country = comboField(
    t('form.country'),
    countries().map((c) => ({ value: c.code, label: c.name })),
    { value: u?.country || '', name: 'country', allowEmpty: true },
  );

  F.role_ids = multiSelect(t('form.roles'), {
    hint: t('form.roles_hint'),
    emptyText: t('form.no_roles'),
    name: 'role_ids',
  });
  F.accounts = multiSelect(t('form.accounts'), {
    allowAll: true,
    hint: t('form.accounts_hint'),
    emptyText: t('form.no_accounts'),
    name: 'accounts',
  });
  const accountsHint = F.accounts.el.querySelector('p.hint');
  accountsHint.setAttribute('aria-live', 'polite');
  F.subaccounts = multiSelect(t('form.subaccounts'), {
    allowAll: true,
    emptyText: t('form.no_subaccounts'),
    name: 'subaccounts',
  });
  const subHint = h('p', { class: 'hint sub-state', attrs: { 'aria-live': 'polite' } });
  F.subaccounts.el.append(subHint);
  F.group_ids = multiSelect(t('form.groups'), {
    hint: t('form.groups_hint'),
    emptyText: t('form.no_groups'),
    name: 'group_ids',
  });

  F.login_enabled = checkbox(t('form.login_enabled'), {
    checked: u ? u.login_enabled : true,
    name: 'login_enabled',
    hint: t('form.login_enabled_hint'),
  });
  F.mfa_required = checkbox(t('form.mfa'), {
    checked: u ? u.mfa_required : false,
    name: 'mfa_required',
    hint: t('form.mfa_hint'),
  });
  F.enforce_sso = checkbox(t('form.enforce_sso'), {
    checked: u ? u.enforce_sso : false,
    name: 'enforce_sso',
    hint: t('form.enforce_sso_hint'),
  });
  F.sso_source = field(
    t('form.sso_source'),
    select([{ value: '', label: t('form.sso_none') }], { name: 'sso_source' }),
    { hint: t('form.sso_source_hint') },
  );
  F.sso_id = field(
    t('form.sso_id'),
    h('input', {
      name: 'sso_id',
      autocomplete: 'off',
      spellcheck: false,
      value: u?.sso_id || '',
      attrs: { maxlength: '255' },
    }),
    { hint: u ? t('form.sso_id_hint') : t('form.sso_id_hint_new') },
  );

  // ---- the provider decides roles, groups and platform accounts ----
  const providerId = () =>
    F.provider_id.input.value === '' ? null : Number(F.provider_id.input.value);
  const roleLabel = (r) => (r.kind ? `${r.name} (${t(`roles.kind.${r.kind}`)})` : r.name);
  const ofProvider = (x) => x.provider_id === null || x.provider_id === providerId();
  const NOTHING = { levels: [], accounts_all: false, accounts: [], roles: [], groups: [] };
  const entry = () => grantsOf.get(keyOf(providerId())) || NOTHING;
  // the kinds of the roles in sight: the grantable ones, those the admin reads
  const rolesById = new Map(
    [...(roles || []), ...grants.providers.flatMap((p) => p.roles)].map((r) => [r.id, r]),
  );
  const groupsById = new Map(
    [...(groups || []), ...grants.providers.flatMap((p) => p.groups)].map((g) => [g.id, g]),
  );
  // "none you can assign" unless the admin reads the list and it is empty for this provider
  const noneText = (list, yet, cannot) => (list && !list.some(ofProvider) ? t(yet) : t(cannot));
  const setEmpty = (ms, text) => {
    const p = ms.el.querySelector('.ms-list > p.muted');
    if (p) p.textContent = text;
  };
  const allowAll = (ms, on) => {
    const label = ms.el.querySelector('.ms-all-label');
    if (!label) return;
    label.hidden = !on;
    if (!on && ms.get() === 'all') ms.set([]);
  };
  // options: the grantable items, and the user's current ones (by name) so the form shows them
  const withCurrent = (opts, current) => [
    ...opts,
    ...(current || [])
      .filter((x) => !opts.some((o) => o.value === x.id))
      .map((x) => ({ value: x.id, label: x.name })),
  ];

  async function providerChanged() {
    const p = providerId();
    const e = entry();
    const same = u && keyOf(u.provider_id) === keyOf(p);
    F.role_ids.setOptions(
      withCurrent(
        e.roles.map((r) => ({ value: r.id, label: roleLabel(r) })),
        same ? u.roles : [],
      ),
    );
    setEmpty(F.role_ids, noneText(roles, 'form.no_roles', 'form.no_roles_grantable'));
    F.group_ids.setOptions(
      withCurrent(
        e.groups.map((g) => ({ value: g.id, label: g.name })),
        same ? u.groups : [],
      ),
    );
    setEmpty(F.group_ids, noneText(groups, 'form.no_groups', 'form.no_groups_grantable'));
    F.accounts.setDisabled(p === null);
    F.accounts.el.hidden = p === null;
    F.subaccounts.el.hidden = p === null;
    // the accounts it may name, at account level or for sub-account access
    const accounts = e.accounts.filter(
      (a) => a.account_level || a.sub_accounts_all || a.sub_accounts.length,
    );
    F.accounts.setOptions(
      withCurrent(
        accounts.map((a) => ({ value: a.id, label: a.name })),
        same ? u.accounts : [],
      ),
    );
    allowAll(F.accounts, e.accounts_all);
    setEmpty(
      F.accounts,
      t(e.levels.includes('provider') ? 'form.no_accounts' : 'form.no_accounts_grantable'),
    );
    // the scope it holds: without the whole provider, access needs one of its accounts
    accountsHint.textContent =
      p === null || e.levels.includes('provider')
        ? t('form.accounts_hint')
        : e.levels.includes('account')
          ? t('form.accounts_hint_scoped')
          : t('form.accounts_hint_sub_only');
    await accessChanged();
  }

  async function accessChanged() {
    // a Platform User role, given directly or through a group (the server's rule)
    const pu = (id) => rolesById.get(id)?.kind === 'platform_user';
    const platformUser =
      F.role_ids.get().some(pu) ||
      F.group_ids.get().some((id) => (groupsById.get(id)?.role_ids || []).some(pu));
    const acc = F.accounts.get();
    const one = Array.isArray(acc) && acc.length === 1;
    const enabled = providerId() !== null && platformUser && one;
    subHint.textContent = enabled
      ? t('form.subaccounts_hint')
      : !platformUser
        ? t('form.subaccounts_off_role')
        : acc === 'all' || (Array.isArray(acc) && acc.length > 1)
          ? t('form.subaccounts_off_many')
          : t('form.subaccounts_off_none');
    F.subaccounts.setDisabled(!enabled);
    if (!enabled) {
      F.subaccounts.setOptions([]);
      setEmpty(F.subaccounts, ''); // the hint says why: not "has no sub-accounts"
      return;
    }
    const a = acc[0];
    const ga = entry().accounts.find((x) => x.id === a);
    const same = u && u.access?.level === 'sub_account' && u.access.account_ids?.[0] === a;
    F.subaccounts.setOptions(
      withCurrent(
        (ga?.sub_accounts || []).map((s) => ({ value: s.id, label: s.name })),
        same ? u.sub_accounts : [],
      ),
    );
    allowAll(F.subaccounts, !!ga?.sub_accounts_all);
    setEmpty(
      F.subaccounts,
      t(ga?.sub_accounts_all ? 'form.no_subaccounts' : 'form.no_subaccounts_grantable'),
    );
  }

  // ---- single sign-on: the provider's sources; a new user of a provider with one signs in
  // through it unless the admin says otherwise (the server's rule for enforce_sso) ----
  let ssoSources = [];
  let enforceTouched = !!u;
  const enforceHint = F.enforce_sso.el.querySelector('.hint');
  enforceHint.setAttribute('aria-live', 'polite');
  F.enforce_sso.input.addEventListener('change', () => {
    enforceTouched = true;
  });

  function ssoHint() {
    const name = F.sso_source.input.value;
    const src = ssoSources.find((s) => s.name === name);
    if (!ssoSources.length) enforceHint.textContent = t('form.enforce_sso_no_source');
    else if (!u && src)
      enforceHint.textContent =
        providerId() === null
          ? t('form.enforce_sso_default_platform', { source: src.display_name })
          : t('form.enforce_sso_default', {
              provider: F.provider_id.input.selectedOptions[0]?.textContent || '',
              source: src.display_name,
            });
    else enforceHint.textContent = t('form.enforce_sso_hint');
    if (!enforceTouched) F.enforce_sso.input.checked = !!src;
  }

  async function ssoChanged() {
    const p = providerId();
    const key = p === null ? 'platform' : String(p);
    const list = await cached(`sso${key}`, () =>
      get(`/sso-sources/public?provider_id=${key}`).then((d) => d.items || []),
    ).catch(() => []);
    if (providerId() !== p) return;
    ssoSources = list;
    // editing keeps the user's source; a new user takes the provider's first one
    const want = u ? u.sso_source || '' : list[0]?.name || '';
    const opts = [
      { value: '', label: t('form.sso_none') },
      ...list.map((s) => ({ value: s.name, label: `${s.display_name} (${s.name})` })),
    ];
    if (want && !list.some((s) => s.name === want))
      opts.push({ value: want, label: t('form.sso_source_other', { name: want }) });
    F.sso_source.input.replaceChildren(
      ...opts.map((o) => h('option', { value: o.value, text: o.label })),
    );
    F.sso_source.input.value = want;
    ssoHint();
  }
  F.sso_source.input.addEventListener('change', ssoHint);

  F.provider_id.input.addEventListener('change', () => {
    F.role_ids.set([]);
    F.group_ids.set([]);
    F.accounts.set([]);
    F.subaccounts.set([]);
    providerChanged();
    ssoChanged();
  });
  F.role_ids.onChange(accessChanged);
  F.group_ids.onChange(accessChanged);
  F.accounts.onChange(() => {
    F.subaccounts.set([]);
    accessChanged();
  });

  // ---- the body for the API ----
  function access() {
    if (providerId() === null) return { level: 'platform' };
    const acc = F.accounts.get();
    const sub = F.subaccounts.get();
    if (!F.subaccounts.disabled && (sub === 'all' || sub.length))
      return { level: 'sub_account', account_ids: acc, sub_account_ids: sub };
    if (acc === 'all' || acc.length) return { level: 'account', account_ids: acc };
    return { level: 'provider' };
  }
  function body() {
    const b = {
      email: F.email.input.value.trim(),
      first_name: F.first_name.input.value.trim(),
      last_name: F.last_name.input.value.trim(),
      phone: F.phone.input.value.trim(),
      language: F.language.input.value,
      timezone: F.timezone.value(),
      country: F.country.value(),
      role_ids: F.role_ids.get(),
      group_ids: F.group_ids.get(),
      access: access(),
      login_enabled: F.login_enabled.input.checked,
      enforce_sso: F.enforce_sso.input.checked,
      sso_source: F.sso_source.input.value || null,
      sso_id: F.sso_id.input.value.trim() || null,
      mfa_required: F.mfa_required.input.checked,
    };
    if (!u) {
      // an empty SSO ID of a new user: the server takes the e-mail or user name when the
      // source's claim is email or preferred_username
      if (b.sso_id === null) delete b.sso_id;
      b.provider_id = providerId();
      b.username = F.username.input.value.trim();
      if (pwMode() === 'password') b.password = pwInput.value;
    }
    return b;
  }

  const errorFields = {
    provider_id: F.provider_id,
    username: F.username,
    password: F.password || F.username,
    generate_password: F.password || F.username,
    first_name: F.first_name,
    last_name: F.last_name,
    email: F.email,
    phone: F.phone,
    language: F.language,
    timezone: F.timezone,
    country: F.country,
    role_ids: F.role_ids,
    group_ids: F.group_ids,
    access: F.accounts,
    'access.level': F.accounts,
    'access.account_ids': F.accounts,
    'access.sub_account_ids': F.subaccounts,
    login_enabled: F.login_enabled,
    enforce_sso: F.enforce_sso,
    sso_source: F.sso_source,
    sso_id: F.sso_id,
    mfa_required: F.mfa_required,
  };
  const formAlert = h('div', {
    class: 'alert alert-error',
    attrs: { role: 'alert' },
    hidden: true,
  });
  const clearErrors = () => {
    for (const f of Object.values(errorFields)) f.setError('');
    formAlert.hidden = true;
  };
  function showErrors(msgs) {
    formAlert.textContent = msgs.length ? msgs.join(' ') : t('form.fix_errors');
    formAlert.hidden = false;
    const first = ctx.main.querySelector('[aria-invalid=true], .invalid input, .invalid select');
    (first || formAlert).focus?.();
    if (!first) formAlert.scrollIntoView({ block: 'center' });
  }

  function checkLocally() {
    let ok = true;
    if (!u && !F.username.input.value.trim()) {
      F.username.setError(t('form.required'));
      ok = false;
    }
    if (!F.email.input.value.trim()) {
      F.email.setError(t('form.required'));
      ok = false;
    }
    if (!F.timezone.check()) ok = false;
    if (!F.country.check()) ok = false;
    if (!u && pwMode() === 'password' && !pwInput.value) {
      F.password.setError(t('password.required'));
      ok = false;
    }
    return ok;
  }

  async function save(andContinue) {
    clearErrors();
    if (!checkLocally()) {
      showErrors([]);
      return;
    }
    const b = body();
    for (const btn of buttons) btn.disabled = true;
    try {
      const res = u
        ? await api('PATCH', `/users/${u.id}`, { body: b, etag })
        : await api('POST', '/users', { body: b });
      const saved = res.data;
      if (!u && b.password) {
        await infoDialog(t('form.password_shown', { name: saved.username }), [
          h('p', { text: t('form.password_once') }),
          h('p', {}, h('code', { class: 'secret', id: 'shown-password', text: b.password })),
          h(
            'p',
            {},
            copyButton(() => b.password),
          ),
        ]);
      }
      toast(
        u
          ? t('form.updated', { name: saved.username })
          : b.password
            ? t('form.created', { name: saved.username })
            : t('form.created_invite', { name: saved.username }),
      );
      if (!andContinue) {
        ctx.navigate(
          u ? `/users/${u.id}` : `/users${saved.status === 'invited' ? '?status=invited' : ''}`,
        );
        return;
      }
      if (u && queue.length) {
        ctx.navigate(`/users/${queue[0]}/edit`, {
          state: { queue: queue.slice(1), total: queueTotal },
        });
        return;
      }
      ctx.navigate('/users/new', {
        state: {
          provider: u ? undefined : (b.provider_id ?? ''),
          pwMode: u ? undefined : pwMode(),
        },
      });
    } catch (e) {
      if (e.status === 401) return;
      if (e.status === 412) {
        showErrors([t('common.conflict')]);
        return;
      }
      if (e.network) {
        showErrors([e.message]);
        formAlert.append(
          ' ',
          h('button', {
            type: 'button',
            class: 'small retry',
            text: t('error.retry'),
            on: { click: () => save(andContinue) },
          }),
        );
        return;
      }
      showErrors(showFieldErrors(e, errorFields));
    } finally {
      for (const btn of buttons) btn.disabled = false;
    }
  }

  // ---- layout ----
  const saveBtn = h('button', { type: 'submit', class: 'primary', text: t('form.save') });
  const contBtn = h('button', {
    type: 'button',
    text: t('form.save_continue'),
    on: { click: () => save(true) },
  });
  const cancelBtn = h('a', {
    class: 'button',
    href: u ? `/users/${u.id}` : '/users',
    text: t('form.cancel'),
  });
  const buttons = [saveBtn, contBtn];
  const headButtons = [];
  if (u && mayTake(u.status === 'disabled' ? 'enable' : 'disable', u)) {
    const disabled = u.status === 'disabled';
    headButtons.push(
      h('button', {
        type: 'button',
        class: disabled ? '' : 'danger',
        text: disabled ? t('form.enable') : t('form.disable'),
        on: {
          click: () =>
            runAction(disabled ? 'enable' : 'disable', [u], () =>
              ctx.navigate(ctx.path, { replace: true, state: ctx.state }),
            ),
        },
      }),
    );
  }
  const section = (heading, ...children) =>
    h(
      'section',
      { class: 'form-section' },
      h('h2', { text: heading }),
      h('div', { class: 'form-grid' }, children),
    );
  const form = h(
    'form',
    { class: 'form user-form', attrs: { novalidate: true, 'aria-label': title } },
    formAlert,
    section(
      t('form.basic'),
      F.provider_id.el,
      F.username.el,
      F.pwmode?.el,
      F.password?.el,
      F.first_name.el,
      F.last_name.el,
      F.email.el,
      F.phone.el,
      F.language.el,
      F.timezone.el,
      F.country.el,
    ),
    section(t('form.access'), F.role_ids.el, F.accounts.el, F.subaccounts.el, F.group_ids.el),
    section(t('form.security'), F.login_enabled.el, F.mfa_required.el),
    section(t('form.sso'), F.enforce_sso.el, F.sso_source.el, F.sso_id.el),
    h('div', { class: 'form-buttons' }, saveBtn, contBtn, cancelBtn),
  );
  if (F.pwmode) F.pwmode.el.classList.add('span-2');
  if (F.password) F.password.el.classList.add('span-2');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    save(false);
  });
  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', { text: title }),
        u
          ? h('p', { class: 'sub', text: [fullName(u), u.email].filter(Boolean).join(' · ') })
          : null,
        queueTotal > 1
          ? h('p', { class: 'sub', text: t('form.queue', { i: queueIndex, n: queueTotal }) })
          : null,
      ),
      headButtons.length ? h('div', { class: 'head-buttons' }, headButtons) : null,
    ),
    form,
  );

  await Promise.all([providerChanged(), ssoChanged()]);
  if (u) {
    F.role_ids.set(u.role_ids);
    F.group_ids.set(u.group_ids);
    const a = u.access || { level: 'provider' };
    if (a.level === 'account') F.accounts.set(a.account_ids);
    if (a.level === 'sub_account') F.accounts.set(a.account_ids);
    await accessChanged();
    if (a.level === 'sub_account') F.subaccounts.set(a.sub_account_ids);
  }
  // the first field to fill: after Save and continue (provider kept) the user name
  const kept = !u && ctx.state?.provider !== undefined;
  // (autofocus: the router focuses it once the page is drawn, or the heading when none is marked)
  (u ? F.email.input : kept ? F.username.input : F.provider_id.input).autofocus = true;
}
