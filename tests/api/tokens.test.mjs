// API tokens with a lifecycle (SECURITY S11) and the reset links that die with a password (A8):
//   - `gatehouse token create` gives 90 days unless --expires-in says otherwise (never only when
//     asked); `token list` shows id, user, name, created, expires and never a token or hash;
//     `token revoke ID` ends one at once, audited as token.revoke with the token's id only;
//   - GET/DELETE /api/v1/me/tokens[/{id}] for one's own, GET /api/v1/users/{id}/tokens and
//     DELETE /api/v1/users/{id}/tokens/{tid} for admins in scope (404 outside it, 403 without the
//     permission or without the target's permissions);
//   - a token's bearer is refused at once after disable, delete, force-reset, reset-MFA, its
//     user's own password change (which keeps the current session only), the forced change at
//     sign-in, a reset link, enforce SSO turned on and login turned off;
//   - a pending reset link is void after a password change by any path, disable and delete;
//   - POST /api/v1/password-reset answers byte for byte the same for known, unknown, disabled and
//     rate-limited names, and writes the same rows (one outbox row, one link, one audit row).
// One server (and one SMTP sink) for the file; every test makes its own users, so each passes
// alone with --test-name-pattern.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  createUser,
  signIn,
  withCookie,
  changeForced,
  strongPassword,
  adminWith,
  cliResult,
  auditRows,
  dbQuery,
  outboxLastId,
  outboxSettled,
  ssoSource,
} from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';
import { startSmtp, linkToken } from './lib/smtp.mjs';

let srv, smtp;
const DAY = 86400;

before(async () => {
  smtp = await startSmtp();
  srv = await startServer({ args: ['--smtp-url', smtp.url, '--mail-retry-seconds', '1'] });
});

after(async () => {
  await srv?.stop();
  await smtp?.stop();
});

const newToken = (username, ...more) =>
  srv.cli(['token', 'create', '--user', username, ...more]).trim();
// Whether a bearer token still authenticates (any signed-in principal may read the catalogue).
async function works(token) {
  const r = await srv.api('GET', '/api/v1/permissions', { token });
  assert.ok(r.status === 200 || r.status === 401, `unexpected ${r.status}`);
  return r.status === 200;
}
// A user with an initial password (active, must change it) and a live bearer token.
async function withToken(over = {}) {
  const u = await createUser(srv, over);
  const token = newToken(u.username);
  assert.ok(await works(token), 'the new token works');
  return { ...u, token };
}
// A user signed all the way in (forced change done), then given a token.
async function signedIn() {
  const u = await createUser(srv);
  const s = await signIn(srv, u.username, u.password);
  assert.equal(s.body.next, 'change_password', JSON.stringify(s.body));
  const password = strongPassword();
  await changeForced(srv, s.cookie, password);
  const token = newToken(u.username);
  return { ...u, password, cookie: s.cookie, as: withCookie(srv, s.cookie), token };
}
const tokenIds = async (userId) =>
  (await srv.api('GET', `/api/v1/users/${userId}/tokens`)).body.items.map((t) => t.id);

function assertNoSecret(item, token) {
  assert.deepEqual(Object.keys(item).sort(), ['created_at', 'expires_at', 'id', 'name', 'user_id']);
  assert.ok(
    !JSON.stringify(item).includes(token.slice(3)),
    'the token itself is never shown again',
  );
}

