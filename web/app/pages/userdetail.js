// /users/{id}: a user's details: status, profile, access (with the number of sub-accounts), the
// onboarding state with Re-send onboarding email and a link to hand over (copied, shown once),
// the open sessions (end one or all), the API tokens (revoke one), and the audit history of the
// user. A deleted user's page is its tombstone: read-only.

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { api, get, qs } from '../api.js';
import { can } from '../session.js';
import { fullName, timeEl, statusBadge, isBanned, countryName, agentName } from '../format.js';
import {
  menuButton,
  confirmDialog,
  infoDialog,
  toast,
  loading,
  errorBox,
  dataTable,
  copyButton,
} from '../ui.js';
import { actionItems, mayEdit, mayTake, runAction } from '../actions.js';
import { auditTable, auditRow } from '../trail.js';
import { tokensTable } from '../tokens.js';

const dl = (rows) =>
  h(
    'dl',
    { class: 'details' },
    rows.filter(Boolean).flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]),
  );
// who made a change, by name (the actors the audit trail names)
const by = (who) => (who?.name ? ` (${who.name})` : '');
const yesNo = (b) => t(b ? 'common.yes' : 'common.no');
const chips = (names) =>
  names.length
    ? h(
        'div',
        { class: 'chips' },
        names.map((n) => h('span', { class: 'chip', text: n })),
      )
    : h('span', { class: 'muted', text: t('common.none') });

// The names the API gives beside the ids (the reader may not read the tenants, roles or groups
// themselves), at most max of them shown.
// The provider's dormant rule disables the user at dormant_at (server time): "in X days" from
// now, whole days rounded up, with the date itself on hover.
function dormantEl(iso) {
  const days = Math.ceil((Date.parse(iso) - Date.now()) / 86400000);
  return h('time', {
    class: ['dormant', days <= 7 && 'warn'],
    attrs: { datetime: iso, title: iso },
    text: days > 0 ? t('detail.dormant_in', { days }) : t('detail.dormant_due'),
  });
}

function namesOf(list, max = 20) {
  const shown = list.slice(0, max).map((x) => x.name);
  if (list.length > max) shown.push(t('common.and_more', { n: list.length - max }));
  return shown;
}

