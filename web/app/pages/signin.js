// Signing in: /signin (username and password, or a passkey alone where the provider allows
// it: offered in the username field's autofill and by a button), /signin/totp (the two-factor
// step), /signin/webauthn (the passkey step of a user with passkeys; a code or a recovery code
// instead), /signin/enroll (first enrolment with the QR code, then the recovery codes) and
// /signin/password (the forced password change). Each step posts to the API, whose answer's
// `next` says which step follows.

import { h, mount, svgNode } from '../dom.js';
import { t, setLang, currentLang } from '../i18n.js';
import { api, ApiError } from '../api.js';
import { session } from '../session.js';
import { field, showFieldErrors } from '../ui.js';
import { attachRules } from '../password.js';
import { passkeysSupported, conditionalAvailable, getPasskey, createPasskey } from '../webauthn.js';
import {
  afterSignIn,
  navigate,
  signOut,
  takeNotice,
  safeNext,
  home,
  returnToApp,
} from '../main.js';

const NEXT_KEY = 'gh.next';
// what /sso/{name}/callback may send back in ?sso_error= (each has its message)
const SSO_ERRORS = ['refused', 'unavailable', 'expired', 'cancelled', 'unknown_source'];
const USER_KEY = 'gh.username'; // for the password manager's hidden username field

function card(ctx, title, ...body) {
  ctx.setTitle(title);
  mount(
    ctx.main,
    h(
      'div',
      { class: 'auth-card' },
      h(
        'div',
        { class: 'auth-brand' },
        h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }),
        t('app.name'),
      ),
      h('h1', { text: title }),
      body,
    ),
  );
}

function alertBox() {
  return h('div', { class: 'alert alert-error', attrs: { role: 'alert' }, hidden: true });
}

function showAlert(box, text) {
  box.textContent = text || '';
  box.hidden = !text;
}

function problemText(e) {
  if (e.status === 429) return t('signin.throttled', { s: e.retryAfter || 60 });
  if (e.network) return e.message;
  if (e.status >= 500 || !(e instanceof ApiError)) return t('common.server_error');
  return e.message;
}

