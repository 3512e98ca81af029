// Shared controls: confirmation and result dialogs (<dialog>, so focus is trapped and Escape
// closes), toasts in a live region, pop-up menus with arrow keys, labelled form fields with an
// error slot, multi-selects with "All", and tabs.

import { h, uid } from './dom.js';
import { t, locale } from './i18n.js';

// ---- dialogs ----

function dialog(labelText, body, buttons, { wide = false } = {}) {
  const titleId = uid('dlg');
  const dlg = h(
    'dialog',
    { class: ['dialog', wide && 'wide'], attrs: { 'aria-labelledby': titleId } },
    h('h2', { id: titleId, text: labelText }),
    body,
    h('div', { class: 'dialog-buttons' }, buttons),
  );
  document.body.append(dlg);
  dlg.addEventListener('close', () => setTimeout(() => dlg.remove(), 0));
  return dlg;
}

// How many names a confirmation lists before "and N more".
export const CONFIRM_LIST_MAX = 10;

// Asks for confirmation; resolves true on the confirm button ("Yes, disable it!"). The focus
// starts on Cancel, so Enter right after the dialog opens cancels; Enter confirms only when the
// confirm button itself has the focus (Tab to it, or a click), and a held (auto-repeating)
// Enter never does. items: names of what the action touches, the first CONFIRM_LIST_MAX listed,
// then "and N more".
export function confirmDialog({
  title,
  text,
  confirm,
  cancel = t('common.cancel'),
  danger = false,
  items = [],
}) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    let answer = false;
    const yes = h('button', {
      type: 'button',
      class: danger ? 'danger' : 'primary',
      text: confirm,
      on: {
        click: () => {
          answer = true;
          dlg.close();
        },
      },
    });
    const no = h('button', { type: 'button', text: cancel, on: { click: () => dlg.close() } });
    const list = items.length
      ? h(
          'ul',
          { class: 'dialog-list' },
          items.slice(0, CONFIRM_LIST_MAX).map((s) => h('li', { text: s })),
          items.length > CONFIRM_LIST_MAX
            ? h('li', {
                class: 'muted more',
                text: t('common.and_more', { n: items.length - CONFIRM_LIST_MAX }),
              })
            : null,
        )
      : null;
    const textId = uid('dlg-text');
    const dlg = dialog(title, [h('p', { id: textId, text }), list], [no, yes]);
    dlg.setAttribute('role', 'alertdialog');
    dlg.setAttribute('aria-describedby', textId);
    dlg.addEventListener(
      'keydown',
      (e) => {
        if (e.key !== 'Enter') return;
        // Enter presses only the button that has the focus, and a held Enter (key repeat,
        // e.g. from the menu item that opened the dialog) presses nothing
        const onButton = document.activeElement === yes || document.activeElement === no;
        if (e.repeat || !onButton) e.preventDefault();
      },
      true,
    );
    dlg.addEventListener('close', () => {
      opener?.focus?.();
      resolve(answer);
    });
    dlg.showModal();
    no.focus();
  });
}

// Shows what happened to each user of a bulk action: rows [{name, ok, text}].
// How many result rows a results dialog lists in full; beyond, it lists the failures only.
const RESULTS_LIST_MAX = 50;

export function resultsDialog(title, rows) {
  return new Promise((resolve) => {
    const ok = rows.filter((r) => r.ok).length;
    const trimmed = rows.length > RESULTS_LIST_MAX;
    const listed = trimmed ? rows.filter((r) => !r.ok).slice(0, 500) : rows;
    const table = h(
      'table',
      { class: 'table compact results' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col', text: t('results.user') }),
          h('th', { scope: 'col', text: t('results.result') }),
        ),
      ),
      h(
        'tbody',
        {},
        listed.map((r) =>
          h(
            'tr',
            { class: r.ok ? 'ok' : 'failed' },
            h('td', { text: r.name }),
            h('td', {}, h('span', { class: r.ok ? 'result-ok' : 'result-failed', text: r.text })),
          ),
        ),
      ),
    );
    const close = h('button', {
      type: 'button',
      class: 'primary',
      text: t('common.close'),
      on: { click: () => dlg.close() },
    });
    const dlg = dialog(
      title,
      [
        h('p', {
          class: 'results-summary',
          text: t('results.summary', { ok, failed: rows.length - ok }),
        }),
        trimmed ? h('p', { class: 'hint', text: t('results.failures_only') }) : null,
        listed.length ? table : null,
      ],
      [close],
      { wide: true },
    );
    dlg.addEventListener('close', () => resolve());
    dlg.showModal();
    close.focus();
  });
}

