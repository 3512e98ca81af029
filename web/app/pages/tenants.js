// /tenants: the tree of service providers → platform accounts → sub-accounts. Each level loads
// when opened; add, rename and delete (an empty tenant only) in place.

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { api, get, qs } from '../api.js';
import { can, grantable, session } from '../session.js';
import { confirmDialog, toast, loading, errorBox } from '../ui.js';

const CHILD = { service_provider: 'platform_account', platform_account: 'sub_account' };
const ADD_LABEL = {
  service_provider: 'tenants.add_provider',
  platform_account: 'tenants.add_account',
  sub_account: 'tenants.add_sub',
};

// The server's rule (core/catalog.c): providers are managed by the platform, accounts by their
// provider's admins, sub-accounts by their account's admins; an admin's level is one of LEVELS.
const LEVELS = ['platform', 'provider', 'account', 'sub_account'];
const MANAGER = { service_provider: 0, platform_account: 1, sub_account: 2 };
const myLevel = () => LEVELS.indexOf(session.user?.access?.level ?? 'platform');
const manages = (kind) => myLevel() <= MANAGER[kind];

// An inline form with one name field: resolves with the name, or null on cancel.
function inlineName(container, labelText, initial = '') {
  return new Promise((resolve) => {
    const input = h('input', {
      value: initial,
      attrs: { 'aria-label': labelText, maxlength: '100' },
    });
    const form = h(
      'form',
      { class: 'inline-form' },
      input,
      h('button', { type: 'submit', class: 'primary small', text: t('common.save') }),
      h('button', {
        type: 'button',
        class: 'small',
        text: t('common.cancel'),
        on: {
          click: () => {
            form.remove();
            resolve(null);
          },
        },
      }),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = input.value.trim();
      if (!v) {
        input.focus();
        return;
      }
      form.remove();
      resolve(v);
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        form.remove();
        resolve(null);
      }
    });
    container.prepend(form);
    input.focus();
  });
}

// A service provider's dormant rule (dormant_days, dormant_warn_days; 0: off) as a short note.
const dormantNote = (x) =>
  x.dormant_days
    ? x.dormant_warn_days
      ? t('tenants.dormant_note_warn', { days: x.dormant_days, warn: x.dormant_warn_days })
      : t('tenants.dormant_note', { days: x.dormant_days })
    : '';

// An inline form of a provider's dormant rule: two numbers, saved by PATCH; calls done(tenant)
// after a save, with the server's field errors beside their inputs.
function dormantForm(container, x, done) {
  const num = (value, label, max) =>
    h('input', {
      type: 'number',
      value: String(value ?? 0),
      attrs: { 'aria-label': label, min: '0', max: String(max), step: '1' },
    });
  const days = num(x.dormant_days, t('tenants.dormant_days'), 3650);
  const warn = num(x.dormant_warn_days, t('tenants.dormant_warn_days'), 3649);
  const err = h('p', { class: 'field-error', attrs: { role: 'alert' }, hidden: true });
  const form = h(
    'form',
    { class: 'inline-form dormant-form' },
    h('label', {}, h('span', { text: t('tenants.dormant_days') }), days),
    h('label', {}, h('span', { text: t('tenants.dormant_warn_days') }), warn),
    h('button', { type: 'submit', class: 'primary small', text: t('common.save') }),
    h('button', {
      type: 'button',
      class: 'small',
      text: t('common.cancel'),
      on: { click: () => form.remove() },
    }),
    h('p', { class: 'muted hint', text: t('tenants.dormant_hint') }),
    err,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const cur = await api('GET', `/tenants/${x.id}`);
      const { data } = await api('PATCH', `/tenants/${x.id}`, {
        body: { dormant_days: Number(days.value), dormant_warn_days: Number(warn.value) },
        etag: cur.etag,
      });
      form.remove();
      done(data);
    } catch (ex) {
      err.textContent = ex.message;
      err.hidden = false;
      (ex.fields?.dormant_warn_days ? warn : days).focus();
    }
  });
  container.prepend(form);
  days.focus();
}