test('CLI: 90 days by default, --expires-in never only when asked; token list shows no secret; token revoke ends it at once', async () => {
  const u = await createUser(srv);
  const plain = newToken(u.username, '--name', 'default');
  const forever = newToken(u.username, '--name', 'forever', '--expires-in', 'never');
  const hour = newToken(u.username, '--name', 'hour', '--expires-in', '1h');
  assert.equal(
    cliResult(srv.db, ['token', 'create', '--user', u.username, '--expires-in', 'soon']).code,
    2,
  );

  const list = cliResult(srv.db, ['token', 'list', '--user', u.username]);
  assert.equal(list.code, 0, list.stderr);
  const rows = list.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'));
  assert.deepEqual(
    rows.map((r) => [r[1], r[2]]),
    [
      [u.username, 'default'],
      [u.username, 'forever'],
      [u.username, 'hour'],
    ],
  );
  const at = (s) => Date.parse(s) / 1000;
  assert.ok(
    Math.abs(at(rows[0][4]) - at(rows[0][3]) - 90 * DAY) <= 2,
    `default lifetime: ${rows[0]}`,
  );
  assert.equal(rows[1][4], 'never');
  assert.ok(Math.abs(at(rows[2][4]) - at(rows[2][3]) - 3600) <= 2, `1h: ${rows[2]}`);
  for (const t of [plain, forever, hour])
    assert.ok(!list.stdout.includes(t.slice(3)), 'no token in the list');
  assert.doesNotMatch(list.stdout, /[0-9a-f]{64}/, 'no hash in the list');
  const all = cliResult(srv.db, ['token', 'list']);
  assert.ok(all.stdout.includes(`\t${u.username}\tforever\t`), 'without --user: every user');

  // the API says the same
  const api = await srv.api('GET', `/api/v1/users/${u.user.id}/tokens`);
  assert.equal(api.status, 200, JSON.stringify(api.body));
  assert.equal(api.body.items.length, 3);
  for (const item of api.body.items) assertNoSecret(item, plain);
  assert.equal(api.body.items[1].expires_at, null, 'never expires');

  const id = rows[1][0];
  assert.ok(await works(forever));
  const rv = cliResult(srv.db, ['token', 'revoke', id]);
  assert.equal(rv.code, 0, rv.stderr);
  assert.equal(await works(forever), false, 'a revoked token is refused at once');
  assert.ok(await works(plain), 'the others still work');
  assert.notEqual(cliResult(srv.db, ['token', 'revoke', id]).code, 0, 'revoked twice');
  const audit = await auditRows(srv, 'token.revoke', u.user.id);
  assert.equal(audit.length, 1);
  assert.equal(audit[0].after.id, Number(id));
  const trail = JSON.stringify(
    (await srv.api('GET', `/api/v1/audit?target_id=${u.user.id}&limit=200`)).body,
  );
  for (const t of [plain, forever, hour])
    assert.ok(!trail.includes(t.slice(3)), 'no token in the audit trail (L3)');
});

test('GET and DELETE /api/v1/me/tokens: own tokens only, by a signed-in session', async () => {
  const me = await signedIn();
  const other = await withToken();
  const mine = await me.as('GET', '/api/v1/me/tokens');
  assert.equal(mine.status, 200, JSON.stringify(mine.body));
  assert.equal(mine.body.items.length, 1);
  assertNoSecret(mine.body.items[0], me.token);
  assert.equal(mine.body.items[0].user_id, me.user.id);
  const [otherId] = await tokenIds(other.user.id);
  assert.equal(
    (await me.as('DELETE', `/api/v1/me/tokens/${otherId}`)).status,
    404,
    "someone else's token",
  );
  assert.ok(await works(other.token));
  assert.equal((await me.as('DELETE', '/api/v1/me/tokens/999999')).status, 404);
  // a bearer token is not a session: it cannot list or revoke tokens
  assert.equal((await srv.api('GET', '/api/v1/me/tokens', { token: me.token })).status, 403);
  const del = await me.as('DELETE', `/api/v1/me/tokens/${mine.body.items[0].id}`);
  assert.equal(del.status, 204, JSON.stringify(del.body));
  assert.equal(await works(me.token), false, 'refused at once');
  assert.deepEqual((await me.as('GET', '/api/v1/me/tokens')).body.items, []);
  const audit = await auditRows(srv, 'token.revoke', me.user.id);
  assert.equal(audit[0].actor_id, me.user.id);
  assert.equal(audit[0].after.id, mine.body.items[0].id);
});