// A modal progress bar for a long operation: update(done, total) moves it, close() ends it.
// Escape does not close it (the work goes on); the caller closes it when the work is done.
export function progressDialog(title) {
  const bar = h('progress', { max: 1, value: 0, attrs: { 'aria-label': title } });
  const line = h('p', { class: 'hint', attrs: { 'aria-live': 'polite' } });
  const dlg = dialog(title, [bar, line], []);
  dlg.classList.add('progress-dialog');
  dlg.addEventListener('cancel', (e) => e.preventDefault());
  dlg.showModal();
  return {
    update(done, total) {
      bar.max = Math.max(total, 1);
      bar.value = done;
      line.textContent = t('progress.n_of', { n: fmtCount(done), total: fmtCount(total) });
    },
    close: () => dlg.close(),
  };
}

// A count in the viewer's language: 12,345 (en) or 12,345 (zh), "10,000+" when more.
export const fmtCount = (n, more = false) =>
  `${new Intl.NumberFormat(locale()).format(n)}${more ? '+' : ''}`;

// A compact table of items, one row each, that reads as one block per item at phone width:
// columns [{label, cell(item) -> node or text, cls, head}] (head: the row's title, shown without
// its label when stacked), and buttons(item) -> the row's buttons, in a last column.
export function dataTable({ cls = '', columns, items, buttons = null }) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: ['table compact stack', cls] },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col', text: c.label })),
          buttons
            ? h(
                'th',
                { scope: 'col' },
                h('span', { class: 'visually-hidden', text: t('users.actions') }),
              )
            : null,
        ),
      ),
      h(
        'tbody',
        {},
        items.map((it) =>
          h(
            'tr',
            {},
            columns.map((c) =>
              h(
                'td',
                { class: c.cls || null, attrs: { 'data-label': c.head ? null : c.label } },
                c.cell(it),
              ),
            ),
            buttons ? h('td', { class: 'row-buttons' }, buttons(it)) : null,
          ),
        ),
      ),
    ),
  );
}

// A dialog holding any content, with one close button; resolves when closed.
export function infoDialog(title, body, closeText = t('common.close')) {
  return new Promise((resolve) => {
    const close = h('button', {
      type: 'button',
      class: 'primary',
      text: closeText,
      on: { click: () => dlg.close() },
    });
    const dlg = dialog(title, body, [close]);
    dlg.addEventListener('close', () => resolve());
    dlg.showModal();
    close.focus();
  });
}

// ---- toasts ----

let toastRegion = null;
export function toast(text, kind = 'ok') {
  if (!toastRegion || !toastRegion.isConnected) {
    toastRegion = h('div', { class: 'toasts', attrs: { role: 'status', 'aria-live': 'polite' } });
    document.body.append(toastRegion);
  }
  const el = h('div', { class: `toast toast-${kind}`, text });
  toastRegion.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 9000 : 5000);
}

// ---- menus ----

let openMenu = null;
export function closeMenu() {
  if (!openMenu) return;
  const { el, opener } = openMenu;
  openMenu = null;
  el.remove();
  opener?.setAttribute?.('aria-expanded', 'false');
}

document.addEventListener('pointerdown', (e) => {
  if (openMenu && !openMenu.el.contains(e.target) && e.target !== openMenu.opener) closeMenu();
});
addEventListener('resize', closeMenu);

