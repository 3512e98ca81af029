// The console's files as the server serves them (no browser): compiled into the binary, the same
// bytes as web/, with Content-Type, ETag/304, Cache-Control and the security headers (S8); the
// app's pages get index.html; --web-dir serves a folder from disk; nothing outside it. And static
// checks of web/ itself: no inline script or handler, no eval, no HTML strings, and every message
// key in both catalogues.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  readFileSync,
  readdirSync,
  statSync,
  cpSync,
  writeFileSync,
  mkdtempSync,
  rmSync,
} from 'node:fs';
import { join, resolve, dirname, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startServer, rawHttp } from '../api/lib/server.mjs';

const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '../../web');
const files = (dir) =>
  readdirSync(dir).flatMap((n) =>
    statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)],
  );
const webFiles = files(WEB).map((f) => `/${relative(WEB, f)}`);

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

const get = (path, headers = {}, base = srv.base) => fetch(base + path, { headers });

function securityHeaders(res, what) {
  const csp = res.headers.get('content-security-policy') || '';
  assert.match(csp, /default-src 'self'/, what);
  assert.match(csp, /script-src 'self'(;|$)/, `${what}: no 'unsafe-inline' or 'unsafe-eval'`);
  assert.doesNotMatch(csp, /unsafe-/, what);
  assert.match(csp, /frame-ancestors 'none'/, what);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', what);
}

test('every file of web/ is served, byte for byte, with its content type, ETag and no-cache', async () => {
  const types = {
    '.html': /^text\/html; charset=utf-8$/,
    '.js': /^text\/javascript; charset=utf-8$/,
    '.css': /^text\/css; charset=utf-8$/,
    '.json': /^application\/json; charset=utf-8$/,
    '.svg': /^image\/svg\+xml$/,
  };
  assert.ok(webFiles.length >= 15, webFiles.join(' '));
  for (const path of webFiles) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    const body = Buffer.from(await res.arrayBuffer());
    assert.ok(
      body.equals(readFileSync(join(WEB, path))),
      `${path}: the embedded copy differs from web/ (rebuild?)`,
    );
    const ext = path.slice(path.lastIndexOf('.'));
    assert.match(res.headers.get('content-type'), types[ext], path);
    assert.match(res.headers.get('etag') || '', /^"[0-9a-f]{20}"$/, path);
    assert.equal(res.headers.get('cache-control'), 'no-cache', path);
    securityHeaders(res, path);
  }
});

test('If-None-Match with the ETag gives 304 without a body; another ETag gives 200', async () => {
  const first = await get('/app/main.js');
  const etag = first.headers.get('etag');
  const again = await get('/app/main.js', { 'if-none-match': etag });
  assert.equal(again.status, 304);
  assert.equal((await again.arrayBuffer()).byteLength, 0);
  assert.equal(again.headers.get('etag'), etag);
  const other = await get('/app/main.js', { 'if-none-match': '"0000"' });
  assert.equal(other.status, 200);
});

test('the pages of the app get index.html; unknown files and paths get 404', async () => {
  const index = readFileSync(join(WEB, 'index.html'));
  for (const path of [
    '/',
    '/index.html',
    '/signin',
    '/signin/totp',
    '/signin/enroll',
    '/signin/password',
    '/forgot',
    '/users',
    '/users/new',
    '/users/123',
    '/users/123/edit',
    '/roles',
    '/roles/7',
    '/groups',
    '/groups/new',
    '/tenants',
    '/audit',
    '/profile',
    '/onboarding/abcDEF_-123',
    '/reset/xyz',
  ]) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type'), /^text\/html/, path);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(index), path);
    securityHeaders(res, path);
  }
  for (const path of [
    '/app/nope.js',
    '/i18n/fr.json',
    '/app/',
    '/app/.hidden',
    '/app/..%2f..%2fetc%2fpasswd',
    '/nowhere',
    '/users/',
    '/style.css/x',
    '/favicon.ico',
  ]) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    assert.equal(res.headers.get('cache-control'), 'no-store', path);
  }
  // the API is untouched: unknown API paths are still problem+json 404s, others need a token
  const api = await get('/api/v1/nothing-here');
  assert.equal(api.status, 404);
  assert.match(api.headers.get('content-type'), /problem\+json/);
  assert.equal((await get('/api/v1/users')).status, 401);
  assert.equal((await fetch(`${srv.base}/users`, { method: 'POST' })).status, 405);
});

test('the console is not part of the OpenAPI document', async () => {
  const doc = await (await get('/api/v1/openapi.json')).json();
  for (const p of Object.keys(doc.paths))
    assert.ok(
      p.startsWith('/api/') ||
        p.startsWith('/sso/') || // single sign-on's redirects: the server's, not the console's
        p.startsWith('/auth/') || // forward-auth's answers to a reverse proxy
        ['/healthz', '/readyz', '/metrics'].includes(p),
      p,
    );
});

