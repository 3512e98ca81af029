// /users/import: users from a CSV file with the columns of Export CSV. Check first (a dry run:
// every row through the server's rules, nothing kept), read the report, then Import. The file is
// sent in parts of at most PART_BYTES (the API's body limit is 64 KiB), each with the header, so
// a big file moves a progress bar part by part; each row is its own transaction on the server.
// The report lists the refused rows with their field and reason, and downloads whole as CSV.

import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { ApiError, NetworkError, errorText } from '../api.js';
import { dataTable, errorBox, fmtCount } from '../ui.js';

const PART_BYTES = 60 * 1024;
const PART_ROWS = 500;
const SHOWN_MAX = 1000; // refused rows listed on the page (the download has every row)

// The records of a CSV text (RFC 4180: a line end inside quotes belongs to the field), each
// {text, line}: its text without the line end and the line it starts on. Blank lines are skipped.
export function records(text) {
  const out = [];
  let start = 0;
  let line = 1;
  let startLine = 1;
  let quoted = false;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    if (i < text.length && (c !== '\n' || quoted)) {
      if (c === '\n') line++;
      continue;
    }
    const rec = text.slice(start, text[i - 1] === '\r' && c === '\n' ? i - 1 : i);
    if (rec !== '') out.push({ text: rec, line: startLine });
    line++;
    start = i + 1;
    startLine = line;
  }
  return out;
}

// The rows in parts: [{body, rows}] with the header in front of each body.
function parts(header, rows) {
  const enc = new TextEncoder();
  const out = [];
  let cur = [];
  let size = 0;
  const headBytes = enc.encode(header).length + 2;
  for (const r of rows) {
    const n = enc.encode(r.text).length + 2;
    if (cur.length && (size + n > PART_BYTES - headBytes || cur.length >= PART_ROWS)) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(r);
    size += n;
  }
  if (cur.length) out.push(cur);
  return out.map((p) => ({ body: [header, ...p.map((r) => r.text), ''].join('\r\n'), rows: p }));
}

async function post(body, dryRun, signal) {
  let res;
  try {
    res = await fetch(`/api/v1/users/import${dryRun ? '?dry_run=1' : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
      body,
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new NetworkError(e);
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

const csvCell = (v) => {
  const s = v == null ? '' : String(v);
  const safe = /^[=+\-@\t\r']/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export default async function importPage(ctx) {
  ctx.setTitle(t('users.import_title'));
  let file = null; // {name, header, rows}
  let checked = false; // the chosen file passed a dry run (whatever its refusals)
  let busy = false;
  let reportUrl = null;

  const input = h('input', { type: 'file', id: 'import-file', accept: '.csv,text/csv' });
  const checkBtn = h('button', { type: 'button', text: t('users.import_check'), disabled: true });
  const applyBtn = h('button', {
    type: 'button',
    class: 'primary',
    text: t('users.import_apply'),
    disabled: true,
  });
  const bar = h('progress', {
    max: 1,
    value: 0,
    hidden: true,
    attrs: { 'aria-label': t('users.import_progress_label') },
  });
  const status = h('p', { class: 'hint', attrs: { 'aria-live': 'polite' } });
  const report = h('div', { class: 'import-report' });
  const sync = () => {
    checkBtn.disabled = busy || !file;
    applyBtn.disabled = busy || !file || !checked;
  };

  input.addEventListener('change', async () => {
    checked = false;
    file = null;
    mount(report);
    status.textContent = '';
    const f = input.files?.[0];
    if (f) {
      const text = (await f.text()).replace(/^\uFEFF/, '');
      const recs = records(text);
      file = { name: f.name, header: recs[0]?.text ?? '', rows: recs.slice(1) };
      if (!file.rows.length) status.textContent = t('users.import_empty');
    }
    sync();
  });

  async function run(dryRun) {
    busy = true;
    sync();
    mount(report);
    const all = [];
    const totals = { created: 0, updated: 0, unchanged: 0, refused: 0 };
    const ps = parts(file.header, file.rows);
    bar.hidden = false;
    bar.max = Math.max(file.rows.length, 1);
    bar.value = 0;
    let done = 0;
    const show = () => {
      bar.value = done;
      status.textContent = t(dryRun ? 'users.import_checking' : 'users.import_importing', {
        n: fmtCount(done),
        total: fmtCount(file.rows.length),
      });
    };
    show();
    try {
      for (const p of ps) {
        const data = await post(p.body, dryRun, ctx.signal);
        for (const k of Object.keys(totals)) totals[k] += data[k];
        data.rows.forEach((r, i) => all.push({ ...r, line: p.rows[i]?.line ?? r.line }));
        done += p.rows.length;
        show();
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
      mount(report, errorBox(e));
      busy = false;
      bar.hidden = true;
      sync();
      return;
    }
    busy = false;
    checked = checked || dryRun;
    bar.hidden = true;
    status.textContent = t(dryRun ? 'users.import_summary_dry' : 'users.import_summary', {
      created: fmtCount(totals.created),
      updated: fmtCount(totals.updated),
      unchanged: fmtCount(totals.unchanged),
      refused: fmtCount(totals.refused),
    });
    drawReport(all, dryRun);
    sync();
  }

  function drawReport(rows, dryRun) {
    if (reportUrl) URL.revokeObjectURL(reportUrl);
    const csv = [
      'line,username,outcome,field,code,message',
      ...rows.map((r) =>
        [r.line, r.username, r.outcome, r.field, r.code, r.message].map(csvCell).join(','),
      ),
      '',
    ].join('\r\n');
    reportUrl = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
    const download = h('a', {
      class: 'button',
      href: reportUrl,
      text: t('users.import_download'),
      attrs: { download: dryRun ? 'import-check.csv' : 'import-report.csv' },
    });
    const refused = rows.filter((r) => r.outcome === 'refused');
    mount(
      report,
      download,
      refused.length
        ? [
            h('h2', { text: t('users.import_refused_rows') }),
            dataTable({
              cls: 'import-refused',
              items: refused.slice(0, SHOWN_MAX),
              columns: [
                { label: t('users.import_col_line'), cell: (r) => String(r.line) },
                {
                  label: t('users.import_col_username'),
                  cell: (r) => r.username || '—',
                  head: true,
                },
                { label: t('users.import_col_field'), cell: (r) => r.field || '—' },
                { label: t('users.import_col_reason'), cell: (r) => errorText(r) || r.message },
              ],
            }),
          ]
        : null,
    );
  }

  checkBtn.addEventListener('click', () => run(true));
  applyBtn.addEventListener('click', () => run(false));
  ctx.signal.addEventListener('abort', () => reportUrl && URL.revokeObjectURL(reportUrl));

  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: t('users.import_title') }),
      h('a', { class: 'button', href: '/users', text: t('users.import_back') }),
    ),
    h(
      'div',
      { class: 'panel' },
      h('p', { text: t('users.import_intro') }),
      h(
        'div',
        { class: 'field' },
        h('label', { htmlFor: input.id, text: t('users.import_file') }),
        input,
      ),
      h('div', { class: 'import-buttons' }, checkBtn, applyBtn),
      bar,
      status,
    ),
    report,
  );
}