// Opens a menu of items [{label, action, danger, disabled}] under the opener button, or at
// {x, y} (a context menu). Arrow keys move, Enter/Space choose, Escape closes.
export function showMenu(items, { opener, at, label } = {}) {
  closeMenu();
  const visible = items.filter(Boolean);
  if (!visible.length) return;
  const menu = h(
    'div',
    { class: 'menu', attrs: { role: 'menu', 'aria-label': label || null } },
    visible.map((it) =>
      h('button', {
        type: 'button',
        class: ['menu-item', it.danger && 'danger'],
        text: it.label,
        disabled: !!it.disabled,
        attrs: { role: 'menuitem', tabindex: '-1' },
        on: {
          click: () => {
            closeMenu();
            opener?.focus?.();
            it.action();
          },
        },
      }),
    ),
  );
  document.body.append(menu);
  const rect = at ? { left: at.x, bottom: at.y, top: at.y } : opener.getBoundingClientRect();
  const w = menu.offsetWidth,
    hgt = menu.offsetHeight;
  let left = Math.min(rect.left + scrollX, scrollX + innerWidth - w - 8);
  let top = rect.bottom + scrollY + 2;
  if (rect.bottom + hgt > innerHeight - 8)
    top = Math.max(scrollY + 8, rect.top + scrollY - hgt - 2);
  menu.style.left = `${Math.max(8, left)}px`; // CSSOM, allowed under the CSP (no style attribute)
  menu.style.top = `${top}px`;
  openMenu = { el: menu, opener };
  opener?.setAttribute?.('aria-expanded', 'true');
  const buttons = () => [...menu.querySelectorAll('.menu-item:not(:disabled)')];
  menu.addEventListener('keydown', (e) => {
    const b = buttons();
    const i = b.indexOf(document.activeElement);
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      b[(i + 1) % b.length]?.focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      b[(i - 1 + b.length) % b.length]?.focus();
    } else if (e.key === 'Home') {
      e.preventDefault();
      b[0]?.focus();
    } else if (e.key === 'End') {
      e.preventDefault();
      b[b.length - 1]?.focus();
    } else if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      closeMenu();
      opener?.focus?.();
    }
  });
  buttons()[0]?.focus();
}

// A button that opens a menu (aria-haspopup); items() is called each time it opens.
export function menuButton(text, items, { cls = '', label } = {}) {
  const b = h('button', {
    type: 'button',
    class: ['menu-button', cls],
    text,
    attrs: { 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-label': label || null },
  });
  b.addEventListener('click', () => {
    if (openMenu?.opener === b) {
      closeMenu();
      return;
    }
    showMenu(items(), { opener: b, label: label || text });
  });
  b.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      showMenu(items(), { opener: b, label: label || text });
    }
  });
  return b;
}

// ---- form fields ----