export default async function userDetail(ctx) {
  const id = Number(ctx.params[0]);
  mount(ctx.main, loading());
  const { data: u } = await api('GET', `/users/${id}`, { signal: ctx.signal });
  const name = fullName(u) || u.username;
  ctx.setTitle(name);
  const reload = () => ctx.navigate(ctx.path, { replace: true });

  // ---- head ----
  const headButtons = [];
  if (mayTake('unban', u))
    headButtons.push(
      h('button', {
        type: 'button',
        text: t('row.unban'),
        on: { click: () => runAction('unban', [u], reload) },
      }),
    );
  if (mayEdit(u))
    headButtons.push(h('a', { class: 'button', href: `/users/${u.id}/edit`, text: t('row.edit') }));
  // the menu holds only what the server lets this viewer do to this user (allowed_actions)
  const menuItems = () =>
    actionItems([u], {
      navigate: ctx.navigate,
      after: (kind) => (kind === 'delete' ? ctx.navigate('/users') : reload()),
      edit: false,
      withLabelsFor: 'row',
    });
  if (menuItems().length) headButtons.push(menuButton(t('users.actions'), menuItems));

  // ---- access ----
  const a = u.access || { level: 'platform' };
  const provider = u.provider ? u.provider.name : t('common.platform');
  const accounts =
    a.account_ids === 'all' ? [t('detail.all')] : u.accounts ? namesOf(u.accounts) : null;
  const subs =
    a.sub_account_ids === 'all'
      ? [t('detail.all')]
      : u.sub_accounts
        ? namesOf(u.sub_accounts)
        : null;

  const profile = h(
    'section',
    { class: 'panel' },
    h('h2', { text: t('detail.profile') }),
    dl([
      [t('detail.username'), u.username],
      [t('detail.name'), fullName(u) || '—'],
      [t('detail.email'), u.email],
      [t('detail.phone'), u.phone || '—'],
      [t('detail.language'), u.language === 'zh' ? t('form.lang_zh') : t('form.lang_en')],
      [t('detail.timezone'), u.timezone],
      [t('detail.country'), countryName(u.country) || '—'],
      [t('detail.status'), statusBadge(h, u)],
      isBanned(u) ? [t('detail.banned_until'), timeEl(h, u.banned_until)] : null,
      [t('detail.last_login'), timeEl(h, u.last_login_at, t('common.never'))],
      u.dormant_at ? [t('detail.dormant'), dormantEl(u.dormant_at)] : null,
      [t('detail.created'), [timeEl(h, u.created_at), by(u.created_by_user)]],
      [t('detail.updated'), [timeEl(h, u.updated_at), by(u.updated_by_user)]],
      [t('detail.login_enabled'), yesNo(u.login_enabled)],
      [t('detail.enforce_sso'), yesNo(u.enforce_sso)],
      [t('detail.sso'), [u.sso_source, u.sso_id].filter(Boolean).join(' / ') || '—'],
      [
        t('detail.mfa'),
        t('detail.mfa_state', {
          required: t(u.mfa_required ? 'detail.mfa_required' : 'detail.mfa_optional'),
          enrolled: t(u.mfa_enrolled ? 'detail.mfa_enrolled' : 'detail.mfa_not_enrolled'),
        }),
      ],
    ]),
  );
  const access = h(
    'section',
    { class: 'panel' },
    h('h2', { text: t('detail.access') }),
    dl([
      [t('detail.provider'), provider],
      [t('detail.roles'), chips(namesOf(u.roles || [], 100))],
      [t('detail.groups'), chips(namesOf(u.groups || [], 100))],
      [t('detail.level'), t(`detail.level.${a.level}`)],
      accounts ? [t('detail.accounts'), chips(accounts)] : null,
      subs
        ? [
            t('detail.subaccounts'),
            [
              chips(subs),
              h('p', {
                class: 'hint sub-count',
                text: t('detail.subaccount_count', {
                  n:
                    a.sub_account_count ??
                    (Array.isArray(a.sub_account_ids) ? a.sub_account_ids.length : 0),
                }),
              }),
            ],
          ]
        : null,
    ]),
  );

  // ---- onboarding ----
  const o = u.onboarding || { state: 'none' };
  const resend = mayTake('resend', u)
    ? h('button', {
        type: 'button',
        class: 'primary',
        text: t('actions.resend'),
        on: { click: () => runAction('resend', [u], reload) },
      })
    : null;
  const onboarding = h(
    'section',
    { class: 'panel' },
    h('h2', { text: t('detail.onboarding') }),
    dl([
      [
        t('detail.onb_state'),
        h('span', {
          class: `badge badge-${o.state === 'completed' ? 'active' : o.state === 'pending' ? 'pending' : 'neutral'}`,
          text: t(`detail.onb.${o.state}`),
        }),
      ],
      o.sent_at ? [t('detail.onb_sent'), timeEl(h, o.sent_at)] : null,
      o.expires_at && o.state !== 'completed'
        ? [t('detail.onb_expires'), timeEl(h, o.expires_at)]
        : null,
      o.delivery
        ? [
            t('detail.onb_delivery'),
            `${o.delivery.state}${o.delivery.error ? `: ${o.delivery.error}` : ''}`,
          ]
        : null,
    ]),
    h(
      'div',
      { class: 'form-buttons plain' },
      resend,
      mayTake('resend', u) ? linkButton(u, reload) : null,
    ),
  );

  const sessions = h(
    'section',
    { class: 'panel' },
    h('h2', { text: t('detail.sessions') }),
    loading(),
  );
  const tokens = h('section', { class: 'panel' }, h('h2', { text: t('detail.tokens') }), loading());
  const history = can('audit.read')
    ? h('section', { class: 'panel' }, h('h2', { text: t('detail.history') }), loading())
    : null;

  mount(
    ctx.main,
    h('p', {}, h('a', { href: '/users', text: `← ${t('users.title')}` })),
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', { text: name }),
        h('p', { class: 'sub' }, statusBadge(h, u), ` ${u.username} · ${u.email}`),
      ),
      h('div', { class: 'head-buttons' }, headButtons),
    ),
    h('div', { class: 'grid-2' }, h('div', {}, profile), h('div', {}, access, onboarding)),
    sessions,
    tokens,
    history,
  );

  drawSessions(ctx, u, sessions);
  drawTokens(ctx, u, tokens);
  if (history) drawHistory(ctx, u, history);
}

async function drawSessions(ctx, u, box) {
  let items;
  try {
    items = (await get(`/users/${u.id}/sessions`, { signal: ctx.signal })).items;
  } catch (e) {
    if (e.name !== 'AbortError') mount(box, h('h2', { text: t('detail.sessions') }), errorBox(e));
    return;
  }
  const redraw = () => drawSessions(ctx, u, box);
  const mayRevoke = mayEdit(u); // the server's rule of update: its permission, no stronger user
  const endOne = async (s) => {
    if (
      !(await confirmDialog({
        title: t('detail.revoke_confirm'),
        text: t('detail.revoke_confirm_text'),
        confirm: t('detail.revoke_yes'),
        danger: true,
      }))
    )
      return;
    try {
      await api('DELETE', `/users/${u.id}/sessions/${s.id}`);
      toast(t('detail.revoked'));
    } catch (e) {
      toast(e.message, 'error');
    }
    redraw();
  };
  const endAll = async () => {
    if (
      !(await confirmDialog({
        title: t('detail.revoke_all_confirm', { name: u.username }),
        text: t('detail.revoke_confirm_text'),
        confirm: t('detail.revoke_all_yes'),
        danger: true,
      }))
    )
      return;
    try {
      await api('DELETE', `/users/${u.id}/sessions`);
      toast(t('detail.revoked'));
    } catch (e) {
      toast(e.message, 'error');
    }
    redraw();
  };
  mount(
    box,
    h(
      'div',
      { class: 'page-head' },
      h('h2', { text: t('detail.sessions') }),
      mayRevoke && items.length
        ? h('button', {
            type: 'button',
            class: 'small',
            text: t('detail.revoke_all'),
            on: { click: endAll },
          })
        : null,
    ),
    items.length
      ? dataTable({
          cls: 'sessions',
          items,
          columns: [
            { label: t('detail.session_started'), cell: (x) => timeEl(h, x.created_at) },
            { label: t('detail.session_seen'), cell: (x) => timeEl(h, x.last_seen_at) },
            { label: t('detail.session_expires'), cell: (x) => timeEl(h, x.expires_at) },
            { label: t('detail.session_ip'), cell: (x) => x.ip },
            {
              label: t('detail.session_agent'),
              cls: 'agent',
              cell: (x) =>
                h('span', { text: agentName(x.user_agent), attrs: { title: x.user_agent } }),
            },
          ],
          buttons: (x) =>
            mayRevoke
              ? h('button', {
                  type: 'button',
                  class: 'small',
                  text: t('detail.revoke'),
                  on: { click: () => endOne(x) },
                })
              : null,
        })
      : h('p', { class: 'muted', text: t('detail.no_sessions') }),
  );
}

