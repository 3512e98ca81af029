// The first administrator: /setup/{token}, the one-time link that `gatehouse serve` prints while
// no administrator exists (SECURITY A7). The operator chooses the first administrator's user name,
// e-mail address and password; the page then sends them to sign in like anybody else (the link
// signs nobody in). The token is in the path; every page is served with Referrer-Policy:
// no-referrer.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { attachRules } from '../password.js';
import { field, showFieldErrors } from '../ui.js';
import { card, alertBox, showAlert, busy, problemText, languageSwitch } from './signin.js';

const DEAD = { expired: 'setup.expired', used: 'setup.used', void: 'setup.void' };

function deadLink(ctx, state) {
  card(
    ctx,
    t('setup.title'),
    h('div', {
      class: 'alert alert-error',
      attrs: { role: 'alert' },
      text: t(DEAD[state] || 'setup.invalid'),
    }),
    h('p', { class: 'auth-links' }, h('a', { href: '/signin', text: t('link.to_signin') })),
    languageSwitch(() => page(ctx)),
  );
}

function done(ctx, username) {
  card(
    ctx,
    t('setup.title'),
    h('div', {
      class: 'alert alert-ok',
      attrs: { role: 'status' },
      text: t('setup.done', { username }),
    }),
    h(
      'p',
      {},
      h('a', {
        class: 'button primary',
        href: `/signin?username=${encodeURIComponent(username)}`,
        text: t('signin.submit'),
      }),
    ),
  );
}

// The first empty or mismatched field, marked; null when the form may be sent.
function firstProblem(f) {
  if (!f.user.input.value) return [f.user, t('setup.username_required')];
  if (!f.email.input.value) return [f.email, t('setup.email_required')];
  if (!f.pw.input.value) return [f.pw, t('password.required')];
  if (f.pw.input.value !== f.again.input.value) return [f.again, t('password.mismatch')];
  return null;
}

function setupForm(ctx, token) {
  const alert = alertBox();
  const f = {
    user: field(
      t('signin.username'),
      h('input', {
        name: 'username',
        autocomplete: 'username',
        autocapitalize: 'none',
        spellcheck: false,
        attrs: { autofocus: true },
      }),
      { required: true },
    ),
    email: field(
      t('setup.email'),
      h('input', { type: 'email', name: 'email', autocomplete: 'email', spellcheck: false }),
      { required: true },
    ),
    pw: field(
      t('setup.password'),
      h('input', { type: 'password', name: 'new-password', autocomplete: 'new-password' }),
      { required: true },
    ),
    again: field(
      t('setup.password_again'),
      h('input', { type: 'password', name: 'new-password-again', autocomplete: 'new-password' }),
      { required: true },
    ),
  };
  attachRules(f.pw, () => ({ username: f.user.input.value, email: f.email.input.value }));
  const submit = h('button', { type: 'submit', class: 'primary wide', text: t('setup.submit') });
  const form = h(
    'form',
    { class: 'form', attrs: { novalidate: true } },
    alert,
    f.user.el,
    f.email.el,
    f.pw.el,
    f.again.el,
    submit,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    for (const x of Object.values(f)) x.setError('');
    showAlert(alert, '');
    const problem = firstProblem(f);
    if (problem) {
      problem[0].setError(problem[1]);
      problem[0].input.focus();
      return;
    }
    busy(submit, async () => {
      const body = {
        username: f.user.input.value.trim(),
        email: f.email.input.value.trim(),
        password: f.pw.input.value,
      };
      try {
        const { data } = await api('POST', `/setup/${token}`, { body, quiet401: true });
        done(ctx, data.username || body.username);
      } catch (err) {
        if (err.status === 410 || err.status === 404) {
          await page(ctx);
          return;
        } // says which
        const rest = showFieldErrors(err, { username: f.user, email: f.email, password: f.pw });
        if (rest.length) showAlert(alert, err.status === 400 ? rest.join(' ') : problemText(err));
        (
          Object.keys(err.fields || {})
            .map((k) => f[{ username: 'user', email: 'email', password: 'pw' }[k]])
            .find(Boolean) || f.user
        ).input.focus();
      }
    });
  });
  card(
    ctx,
    t('setup.title'),
    h('p', { text: t('setup.intro') }),
    form,
    languageSwitch(() => page(ctx)),
  );
  f.user.input.focus();
}

export default async function page(ctx) {
  const token = ctx.params[0];
  let status;
  try {
    status = (await api('GET', `/setup/${token}`, { quiet401: true, signal: ctx.signal })).data;
  } catch (e) {
    if (e.name === 'AbortError' || e.network) throw e; // the router offers Retry
    deadLink(ctx, 'invalid');
    return;
  }
  if (status.state !== 'pending') {
    deadLink(ctx, status.state);
    return;
  }
  setupForm(ctx, token);
}
