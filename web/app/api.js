// The JSON API under /api/v1, carried by the session cookie. fetch sends Origin and
// Sec-Fetch-Site on state changes, which the server checks (SECURITY.md S7). Errors are
// application/problem+json: they become an ApiError whose fields maps errors[].field to its
// message in the console's language (errorText), so forms can show it next to the field. A
// request that never reached the server is a NetworkError (network: true), with a message that
// says so instead of the browser's "Failed to fetch".
import { t, has, currentLang } from './i18n.js';

// The text of one field error {field, code, message}: the catalogue's error.<code>
// (error.email.invalid), else, in a language other than English, the reason's generic
// error.<reason> (error.invalid: the last part of the code), else the server's own (English)
// message, which is more precise than a generic English text (it names limits and choices).
export function errorText(e) {
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code && has(`error.${code}`)) return t(`error.${code}`);
  const reason = code.split('.').pop();
  if (reason && currentLang() !== 'en' && has(`error.${reason}`)) return t(`error.${reason}`);
  return e?.message || '';
}

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.retryAfter = retryAfter;
    this.fields = {};
    this.codes = {};
    for (const e of this.problem.errors || [])
      if (e.field) {
        this.fields[e.field] = errorText(e) || this.message;
        this.codes[e.field] = e.code;
      }
    // a problem about one field: its text is the message (toasts, alerts)
    const first = this.problem.errors?.[0];
    if (first?.field && this.problem.errors.length === 1) this.message = this.fields[first.field];
  }
}

// fetch rejected: offline, the server down or unreachable, the connection cut.
export class NetworkError extends Error {
  constructor(cause) {
    super(t('error.network'));
    this.name = 'NetworkError';
    this.network = true;
    this.cause = cause;
  }
}

let onSignedOut = null;
// Called when a request that needed a session gets 401 (the session ended: expiry, sign-out
// elsewhere, the account disabled).
export function setSignedOutHandler(fn) {
  onSignedOut = fn;
}

// api('PATCH', '/users/3', {body, etag}) -> {status, data, etag}
export async function api(method, path, { body, etag, signal, quiet401 = false } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (etag) headers['if-match'] = etag;
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      signal,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new NetworkError(e);
  }
  const type = res.headers.get('content-type') || '';
  // a body cut by an abort (the page was left mid-read) is an abort, never an answer without data
  const data = type.includes('json')
    ? await res.json().catch((e) => {
        if (e.name === 'AbortError') throw e;
        return null;
      })
    : null;
  if (!res.ok) {
    if (res.status === 401 && !quiet401 && onSignedOut) onSignedOut();
    throw new ApiError(res.status, data, Number(res.headers.get('retry-after')) || 0);
  }
  return { status: res.status, data, etag: res.headers.get('etag') };
}

export const get = (path, opts) => api('GET', path, opts).then((r) => r.data);

// Follows next_cursor through a small list (roles, groups, tenants of one parent), at most
// `max` items.
export async function getAll(path, { max = 2000, signal } = {}) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(
      `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { signal },
    );
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

export const qs = (params) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
};