// A submit button that shows it is busy and cannot be pressed twice.
async function busy(button, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

function languageSwitch(rerender) {
  const s = h(
    'select',
    { id: 'lang-switch' },
    h('option', { value: 'en', text: 'English', selected: currentLang() === 'en' }),
    h('option', { value: 'zh', text: '中文', selected: currentLang() === 'zh' }),
  );
  s.addEventListener('change', async () => {
    await setLang(s.value, { remember: true });
    rerender();
  });
  return h(
    'div',
    { class: 'lang-switch' },
    h('label', { htmlFor: s.id, text: t('signin.language') }),
    s,
  );
}

async function signinPage(ctx) {
  const rd = ctx.query.get('rd');
  if (rd && rd.length <= 2000) sessionStorage.setItem('gh.rd', rd);
  else sessionStorage.removeItem('gh.rd');
  if (session.user && session.next === 'done') {
    if (returnToApp()) return;
    navigate(safeNext(ctx.query.get('next')) || home(), { replace: true });
    return;
  }
  const next = safeNext(ctx.query.get('next'));
  if (next) sessionStorage.setItem(NEXT_KEY, next);
  else sessionStorage.removeItem(NEXT_KEY);
  const notice = takeNotice();
  const alert = alertBox();
  // the identity providers' buttons (no sign-in needed to list them); none: the form alone
  let sources = [];
  try {
    sources = (await api('GET', '/sso-sources/public', { quiet401: true })).data.items || [];
  } catch {
    /* the password form still works */
  }
  const ssoError = ctx.query.get('sso_error');
  const ssoAlert = SSO_ERRORS.includes(ssoError)
    ? h('div', {
        class: 'alert alert-error',
        attrs: { role: 'alert' },
        text: t(`signin.sso_error.${ssoError}`),
      })
    : null;
  const user = field(
    t('signin.username'),
    h('input', {
      name: 'username',
      autocomplete: 'username webauthn',
      autocapitalize: 'none',
      spellcheck: false,
      value: ctx.query.get('username') || '',
      attrs: { autofocus: true },
    }),
    { required: true },
  );
  const pass = field(
    t('signin.password'),
    h('input', { type: 'password', name: 'password', autocomplete: 'current-password' }),
    { required: true },
  );
  const submit = h('button', { type: 'submit', class: 'primary wide', text: t('signin.submit') });
  const form = h(
    'form',
    { class: 'form', attrs: { novalidate: true } },
    alert,
    user.el,
    pass.el,
    submit,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    user.setError('');
    pass.setError('');
    showAlert(alert, '');
    if (!user.input.value) {
      user.setError(t('signin.username_required'));
      user.input.focus();
      return;
    }
    if (!pass.input.value) {
      pass.setError(t('signin.password_required'));
      pass.input.focus();
      return;
    }
    busy(submit, async () => {
      try {
        await api('POST', '/session', {
          body: { username: user.input.value, password: pass.input.value },
          quiet401: true,
        });
        sessionStorage.setItem(USER_KEY, user.input.value); // a partial session does not tell its user (S9)
        pass.input.value = '';
        await afterSignIn(sessionStorage.getItem(NEXT_KEY) || undefined);
      } catch (err) {
        pass.input.value = '';
        showAlert(alert, err.status === 401 ? t('signin.failed') : problemText(err));
        pass.input.focus();
      }
    });
  });
  const forgot = h(
    'p',
    { class: 'auth-links' },
    h('a', { href: '/forgot', text: t('signin.forgot') }),
  );
  // with sources, their buttons stand in place of the fields, which a link reveals for the
  // users who are not SSO-only
  const buttons = sources.length
    ? h(
        'div',
        { class: 'sso-buttons' },
        sources.map((src) =>
          h('a', {
            class: 'button primary wide sso-button',
            href: `${src.start_url}?next=${encodeURIComponent(next || '/')}`,
            text: t('signin.sso_button', { name: src.display_name }),
          }),
        ),
      )
    : null;
  const withPassword = h('button', {
    type: 'button',
    class: 'link',
    text: t('signin.with_password'),
  });
  const passkeyPart = passkeySignin(ctx, alert);
  const passwordPart = h('div', { class: 'password-part' }, form, forgot, passkeyPart);
  if (buttons) {
    passwordPart.hidden = !ctx.query.get('username');
    withPassword.hidden = !passwordPart.hidden;
    withPassword.addEventListener('click', () => {
      passwordPart.hidden = false;
      withPassword.hidden = true;
      user.input.focus();
    });
  }
  card(
    ctx,
    t('signin.title'),
    notice
      ? h('div', { class: 'alert alert-info', attrs: { role: 'status' }, text: notice })
      : null,
    ssoAlert,
    buttons,
    buttons ? h('p', { class: 'auth-links' }, withPassword) : null,
    passwordPart,
    languageSwitch(() => page(ctx)),
  );
  if (buttons && passwordPart.hidden) buttons.querySelector('a').focus();
  else if (!user.input.value) user.input.focus();
  else pass.input.focus();
}

// Password-less sign-in: the passkey the user picks in the username field's autofill
// (conditional mediation, where the browser offers it) or after the button. Refused (the
// provider does not allow it, an unknown passkey) like a wrong password.
function passkeySignin(ctx, alert) {
  if (!passkeysSupported()) return null;
  let pending = null; // the conditional request waiting in the autofill
  const run = async (mediation) => {
    pending?.abort();
    const ctl = new AbortController();
    if (mediation === 'conditional') pending = ctl;
    ctx.signal?.addEventListener('abort', () => ctl.abort());
    try {
      const { data: o } = await api('POST', '/session/passkey/options', { quiet401: true });
      const credential = await getPasskey(o, { mediation, signal: ctl.signal });
      await api('POST', '/session/passkey', { body: { credential }, quiet401: true });
      await afterSignIn(sessionStorage.getItem(NEXT_KEY) || undefined);
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err.status === 409) {
        part.hidden = true; // the server has no external URL: no passkeys here
        return;
      }
      if (err.name === 'NotAllowedError') showAlert(alert, t('passkey.cancelled'));
      else showAlert(alert, err.status === 401 ? t('passkey.signin_failed') : problemText(err));
      // the autofill is not offered again after a refusal (an authenticator that answers at
      // once would loop): the button stays
    }
  };
  conditionalAvailable().then((yes) => {
    if (yes && !ctx.signal?.aborted) run('conditional');
  });
  const button = h('button', {
    type: 'button',
    class: 'wide passkey-button',
    text: t('passkey.signin_button'),
    on: { click: () => busy(button, () => run(undefined)) },
  });
  const part = h(
    'div',
    { class: 'passkey-signin' },
    h('p', { class: 'or', text: t('passkey.or') }),
    button,
  );
  return part;
}

