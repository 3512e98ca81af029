// /profile: My profile: language and timezone (PATCH /api/v1/me/profile), password (needs the
// current one), two-factor authentication (register a device, or a new one), my passkeys
// (passkeys.js), my sessions and my
// API tokens (made with the current password or a code, shown once with a copy button, revoked).

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { api, get } from '../api.js';
import { session } from '../session.js';
import {
  field,
  select,
  toast,
  loading,
  confirmDialog,
  showFieldErrors,
  copyButton,
  dataTable,
} from '../ui.js';
import { timezones, timeEl, agentName } from '../format.js';
import { refreshSelf } from '../main.js';
import { attachRules } from '../password.js';
import { comboField } from '../combo.js';
import { enrolment } from './signin.js';
import { tokensTable } from '../tokens.js';
import { passkeysSection, proofField } from '../passkeys.js';

export default async function profilePage(ctx) {
  ctx.setTitle(t('profile.title'));
  mount(ctx.main, loading());
  const me = session.user;
  const [totp, sessions, tokens] = await Promise.all([
    get('/me/totp', { signal: ctx.signal }),
    get('/me/sessions', { signal: ctx.signal }),
    get('/me/tokens', { signal: ctx.signal }),
  ]);

  // ---- language and timezone ----
  const lang = field(
    t('form.language'),
    select(
      [
        { value: 'en', label: t('form.lang_en') },
        { value: 'zh', label: t('form.lang_zh') },
      ],
      { value: me.language },
    ),
  );
  const zone = comboField(
    t('form.timezone'),
    timezones().map((z) => ({ value: z, label: z })),
    { value: me.timezone, name: 'timezone' },
  );
  const prefs = h(
    'form',
    { class: 'form', attrs: { 'aria-label': t('profile.prefs') } },
    lang.el,
    zone.el,
    h('div', {}, h('button', { type: 'submit', class: 'primary', text: t('common.save') })),
  );
  prefs.addEventListener('submit', async (e) => {
    e.preventDefault();
    lang.setError('');
    zone.setError('');
    if (!zone.check()) {
      zone.input.focus();
      return;
    }
    try {
      await api('PATCH', '/me/profile', {
        body: { language: lang.input.value, timezone: zone.value() },
      });
      await refreshSelf();
      toast(t('profile.prefs_saved'));
    } catch (err) {
      const rest = showFieldErrors(err, { language: lang, timezone: zone });
      if (rest.length) toast(rest.join(' '), 'error');
    }
  });

  // ---- password ----
  const cur = field(
    t('password.current'),
    h('input', { type: 'password', autocomplete: 'current-password' }),
    { required: true },
  );
  const pw = field(
    t('password.new'),
    h('input', { type: 'password', autocomplete: 'new-password' }),
    { required: true },
  );
  attachRules(pw, () => me);
  const again = field(
    t('password.again'),
    h('input', { type: 'password', autocomplete: 'new-password' }),
    { required: true },
  );
  const pwForm = h(
    'form',
    { class: 'form', attrs: { novalidate: true, 'aria-label': t('profile.change_password') } },
    h('input', {
      type: 'text',
      autocomplete: 'username',
      value: me.username,
      hidden: true,
      attrs: { 'aria-hidden': 'true', tabindex: '-1' },
    }),
    cur.el,
    pw.el,
    again.el,
    h(
      'div',
      {},
      h('button', { type: 'submit', class: 'primary', text: t('profile.change_password') }),
    ),
  );
  pwForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const f of [cur, pw, again]) f.setError('');
    if (!cur.input.value) {
      cur.setError(t('password.required'));
      cur.input.focus();
      return;
    }
    if (!pw.input.value) {
      pw.setError(t('password.required'));
      pw.input.focus();
      return;
    }
    if (pw.input.value !== again.input.value) {
      again.setError(t('password.mismatch'));
      again.input.focus();
      return;
    }
    try {
      await api('POST', '/me/password', {
        body: { current_password: cur.input.value, password: pw.input.value },
      });
      for (const f of [cur, pw, again]) f.input.value = '';
      toast(t('password.changed'));
    } catch (err) {
      if (err.status === 401 && !session.user) return;
      const rest = showFieldErrors(err, { current_password: cur, password: pw });
      if (err.status === 401 || err.status === 403) cur.setError(err.message);
      else if (rest.length) toast(rest.join(' '), 'error');
    }
  });

  // ---- two-factor ----
  const mfaBox = h('div', { class: 'mfa-box' });
  const drawMfa = (state) =>
    mount(
      mfaBox,
      h(
        'p',
        {},
        h('span', {
          class: `badge ${state.enrolled ? 'badge-active' : 'badge-neutral'}`,
          text: state.enrolled ? t('profile.mfa_on') : t('profile.mfa_off'),
        }),
        state.required ? ` ${t('profile.mfa_required')}` : '',
      ),
      h('button', {
        type: 'button',
        text: state.enrolled ? t('profile.mfa_replace') : t('profile.mfa_setup'),
        on: { click: () => (state.enrolled ? confirmReplace() : startEnrolment()) },
      }),
    );
  const startEnrolment = (proof) =>
    enrolment(mfaBox, { proof, onDone: async () => drawMfa(await get('/me/totp')) });
  // Replacing a registered device needs the current password, or a code from that device (S10).
  const confirmReplace = (useCode = false) => {
    const proof = proofField(useCode);
    const form = h(
      'form',
      { class: 'form', attrs: { novalidate: true, 'aria-label': t('profile.mfa_replace') } },
      h('p', { text: t('profile.mfa_reauth') }),
      proof.el,
      h(
        'div',
        { class: 'button-row' },
        h('button', { type: 'submit', class: 'primary', text: t('common.continue') }),
        h('button', {
          type: 'button',
          text: useCode ? t('profile.mfa_use_password') : t('profile.mfa_use_code'),
          on: { click: () => confirmReplace(!useCode) },
        }),
        h('button', {
          type: 'button',
          text: t('common.cancel'),
          on: { click: async () => drawMfa(await get('/me/totp')) },
        }),
      ),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      proof.setError('');
      const value = proof.input.value.trim();
      if (!value) {
        proof.setError(useCode ? t('totp.code_required') : t('password.required'));
        proof.input.focus();
        return;
      }
      try {
        await startEnrolment(
          useCode ? { code: value.replace(/\s+/g, '') } : { current_password: proof.input.value },
        );
      } catch (err) {
        proof.input.value = '';
        if (err.status === 400 || err.status === 403) proof.setError(err.message);
        else toast(err.message, 'error');
        proof.input.focus();
      }
    });
    mount(mfaBox, form);
    proof.input.focus();
  };
  drawMfa(totp);

  // ---- sessions ----
  const sessBox = h('div', {});
  const endSession = async (s) => {
    if (
      !(await confirmDialog({
        title: t('detail.revoke_confirm'),
        text: t('detail.revoke_confirm_text'),
        confirm: t('detail.revoke_yes'),
        danger: true,
      }))
    )
      return;
    await api('DELETE', `/me/sessions/${s.id}`).catch((e) => toast(e.message, 'error'));
    drawSessions((await get('/me/sessions')).items);
  };
  const drawSessions = (items) =>
    mount(
      sessBox,
      dataTable({
        items,
        columns: [
          {
            label: t('detail.session_started'),
            cls: 'nowrap',
            cell: (x) => timeEl(h, x.created_at),
          },
          {
            label: t('detail.session_seen'),
            cls: 'nowrap',
            cell: (x) => timeEl(h, x.last_seen_at),
          },
          { label: t('detail.session_ip'), cls: 'nowrap', cell: (x) => x.ip },
          {
            label: t('detail.session_agent'),
            cell: (x) =>
              h('span', { text: agentName(x.user_agent), attrs: { title: x.user_agent } }),
          },
        ],
        buttons: (x) =>
          x.current
            ? h('span', { class: 'badge badge-active', text: t('profile.this_session') })
            : h('button', {
                type: 'button',
                class: 'small',
                text: t('detail.revoke'),
                on: { click: () => endSession(x) },
              }),
      }),
    );
  drawSessions(sessions.items);

  // ---- API tokens ----
  const tokBox = h('div', { class: 'tokens-box' });
  const tokList = h('div', {});
  const tokNew = h('div', {});
  const drawTokens = (items) =>
    mount(
      tokList,
      items.length === 0
        ? h('p', { class: 'muted', text: t('profile.tokens_none') })
        : tokensTable(items, revokeToken),
    );
  const reloadTokens = async () => drawTokens((await get('/me/tokens')).items);
  const revokeToken = async (tk) => {
    const yes = await confirmDialog({
      title: t('profile.token_revoke_confirm', { name: tk.name }),
      text: t('profile.token_revoke_text'),
      confirm: t('profile.token_revoke_yes'),
      danger: true,
    });
    if (!yes) return;
    try {
      await api('DELETE', `/me/tokens/${tk.id}`);
      toast(t('profile.token_revoked'));
    } catch (err) {
      toast(err.message, 'error');
    }
    await reloadTokens();
  };
  const newTokenButton = () =>
    h('button', {
      type: 'button',
      text: t('profile.token_new'),
      on: { click: () => drawTokenForm() },
    });
  // The token just made, once: a read-only field to select, and a copy button.
  const showToken = (made) => {
    const value = h('input', {
      type: 'text',
      readOnly: true,
      value: made.token,
      spellcheck: false,
      class: 'token-value',
    });
    const shown = field(t('profile.token_value', { name: made.name }), value, {
      hint: t('profile.token_shown_once'),
    });
    mount(
      tokNew,
      h(
        'div',
        { class: 'token-made', attrs: { role: 'status' } },
        shown.el,
        h(
          'div',
          { class: 'button-row' },
          copyButton(() => made.token),
          h('button', {
            type: 'button',
            text: t('profile.token_done'),
            on: { click: () => mount(tokNew, newTokenButton()) },
          }),
        ),
      ),
    );
    value.focus();
    value.select();
  };
  // Name, lifetime and the proof (the current password, or a code of the device when enrolled).
  const drawTokenForm = (useCode = false) => {
    const name = field(
      t('profile.token_name'),
      h('input', { type: 'text', name: 'token_name', autocomplete: 'off', maxLength: 100 }),
      { required: true, hint: t('profile.token_name_hint') },
    );
    const days = field(
      t('profile.token_lifetime'),
      select(
        [7, 30, 90, 365].map((n) => ({ value: String(n), label: t('profile.token_days', { n }) })),
        { value: '90' },
      ),
    );
    const proof = useCode
      ? field(
          t('totp.code'),
          h('input', {
            name: 'code',
            autocomplete: 'one-time-code',
            inputMode: 'numeric',
            spellcheck: false,
            attrs: { maxlength: '6' },
          }),
        )
      : field(
          t('password.current'),
          h('input', {
            type: 'password',
            name: 'current_password',
            autocomplete: 'current-password',
          }),
        );
    const form = h(
      'form',
      { class: 'form', attrs: { novalidate: true, 'aria-label': t('profile.token_new') } },
      name.el,
      days.el,
      h('p', { class: 'hint', text: t('profile.token_reauth') }),
      proof.el,
      h(
        'div',
        { class: 'button-row' },
        h('button', { type: 'submit', class: 'primary', text: t('profile.token_create') }),
        totp.enrolled
          ? h('button', {
              type: 'button',
              text: useCode ? t('profile.mfa_use_password') : t('profile.mfa_use_code'),
              on: { click: () => drawTokenForm(!useCode) },
            })
          : null,
        h('button', {
          type: 'button',
          text: t('common.cancel'),
          on: { click: () => mount(tokNew, newTokenButton()) },
        }),
      ),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      for (const f of [name, days, proof]) f.setError('');
      if (!name.input.value.trim()) {
        name.setError(t('profile.token_name_required'));
        name.input.focus();
        return;
      }
      const body = { name: name.input.value.trim(), expires_in_days: Number(days.input.value) };
      const given = proof.input.value.trim();
      if (given && useCode) body.code = given.replace(/\s+/g, '');
      else if (given) body.current_password = proof.input.value;
      try {
        const made = (await api('POST', '/me/tokens', { body })).data;
        showToken(made);
        await reloadTokens();
      } catch (err) {
        if (err.status === 401 && !session.user) return;
        proof.input.value = '';
        const rest = showFieldErrors(err, {
          name,
          expires_in_days: days,
          current_password: proof,
          code: proof,
        });
        if (rest.length) proof.setError(rest.join(' '));
        (err.fields?.name ? name : proof).input.focus();
      }
    });
    mount(tokNew, form);
    name.input.focus();
  };
  drawTokens(tokens.items);
  mount(tokNew, newTokenButton());
  const passkeyBox = h('div', { class: 'passkeys-box' });
  await passkeysSection(passkeyBox, totp);
  mount(tokBox, h('p', { class: 'muted', text: t('profile.tokens_intro') }), tokList, tokNew);

  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', { text: t('profile.title') }),
        h('p', { class: 'sub', text: `${me.username} · ${me.email}` }),
      ),
    ),
    h(
      'div',
      { class: 'grid-2' },
      h('section', { class: 'panel' }, h('h2', { text: t('profile.prefs') }), prefs),
      h('section', { class: 'panel' }, h('h2', { text: t('profile.password') }), pwForm),
      h('section', { class: 'panel' }, h('h2', { text: t('profile.mfa') }), mfaBox),
      h(
        'section',
        { class: 'panel wide', id: 'passkeys' },
        h('h2', { text: t('passkey.title') }),
        passkeyBox,
      ),
      h('section', { class: 'panel wide' }, h('h2', { text: t('profile.sessions') }), sessBox),
      h('section', { class: 'panel wide' }, h('h2', { text: t('profile.tokens') }), tokBox),
    ),
  );
}
