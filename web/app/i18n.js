// Message catalogues: /i18n/en.json and /i18n/zh.json. The console speaks the signed-in user's
// language; before sign-in, the one chosen on the sign-in page (kept in localStorage) or the
// browser's. English fills any key a catalogue lacks.

const catalogues = {};
let lang = 'en';

async function load(l) {
  if (!catalogues[l]) {
    const res = await fetch(`/i18n/${l}.json`, { credentials: 'same-origin' });
    catalogues[l] = res.ok ? await res.json() : {};
  }
  return catalogues[l];
}

export const LANGS = ['en', 'zh'];

export function browserLang() {
  const saved = localStorage.getItem('gh.lang');
  if (LANGS.includes(saved)) return saved;
  return (navigator.languages || [navigator.language || 'en']).some((l) => /^zh\b/i.test(l))
    ? 'zh'
    : 'en';
}

export async function setLang(l, { remember = false } = {}) {
  lang = LANGS.includes(l) ? l : 'en';
  await Promise.all([load('en'), load(lang)]);
  if (remember) localStorage.setItem('gh.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export const currentLang = () => lang;
export const locale = () => (lang === 'zh' ? 'zh-CN' : 'en-GB');

// Whether the catalogue of the current language, or English's, holds key.
export const has = (key) => key in (catalogues[lang] || {}) || key in (catalogues.en || {});

// t('users.selected', {n: 3}) -> "3 selected"; {name} placeholders are replaced by values.
export function t(key, vars) {
  let s = catalogues[lang]?.[key] ?? catalogues.en?.[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}
