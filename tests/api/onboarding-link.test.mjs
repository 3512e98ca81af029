// "Without --smtp-url ... the admin can copy the onboarding link from the user's page": a full
// user admin makes a link to hand over (shown once, only its hash stored), which voids the
// e-mailed one; the user onboards with it once; nobody else can make one (403), and no token
// reaches the audit trail or the logs (A8, L3).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  adminWith,
  signIn,
  strongPassword,
  auditRows,
  dbQuery,
} from './lib/server.mjs';
import { uniq, USERS_ALL } from './lib/helpers.mjs';

let srv;

before(async () => {
  srv = await startServer({ args: ['--external-url', 'https://bo.example.com/'] });
});
after(async () => {
  await srv?.stop();
});

async function invite() {
  const username = uniq('copy');
  const r = await srv.api('POST', '/api/v1/users', {
    body: { username, email: `${username}@example.com` },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.onboarding.delivery.state, 'queued', 'no --smtp-url: the e-mail waits');
  return { user: r.body, username };
}

test('a copied link onboards the user once; the queued e-mail link is void; the record shows it', async () => {
  const { user, username } = await invite();
  const r = await srv.api('POST', `/api/v1/users/${user.id}/onboarding-link`);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const m = /^https:\/\/bo\.example\.com\/onboarding\/([A-Za-z0-9_-]{40,})$/.exec(r.body.url);
  assert.ok(m, r.body.url);
  const token = m[1];
  assert.ok(Date.parse(r.body.expires_at) - Date.now() > 23.9 * 3600 * 1000, r.body.expires_at);
  assert.equal(r.headers.get('cache-control'), 'no-store');

  const rec = await srv.api('GET', `/api/v1/users/${user.id}`);
  assert.equal(rec.body.onboarding.state, 'pending');
  assert.equal(rec.body.onboarding.delivery, null, 'a copied link has no e-mail delivery');
  assert.equal(rec.body.onboarding.expires_at, r.body.expires_at);
  assert.ok(!JSON.stringify(rec.body).includes(token));
  assert.equal(
    dbQuery(srv, `SELECT COUNT(*) FROM user_links WHERE token_hash = '${token}'`).trim(),
    '0',
    'only the hash is stored',
  );

  const state = await srv.api('GET', `/api/v1/onboarding/${token}`, { token: null });
  assert.equal(state.status, 200, JSON.stringify(state.body));
  assert.equal(state.body.state, 'pending');
  const password = strongPassword();
  const done = await srv.api('POST', `/api/v1/onboarding/${token}`, {
    token: null,
    body: { password },
  });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  const again = await srv.api('POST', `/api/v1/onboarding/${token}`, {
    token: null,
    body: { password: strongPassword() },
  });
  assert.equal(again.status, 410, 'the link works once');
  const s = await signIn(srv, username, password);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.next, 'done');

  const rows = await auditRows(srv, 'onboarding.link_copied', user.id);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].actor, 'root');
  for (const line of srv.logs) assert.ok(!line.includes(token), 'no token in the logs');
  const all = await srv.api('GET', `/api/v1/audit?target_id=${user.id}&limit=200`);
  assert.ok(!JSON.stringify(all.body).includes(token), 'no token in the audit trail');
});

test('a new copied link voids the previous one; active users get 409; partial admins 403; unknown ids 404', async () => {
  const { user } = await invite();
  const first = await srv.api('POST', `/api/v1/users/${user.id}/onboarding-link`);
  const second = await srv.api('POST', `/api/v1/users/${user.id}/onboarding-link`);
  assert.equal(second.status, 201);
  const old = first.body.url.split('/').pop();
  assert.equal(
    (await srv.api('GET', `/api/v1/onboarding/${old}`, { token: null })).body.state,
    'void',
  );

  const partial = await adminWith(
    srv,
    USERS_ALL.filter((p) => p !== 'users.delete'),
  );
  const denied = await srv.api('POST', `/api/v1/users/${user.id}/onboarding-link`, {
    token: partial.token,
  });
  assert.equal(denied.status, 403, JSON.stringify(denied.body));
  assert.equal(denied.body.url, undefined);

  const active = await srv.api('POST', '/api/v1/users', {
    body: { username: uniq('act'), email: `${uniq('a')}@example.com`, password: strongPassword() },
  });
  const conflict = await srv.api('POST', `/api/v1/users/${active.body.id}/onboarding-link`);
  assert.equal(conflict.status, 409, JSON.stringify(conflict.body));
  assert.equal((await srv.api('POST', '/api/v1/users/999999/onboarding-link')).status, 404);
});
