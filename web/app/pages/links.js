// Pages reached from e-mailed links and the way to ask for one: /onboarding/{token} (choose the
// first password), /reset/{token} (choose a new one), both in the user's language, and /forgot
// (ask for a reset link). The token is in the path; every page is served with Referrer-Policy:
// no-referrer (A8). Setting a password never signs in: the user signs in afterwards, two-factor
// included (A9).

import { h } from '../dom.js';
import { attachRules } from '../password.js';
import { t, currentLang, setLang } from '../i18n.js';
import { api } from '../api.js';
import { field, showFieldErrors } from '../ui.js';
import { card, alertBox, showAlert, busy, problemText, languageSwitch } from './signin.js';

const KINDS = {
  onboarding: {
    api: '/onboarding/',
    title: 'onboard.title',
    intro: 'onboard.intro',
    done: 'onboard.done',
  },
  reset: {
    api: '/password-reset/',
    title: 'reset.title',
    intro: 'reset.intro',
    done: 'reset.done',
  },
};

function deadLink(ctx, kind, state) {
  const msg =
    { expired: 'link.expired', used: 'link.used', void: 'link.void' }[state] || 'link.invalid';
  card(
    ctx,
    t(KINDS[kind].title),
    h('div', { class: 'alert alert-error', attrs: { role: 'alert' }, text: t(msg) }),
    h('p', { text: kind === 'onboarding' ? t('link.ask_admin') : '' }),
    h(
      'p',
      { class: 'auth-links' },
      kind === 'reset' ? h('a', { href: '/forgot', text: t('reset.ask_again') }) : null,
      ' ',
      h('a', { href: '/signin', text: t('link.to_signin') }),
    ),
  );
}

async function setPasswordPage(ctx, kind) {
  const token = ctx.params[0];
  const k = KINDS[kind];
  let status;
  try {
    status = (await api('GET', `${k.api}${token}`, { quiet401: true, signal: ctx.signal })).data;
  } catch (e) {
    if (e.name === 'AbortError' || e.network) throw e; // the router offers Retry
    deadLink(ctx, kind, e.codes?.token === 'token.expired' ? 'expired' : 'invalid');
    return;
  }
  if (status.state !== 'pending') {
    deadLink(ctx, kind, status.state);
    return;
  }
  // the page speaks the user's language (set by the administrator or by the user), unless the
  // visitor chose another one here
  if (status.language && !ctx.langChosen && status.language !== currentLang())
    await setLang(status.language);
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
  attachRules(pw, () => ({ username: status.username }));
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
    h(
      'div',
      { class: 'field' },
      h('label', { htmlFor: 'link-username', text: t('signin.username') }),
      h('input', {
        id: 'link-username',
        name: 'username',
        autocomplete: 'username',
        value: status.username || '',
        readOnly: true,
      }),
    ),
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
        const { data } = await api('POST', `${k.api}${token}`, {
          body: { password: pw.input.value },
          quiet401: true,
        });
        const signin = `/signin?username=${encodeURIComponent(data.username || status.username || '')}`;
        card(
          ctx,
          t(k.title),
          h('div', { class: 'alert alert-ok', attrs: { role: 'status' }, text: t(k.done) }),
          h('p', {}, h('a', { class: 'button primary', href: signin, text: t('signin.submit') })),
        );
      } catch (err) {
        if (err.status === 410 || err.status === 404 || err.status === 403) {
          deadLink(ctx, kind, 'invalid');
          return;
        }
        const rest = showFieldErrors(err, { password: pw });
        if (rest.length) showAlert(alert, err.status === 400 ? rest.join(' ') : problemText(err));
        pw.input.focus();
      }
    });
  });
  card(
    ctx,
    t(k.title),
    h('p', { text: t(k.intro, { username: status.username || '' }) }),
    form,
    languageSwitch(() => {
      ctx.langChosen = true;
      return page(ctx);
    }),
  );
  pw.input.focus();
}

function forgotPage(ctx) {
  const alert = alertBox();
  const who = field(
    t('forgot.who'),
    h('input', {
      name: 'username',
      autocomplete: 'username',
      spellcheck: false,
      attrs: { autofocus: true },
    }),
    { required: true, hint: t('forgot.hint') },
  );
  const submit = h('button', { type: 'submit', class: 'primary wide', text: t('forgot.submit') });
  const form = h('form', { class: 'form', attrs: { novalidate: true } }, alert, who.el, submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    who.setError('');
    showAlert(alert, '');
    const v = who.input.value.trim();
    if (!v) {
      who.setError(t('forgot.required'));
      who.input.focus();
      return;
    }
    busy(submit, async () => {
      try {
        await api('POST', '/password-reset', {
          body: v.includes('@') ? { email: v } : { username: v },
          quiet401: true,
        });
        card(
          ctx,
          t('forgot.title'),
          h('div', { class: 'alert alert-ok', attrs: { role: 'status' }, text: t('forgot.sent') }),
          h('p', { class: 'auth-links' }, h('a', { href: '/signin', text: t('link.to_signin') })),
        );
      } catch (err) {
        const rest = showFieldErrors(err, { username: who, email: who });
        if (rest.length) showAlert(alert, problemText(err));
      }
    });
  });
  card(
    ctx,
    t('forgot.title'),
    h('p', { text: t('forgot.intro') }),
    form,
    h('p', { class: 'auth-links' }, h('a', { href: '/signin', text: t('link.to_signin') })),
    languageSwitch(() => page(ctx)),
  );
  who.input.focus();
}

export default function page(ctx) {
  if (ctx.path.startsWith('/onboarding/')) return setPasswordPage(ctx, 'onboarding');
  if (ctx.path.startsWith('/reset/')) return setPasswordPage(ctx, 'reset');
  return forgotPage(ctx);
}
