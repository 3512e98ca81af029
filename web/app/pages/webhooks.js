// /webhooks (the list), /webhooks/new (the form) and /webhooks/{id} (one subscription and its
// last deliveries): the receivers that get a signed POST when a user of one service provider is
// created, changed, disabled, deleted, banned or signs in. The signing secret is shown once,
// right after the subscription is made, and never again. A delivery that failed can be sent
// again (Resend: the same webhook-id, so that a receiver drops a copy it already has).

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { api, getAll } from '../api.js';
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
  copyButton,
  dataTable,
} from '../ui.js';
import { fmtTime } from '../format.js';
import { providerNames, providerOptions } from './sso.js';

const EVENTS = [
  'user.created',
  'user.updated',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'user.banned',
  'user.unbanned',
  'user.signed_in',
];

async function remove(ctx, w) {
  const yes = await confirmDialog({
    title: t('webhooks.confirm_delete', { url: w.url }),
    text: t('webhooks.confirm_delete_text'),
    confirm: t('common.delete'),
    danger: true,
    focusCancel: true,
  });
  if (!yes) return;
  try {
    await api('DELETE', `/webhooks/${w.id}`);
    toast(t('webhooks.deleted'));
    ctx.navigate('/webhooks', { replace: true });
  } catch (e) {
    if (e.status !== 401) toast(e.message, 'error');
  }
}

async function listPage(ctx) {
  ctx.setTitle(t('webhooks.title'));
  mount(ctx.main, loading());
  const hooks = await getAll('/webhooks', { signal: ctx.signal });
  const providers = await providerNames(
    hooks.map((w) => w.provider_id),
    ctx.signal,
  );
  const add = can('settings.update')
    ? h('a', { class: 'button primary', href: '/webhooks/new', text: t('webhooks.add') })
    : null;
  const table = dataTable({
    cls: 'webhooks-table',
    items: hooks,
    columns: [
      {
        label: t('webhooks.col.url'),
        head: true,
        cell: (w) => h('a', { href: `/webhooks/${w.id}`, text: w.url }),
      },
      { label: t('webhooks.col.provider'), cell: (w) => providers.name(w.provider_id) },
      { label: t('webhooks.col.events'), cell: (w) => w.events.join(', ') },
      {
        label: t('webhooks.col.enabled'),
        cell: (w) => (w.enabled ? t('webhooks.on') : t('webhooks.off')),
      },
      { label: t('webhooks.col.created_at'), cell: (w) => fmtTime(w.created_at) },
    ],
  });
  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', { text: t('webhooks.title') }),
        h('p', { class: 'sub', text: t('webhooks.intro') }),
      ),
      hooks.length ? add : null,
    ),
    hooks.length
      ? table
      : h(
          'div',
          { class: 'panel empty-state' },
          h('h2', { text: t('webhooks.none') }),
          h('p', { class: 'sub', text: t('webhooks.none_text') }),
          add,
        ),
  );
}

// The secret, once.
async function showSecret(w) {
  await infoDialog(t('webhooks.secret_title'), [
    h('p', { text: t('webhooks.secret_once') }),
    h(
      'dl',
      { class: 'details' },
      h('dt', { text: t('webhooks.secret') }),
      h(
        'dd',
        {},
        h('code', { class: 'secret', text: w.secret }),
        ' ',
        copyButton(() => w.secret),
      ),
    ),
  ]);
}

async function formPage(ctx) {
  if (!can('settings.update')) {
    ctx.navigate('/webhooks', { replace: true });
    return;
  }
  mount(ctx.main, loading());
  const providers = await providerNames([session.user.provider_id], ctx.signal);
  const title = t('webhooks.new_title');
  ctx.setTitle(title);
  const opts = providerOptions(providers);
  const F = {
    url: field(
      t('webhooks.url'),
      h('input', {
        name: 'url',
        type: 'url',
        autocomplete: 'off',
        attrs: { maxlength: '2048', placeholder: 'https://' },
      }),
      { required: true, hint: t('webhooks.url_hint') },
    ),
    provider_id: field(
      t('webhooks.provider'),
      select(opts, { value: opts[0]?.value ?? '', name: 'provider_id' }),
      { hint: t('webhooks.provider_hint') },
    ),
  };
  const boxes = EVENTS.map((e) => ({ e, box: checkbox(e, { name: 'events' }) }));
  const eventsErr = h('p', { class: 'field-error', hidden: true });
  const events = {
    setError(msg) {
      eventsErr.textContent = msg || '';
      eventsErr.hidden = !msg;
    },
  };
  const alert = h('div', { class: 'alert alert-error', attrs: { role: 'alert' }, hidden: true });
  const saveBtn = h('button', { type: 'submit', class: 'primary', text: t('webhooks.create') });
  const form = h(
    'form',
    { class: 'form webhook-form', attrs: { novalidate: true, 'aria-label': title } },
    alert,
    h(
      'section',
      { class: 'form-section' },
      h('div', { class: 'form-grid' }, F.url.el, F.provider_id.el),
      h(
        'fieldset',
        { class: 'field events' },
        h('legend', { text: t('webhooks.events') }),
        boxes.map((b) => b.box.el),
        eventsErr,
      ),
    ),
    h(
      'div',
      { class: 'form-buttons' },
      saveBtn,
      h('a', { class: 'button', href: '/webhooks', text: t('common.cancel') }),
    ),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const f of [...Object.values(F), events]) f.setError('');
    alert.hidden = true;
    const chosen = boxes.filter((b) => b.box.input.checked).map((b) => b.e);
    if (!F.url.input.value.trim()) {
      F.url.setError(t('form.required'));
      F.url.input.focus();
      return;
    }
    if (!chosen.length) {
      events.setError(t('webhooks.events_required'));
      boxes[0].box.input.focus();
      return;
    }
    const p = F.provider_id.input.value;
    const body = {
      url: F.url.input.value.trim(),
      events: chosen,
      provider_id: p ? Number(p) : null,
    };
    saveBtn.disabled = true;
    try {
      const r = await api('POST', '/webhooks', { body });
      await showSecret(r.data);
      toast(t('webhooks.saved'));
      ctx.navigate(`/webhooks/${r.data.id}`);
    } catch (err) {
      if (err.status === 401) return;
      const rest = showFieldErrors(err, { ...F, events });
      if (rest.length) {
        alert.textContent = rest.join(' ');
        alert.hidden = false;
      }
      (ctx.main.querySelector('[aria-invalid=true]') || alert).focus?.();
    } finally {
      saveBtn.disabled = false;
    }
  });
  mount(
    ctx.main,
    h('p', {}, h('a', { href: '/webhooks', text: `← ${t('webhooks.title')}` })),
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { text: title }))),
    form,
  );
  F.url.input.focus();
}