// The children of parent (null: the providers) into ul, page by page.
async function loadChildren(ul, parent, kind, signal) {
  let cursor = null;
  const more = h('button', { type: 'button', class: 'small link', text: t('tenants.more') });
  const page = async () => {
    const data = await get(`/tenants${qs({ kind, parent_id: parent?.id, limit: 100, cursor })}`, {
      signal,
    });
    more.remove();
    for (const x of data.items) ul.append(node(x, signal));
    cursor = data.next_cursor;
    if (cursor) ul.append(h('li', {}, more));
    if (!ul.querySelector('.tree-row'))
      ul.append(
        h('li', {
          class: 'muted empty-note',
          text: parent
            ? t(parent.above ? 'tenants.none_visible' : 'tenants.empty')
            : t('tenants.none'),
        }),
      );
  };
  more.addEventListener('click', () => page().catch((e) => toast(e.message, 'error')));
  await page();
}

function node(x, signal) {
  const childKind = CHILD[x.kind];
  const li = h('li', { dataset: { id: String(x.id), kind: x.kind } });
  const name = h('span', { class: 'tree-name', text: x.name });
  const ul = h('ul', { hidden: true });
  let loaded = false;
  const toggle = h('button', {
    type: 'button',
    class: ['tree-toggle', !childKind && 'leaf'],
    attrs: { 'aria-expanded': 'false', 'aria-label': t('tenants.expand', { name: x.name }) },
  });
  if (!childKind) {
    toggle.disabled = true;
    toggle.setAttribute('aria-hidden', 'true');
    toggle.tabIndex = -1;
  }
  const open = async (on = true) => {
    toggle.setAttribute('aria-expanded', on ? 'true' : 'false');
    ul.hidden = !on;
    if (on && !loaded) {
      loaded = true;
      ul.replaceChildren(h('li', {}, loading()));
      await loadChildren(ul, x, childKind, signal)
        .then(() => ul.querySelector('.loading')?.parentElement?.remove())
        .catch((e) => mount(ul, h('li', {}, errorBox(e))));
    }
  };
  toggle.addEventListener('click', () => open(toggle.getAttribute('aria-expanded') !== 'true'));
  li.open = open;
  const buttons = h('span', { class: 'tree-buttons' });
  if (childKind && can('tenants.create') && manages(childKind)) {
    buttons.append(
      h('button', {
        type: 'button',
        class: 'small',
        text: t(ADD_LABEL[childKind]),
        attrs: { 'aria-label': `${t(ADD_LABEL[childKind])}: ${x.name}` },
        on: {
          click: async () => {
            await open(true);
            const v = await inlineName(
              ul,
              t('tenants.name_of', { kind: t(`tenants.kind.${childKind}`) }),
            );
            if (!v) return;
            try {
              const { data } = await api('POST', '/tenants', {
                body: { kind: childKind, parent_id: x.id, name: v },
              });
              ul.querySelector('.empty-note')?.remove();
              ul.append(node(data, signal));
              toast(t('tenants.created', { name: data.name }));
            } catch (e) {
              toast(e.message, 'error');
            }
          },
        },
      }),
    );
  }
  if (can('tenants.update') && manages(x.kind) && !x.above) {
    buttons.append(
      h('button', {
        type: 'button',
        class: 'small',
        text: t('common.rename'),
        attrs: { 'aria-label': `${t('common.rename')} ${x.name}` },
        on: {
          click: async () => {
            const v = await inlineName(li, t('tenants.rename_label', { name: x.name }), x.name);
            if (!v || v === x.name) return;
            try {
              const cur = await api('GET', `/tenants/${x.id}`);
              const { data } = await api('PATCH', `/tenants/${x.id}`, {
                body: { name: v },
                etag: cur.etag,
              });
              x.name = data.name;
              name.textContent = data.name;
              toast(t('tenants.renamed', { name: data.name }));
            } catch (e) {
              toast(e.message, 'error');
            }
          },
        },
      }),
    );
  }
  const note = h('span', { class: 'muted dormant-note', text: dormantNote(x) });
  if (x.kind === 'service_provider' && can('tenants.update') && manages(x.kind) && !x.above) {
    buttons.append(
      h('button', {
        type: 'button',
        class: 'small',
        text: t('tenants.dormant'),
        attrs: { 'aria-label': `${t('tenants.dormant')}: ${x.name}` },
        on: {
          click: () =>
            dormantForm(li, x, (data) => {
              x.dormant_days = data.dormant_days;
              x.dormant_warn_days = data.dormant_warn_days;
              note.textContent = dormantNote(x);
              toast(t('tenants.dormant_saved', { name: data.name }));
            }),
        },
      }),
    );
    // password-less sign-in with passkeys for this provider's users (PATCH passkey_signin)
    const box = h('input', {
      type: 'checkbox',
      class: 'passkey-signin-toggle',
      checked: !!x.passkey_signin,
      attrs: { title: t('tenants.passkey_signin_hint') },
    });
    box.addEventListener('change', async () => {
      try {
        const { data } = await api('PATCH', `/tenants/${x.id}`, {
          body: { passkey_signin: box.checked },
        });
        x.passkey_signin = data.passkey_signin;
        toast(t('common.saved'));
      } catch (e) {
        box.checked = !box.checked;
        toast(e.message, 'error');
      }
    });
    buttons.append(h('label', { class: 'small-toggle' }, box, t('tenants.passkey_signin')));
  }
  if (can('tenants.delete') && manages(x.kind) && !x.above) {
    buttons.append(
      h('button', {
        type: 'button',
        class: 'small',
        text: t('common.delete'),
        attrs: { 'aria-label': `${t('common.delete')} ${x.name}` },
        on: {
          click: async () => {
            if (
              !(await confirmDialog({
                title: t('tenants.confirm_delete', { name: x.name }),
                text: t('tenants.confirm_delete_text'),
                confirm: t('confirm.delete.yes'),
                danger: true,
              }))
            )
              return;
            try {
              await api('DELETE', `/tenants/${x.id}`);
              li.remove();
              toast(t('tenants.deleted', { name: x.name }));
            } catch (e) {
              toast(e.message, 'error');
            }
          },
        },
      }),
    );
  }
  li.append(
    h(
      'div',
      { class: 'tree-row' },
      toggle,
      name,
      h('span', { class: 'kind', text: t(`tenants.kind.${x.kind}`) }),
      note,
      buttons,
    ),
    ul,
  );
  return li;
}

