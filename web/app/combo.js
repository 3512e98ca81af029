// A searchable choice from a long list (timezones, countries): a text input with the list as its
// suggestions (<input list>, a combobox to assistive technology), where typing part of a name
// ("berl", "germ") narrows the list. The input shows labels; value() gives the chosen option's
// value, '' when left empty (if allowed), or null when the text names no option.

import { h } from './dom.js';
import { t } from './i18n.js';
import { field } from './ui.js';

let seq = 0;

// options: [{value, label}]. Returns field()'s object plus value() and check() (marks the field
// and returns false when the text names no option).
export function comboField(
  labelText,
  options,
  { value = '', name, hint, allowEmpty = false } = {},
) {
  const id = `combo-list-${++seq}`;
  const byLabel = new Map(options.map((o) => [o.label.toLocaleLowerCase(), o.value]));
  const current = options.find((o) => o.value === value);
  const input = h('input', {
    type: 'text',
    name,
    autocomplete: 'off',
    spellcheck: false,
    value: current ? current.label : '',
    attrs: { list: id },
  });
  const list = h(
    'datalist',
    { id },
    options.map((o) => h('option', { value: o.label })),
  );
  const f = field(labelText, input, { hint: hint ?? t('combo.hint') });
  input.after(list);
  f.value = () => {
    const text = input.value.trim();
    if (!text) return allowEmpty ? '' : null;
    return byLabel.get(text.toLocaleLowerCase()) ?? null;
  };
  f.check = () => {
    if (f.value() !== null) return true;
    f.setError(input.value.trim() ? t('combo.no_match') : t('form.required'));
    return false;
  };
  // a whole label typed in another case becomes the option's own spelling (the error stays until
  // the form is sent again: clearing it here would move the buttons under a pointer on its way)
  input.addEventListener('change', () => {
    const v = f.value();
    const o = v ? options.find((x) => x.value === v) : null;
    if (o) input.value = o.label;
  });
  return f;
}
