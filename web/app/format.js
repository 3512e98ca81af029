// Times in the viewer's timezone, names, statuses, and the lists of timezones and countries.

import { locale, t } from './i18n.js';
import { viewerZone } from './session.js';

const fmtCache = new Map();
function formatter(zone) {
  const key = `${locale()}|${zone}`;
  if (!fmtCache.has(key)) {
    fmtCache.set(
      key,
      new Intl.DateTimeFormat('en-CA', {
        timeZone: zone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }),
    );
  }
  return fmtCache.get(key);
}

// "2026-12-01 23:26" in the viewer's timezone; '' for null.
export function fmtTime(iso, zone = viewerZone()) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  let f;
  try {
    f = formatter(zone);
  } catch {
    f = formatter('UTC');
  }
  const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

const whenCache = new Map();
function whenFormat(zone) {
  const key = `${locale()}|${zone}`;
  if (!whenCache.has(key)) {
    whenCache.set(key, {
      date: new Intl.DateTimeFormat(locale(), {
        timeZone: zone,
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }),
      zone: new Intl.DateTimeFormat(locale(), { timeZone: zone, timeZoneName: 'shortOffset' }),
    });
  }
  return whenCache.get(key);
}

// The zone's offset at instant d as people read it: "UTC" for UTC, else "GMT+8", "GMT-3:30".
export function zoneOffset(d = new Date(), zone = viewerZone()) {
  if (zone === 'UTC' || zone === 'Etc/UTC') return 'UTC';
  try {
    const part = whenFormat(zone)
      .zone.formatToParts(d)
      .find((x) => x.type === 'timeZoneName');
    return part ? part.value : zone;
  } catch {
    return zone;
  }
}

// The viewer's timezone with its offset now: "Asia/Shanghai (GMT+8)", "UTC".
export function zoneLabel(zone = viewerZone()) {
  const off = zoneOffset(new Date(), zone);
  return off === 'UTC' && (zone === 'UTC' || zone === 'Etc/UTC') ? 'UTC' : `${zone} (${off})`;
}

// An instant for people, in the console's language and the viewer's timezone: {text: "4 Dec
// 2026, 18:41" (zh: "2026年12月4日 18:41"), zone: "GMT+1"} (the offset of that instant).
export function fmtWhen(iso, zone = viewerZone()) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return { text: '', zone: '' };
  let f;
  try {
    f = whenFormat(zone);
  } catch {
    zone = 'UTC';
    f = whenFormat(zone);
  }
  return { text: f.date.format(d), zone: zoneOffset(d, zone) };
}

// A <time> element: local text, the UTC instant as its datetime and title.
export function timeEl(h, iso, empty = '—') {
  if (!iso) return h('span', { class: 'muted', text: empty });
  return h('time', { attrs: { datetime: iso, title: iso }, text: fmtTime(iso) });
}

// The UTC ISO string for a wall-clock "YYYY-MM-DDTHH:MM" in zone (for filters typed locally).
export function zonedToUtc(local, zone = viewerZone()) {
  if (!local) return '';
  const [d, tm = '00:00'] = local.split('T');
  const [y, mo, da] = d.split('-').map(Number);
  const [hh, mm] = tm.split(':').map(Number);
  const want = Date.UTC(y, mo - 1, da, hh, mm);
  let guess = want;
  for (let i = 0; i < 3; i++) {
    const shown = fmtTime(new Date(guess).toISOString(), zone);
    const [sd, st] = shown.split(' ');
    const [sy, smo, sda] = sd.split('-').map(Number);
    const [sh, sm] = st.split(':').map(Number);
    guess += want - Date.UTC(sy, smo - 1, sda, sh, sm);
  }
  return new Date(guess).toISOString().replace('.000Z', 'Z');
}

// A person's name: "given family", or family name then given name without a space when either is
// in a script without spaces (李 and 伟: "李伟"), as such names are written in any language (the
// server's gh_person_name, for e-mails, follows the same rule).
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
export function fullName(u) {
  const f = u.first_name || '';
  const l = u.last_name || '';
  if (CJK.test(f) || CJK.test(l)) return `${l}${f}`;
  return [f, l].filter(Boolean).join(' ');
}

export const isBanned = (u) => !!u.banned_until && new Date(u.banned_until).getTime() > Date.now();

// The status shown: banned wins over active while the ban lasts.
export const shownStatus = (u) => (isBanned(u) && u.status !== 'deleted' ? 'banned' : u.status);

export function statusBadge(h, u) {
  const s = shownStatus(u);
  return h('span', { class: `badge badge-${s}`, text: t(`status.${s}`) });
}

let zones = null;
export function timezones() {
  if (!zones) {
    let list = [];
    try {
      list = Intl.supportedValuesOf('timeZone');
    } catch {
      list = [];
    }
    zones = ['UTC', ...list.filter((z) => z !== 'UTC')];
  }
  return zones;
}

// ISO 3166-1 alpha-2 codes; names come from Intl.DisplayNames in the console's language.
const COUNTRY_CODES = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS ' +
  'BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ ' +
  'FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT ' +
  'JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP ' +
  'MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE ' +
  'RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV ' +
  'TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
).split(' ');

export function countries() {
  let names;
  try {
    names = new Intl.DisplayNames([locale()], { type: 'region' });
  } catch {
    names = null;
  }
  return COUNTRY_CODES.map((c) => ({ code: c, name: names?.of(c) || c })).sort((a, b) =>
    a.name.localeCompare(b.name, locale()),
  );
}

export function countryName(code) {
  if (!code) return '';
  try {
    return new Intl.DisplayNames([locale()], { type: 'region' }).of(code) || code;
  } catch {
    return code;
  }
}

// A browser's User-Agent in words ("Chrome on Linux"); the first 40 characters when it names
// no browser known here (a script's "node", "curl/8.5.0").
export function agentName(ua = '') {
  const browsers = [
    [/Edg\//, 'Edge'],
    [/OPR\//, 'Opera'],
    [/Firefox\//, 'Firefox'],
    [/Chromium\//, 'Chromium'],
    [/Chrome\//, 'Chrome'],
    [/Version\/[\d.]+.*Safari\//, 'Safari'],
  ];
  const systems = [
    [/Windows/, 'Windows'],
    [/iPhone|iPad/, 'iOS'],
    [/Mac OS X/, 'macOS'],
    [/Android/, 'Android'],
    [/CrOS/, 'ChromeOS'],
    [/Linux/, 'Linux'],
  ];
  const browser = browsers.find(([re]) => re.test(ua))?.[1];
  if (!browser) return ua.slice(0, 40);
  const os = systems.find(([re]) => re.test(ua))?.[1];
  return os ? t('format.agent', { browser, os }) : browser;
}