export default async function tenantsPage(ctx) {
  ctx.setTitle(t('tenants.title'));
  const tree = h('ul', { class: 'tree', attrs: { 'aria-label': t('tenants.title') } });
  const box = h('div', { class: 'panel' }, tree);
  const add =
    can('tenants.create') && manages('service_provider')
      ? h('button', {
          type: 'button',
          class: 'primary',
          text: t('tenants.add_provider'),
          on: {
            click: async () => {
              const v = await inlineName(
                box,
                t('tenants.name_of', { kind: t('tenants.kind.service_provider') }),
              );
              if (!v) return;
              try {
                const { data } = await api('POST', '/tenants', {
                  body: { kind: 'service_provider', parent_id: null, name: v },
                });
                tree.querySelector(':scope > .empty-note')?.remove();
                tree.append(node(data, ctx.signal));
                toast(t('tenants.created', { name: data.name }));
              } catch (e) {
                toast(e.message, 'error');
              }
            },
          },
        })
      : null;
  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', { text: t('tenants.title') }),
        h('p', { class: 'sub', text: t('tenants.intro') }),
      ),
      add,
    ),
    box,
  );
  // an account or sub-account admin sees no provider row: its tree starts at its provider (or,
  // at sub-account level, its account), named above its scope, read only
  const level = LEVELS[myLevel()];
  if (level === 'platform' || level === 'provider') {
    await loadChildren(tree, null, 'service_provider', ctx.signal);
    return;
  }
  const g = await grantable(session.user.provider_id, { signal: ctx.signal });
  const top =
    level === 'account'
      ? { ...g.provider, kind: 'service_provider', above: true }
      : { ...g.account, kind: 'platform_account', above: true };
  const root = node(top, ctx.signal);
  tree.append(root);
  await root.open();
}