// A labelled field: {el (the row), input, setError(msg), hint}. The error is tied to the input
// with aria-describedby and aria-invalid.
export function field(labelText, input, { hint, required = false, cls = '' } = {}) {
  input.id ||= uid('f');
  const errId = uid('err');
  const hintId = hint ? uid('hint') : null;
  const label = h('label', { htmlFor: input.id }, labelText);
  if (required) input.required = true;
  const err = h('p', { class: 'field-error', id: errId, hidden: true });
  input.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
  const head = required
    ? h(
        'div',
        { class: 'label-row' },
        label,
        h('span', { class: 'req', attrs: { 'aria-hidden': 'true' }, text: '*' }),
      )
    : label;
  const row = h(
    'div',
    { class: ['field', cls] },
    head,
    input,
    hint ? h('p', { class: 'hint', id: hintId, text: hint }) : null,
    err,
  );
  return {
    el: row,
    input,
    label,
    setError(msg) {
      err.textContent = msg || '';
      err.hidden = !msg;
      row.classList.toggle('invalid', !!msg);
      if (msg) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
  };
}

// A checkbox with its label after it.
export function checkbox(labelText, { checked = false, name, hint } = {}) {
  const input = h('input', { type: 'checkbox', checked, name: name || null, id: uid('cb') });
  const err = h('p', { class: 'field-error', id: uid('err'), hidden: true });
  const hintEl = hint ? h('p', { class: 'hint', id: uid('hint'), text: hint }) : null;
  input.setAttribute('aria-describedby', [hintEl?.id, err.id].filter(Boolean).join(' '));
  const el = h(
    'div',
    { class: 'field check' },
    h('label', { class: 'check-label', htmlFor: input.id }, input, ` ${labelText}`),
    hintEl,
    err,
  );
  return {
    el,
    input,
    setError(msg) {
      err.textContent = msg || '';
      err.hidden = !msg;
      el.classList.toggle('invalid', !!msg);
    },
  };
}

export function select(options, { value, name } = {}) {
  const s = h(
    'select',
    { name: name || null },
    options.map((o) =>
      h('option', {
        value: String(o.value),
        text: o.label,
        selected: String(o.value) === String(value),
      }),
    ),
  );
  return s;
}

// A multi-select of checkboxes in a fieldset, with "All" when allowAll: value is 'all' or an
// array of ids. {el, get(), set(v), setOptions(options), setDisabled(b), setError, onChange}.
export function multiSelect(
  legendText,
  {
    allowAll = false,
    allLabel = t('common.all'),
    emptyText = t('common.none_available'),
    hint,
    name,
  } = {},
) {
  const errId = uid('err');
  const hintId = hint ? uid('hint') : null;
  const allBox = allowAll
    ? h('input', { type: 'checkbox', id: uid('all'), class: 'ms-all' })
    : null;
  const filter = h('input', {
    type: 'search',
    class: 'ms-filter',
    placeholder: t('common.filter'),
    attrs: { 'aria-label': `${legendText}: ${t('common.filter')}` },
    hidden: true,
  });
  const list = h('div', { class: 'ms-list' });
  const err = h('p', { class: 'field-error', id: errId, hidden: true });
  const legend = h('legend', { text: legendText });
  const fs = h(
    'fieldset',
    {
      class: 'field multi',
      dataset: { name: name || '' },
      attrs: { 'aria-describedby': [hintId, errId].filter(Boolean).join(' ') },
    },
    legend,
    allBox
      ? h(
          'label',
          { class: 'check-label ms-all-label', htmlFor: allBox.id },
          allBox,
          ` ${allLabel}`,
        )
      : null,
    filter,
    list,
    hint ? h('p', { class: 'hint', id: hintId, text: hint }) : null,
    err,
  );
  let options = [];
  const listeners = [];
  const boxes = () => [...list.querySelectorAll('input[type=checkbox]')];
  const changed = () => {
    sync();
    listeners.forEach((fn) => fn());
  };
  function sync() {
    const all = allBox?.checked;
    for (const b of boxes()) b.disabled = fs.disabled || all;
    list.classList.toggle('all', !!all);
  }
  allBox?.addEventListener('change', changed);
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const row of list.children)
      row.hidden = q !== '' && !row.textContent.toLowerCase().includes(q);
  });
  const api = {
    el: fs,
    get() {
      if (allBox?.checked) return 'all';
      return boxes()
        .filter((b) => b.checked)
        .map((b) => Number(b.value));
    },
    set(v) {
      if (allBox) allBox.checked = v === 'all';
      const ids = new Set(Array.isArray(v) ? v.map(Number) : []);
      for (const b of boxes()) b.checked = ids.has(Number(b.value));
      sync();
    },
    setOptions(opts) {
      const keep = api.get();
      options = opts;
      list.replaceChildren(
        ...(opts.length
          ? opts.map((o) => {
              const b = h('input', { type: 'checkbox', value: String(o.value), id: uid('ms') });
              b.addEventListener('change', changed);
              return h('label', { class: 'check-label', htmlFor: b.id }, b, ` ${o.label}`);
            })
          : [h('p', { class: 'muted', text: emptyText })]),
      );
      filter.hidden = opts.length < 12;
      api.set(keep);
    },
    setDisabled(d) {
      fs.disabled = d;
      if (d) fs.setAttribute('aria-disabled', 'true');
      else fs.removeAttribute('aria-disabled');
      fs.classList.toggle('disabled', d);
      sync();
    },
    get disabled() {
      return fs.disabled;
    },
    get options() {
      return options;
    },
    onChange(fn) {
      listeners.push(fn);
    },
    setError(msg) {
      err.textContent = msg || '';
      err.hidden = !msg;
      fs.classList.toggle('invalid', !!msg);
    },
    focus() {
      (allBox && !allBox.disabled ? allBox : boxes().find((b) => !b.disabled))?.focus();
    },
  };
  return api;
}