function stepGuard(ctx, stage) {
  if (!session.next) {
    navigate('/signin', { replace: true });
    return false;
  } // no session at all
  if (Array.isArray(stage) ? !stage.includes(session.next) : session.next !== stage) {
    afterSignIn(sessionStorage.getItem(NEXT_KEY) || undefined);
    return false;
  }
  return true;
}

const cancelLink = () =>
  h(
    'p',
    { class: 'auth-links' },
    h('button', {
      type: 'button',
      class: 'link',
      text: t('signin.cancel'),
      on: { click: signOut },
    }),
  );

async function totpPage(ctx) {
  if (!stepGuard(ctx, ['totp', 'webauthn'])) return;
  const alert = alertBox();
  const code = field(
    t('totp.code'),
    h('input', {
      name: 'code',
      autocomplete: 'one-time-code',
      inputMode: 'numeric',
      spellcheck: false,
      attrs: { autofocus: true, maxlength: '32' },
    }),
    { required: true, hint: t('totp.code_hint') },
  );
  const submit = h('button', { type: 'submit', class: 'primary wide', text: t('totp.verify') });
  const form = h('form', { class: 'form', attrs: { novalidate: true } }, alert, code.el, submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    showAlert(alert, '');
    const value = code.input.value.replace(/\s+/g, '');
    if (!value) {
      code.setError(t('totp.code_required'));
      return;
    }
    code.setError('');
    busy(submit, async () => {
      try {
        await api('POST', '/session/totp', { body: { code: value }, quiet401: true });
        await afterSignIn(sessionStorage.getItem(NEXT_KEY) || undefined);
      } catch (err) {
        code.input.value = '';
        if (err.status === 401 || err.status === 403) {
          // a wrong code; after too many the account is banned and the session gone
          if (!(await sessionGoes(alert))) showAlert(alert, t('totp.failed'));
        } else showAlert(alert, problemText(err));
        code.input.focus();
      }
    });
  });
  // a user with passkeys came here from the passkey step: the way back
  const back =
    session.next === 'webauthn'
      ? h(
          'p',
          { class: 'auth-links' },
          h('a', { href: '/signin/webauthn', text: t('passkey.use_instead') }),
        )
      : null;
  card(ctx, t('totp.title'), h('p', { text: t('totp.intro') }), form, back, cancelLink());
  code.input.focus();
}

// After a refused second step: true (and back to the sign-in page, saying so) when the session
// ended, as it does once too many failures ban the account.
async function sessionGoes(alert) {
  const still = await api('GET', '/session', { quiet401: true }).then(
    () => true,
    () => false,
  );
  if (still) return false;
  showAlert(alert, t('signin.failed_code_ended'));
  setTimeout(() => navigate('/signin', { replace: true }), 2500);
  return true;
}

// The passkey step: one button; a code from the authenticator app or a recovery code instead.
async function webauthnPage(ctx) {
  if (!stepGuard(ctx, 'webauthn')) return;
  const alert = alertBox();
  const use = h('button', {
    type: 'button',
    class: 'primary wide',
    text: t('passkey.use'),
    attrs: { autofocus: true },
  });
  use.addEventListener('click', () =>
    busy(use, async () => {
      showAlert(alert, '');
      try {
        const { data: o } = await api('POST', '/session/webauthn/options', { quiet401: true });
        const credential = await getPasskey(o, { signal: ctx.signal });
        await api('POST', '/session/webauthn', { body: { credential }, quiet401: true });
        await afterSignIn(sessionStorage.getItem(NEXT_KEY) || undefined);
      } catch (err) {
        if (err.name === 'AbortError') return;
        if (err.name === 'NotAllowedError') {
          showAlert(alert, t('passkey.cancelled'));
          return;
        }
        if (err.status === 401 || err.status === 403) {
          if (!(await sessionGoes(alert))) showAlert(alert, t('passkey.step_failed'));
        } else showAlert(alert, problemText(err));
      }
    }),
  );
  card(
    ctx,
    t('passkey.step_title'),
    h('p', { text: t('passkey.step_intro') }),
    alert,
    passkeysSupported() ? use : h('p', { class: 'muted', text: t('passkey.unsupported') }),
    h('p', { class: 'auth-links' }, h('a', { href: '/signin/totp', text: t('passkey.use_code') })),
    cancelLink(),
  );
  use.focus();
}

