// SECURITY S8: security headers on every response, success or failure, API or operations: a
// Content-Security-Policy without inline script and with frame-ancestors 'none', nosniff, a
// Referrer-Policy, Cache-Control: no-store on /api/ responses, and HSTS only when served behind
// TLS (--external-url https://...), never over plain http.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signIn, ROOT_PASSWORD } from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';

const EXTERNAL = 'https://gatehouse.example.com';
let plain;
let tls;
let plainResponses;
let tlsResponses;

// A low sign-in budget makes the throttle's 429 one request away.
const ARGS = ['--signin-rate-per-minute', '1'];

before(async () => {
  plain = await startServer({ args: ARGS });
  tls = await startServer({ args: [...ARGS, '--external-url', EXTERNAL] });
  plainResponses = await responses(plain);
  tlsResponses = await responses(tls);
});
after(async () => {
  await plain?.stop();
  await tls?.stop();
});

// One response of each kind, gathered once per server (the last two spend its sign-in budget);
// status is what it must be, so that the table proves its coverage.
async function responses(srv) {
  const origin = { origin: srv === tls ? EXTERNAL : srv.base };
  const out = [];
  const add = (what, status, r, path) => out.push({ what, status, r, path });
  add('200 JSON', 200, await srv.api('GET', '/api/v1/users?limit=1'), '/api/v1/users');
  add(
    '201 JSON',
    201,
    await srv.api('POST', '/api/v1/tenants', {
      body: { kind: 'service_provider', name: uniq('Headers ') },
    }),
    '/api/v1/tenants',
  );
  add('404 problem', 404, await srv.api('GET', '/api/v1/no-such-thing'), '/api/v1/no-such-thing');
  add('401 problem', 401, await srv.api('GET', '/api/v1/users', { token: null }), '/api/v1/users');
  add(
    '400 problem',
    400,
    await srv.api('POST', '/api/v1/tenants', {
      body: { kind: 'service_provider', name: 'x', bogus: 1 },
    }),
    '/api/v1/tenants',
  );
  add('405 problem', 405, await srv.api('PUT', '/api/v1/users'), '/api/v1/users');
  add(
    '413 problem',
    413,
    await srv.api('POST', '/api/v1/tenants', {
      raw: 'x'.repeat(70 * 1024),
      headers: { 'content-type': 'application/json' },
    }),
    '/api/v1/tenants',
  );
  add('/healthz', 200, await srv.api('GET', '/healthz', { token: null }), '/healthz');
  add('/readyz', 200, await srv.api('GET', '/readyz', { token: null }), '/readyz');
  add('/metrics', 200, await srv.api('GET', '/metrics'), '/metrics');
  add(
    'OpenAPI',
    200,
    await srv.api('GET', '/api/v1/openapi.json', { token: null }),
    '/api/v1/openapi.json',
  );
  const ok = await signIn(srv, 'root', ROOT_PASSWORD, { headers: origin });
  add('sign-in 200 with a cookie', 200, ok, '/api/v1/session');
  add(
    'sign-out 204',
    204,
    await srv.api('DELETE', '/api/v1/session', {
      token: null,
      headers: { cookie: ok.cookie, ...origin },
    }),
    '/api/v1/session',
  );
  add('sign-in 401', 401, await signIn(srv, 'root', 'not the password at all'), '/api/v1/session');
  add('throttle 429', 429, await signIn(srv, 'root', ROOT_PASSWORD), '/api/v1/session');
  return out;
}

// The directives of a CSP header: name -> list of sources.
function csp(header) {
  const d = {};
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) d[name.toLowerCase()] = sources;
  }
  return d;
}

function assertCommon(x) {
  const { what, status, r, path } = x;
  assert.equal(r.status, status, `${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  const h = r.headers;
  const policy = h.get('content-security-policy');
  assert.ok(policy, `${what}: no Content-Security-Policy`);
  const d = csp(policy);
  const scripts = d['script-src'] ?? d['default-src'];
  assert.ok(scripts, `${what}: the CSP restricts no scripts: ${policy}`);
  for (const bad of ["'unsafe-inline'", "'unsafe-eval'", '*', 'data:', 'http:', 'https:']) {
    assert.ok(!scripts.includes(bad), `${what}: script sources allow ${bad}: ${policy}`);
  }
  assert.deepEqual(d['frame-ancestors'], ["'none'"], `${what}: frame-ancestors: ${policy}`);
  assert.equal(h.get('x-content-type-options'), 'nosniff', what);
  const referrer = h.get('referrer-policy');
  assert.ok(
    ['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin'].includes(
      referrer,
    ),
    `${what}: Referrer-Policy ${referrer}`,
  );
  if (path.startsWith('/api/')) {
    assert.match(
      h.get('cache-control') || '',
      /(^|,\s*)no-store(\s*,|$)/,
      `${what}: Cache-Control ${h.get('cache-control')}`,
    );
  }
  if (status === 429) assert.match(h.get('retry-after') || '', /^\d+$/, `${what}: Retry-After`);
}

test('S8: every kind of response carries the CSP, nosniff, Referrer-Policy and, under /api/, no-store', async () => {
  for (const x of [...plainResponses, ...tlsResponses]) assertCommon(x);
});

test('S8: no HSTS over plain http', async () => {
  for (const x of plainResponses) {
    assert.equal(
      x.r.headers.get('strict-transport-security'),
      null,
      `${x.what}: HSTS over plain http`,
    );
  }
});

test('S8: HSTS on every response when served behind TLS (--external-url https://...)', async () => {
  for (const x of tlsResponses) {
    const hsts = x.r.headers.get('strict-transport-security');
    const m = /(?:^|;)\s*max-age=(\d+)/i.exec(hsts || '');
    assert.ok(m, `${x.what}: Strict-Transport-Security ${hsts}`);
    assert.ok(Number(m[1]) >= 15552000, `${x.what}: HSTS max-age below 180 days: ${hsts}`);
  }
});

test('HEAD answers like GET without a body, with the same headers and authentication', async () => {
  const h = await fetch(`${plain.base}/healthz`, { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(await h.text(), '');
  assert.match(h.headers.get('content-security-policy') || '', /frame-ancestors 'none'/);
  const anon = await fetch(`${plain.base}/api/v1/users`, { method: 'HEAD' });
  assert.equal(anon.status, 401, 'HEAD needs the same credentials as GET');
  const ok = await fetch(`${plain.base}/api/v1/users?limit=1`, {
    method: 'HEAD',
    headers: { authorization: `Bearer ${plain.token}` },
  });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), '');
  assert.equal(ok.headers.get('cache-control'), 'no-store');
});
