// PATCH /api/v1/me/profile: a signed-in user sets its own language and timezone (My profile in the
// console) without any users.* permission, and nothing else; bad values name their field; bearer
// tokens and cross-site requests are refused; the change is audited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, readyUser, auditRows } from './lib/server.mjs';

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

test('a user without permissions sets its own language and timezone, and only those', async () => {
  const u = await readyUser(srv);
  const before = (await srv.api('GET', `/api/v1/users/${u.user.id}`)).body;
  const r = await u.as('PATCH', '/api/v1/me/profile', {
    body: { language: 'zh', timezone: 'Asia/Shanghai' },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.language, 'zh');
  assert.equal(r.body.timezone, 'Asia/Shanghai');
  const after = (await srv.api('GET', `/api/v1/users/${u.user.id}`)).body;
  for (const k of [
    'email',
    'status',
    'role_ids',
    'group_ids',
    'access',
    'mfa_required',
    'login_enabled',
    'provider_id',
  ])
    assert.deepEqual(after[k], before[k], k);
  const only = await u.as('PATCH', '/api/v1/me/profile', { body: { timezone: 'Europe/Paris' } });
  assert.equal(only.body.language, 'zh', 'an absent field stays');
  assert.equal(only.body.timezone, 'Europe/Paris');
  const rows = await auditRows(srv, 'user.update_own', u.user.id);
  assert.equal(rows.length, 2);
  assert.equal(rows[0].actor_id, u.user.id);
  assert.equal(rows[1].before.language, 'en');
  assert.equal(rows[1].after.language, 'zh');
});

test('bad values name their field; other fields are refused; no bearer token, no cross-site request', async () => {
  const u = await readyUser(srv);
  for (const [body, field] of [
    [{ language: 'fr' }, 'language'],
    [{ timezone: 'Mars/Olympus' }, 'timezone'],
    [{ timezone: '../../etc/passwd' }, 'timezone'],
    [{ email: 'x@example.com' }, 'email'],
    [{ role_ids: [1] }, 'role_ids'],
  ]) {
    const r = await u.as('PATCH', '/api/v1/me/profile', { body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.errors[0].field, field, JSON.stringify(r.body));
  }
  const bearer = await srv.api('PATCH', '/api/v1/me/profile', { body: { language: 'zh' } });
  assert.equal(bearer.status, 403, 'session-only: a bearer token may not');
  const cross = await u.as('PATCH', '/api/v1/me/profile', {
    body: { language: 'zh' },
    origin: 'https://evil.example',
  });
  assert.equal(cross.status, 403);
  assert.equal((await srv.api('GET', `/api/v1/users/${u.user.id}`)).body.language, 'en');
});