// The enrolment: shows the QR code and the secret, takes the first code, then shows the
// recovery codes once. Used by the sign-in step and by My profile (onDone differs).
// proof ({current_password} or {code}) is needed when a device is already registered (S10).
export async function enrolment(container, { onDone, signal, proof } = {}) {
  const { data } = await api('POST', '/me/totp', { signal, body: proof });
  const alert = alertBox();
  const qr = data.qr_svg ? svgNode(data.qr_svg) : null;
  qr?.setAttribute('role', 'img');
  qr?.setAttribute('aria-label', t('enrol.qr_label'));
  qr?.classList.add('qr');
  const secret = data.secret.replace(/(.{4})/g, '$1 ').trim();
  const code = field(
    t('totp.code'),
    h('input', {
      name: 'code',
      autocomplete: 'one-time-code',
      inputMode: 'numeric',
      spellcheck: false,
      attrs: { maxlength: '10' },
    }),
    { required: true },
  );
  const submit = h('button', { type: 'submit', class: 'primary', text: t('enrol.confirm') });
  const form = h('form', { class: 'form', attrs: { novalidate: true } }, alert, code.el, submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = code.input.value.replace(/\s+/g, '');
    code.setError('');
    showAlert(alert, '');
    if (!value) {
      code.setError(t('totp.code_required'));
      return;
    }
    busy(submit, async () => {
      try {
        const { data: conf } = await api('POST', '/me/totp/confirm', { body: { code: value } });
        showRecovery(container, conf, onDone);
      } catch (err) {
        code.input.value = '';
        if (err.status === 400 || err.status === 401) code.setError(t('enrol.failed'));
        else showAlert(alert, problemText(err));
        code.input.focus();
      }
    });
  });
  mount(
    container,
    h(
      'ol',
      { class: 'steps' },
      h('li', { text: t('enrol.step_app') }),
      h(
        'li',
        {},
        t('enrol.step_scan'),
        h('div', { class: 'qr-box' }, qr || h('p', { class: 'muted', text: t('enrol.no_qr') })),
        h(
          'p',
          { class: 'secret-line' },
          t('enrol.secret'),
          ' ',
          h('code', { class: 'secret', id: 'totp-secret', text: secret }),
        ),
        h('p', {}, h('a', { href: data.otpauth_uri, text: t('enrol.open_app') })),
      ),
      h('li', { text: t('enrol.step_code') }),
    ),
    form,
  );
  code.input.focus();
}

function showRecovery(container, conf, onDone) {
  const done = h('button', {
    type: 'button',
    class: 'primary',
    text: t('enrol.continue'),
    on: { click: () => onDone(conf.next) },
  });
  const list = h(
    'ul',
    { class: 'recovery', attrs: { 'aria-label': t('enrol.recovery_title') } },
    (conf.recovery_codes || []).map((c) => h('li', {}, h('code', { text: c }))),
  );
  mount(
    container,
    h('div', { class: 'alert alert-ok', attrs: { role: 'status' }, text: t('enrol.done') }),
    h('h2', { text: t('enrol.recovery_title') }),
    h('p', { text: t(conf.intro || 'enrol.recovery_intro') }),
    list,
    done,
  );
  done.focus();
}

