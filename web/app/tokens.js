// The table of a user's API tokens (never the tokens themselves): name, created, expires, and a
// Revoke button per token when revoke(token) is given. My profile and a user's page show it.

import { h } from './dom.js';
import { t } from './i18n.js';
import { timeEl } from './format.js';
import { dataTable } from './ui.js';

export function tokensTable(items, revoke = null) {
  return dataTable({
    cls: 'tokens',
    items,
    columns: [
      { label: t('profile.token_name'), cls: 'token-name', head: true, cell: (x) => x.name },
      { label: t('profile.token_created'), cls: 'nowrap', cell: (x) => timeEl(h, x.created_at) },
      { label: t('profile.token_expires'), cls: 'nowrap', cell: (x) => timeEl(h, x.expires_at) },
    ],
    buttons: revoke
      ? (x) =>
          h('button', {
            type: 'button',
            class: 'small',
            text: t('profile.token_revoke'),
            attrs: { 'aria-label': `${t('profile.token_revoke')} ${x.name}` },
            on: { click: () => revoke(x) },
          })
      : null,
  });
}
