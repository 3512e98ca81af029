// The password rules beside every field where a password is chosen, shown before anything is
// typed and checked as one types: the length (the server's minimum, from
// GET /api/v1/password-policy), different characters, and none of the user's own names. The
// server checks the same and more (dictionary words, keyboard runs) when the form is sent; the
// last line says so.

import { h, mount } from './dom.js';
import { t } from './i18n.js';
import { api } from './api.js';

let policy = null;
async function loadPolicy() {
  if (!policy)
    policy = api('GET', '/password-policy', { quiet401: true })
      .then((r) => r.data)
      .catch(() => {
        policy = null; // asked again next time; meanwhile the server's answer tells
        return null;
      });
  return policy;
}

let seq = 0;
const codePoints = (s) => [...s];
const lower = (s) => (s || '').toLocaleLowerCase();

// Adds the rules under f (a field() of ui.js) and keeps them up to date as its input changes.
// facts() gives {username, first_name, last_name, email} where known (the form's own values, or
// the signed-in user's); may be omitted.
export async function attachRules(f, facts = () => ({})) {
  const list = h('ul', { class: 'pw-rules', id: `pw-rules-${++seq}` });
  (f.input.closest('.pw-row') || f.input).after(list);
  const described = f.input.getAttribute('aria-describedby') || '';
  f.input.setAttribute('aria-describedby', `${list.id} ${described}`.trim());
  const p = await loadPolicy();
  const min = p?.min_length ?? 15;
  const distinct = p?.min_distinct ?? 5;
  const factMin = p?.own_data_min ?? 3;
  const item = (state, text) =>
    h(
      'li',
      { class: `pw-rule pw-rule-${state}` },
      h('span', {
        class: 'pw-mark',
        attrs: { 'aria-hidden': 'true' },
        text: state === 'ok' ? '✓' : '•',
      }),
      h('span', { text }),
      state === 'ok' ? h('span', { class: 'visually-hidden', text: ` (${t('pw.met')})` }) : null,
    );
  const draw = () => {
    const v = f.input.value;
    const chars = codePoints(v);
    const typed = v.length > 0;
    const state = (ok) => (!typed ? 'todo' : ok ? 'ok' : 'bad');
    const fx = facts() || {};
    const local = (fx.email || '').split('@')[0];
    const own = [fx.username, fx.first_name, fx.last_name, local]
      .filter((s) => s && codePoints(s).length >= factMin)
      .map(lower);
    const lv = lower(v);
    mount(
      list,
      item(
        state(chars.length >= min),
        typed ? t('pw.length_now', { min, n: chars.length }) : t('pw.length', { min }),
      ),
      item(state(new Set(chars).size >= distinct), t('pw.distinct', { n: distinct })),
      own.length ? item(state(!own.some((s) => lv.includes(s))), t('pw.own_data')) : null,
      h('li', { class: 'pw-rule pw-rule-note', text: t('pw.server') }),
    );
  };
  f.input.addEventListener('input', draw);
  draw();
  return { redraw: draw };
}