test('--web-dir serves the folder from disk, read on every request, and nothing outside it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-web-'));
  cpSync(WEB, join(dir, 'web'), { recursive: true });
  writeFileSync(join(dir, 'secret.txt'), 'outside');
  const dev = await startServer({ args: ['--web-dir', join(dir, 'web')] });
  try {
    const one = await get('/style.css', {}, dev.base);
    assert.equal(one.status, 200);
    assert.match(one.headers.get('etag'), /^"d[0-9a-f]+-[0-9a-f]+"$/);
    writeFileSync(join(dir, 'web/style.css'), '/* changed while running */\n');
    const two = await get('/style.css', {}, dev.base);
    assert.equal(await two.text(), '/* changed while running */\n');
    assert.equal((await get('/users/5', {}, dev.base)).status, 200);
    // sent as typed (fetch would tidy the dots away)
    for (const path of [
      '/app/../../secret.txt',
      '/app/%2e%2e/%2e%2e/secret.txt',
      '/i18n/..%2F..%2Fsecret.txt',
      '/app//etc/passwd',
      '/app/./main.js',
      '/app/.%2e/.%2e/secret.txt',
    ]) {
      const res = await rawHttp(
        dev.port,
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      );
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
      assert.doesNotMatch(res.data, /outside/, path);
    }
    rmSync(join(dir, 'web/app/main.js'));
    assert.equal((await get('/app/main.js', {}, dev.base)).status, 404);
  } finally {
    await dev.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('web/ holds no inline script, inline handler, inline style, eval or HTML strings (CSP, I3)', () => {
  const html = readFileSync(join(WEB, 'index.html'), 'utf8');
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(m[1], /\bsrc="\/app\//, 'every script is a file of ours');
    assert.equal(m[2].trim(), '', 'no inline script');
  }
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handler');
  assert.doesNotMatch(html, /\sstyle\s*=/i, 'no inline style');
  assert.doesNotMatch(html, /<style/i);
  for (const path of webFiles.filter((p) => p.endsWith('.js'))) {
    const code = readFileSync(join(WEB, path), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    for (const bad of [
      /\beval\s*\(/,
      /\bnew Function\b/,
      /\.innerHTML\b/,
      /\.outerHTML\b/,
      /insertAdjacentHTML/,
      /document\.write/,
      /setAttribute\(\s*['"]style/,
      /\.cssText\b/,
      /setTimeout\(\s*['"`]/,
    ]) {
      assert.doesNotMatch(code, bad, `${path}: ${bad}`);
    }
  }
  assert.doesNotMatch(
    readFileSync(join(WEB, 'style.css'), 'utf8'),
    /url\(\s*["']?(data|https?):/,
    'the stylesheet loads nothing from elsewhere',
  );
});

test('every message key the console uses is in en.json and zh.json, and both hold the same keys', () => {
  const en = JSON.parse(readFileSync(join(WEB, 'i18n/en.json'), 'utf8'));
  const zh = JSON.parse(readFileSync(join(WEB, 'i18n/zh.json'), 'utf8'));
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  for (const [k, v] of Object.entries(zh)) {
    assert.ok(typeof v === 'string' && v.length > 0, k);
    const vars = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(vars(v), vars(en[k]), `${k}: the same placeholders`);
  }
  const used = new Set();
  for (const path of webFiles.filter((p) => p.endsWith('.js'))) {
    const code = readFileSync(join(WEB, path), 'utf8');
    for (const m of code.matchAll(/\bt\(\s*'([a-z_]+\.[a-z0-9_.]+)'/g)) used.add(m[1]);
    // keys built from a prefix: t(`confirm.${kind}.yes`) -> every listed kind must exist
    for (const m of code.matchAll(/\bt\(\s*`([a-z_.]+)\$\{[^}]+\}([a-z_.]*)`/g)) {
      const hits = Object.keys(en).filter((k) => k.startsWith(m[1]) && k.endsWith(m[2]));
      assert.ok(hits.length > 0, `${path}: no key matches ${m[1]}*${m[2]}`);
    }
  }
  const missing = [...used].filter((k) => !(k in en));
  assert.deepEqual(missing, [], 'keys used but missing from the catalogues');
  for (const kind of [
    'disable',
    'enable',
    'delete',
    'reset_mfa',
    'force_reset',
    'resend',
    'unban',
  ]) {
    for (const k of [
      `confirm.${kind}.title`,
      `confirm.${kind}.text`,
      `confirm.${kind}.yes`,
      `done.${kind}`,
      `actions.${kind}`,
      `row.${kind}`,
      `results.title.${kind}`,
    ])
      assert.ok(k in en, k);
  }
  assert.equal(en['confirm.disable.yes'], 'Yes, disable it!');
  assert.equal(en['confirm.enable.yes'], 'Yes, enable it!');
  assert.equal(en['confirm.delete.yes'], 'Yes, delete it!');
});