// The user's API tokens (never the tokens themselves): name, times; Revoke for an admin who may
// edit the user (the server's rule of DELETE /users/{id}/tokens/{tid}).
async function drawTokens(ctx, u, box) {
  let items;
  try {
    items = (await get(`/users/${u.id}/tokens`, { signal: ctx.signal })).items;
  } catch (e) {
    if (e.name !== 'AbortError') mount(box, h('h2', { text: t('detail.tokens') }), errorBox(e));
    return;
  }
  const revoke = async (tk) => {
    if (
      !(await confirmDialog({
        title: t('detail.token_revoke_confirm', { name: tk.name }),
        text: t('detail.token_revoke_text', { user: u.username }),
        confirm: t('detail.token_revoke_yes'),
        danger: true,
      }))
    )
      return;
    try {
      await api('DELETE', `/users/${u.id}/tokens/${tk.id}`);
      toast(t('detail.token_revoked', { name: tk.name }));
    } catch (e) {
      toast(e.message, 'error');
    }
    drawTokens(ctx, u, box);
  };
  mount(
    box,
    h('h2', { text: t('detail.tokens') }),
    items.length
      ? tokensTable(items, mayEdit(u) ? revoke : null)
      : h('p', { class: 'muted', text: t('detail.no_tokens') }),
  );
}

// "Copy a link instead": a new onboarding link to hand over (it voids the e-mailed one), shown
// once with a copy button.
function linkButton(u, after) {
  return h('button', {
    type: 'button',
    text: t('detail.onb_link'),
    on: {
      click: async () => {
        const ok = await confirmDialog({
          title: t('detail.onb_link_confirm', { name: u.username }),
          text: t('detail.onb_link_text'),
          confirm: t('detail.onb_link_yes'),
        });
        if (!ok) return;
        let link;
        try {
          ({ data: link } = await api('POST', `/users/${u.id}/onboarding-link`));
        } catch (e) {
          if (e.status !== 401) toast(e.message, 'error');
          return;
        }
        const value = h('input', {
          type: 'text',
          readOnly: true,
          value: link.url,
          class: 'token-value',
          attrs: { 'aria-label': t('detail.onb_link_value') },
        });
        await infoDialog(
          t('detail.onb_link_made', { name: u.username }),
          h(
            'div',
            { class: 'token-made' },
            h('p', { text: t('detail.onb_link_once') }),
            h(
              'div',
              { class: 'inline-form' },
              value,
              copyButton(() => link.url),
            ),
            h(
              'p',
              { class: 'hint' },
              t('detail.onb_link_expires'),
              ' ',
              timeEl(h, link.expires_at),
            ),
          ),
        );
        after();
      },
    },
  });
}

async function drawHistory(ctx, u, box) {
  let cursor = null;
  const wrap = h('div', { class: 'table-wrap' });
  const more = h('button', {
    type: 'button',
    class: 'small',
    text: t('common.more'),
    hidden: true,
  });
  let table = null;
  async function page() {
    try {
      const data = await get(
        `/audit${qs({ target_id: u.id, target_type: 'user', limit: 50, cursor })}`,
        { signal: ctx.signal },
      );
      if (!table) {
        if (!data.items.length) {
          mount(
            box,
            h('h2', { text: t('detail.history') }),
            h('p', { class: 'muted', text: t('detail.no_history') }),
          );
          return;
        }
        table = auditTable(data.items);
        wrap.append(table);
      } else table.tBodies[0].append(...data.items.map(auditRow));
      cursor = data.next_cursor;
      more.hidden = !cursor;
    } catch (e) {
      if (e.name !== 'AbortError') mount(box, h('h2', { text: t('detail.history') }), errorBox(e));
    }
  }
  more.addEventListener('click', page);
  mount(box, h('h2', { text: t('detail.history') }), wrap, more);
  await page();
}