test("admins list and revoke tokens of users in their scope only (404 outside, 403 without users.update or the target's permissions)", async () => {
  const p1 = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('P1 ') },
  });
  const p2 = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('P2 ') },
  });
  const admin = await adminWith(srv, ['users.read', 'users.update'], {
    provider_id: p1.body.id,
    access: { level: 'provider' },
  });
  const reader = await adminWith(srv, ['users.read'], {
    provider_id: p1.body.id,
    access: { level: 'provider' },
  });
  const inside = await withToken({ provider_id: p1.body.id, access: { level: 'provider' } });
  const outside = await withToken({ provider_id: p2.body.id, access: { level: 'provider' } });
  const strong = await adminWith(srv, ['users.read', 'users.update', 'users.delete'], {
    provider_id: p1.body.id,
    access: { level: 'provider' },
  });
  const [insideId] = await tokenIds(inside.user.id);
  const [outsideId] = await tokenIds(outside.user.id);
  const [strongId] = await tokenIds(strong.user.id);
  const as = (who) => (m, path) => srv.api(m, path, { token: who.token });

  const l = await as(admin)('GET', `/api/v1/users/${inside.user.id}/tokens`);
  assert.equal(l.status, 200, JSON.stringify(l.body));
  assert.deepEqual(
    l.body.items.map((t) => t.id),
    [insideId],
  );
  assertNoSecret(l.body.items[0], inside.token);
  // outside the scope: 404 whether or not the user or token exists, in lists and revokes
  for (const path of [`/api/v1/users/${outside.user.id}/tokens`, '/api/v1/users/999999/tokens']) {
    const r = await as(admin)('GET', path);
    assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
  }
  const out = await as(admin)('DELETE', `/api/v1/users/${outside.user.id}/tokens/${outsideId}`);
  const none = await as(admin)('DELETE', '/api/v1/users/999999/tokens/999999');
  assert.deepEqual([out.status, none.status], [404, 404]);
  assert.equal(out.body.detail, none.body.detail, 'the same answer as for nothing at all');
  assert.ok(await works(outside.token));
  // a token of another user through an inside user's path: no such token
  assert.equal(
    (await as(admin)('DELETE', `/api/v1/users/${inside.user.id}/tokens/${outsideId}`)).status,
    404,
  );
  assert.ok(await works(outside.token));
  // users.read lists but does not revoke; a more powerful target is off limits
  assert.equal((await as(reader)('GET', `/api/v1/users/${inside.user.id}/tokens`)).status, 200);
  assert.equal(
    (await as(reader)('DELETE', `/api/v1/users/${inside.user.id}/tokens/${insideId}`)).status,
    403,
  );
  assert.equal(
    (await as(admin)('DELETE', `/api/v1/users/${strong.user.id}/tokens/${strongId}`)).status,
    403,
  );
  assert.ok(await works(strong.token));

  const del = await as(admin)('DELETE', `/api/v1/users/${inside.user.id}/tokens/${insideId}`);
  assert.equal(del.status, 204, JSON.stringify(del.body));
  assert.equal(await works(inside.token), false, 'refused at once');
  const audit = await auditRows(srv, 'token.revoke', inside.user.id);
  assert.equal(audit[0].actor_id, admin.user.id);
  assert.equal(audit[0].after.id, insideId);
});

// ---- a token ends with the user's sessions: one event per test ----

async function endsWith(action) {
  const u = await withToken();
  const r = await srv.api(
    action === 'delete' ? 'DELETE' : 'POST',
    action === 'delete' ? `/api/v1/users/${u.user.id}` : `/api/v1/users/${u.user.id}/${action}`,
  );
  assert.ok(
    r.status === 200 || r.status === 204,
    `${action}: ${r.status} ${JSON.stringify(r.body)}`,
  );
  assert.equal(await works(u.token), false, `${action}: the token is refused at once`);
  return u;
}

test('token refused at once after disable (and still after enable)', async () => {
  const u = await endsWith('disable');
  assert.equal((await srv.api('POST', `/api/v1/users/${u.user.id}/enable`)).status, 200);
  assert.equal(await works(u.token), false, 'enabling does not bring it back');
});

test('token refused at once after delete', async () => {
  await endsWith('delete');
});

test('token refused at once after force-password-reset', async () => {
  await endsWith('force-password-reset');
});

test('token refused at once after reset-mfa', async () => {
  await endsWith('reset-mfa');
});

test('own password change: the current session stays, the other sessions and every token end', async () => {
  const me = await signedIn();
  const second = await signIn(srv, me.username, me.password);
  assert.equal(second.body.next, 'done');
  const other = newToken(me.username, '--expires-in', 'never');
  const r = await me.as('POST', '/api/v1/me/password', {
    body: { current_password: me.password, password: strongPassword() },
  });
  assert.equal(r.status, 204, JSON.stringify(r.body));
  assert.equal(await works(me.token), false, 'the token is refused at once');
  assert.equal(await works(other), false, 'a never-expiring one too');
  assert.equal(
    (await me.as('GET', '/api/v1/session')).status,
    200,
    'the session that changed it stays',
  );
  assert.equal(
    (await withCookie(srv, second.cookie)('GET', '/api/v1/session')).status,
    401,
    'the other session ended',
  );
});