async function toggle(ctx, w) {
  try {
    await api('PATCH', `/webhooks/${w.id}`, { body: { enabled: !w.enabled } });
    toast(w.enabled ? t('webhooks.disabled') : t('webhooks.enabled'));
    ctx.navigate(`/webhooks/${w.id}`, { replace: true });
  } catch (e) {
    if (e.status !== 401) toast(e.message, 'error');
  }
}

async function resend(ctx, w, d, button) {
  button.disabled = true;
  try {
    await api('POST', `/webhooks/${w.id}/deliveries/${d.id}/resend`);
    toast(t('webhooks.resent'));
    ctx.navigate(`/webhooks/${w.id}`, { replace: true });
  } catch (e) {
    if (e.status !== 401) toast(e.message, 'error');
    button.disabled = false;
  }
}

function deliveriesTable(ctx, w, items) {
  const write = can('settings.update');
  return dataTable({
    cls: 'deliveries-table',
    items,
    columns: [
      { label: t('webhooks.col.event'), head: true, cell: (d) => d.event },
      { label: t('webhooks.col.state'), cell: (d) => t(`webhooks.state.${d.state}`) },
      { label: t('webhooks.col.attempts'), cell: (d) => String(d.attempts) },
      {
        label: t('webhooks.col.response_code'),
        cell: (d) => (d.response_code === null ? '—' : String(d.response_code)),
      },
      { label: t('webhooks.col.error'), cell: (d) => d.error || '—' },
      {
        label: t('webhooks.col.last_attempt_at'),
        cell: (d) => (d.last_attempt_at ? fmtTime(d.last_attempt_at) : '—'),
      },
    ],
    buttons: write
      ? (d) => {
          const b = h('button', {
            type: 'button',
            class: 'small',
            text: t('webhooks.resend'),
            attrs: { 'aria-label': `${t('webhooks.resend')} ${d.event} #${d.id}` },
          });
          b.addEventListener('click', () => resend(ctx, w, d, b));
          return b;
        }
      : null,
  });
}

async function detailPage(ctx, id) {
  mount(ctx.main, loading());
  const w = (await api('GET', `/webhooks/${id}`, { signal: ctx.signal })).data;
  const deliveries = (await api('GET', `/webhooks/${id}/deliveries`, { signal: ctx.signal })).data
    .items;
  const providers = await providerNames([w.provider_id], ctx.signal);
  ctx.setTitle(w.url);
  mount(
    ctx.main,
    h('p', {}, h('a', { href: '/webhooks', text: `← ${t('webhooks.title')}` })),
    h(
      'div',
      { class: 'page-head' },
      h('div', {}, h('h1', { text: w.url })),
      can('settings.update')
        ? h(
            'div',
            { class: 'row-buttons' },
            h('button', {
              type: 'button',
              text: w.enabled ? t('webhooks.disable') : t('webhooks.enable'),
              on: { click: () => toggle(ctx, w) },
            }),
            h('button', {
              type: 'button',
              class: 'danger',
              text: t('common.delete'),
              on: { click: () => remove(ctx, w) },
            }),
          )
        : null,
    ),
    h(
      'dl',
      { class: 'details panel' },
      h('dt', { text: t('webhooks.col.provider') }),
      h('dd', { text: providers.name(w.provider_id) }),
      h('dt', { text: t('webhooks.col.events') }),
      h('dd', { text: w.events.join(', ') }),
      h('dt', { text: t('webhooks.col.enabled') }),
      h('dd', { text: w.enabled ? t('webhooks.on') : t('webhooks.off') }),
      h('dt', { text: t('webhooks.col.created_at') }),
      h('dd', { text: fmtTime(w.created_at) }),
    ),
    h('h2', { text: t('webhooks.deliveries') }),
    deliveries.length
      ? deliveriesTable(ctx, w, deliveries)
      : h('div', { class: 'panel empty-state', text: t('webhooks.no_deliveries') }),
  );
}

export default function webhooksPage(ctx) {
  const p = ctx.params[0];
  if (p === 'new') return formPage(ctx);
  return p ? detailPage(ctx, Number(p)) : listPage(ctx);
}