// ---- tabs ----

// Tabs [{id, label}] with arrow keys (roving tabindex); onSelect(id) on change.
export function tabs(list, current, onSelect, { label, controls } = {}) {
  const bar = h('div', { class: 'tabs', attrs: { role: 'tablist', 'aria-label': label || null } });
  const buttons = list.map((tb) =>
    h('button', {
      type: 'button',
      class: 'tab',
      id: `tab-${tb.id}`,
      text: tb.label,
      attrs: {
        role: 'tab',
        'aria-selected': tb.id === current ? 'true' : 'false',
        tabindex: tb.id === current ? '0' : '-1',
        'aria-controls': controls || null,
      },
    }),
  );
  const choose = (j) => {
    buttons.forEach((b, k) => {
      b.setAttribute('aria-selected', k === j ? 'true' : 'false');
      b.tabIndex = k === j ? 0 : -1;
    });
    onSelect(list[j].id);
  };
  buttons.forEach((b, j) => b.addEventListener('click', () => choose(j)));
  bar.append(...buttons);
  bar.addEventListener('keydown', (e) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (e.key === 'ArrowRight') j = (i + 1) % buttons.length;
    if (e.key === 'ArrowLeft') j = (i - 1 + buttons.length) % buttons.length;
    if (e.key === 'Home') j = 0;
    if (e.key === 'End') j = buttons.length - 1;
    if (j !== null) {
      e.preventDefault();
      buttons[j].focus();
      choose(j);
    }
  });
  return bar;
}

// The state of a page's loading: a small spinner text in a live region.
export const loading = () =>
  h('p', { class: 'loading', attrs: { role: 'status' }, text: t('common.loading') });

// A message for a failed request; with retry (a function), a request that never reached the
// server (a NetworkError) or that the server could not answer (5xx) gets a Retry button that
// calls it.
export function errorBox(e, { retry } = {}) {
  const box = h('div', { class: 'alert alert-error', attrs: { role: 'alert' } });
  box.append(h('span', { text: e?.message || String(e) }));
  if (retry && (e?.network || e?.status >= 500))
    box.append(
      ' ',
      h('button', {
        type: 'button',
        class: 'small retry',
        text: t('error.retry'),
        on: { click: () => retry() },
      }),
    );
  return box;
}

// Shows API field errors next to the fields: fields maps API names ('email', 'access.account_ids')
// to objects with setError. Returns the messages no field took.
export function showFieldErrors(err, fields) {
  const rest = [];
  for (const [name, msg] of Object.entries(err.fields || {})) {
    const f = fields[name] || fields[name.split('.')[0]];
    if (f) f.setError(msg);
    else rest.push(msg);
  }
  if (!Object.keys(err.fields || {}).length) rest.push(err.message);
  return rest;
}

// A button that copies text() to the clipboard and says so (a toast), or says it could not (a
// browser without clipboard access: the text stays selectable beside it).
export function copyButton(text, { label = t('common.copy') } = {}) {
  return h('button', {
    type: 'button',
    class: 'small',
    text: label,
    on: {
      click: async () => {
        try {
          await navigator.clipboard.writeText(text());
          toast(t('common.copied'));
        } catch {
          toast(t('common.copy_failed'), 'error');
        }
      },
    },
  });
}
