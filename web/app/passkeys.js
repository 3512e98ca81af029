// My profile's Passkeys section: add a passkey under a name, the list (created, last used),
// rename, remove. Adding one once the account has a second factor, and removing one, need the
// current password or a code from the authenticator app (SECURITY S10).
import { h, mount } from './dom.js';
import { t } from './i18n.js';
import { api, get } from './api.js';
import { field, toast, dataTable, showFieldErrors } from './ui.js';
import { timeEl } from './format.js';
import { passkeysSupported, createPasskey } from './webauthn.js';

// The S10 proof field: the current password, or (useCode) a TOTP code (also the profile's
// replacement of a two-factor device).
export function proofField(useCode) {
  return useCode
    ? field(
        t('totp.code'),
        h('input', {
          name: 'code',
          autocomplete: 'one-time-code',
          inputMode: 'numeric',
          spellcheck: false,
          attrs: { maxlength: '6' },
        }),
        { required: true },
      )
    : field(
        t('password.current'),
        h('input', {
          type: 'password',
          name: 'current_password',
          autocomplete: 'current-password',
        }),
        { required: true },
      );
}

const proofBody = (proof, useCode) => {
  const v = proof.input.value.trim();
  if (!v) return {};
  return useCode ? { code: v.replace(/\s+/g, '') } : { current_password: proof.input.value };
};