// At the enrolment step a passkey may be the second factor instead of an authenticator app.
function passkeyInstead() {
  if (!passkeysSupported()) return null;
  const alert = alertBox();
  const name = field(
    t('passkey.name'),
    h('input', { type: 'text', name: 'passkey_name', autocomplete: 'off', maxLength: 100 }),
    { required: true, hint: t('passkey.name_hint') },
  );
  const submit = h('button', { type: 'submit', text: t('passkey.create') });
  const form = h(
    'form',
    { class: 'form', attrs: { novalidate: true, 'aria-label': t('passkey.enrol_instead') } },
    alert,
    name.el,
    submit,
  );
  form.hidden = true;
  const open = h('button', {
    type: 'button',
    class: 'link',
    text: t('passkey.enrol_instead'),
    on: {
      click: () => {
        form.hidden = false;
        open.hidden = true;
        name.input.focus();
      },
    },
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    name.setError('');
    showAlert(alert, '');
    if (!name.input.value.trim()) {
      name.setError(t('passkey.name_required'));
      return;
    }
    busy(submit, async () => {
      try {
        const { data: o } = await api('POST', '/me/passkeys/options');
        const credential = await createPasskey(o);
        const { data } = await api('POST', '/me/passkeys', {
          body: { name: name.input.value.trim(), credential },
        });
        const next = sessionStorage.getItem(NEXT_KEY) || undefined;
        if (!data.recovery_codes) {
          await afterSignIn(next);
          return;
        }
        // the account's first second factor: its recovery codes, once, in place of the app's
        // set-up
        document.querySelector('.enrol')?.remove();
        const recovery = {
          recovery_codes: data.recovery_codes,
          next,
          intro: 'passkey.recovery_intro',
        };
        showRecovery(wrap, recovery, afterSignIn);
      } catch (err) {
        if (err.name === 'NotAllowedError') showAlert(alert, t('passkey.cancelled'));
        else showAlert(alert, problemText(err));
      }
    });
  });
  const wrap = h('div', { class: 'passkey-enrol' }, h('p', { class: 'auth-links' }, open), form);
  return wrap;
}

async function enrollPage(ctx) {
  if (!stepGuard(ctx, 'enroll_totp')) return;
  const box = h('div', { class: 'enrol' });
  card(
    ctx,
    t('enrol.title'),
    h('p', { text: t('enrol.intro') }),
    box,
    passkeyInstead(),
    cancelLink(),
  );
  await enrolment(box, {
    signal: ctx.signal,
    onDone: () => afterSignIn(sessionStorage.getItem(NEXT_KEY) || undefined),
  });
}

async function passwordPage(ctx) {
  if (!stepGuard(ctx, 'change_password')) return;
  const alert = alertBox();
  const pw = field(
    t('password.new'),
    h('input', {
      type: 'password',
      name: 'new-password',
      autocomplete: 'new-password',
      attrs: { autofocus: true },
    }),
    { required: true },
  );
  attachRules(pw, () => ({ username: session.user?.username ?? sessionStorage.getItem(USER_KEY) }));
  const again = field(
    t('password.again'),
    h('input', { type: 'password', name: 'new-password-again', autocomplete: 'new-password' }),
    { required: true },
  );
  const submit = h('button', { type: 'submit', class: 'primary wide', text: t('password.submit') });
  const form = h(
    'form',
    { class: 'form', attrs: { novalidate: true } },
    alert,
    h('input', {
      type: 'text',
      name: 'username',
      autocomplete: 'username',
      value: session.user?.username ?? sessionStorage.getItem(USER_KEY) ?? '',
      hidden: true,
      attrs: { 'aria-hidden': 'true', tabindex: '-1' },
    }),
    pw.el,
    again.el,
    submit,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    pw.setError('');
    again.setError('');
    showAlert(alert, '');
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
    busy(submit, async () => {
      try {
        await api('POST', '/session/password', { body: { password: pw.input.value } });
        await afterSignIn(sessionStorage.getItem(NEXT_KEY) || undefined);
      } catch (err) {
        const rest = showFieldErrors(err, { password: pw });
        if (rest.length) showAlert(alert, err.status === 400 ? rest.join(' ') : problemText(err));
        pw.input.focus();
      }
    });
  });
  card(ctx, t('password.title'), h('p', { text: t('password.intro') }), form, cancelLink());
  pw.input.focus();
}

export default function page(ctx) {
  const step = ctx.params[0];
  if (step === 'totp') return totpPage(ctx);
  if (step === 'webauthn') return webauthnPage(ctx);
  if (step === 'enroll') return enrollPage(ctx);
  if (step === 'password') return passwordPage(ctx);
  return signinPage(ctx);
}

export { card, alertBox, showAlert, busy, problemText, languageSwitch };