test('token refused at once after the forced password change at sign-in', async () => {
  const u = await withToken();
  const s = await signIn(srv, u.username, u.password);
  assert.equal(s.body.next, 'change_password');
  await changeForced(srv, s.cookie, strongPassword());
  assert.equal(await works(u.token), false);
});

test('token refused at once after a password reset from the e-mailed link', async () => {
  const u = await withToken();
  assert.equal(
    (
      await srv.api('POST', '/api/v1/password-reset', {
        token: null,
        body: { username: u.username },
      })
    ).status,
    202,
  );
  const link = linkToken(
    await smtp.waitFor(smtp.to(u.user.email), { what: 'the reset e-mail' }),
    'reset',
  );
  const r = await srv.api('POST', `/api/v1/password-reset/${link}`, {
    token: null,
    body: { password: strongPassword() },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(await works(u.token), false);
});

test('token refused at once after enforce SSO is turned on, and after login is turned off', async () => {
  const idp = (await ssoSource(srv, uniq('tok-idp-'))).name;
  for (const change of [
    { enforce_sso: true, sso_source: idp, sso_id: uniq('sso-') },
    { login_enabled: false },
  ]) {
    const u = await withToken();
    const r = await srv.api('PATCH', `/api/v1/users/${u.user.id}`, { body: change });
    assert.equal(r.status, 200, `${JSON.stringify(change)}: ${JSON.stringify(r.body)}`);
    assert.equal(await works(u.token), false, JSON.stringify(change));
    const undo = change.enforce_sso ? { enforce_sso: false } : { login_enabled: true };
    assert.equal(
      (await srv.api('PATCH', `/api/v1/users/${u.user.id}`, { body: undo })).status,
      200,
    );
    assert.equal(
      await works(u.token),
      false,
      `${JSON.stringify(change)} undone: the token stays dead`,
    );
  }
});

// ---- a pending reset link is void once the password changes another way, or the account goes ----

async function pendingReset(u) {
  const before = smtp.messages().filter(smtp.to(u.user.email)).length;
  assert.equal(
    (
      await srv.api('POST', '/api/v1/password-reset', {
        token: null,
        body: { username: u.username },
      })
    ).status,
    202,
  );
  await smtp.waitFor(() => smtp.messages().filter(smtp.to(u.user.email)).length > before, {
    what: 'the reset e-mail',
  });
  const link = linkToken(smtp.messages().filter(smtp.to(u.user.email)).at(-1), 'reset');
  const st = await srv.api('GET', `/api/v1/password-reset/${link}`, { token: null });
  assert.equal(st.body.state, 'pending', JSON.stringify(st.body));
  return link;
}

async function assertVoid(link, what) {
  const st = await srv.api('GET', `/api/v1/password-reset/${link}`, { token: null });
  assert.equal(st.status, 200, `${what}: ${JSON.stringify(st.body)}`);
  assert.equal(st.body.state, 'void', `${what}: ${JSON.stringify(st.body)}`);
  const use = await srv.api('POST', `/api/v1/password-reset/${link}`, {
    token: null,
    body: { password: strongPassword() },
  });
  assert.equal(use.status, 410, `${what}: ${JSON.stringify(use.body)}`);
}

test('reset link void after the own password change', async () => {
  const me = await signedIn();
  const link = await pendingReset(me);
  const r = await me.as('POST', '/api/v1/me/password', {
    body: { current_password: me.password, password: strongPassword() },
  });
  assert.equal(r.status, 204, JSON.stringify(r.body));
  await assertVoid(link, 'own change');
});

test('reset link void after the forced change at sign-in', async () => {
  const u = await createUser(srv);
  const link = await pendingReset(u);
  const s = await signIn(srv, u.username, u.password);
  await changeForced(srv, s.cookie, strongPassword());
  await assertVoid(link, 'forced change');
});

test('reset link void after an admin force-reset, disable or delete', async () => {
  for (const [method, action] of [
    ['POST', 'force-password-reset'],
    ['POST', 'disable'],
    ['DELETE', ''],
  ]) {
    const u = await createUser(srv);
    const link = await pendingReset(u);
    const r = await srv.api(method, `/api/v1/users/${u.user.id}${action ? `/${action}` : ''}`);
    assert.ok(
      r.status === 200 || r.status === 204,
      `${action || 'delete'}: ${JSON.stringify(r.body)}`,
    );
    await assertVoid(link, action || 'delete');
    if (action === 'disable') {
      // enabling again does not bring it back
      assert.equal((await srv.api('POST', `/api/v1/users/${u.user.id}/enable`)).status, 200);
      await assertVoid(link, 'disable, then enable');
    }
  }
});

test('onboarding completion needs no void: an invited user gets no reset link', async () => {
  const inv = await createUser(srv, { password: null });
  const r = await srv.api('POST', '/api/v1/password-reset', {
    token: null,
    body: { username: inv.username },
  });
  assert.equal(r.status, 202);
  const rows = await auditRows(srv, 'password_reset.requested', inv.user.id);
  assert.deepEqual(
    [rows[0].after.sent, rows[0].after.reason],
    [false, 'ineligible'],
    'an invited user has no password to reset',
  );
});

// ---- forgot password: the same answer and the same writes whatever the name (A6) ----

const volatile = new Set(['date', 'x-request-id']);
function shape(r) {
  const headers = [...r.headers.entries()].filter(([k]) => !volatile.has(k)).sort();
  const body =
    typeof r.body === 'string' ? r.body : JSON.stringify({ ...r.body, request_id: undefined });
  return JSON.stringify({ status: r.status, headers, body });
}
const rowCounts = () =>
  dbQuery(
    srv,
    "SELECT (SELECT COUNT(*) FROM outbox) || '|' || (SELECT COUNT(*) FROM user_links) || '|' || (SELECT COUNT(*) FROM audit WHERE action = 'password_reset.requested')",
  ).trim();

test('forgot password: byte-identical answers and the same rows for known, unknown, disabled and rate-limited names', async () => {
  const since = outboxLastId(srv);
  const known = await createUser(srv);
  const disabled = await createUser(srv);
  assert.equal((await srv.api('POST', `/api/v1/users/${disabled.user.id}/disable`)).status, 200);
  const busy = await createUser(srv);
  const ask = (username) =>
    srv.api('POST', '/api/v1/password-reset', { token: null, body: { username } });
  for (let i = 0; i < 5; i++) assert.equal((await ask(busy.username)).status, 202); // the hourly budget
  const cases = {
    known: known.username,
    unknown: uniq('nobody'),
    disabled: disabled.username,
    'rate-limited': busy.username,
  };
  const answers = {};
  for (const [what, name] of Object.entries(cases)) {
    const before = rowCounts().split('|').map(Number);
    answers[what] = await ask(name);
    const afterCounts = rowCounts().split('|').map(Number);
    assert.deepEqual(
      afterCounts.map((n, i) => n - before[i]),
      [1, 1, 1],
      `${what}: one outbox row, one link, one audit row`,
    );
  }
  for (const [what, r] of Object.entries(answers)) {
    assert.equal(r.status, 202, what);
    assert.equal(shape(r), shape(answers.known), `${what} answers like a known name`);
  }
  const reasons = {};
  for (const [what, u] of Object.entries({ known, disabled, 'rate-limited': busy })) {
    reasons[what] = (await auditRows(srv, 'password_reset.requested', u.user.id))[0].after;
  }
  assert.deepEqual(reasons, {
    known: { sent: true },
    disabled: { sent: false, reason: 'ineligible' },
    'rate-limited': { sent: false, reason: 'rate' },
  });
  // only the known, eligible name got an e-mail; the dropped rows are never sent
  await smtp.waitFor(smtp.to(known.user.email), { what: 'the reset e-mail' });
  await outboxSettled(srv, since); // every row of this test sent or dropped: none comes later
  assert.equal(smtp.messages().filter(smtp.to(disabled.user.email)).length, 0);
  // (each of the five voided the one before it: the sender drops superseded ones)
  assert.ok(smtp.messages().filter(smtp.to(busy.user.email)).length <= 5);
  const dropped = dbQuery(
    srv,
    "SELECT COUNT(*) FROM outbox WHERE state = 'cancelled' AND to_addr = '' AND last_error LIKE 'dropped%'",
  ).trim();
  assert.ok(Number(dropped) >= 3, `dropped rows: ${dropped}`);
});
