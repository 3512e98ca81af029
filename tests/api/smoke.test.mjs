// The server starts, answers its operations endpoints and stops cleanly on SIGTERM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv.stop();
});

test('healthz answers ok without a token, with the version, commit and libraries', async () => {
  const r = await srv.api('GET', '/healthz', { token: null });
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'ok');
  assert.match(r.body.version, /^\d+\.\d+\.\d+$/);
  assert.match(r.body.commit, /^([0-9a-f]{7,40}|unknown)$/);
  for (const lib of ['sqlite', 'libpq', 'libmicrohttpd', 'libsodium', 'libcurl', 'jansson'])
    assert.match(r.body.libraries[lib], /^\d+\.\d+/, lib);
});

test('readyz answers ready when the database is migrated', async () => {
  const r = await srv.api('GET', '/readyz', { token: null });
  assert.equal(r.status, 200);
});

test('every response carries the security headers', async () => {
  const r = await srv.api('GET', '/api/v1/users');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.match(r.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
});