// Renders the section into box; totp: GET /me/totp's answer.
export async function passkeysSection(box, totp) {
  const list = h('div', { class: 'passkey-list' });
  const form = h('div', { class: 'passkey-form' });
  let items = [];
  const reload = async () => {
    items = (await get('/me/passkeys')).items;
    drawList();
  };
  const hasSecondFactor = () => totp.enrolled || items.length > 0;

  const drawList = () =>
    mount(
      list,
      items.length === 0
        ? h('p', { class: 'muted', text: t('passkey.none') })
        : dataTable({
            cls: 'passkeys-table',
            items,
            columns: [
              { label: t('passkey.name'), cell: (x) => h('strong', { text: x.name }) },
              {
                label: t('passkey.created'),
                cls: 'nowrap',
                cell: (x) => timeEl(h, x.created_at),
              },
              {
                label: t('passkey.last_used'),
                cls: 'nowrap',
                cell: (x) =>
                  x.last_used_at
                    ? timeEl(h, x.last_used_at)
                    : h('span', { text: t('common.never') }),
              },
            ],
            buttons: (x) =>
              h(
                'span',
                { class: 'button-row' },
                h('button', {
                  type: 'button',
                  class: 'small',
                  text: t('passkey.rename'),
                  attrs: { 'aria-label': t('passkey.rename_named', { name: x.name }) },
                  on: { click: () => drawRename(x) },
                }),
                h('button', {
                  type: 'button',
                  class: 'small danger',
                  text: t('passkey.remove'),
                  attrs: { 'aria-label': t('passkey.remove_named', { name: x.name }) },
                  on: { click: () => drawRemove(x) },
                }),
              ),
          }),
    );

  const addButton = () =>
    passkeysSupported()
      ? h('button', {
          type: 'button',
          class: 'primary',
          text: t('passkey.add'),
          on: { click: () => drawAdd() },
        })
      : h('p', { class: 'muted', text: t('passkey.unsupported') });
  const idle = () => mount(form, addButton());
  const cancel = () =>
    h('button', { type: 'button', text: t('common.cancel'), on: { click: idle } });
  const switchProof = (useCode, redraw) =>
    totp.enrolled
      ? h('button', {
          type: 'button',
          text: useCode ? t('profile.mfa_use_password') : t('profile.mfa_use_code'),
          on: { click: () => redraw(!useCode) },
        })
      : null;

  // The account's first second factor came with recovery codes: shown once, here.
  const drawRecovery = (codes) => {
    const done = h('button', {
      type: 'button',
      class: 'primary',
      text: t('enrol.continue'),
      on: { click: idle },
    });
    mount(
      form,
      h(
        'section',
        { class: 'passkey-recovery', attrs: { 'aria-label': t('enrol.recovery_title') } },
        h('h3', { text: t('enrol.recovery_title') }),
        h('p', { text: t('passkey.recovery_intro') }),
        h(
          'ul',
          { class: 'recovery' },
          codes.map((c) => h('li', {}, h('code', { text: c }))),
        ),
        done,
      ),
    );
    done.focus();
  };

  const drawAdd = (useCode = false) => {
    const name = field(
      t('passkey.name'),
      h('input', { type: 'text', name: 'passkey_name', autocomplete: 'off', maxLength: 100 }),
      { required: true, hint: t('passkey.name_hint') },
    );
    const proof = hasSecondFactor() ? proofField(useCode) : null;
    const f = h(
      'form',
      { class: 'form', attrs: { novalidate: true, 'aria-label': t('passkey.add') } },
      name.el,
      proof ? h('p', { class: 'hint', text: t('passkey.reauth') }) : null,
      proof?.el,
      h(
        'div',
        { class: 'button-row' },
        h('button', { type: 'submit', class: 'primary', text: t('passkey.create') }),
        proof ? switchProof(useCode, drawAdd) : null,
        cancel(),
      ),
    );
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      name.setError('');
      proof?.setError('');
      if (!name.input.value.trim()) {
        name.setError(t('passkey.name_required'));
        name.input.focus();
        return;
      }
      try {
        const { data: o } = await api('POST', '/me/passkeys/options');
        const credential = await createPasskey(o);
        const { data } = await api('POST', '/me/passkeys', {
          body: {
            name: name.input.value.trim(),
            credential,
            ...(proof ? proofBody(proof, useCode) : {}),
          },
        });
        toast(t('passkey.added'));
        if (data.recovery_codes) drawRecovery(data.recovery_codes);
        else idle();
        await reload();
      } catch (err) {
        if (err.name === 'NotAllowedError' || err.name === 'InvalidStateError') {
          toast(
            t(err.name === 'InvalidStateError' ? 'passkey.exists' : 'passkey.cancelled'),
            'error',
          );
          return;
        }
        if (proof) proof.input.value = '';
        const rest = showFieldErrors(err, { name, current_password: proof, code: proof });
        if (rest.length) (proof ?? name).setError(rest.join(' '));
      }
    });
    mount(form, f);
    name.input.focus();
  };

  const drawRename = (pk) => {
    const name = field(
      t('passkey.new_name'),
      h('input', { type: 'text', name: 'passkey_name', value: pk.name, maxLength: 100 }),
      { required: true },
    );
    const f = h(
      'form',
      { class: 'form', attrs: { novalidate: true, 'aria-label': t('passkey.rename') } },
      name.el,
      h(
        'div',
        { class: 'button-row' },
        h('button', { type: 'submit', class: 'primary', text: t('common.save') }),
        cancel(),
      ),
    );
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!name.input.value.trim()) {
        name.setError(t('passkey.name_required'));
        return;
      }
      try {
        await api('PATCH', `/me/passkeys/${pk.id}`, { body: { name: name.input.value.trim() } });
        toast(t('common.saved'));
        idle();
        await reload();
      } catch (err) {
        const rest = showFieldErrors(err, { name });
        if (rest.length) name.setError(rest.join(' '));
      }
    });
    mount(form, f);
    name.input.focus();
    name.input.select();
  };

  // Removing is confirmed by the proof itself: the form names the passkey and asks for it.
  const drawRemove = (pk, useCode = false) => {
    const proof = proofField(useCode);
    const f = h(
      'form',
      { class: 'form', attrs: { novalidate: true, 'aria-label': t('passkey.remove') } },
      h('p', { class: 'alert alert-warn', text: t('passkey.remove_confirm', { name: pk.name }) }),
      proof.el,
      h(
        'div',
        { class: 'button-row' },
        h('button', { type: 'submit', class: 'danger', text: t('passkey.remove_yes') }),
        switchProof(useCode, (c) => drawRemove(pk, c)),
        cancel(),
      ),
    );
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      proof.setError('');
      if (!proof.input.value.trim()) {
        proof.setError(useCode ? t('totp.code_required') : t('password.required'));
        proof.input.focus();
        return;
      }
      try {
        await api('DELETE', `/me/passkeys/${pk.id}`, { body: proofBody(proof, useCode) });
        toast(t('passkey.removed'));
        idle();
        await reload();
      } catch (err) {
        proof.input.value = '';
        const rest = showFieldErrors(err, { current_password: proof, code: proof });
        if (rest.length) proof.setError(rest.join(' '));
        proof.input.focus();
      }
    });
    mount(form, f);
    proof.input.focus();
  };

  mount(box, h('p', { class: 'muted', text: t('passkey.intro') }), list, form);
  idle();
  await reload();
}
