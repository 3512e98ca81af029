// Delegated administration after the security review (SECURITY C6-C9) and the session items that
// go with it: every scope and grant check uses the actor's rights as they were before the request
// (C6), role and group edits need every permission before and after (C7), a Platform User lives in
// one account (C8), nothing outside the scope leaves an existence signal (C9), enforced SSO and
// disabled login end sessions (S4), a partial session reads only its next step (S9), and replacing
// a TOTP device needs re-authentication (S10). One server for the file; each test builds what it
// needs, so any one of them passes alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  adminWith,
  sansRequestId,
  readyUser,
  signIn,
  withCookie,
  enrolTotp,
  oathtool,
  auditRows,
  createUser,
  ssoSource,
} from './lib/server.mjs';
import { assertProblem, ok, uniq, USERS_ALL } from './lib/helpers.mjs';

let srv;
const T = {};

const tenant = async (kind, name, parent) =>
  (
    await ok(
      srv.api('POST', '/api/v1/tenants', {
        body: { kind, name: uniq(name), parent_id: parent ?? null },
      }),
    )
  ).id;

before(async () => {
  srv = await startServer();
  T.A = await tenant('service_provider', 'Dlg A');
  T.B = await tenant('service_provider', 'Dlg B');
  await ssoSource(srv, 'corp', T.A);
  await ssoSource(srv, 'corp-staff'); /* the platform's own */
  T.A1 = await tenant('platform_account', 'A1', T.A);
  T.A2 = await tenant('platform_account', 'A2', T.A);
  T.B1 = await tenant('platform_account', 'B1', T.B);
  T.A1a = await tenant('sub_account', 'A1a', T.A1);
  T.A1b = await tenant('sub_account', 'A1b', T.A1);
  T.puA = (
    await ok(
      srv.api('POST', '/api/v1/roles', {
        body: { name: uniq('PU A'), kind: 'platform_user', provider_id: T.A, permissions: [] },
      }),
    )
  ).id;
});

after(async () => {
  await srv?.stop();
});

const userBody = (extra = {}) => {
  const username = uniq('dlg');
  return { username, email: `${username}@example.com`, provider_id: T.A, ...extra };
};
// A role of provider A with these permissions (and extra fields), created by root.
const role = (name, permissions, extra = {}) =>
  ok(
    srv.api('POST', '/api/v1/roles', {
      body: { name: uniq(name), kind: 'service_provider', provider_id: T.A, permissions, ...extra },
    }),
  );
const get = async (id, token) => srv.api('GET', `/api/v1/users/${id}`, token ? { token } : {});
const patch = (id, body, token) => srv.api('PATCH', `/api/v1/users/${id}`, { token, body });

// ---- C6: the actor's rights as they were before the request ----

test('C6: an account-scoped admin cannot add an account to its own access, and keeps what it had', async () => {
  const adm = await adminWith(srv, ['users.read', 'users.update'], {
    provider_id: T.A,
    kind: 'platform_account',
    access: { level: 'account', account_ids: [T.A1] },
  });
  const inA2 = await ok(
    srv.api('POST', '/api/v1/users', {
      body: userBody({ access: { level: 'account', account_ids: [T.A2] } }),
    }),
  );
  assertProblem(
    await patch(
      adm.user.id,
      { access: { level: 'account', account_ids: [T.A1, T.A2] } },
      adm.token,
    ),
    400,
    'access.account_ids',
    'own access + A2',
  );
  assertProblem(
    await patch(adm.user.id, { access: { level: 'account', account_ids: 'all' } }, adm.token),
    403,
    'access',
    'own access -> all',
  );
  assertProblem(
    await patch(adm.user.id, { access: { level: 'provider' } }, adm.token),
    403,
    'access',
    'own access -> provider',
  );
  assert.deepEqual(
    (await get(adm.user.id)).body.access,
    { level: 'account', account_ids: [T.A1] },
    'nothing was written',
  );
  assert.equal((await get(inA2.id, adm.token)).status, 404, 'A2 stays out of its reach');
});

test('C6: an admin of two accounts may drop one from its own access (downward is allowed)', async () => {
  const adm = await adminWith(srv, ['users.read', 'users.update'], {
    provider_id: T.A,
    kind: 'platform_account',
    access: { level: 'account', account_ids: [T.A1, T.A2] },
  });
  const inA2 = await ok(
    srv.api('POST', '/api/v1/users', {
      body: userBody({ access: { level: 'account', account_ids: [T.A2] } }),
    }),
  );
  assert.equal((await get(inA2.id, adm.token)).status, 200);
  const r = await patch(
    adm.user.id,
    { access: { level: 'account', account_ids: [T.A1] } },
    adm.token,
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(
    (await get(inA2.id, adm.token)).status,
    404,
    'the dropped account is out of reach at once',
  );
  assertProblem(
    await patch(
      adm.user.id,
      { access: { level: 'account', account_ids: [T.A1, T.A2] } },
      adm.token,
    ),
    400,
    'access.account_ids',
    'and it cannot take it back',
  );
});

test('C6: a sub-account admin cannot add sub-accounts to its own access, nor take all of them', async () => {
  const adm = await adminWith(srv, ['users.read', 'users.update'], {
    provider_id: T.A,
    kind: 'platform_user',
    access: { level: 'sub_account', account_ids: [T.A1], sub_account_ids: [T.A1a] },
  });
  const other = await ok(
    srv.api('POST', '/api/v1/users', {
      body: userBody({
        role_ids: [T.puA],
        access: { level: 'sub_account', account_ids: [T.A1], sub_account_ids: [T.A1b] },
      }),
    }),
  );
  assertProblem(
    await patch(
      adm.user.id,
      { access: { level: 'sub_account', account_ids: [T.A1], sub_account_ids: [T.A1a, T.A1b] } },
      adm.token,
    ),
    400,
    'access.sub_account_ids',
    'own + A1b',
  );
  assertProblem(
    await patch(
      adm.user.id,
      { access: { level: 'sub_account', account_ids: [T.A1], sub_account_ids: 'all' } },
      adm.token,
    ),
    403,
    'access',
    'own -> all',
  );
  assert.deepEqual((await get(adm.user.id)).body.access.sub_account_ids, [T.A1a]);
  assert.equal((await get(other.id, adm.token)).status, 404);
});

test('C6: an admin never lifts its own two-factor requirement, enforced SSO or disabled login', async () => {
  const adm = await adminWith(srv, ['users.read', 'users.update'], { provider_id: T.A });
  assert.equal((await patch(adm.user.id, { mfa_required: true })).status, 200);
  assertProblem(
    await patch(adm.user.id, { mfa_required: false }, adm.token),
    403,
    'mfa_required',
    'own mfa_required off',
  );
  assert.equal((await get(adm.user.id)).body.mfa_required, true);
  // A role that requires two-factor cannot be dropped from oneself either.
  const strict = await role('strict', ['users.read'], { mfa_required: true });
  const adm2 = await adminWith(srv, ['users.read', 'users.update'], { provider_id: T.A });
  assert.equal((await patch(adm2.user.id, { role_ids: [adm2.role.id, strict.id] })).status, 200);
  assertProblem(
    await patch(adm2.user.id, { role_ids: [adm2.role.id] }, adm2.token),
    403,
    'mfa_required',
    'dropping the role that requires two-factor',
  );
  // Enforced SSO: the token made after it was set still cannot turn it off.
  assert.equal(
    (await patch(adm2.user.id, { enforce_sso: true, sso_source: 'corp', sso_id: 'x1' })).status,
    200,
  );
  const later = srv.cli(['token', 'create', '--user', adm2.user.username]).trim();
  assertProblem(
    await patch(adm2.user.id, { enforce_sso: false }, later),
    403,
    'enforce_sso',
    'own enforce_sso off',
  );
  // Lowering its own rights is fine: it may add the requirement or drop a permission role.
  assert.equal((await patch(adm.user.id, { role_ids: [] }, adm.token)).status, 200);
});

test('C6: adding oneself to a group is judged by the rights held before the request', async () => {
  const adm = await adminWith(srv, ['users.read', 'users.update'], { provider_id: T.A });
  const strong = await role('strong', [...USERS_ALL]);
  const g = await ok(
    srv.api('POST', '/api/v1/groups', {
      body: { name: uniq('g'), provider_id: T.A, role_ids: [strong.id] },
    }),
  );
  assertProblem(await patch(adm.user.id, { group_ids: [g.id] }, adm.token), 403, 'group_ids');
  assertProblem(
    await patch(adm.user.id, { role_ids: [adm.role.id, strong.id] }, adm.token),
    403,
    'role_ids',
  );
  assert.deepEqual((await get(adm.user.id)).body.group_ids, []);
});

// ---- C7: roles and groups need every permission before and after; acting needs the target's ----

test('C7: an admin with roles.update cannot shrink (or edit) a role holding permissions it lacks', async () => {
  const adm = await adminWith(srv, ['roles.read', 'roles.update', 'roles.delete', 'users.read'], {
    provider_id: T.A,
  });
  const admins = await role('provider admins', [...USERS_ALL, 'roles.read']);
  assertProblem(
    await srv.api('PATCH', `/api/v1/roles/${admins.id}`, {
      token: adm.token,
      body: { permissions: ['users.read'] },
    }),
    403,
    'permissions',
    'shrink',
  );
  assertProblem(
    await srv.api('PATCH', `/api/v1/roles/${admins.id}`, {
      token: adm.token,
      body: { description: 'mine' },
    }),
    403,
    'permissions',
    'rename',
  );
  assertProblem(
    await srv.api('DELETE', `/api/v1/roles/${admins.id}`, { token: adm.token }),
    403,
    'permissions',
    'delete',
  );
  assert.deepEqual(
    (await srv.api('GET', `/api/v1/roles/${admins.id}`)).body.permissions.length,
    USERS_ALL.length + 1,
  );
  // A role within its rights, before and after, is editable.
  const small = await role('small', ['users.read', 'roles.read']);
  assert.equal(
    (
      await srv.api('PATCH', `/api/v1/roles/${small.id}`, {
        token: adm.token,
        body: { permissions: ['users.read'] },
      })
    ).status,
    200,
  );
});

test('C7: no shrink-then-take-over: a stronger user stays out of reach through its role and its groups', async () => {
  const adm = await adminWith(
    srv,
    [
      'users.read',
      'users.update',
      'users.force_reset',
      'roles.read',
      'roles.update',
      'groups.read',
      'groups.update',
    ],
    { provider_id: T.A },
  );
  const strong = await role('strong', [...USERS_ALL]);
  const victim = await ok(
    srv.api('POST', '/api/v1/users', {
      body: userBody({ role_ids: [strong.id], password: 'a long enough password for tests' }),
    }),
  );
  assertProblem(
    await srv.api('PATCH', `/api/v1/roles/${strong.id}`, {
      token: adm.token,
      body: { permissions: ['users.read'] },
    }),
    403,
    'permissions',
  );
  assertProblem(
    await patch(victim.id, { email: 'attacker@example.com' }, adm.token),
    403,
    undefined,
    'e-mail of a stronger user',
  );
  assertProblem(
    await srv.api('POST', `/api/v1/users/${victim.id}/force-password-reset`, { token: adm.token }),
    403,
    undefined,
    'force reset',
  );
  // Through a group: the group's role cannot be taken out by someone who does not hold it.
  const g = await ok(
    srv.api('POST', '/api/v1/groups', {
      body: { name: uniq('g'), provider_id: T.A, role_ids: [strong.id] },
    }),
  );
  const member = await ok(
    srv.api('POST', '/api/v1/users', {
      body: userBody({ group_ids: [g.id], password: 'a long enough password for tests' }),
    }),
  );
  assertProblem(
    await srv.api('PATCH', `/api/v1/groups/${g.id}`, { token: adm.token, body: { role_ids: [] } }),
    403,
    'role_ids',
    'emptying the group',
  );
  assertProblem(
    await patch(member.id, { email: 'attacker@example.com' }, adm.token),
    403,
    undefined,
    'member of the strong group',
  );
  assert.equal((await get(victim.id)).body.email, victim.email);
  assert.deepEqual((await srv.api('GET', `/api/v1/groups/${g.id}`)).body.role_ids, [strong.id]);
});

// ---- C8: a Platform User works in exactly one account, on sub-accounts of it ----

test('C8: a Platform User needs one platform account and at least one sub-account (or all)', async () => {
  const pu = [T.puA];
  const refused = [
    ['provider access', undefined, 'access.level'],
    ['account access', { level: 'account', account_ids: [T.A1] }, 'access.level'],
    [
      'no sub-account',
      { level: 'sub_account', account_ids: [T.A1], sub_account_ids: [] },
      'access.sub_account_ids',
    ],
    ['no account', { level: 'sub_account', sub_account_ids: [T.A1a] }, 'access.account_ids'],
    [
      'two accounts',
      { level: 'sub_account', account_ids: [T.A1, T.A2], sub_account_ids: [T.A1a] },
      'access.account_ids',
    ],
  ];
  for (const [what, access, field] of refused) {
    const body = userBody({ role_ids: pu, ...(access ? { access } : {}) });
    assertProblem(await srv.api('POST', '/api/v1/users', { body }), 400, field, what);
  }
  const u = await ok(
    srv.api('POST', '/api/v1/users', {
      body: userBody({
        role_ids: pu,
        access: { level: 'sub_account', account_ids: [T.A1], sub_account_ids: 'all' },
      }),
    }),
  );
  // Nor can an edit make one with wider access, directly or through a group's role.
  assertProblem(
    await patch(u.id, { access: { level: 'provider' } }),
    400,
    'access.level',
    'PATCH to provider',
  );
  const plain = await ok(srv.api('POST', '/api/v1/users', { body: userBody() }));
  assertProblem(
    await patch(plain.id, { role_ids: [T.puA] }),
    400,
    'access.level',
    'PU role on a provider-level user',
  );
  const g = await ok(
    srv.api('POST', '/api/v1/groups', {
      body: { name: uniq('pu group'), provider_id: T.A, role_ids: [T.puA] },
    }),
  );
  assertProblem(
    await patch(plain.id, { group_ids: [g.id] }),
    400,
    'access.level',
    'PU role through a group',
  );
  assert.equal((await get(plain.id)).body.access.level, 'provider');
});

// ---- C9: no existence signal from outside the scope ----

test("C9: another provider's id answers like an id that does not exist", async () => {
  const adm = await adminWith(srv, ['users.read', 'users.create'], { provider_id: T.A });
  const body = (provider_id) => ({
    ...userBody(),
    provider_id,
    username: 'same-name-every-time',
    email: 'x@example.com',
  });
  const missing = await srv.api('POST', '/api/v1/users', {
    token: adm.token,
    body: body(987654321),
  });
  const foreign = await srv.api('POST', '/api/v1/users', { token: adm.token, body: body(T.B) });
  assertProblem(missing, 400, 'provider_id');
  assert.equal(foreign.status, missing.status);
  assert.equal(sansRequestId(foreign.body), sansRequestId(missing.body));
  // An account of another provider, or one outside an account admin's accounts, likewise.
  const accAdm = await adminWith(srv, ['users.read', 'users.create'], {
    provider_id: T.A,
    kind: 'platform_account',
    access: { level: 'account', account_ids: [T.A1] },
  });
  const acc = (id) =>
    srv.api('POST', '/api/v1/users', {
      token: accAdm.token,
      body: { ...body(T.A), access: { level: 'account', account_ids: [id] } },
    });
  const [m2, outside, foreign2] = [await acc(987654321), await acc(T.A2), await acc(T.B1)];
  assertProblem(m2, 400, 'access.account_ids');
  assert.equal(sansRequestId(outside.body), sansRequestId(m2.body));
  assert.equal(sansRequestId(foreign2.body), sansRequestId(m2.body));
});

test('C9: a username taken anywhere answers the same, in scope, in another tenant or deleted', async () => {
  const adm = await adminWith(srv, ['users.read', 'users.create'], { provider_id: T.A });
  const inB = await ok(
    srv.api('POST', '/api/v1/users', { body: { ...userBody(), provider_id: T.B } }),
  );
  const inA = await ok(srv.api('POST', '/api/v1/users', { body: userBody() }));
  const gone = await ok(srv.api('POST', '/api/v1/users', { body: userBody() }));
  assert.equal((await srv.api('DELETE', `/api/v1/users/${gone.id}`)).status, 204);
  const attempt = (username) =>
    srv.api('POST', '/api/v1/users', {
      token: adm.token,
      body: { ...userBody(), username, email: 'same@example.com' },
    });
  const answers = [
    await attempt(inA.username),
    await attempt(inB.username),
    await attempt(gone.username),
  ];
  for (const r of answers) assertProblem(r, 409, 'username');
  assert.equal(
    new Set(answers.map((r) => sansRequestId(r.body))).size,
    1,
    answers.map((r) => JSON.stringify(r.body)).join('\n'),
  );
});

test("C9: a global group counts only the members inside the viewer's scope", async () => {
  const role = await ok(
    srv.api('POST', '/api/v1/roles', {
      body: { name: uniq('plain'), kind: 'service_provider', provider_id: null, permissions: [] },
    }),
  );
  const g = await ok(
    srv.api('POST', '/api/v1/groups', {
      body: { name: uniq('global'), provider_id: null, role_ids: [role.id] },
    }),
  );
  for (const provider_id of [T.A, T.A, T.B, T.B, T.B])
    await ok(
      srv.api('POST', '/api/v1/users', { body: { ...userBody(), provider_id, group_ids: [g.id] } }),
    );
  assert.equal(
    (await srv.api('GET', `/api/v1/groups/${g.id}`)).body.member_count,
    5,
    'the platform sees all',
  );
  const adm = await adminWith(srv, ['groups.read', 'users.read'], { provider_id: T.A });
  assert.equal(
    (await srv.api('GET', `/api/v1/groups/${g.id}`, { token: adm.token })).body.member_count,
    2,
  );
  const listed = (
    await srv.api('GET', '/api/v1/groups?limit=200', { token: adm.token })
  ).body.items.find((x) => x.id === g.id);
  assert.equal(listed.member_count, 2);
});

// ---- S4: enforced SSO and disabled login end sessions and tokens ----

test("S4: setting enforce_sso or login_enabled=false ends the user's sessions, also after re-enabling", async () => {
  for (const change of [
    { enforce_sso: true, sso_source: 'corp-staff', sso_id: 'id-1' },
    { login_enabled: false },
  ]) {
    const u = await readyUser(srv, { permissions: ['users.read'] });
    assert.equal((await u.as('GET', '/api/v1/session')).status, 200);
    assert.equal((await patch(u.user.id, change)).status, 200);
    assert.equal((await u.as('GET', '/api/v1/session')).status, 401, JSON.stringify(change));
    const undo = change.enforce_sso ? { enforce_sso: false } : { login_enabled: true };
    assert.equal((await patch(u.user.id, undo)).status, 200);
    assert.equal(
      (await u.as('GET', '/api/v1/session')).status,
      401,
      `${JSON.stringify(change)}: the session is gone, not paused`,
    );
  }
});

// ---- S9: a partial session reads only its next step ----

test('S9: until sign-in is finished GET /api/v1/session returns only next and the language', async () => {
  const { user, username, password } = await createUser(srv);
  const s = await signIn(srv, username, password);
  assert.equal(s.body.next, 'change_password');
  const me = await withCookie(srv, s.cookie)('GET', '/api/v1/session');
  assert.equal(me.status, 200);
  assert.deepEqual(me.body, { next: 'change_password', language: 'en' });
  assert.ok(!JSON.stringify(me.body).includes(user.email));
});

// ---- S10: replacing a TOTP device needs re-authentication ----

test('S10: replacing an enrolled TOTP device needs the current password or a current code, and is audited', async () => {
  const u = await readyUser(srv, { permissions: ['users.read'] });
  const first = await enrolTotp(srv, u.as);
  assertProblem(await u.as('POST', '/api/v1/me/totp'), 403, 'current_password', 'no proof');
  assertProblem(
    await u.as('POST', '/api/v1/me/totp', { body: { current_password: 'not my password at all' } }),
    400,
    'current_password',
    'wrong password',
  );
  assertProblem(
    await u.as('POST', '/api/v1/me/totp', {
      body: { code: '000000' === first.code ? '111111' : '000000' },
    }),
    400,
    'code',
    'wrong code',
  );
  const byPassword = await u.as('POST', '/api/v1/me/totp', {
    body: { current_password: u.password },
  });
  assert.equal(byPassword.status, 201, JSON.stringify(byPassword.body));
  assert.notEqual(byPassword.body.secret, first.secret);
  // The old device still signs in until the new one is confirmed; a code of it is a proof, once.
  const code = oathtool(first.secret);
  const byCode = await u.as('POST', '/api/v1/me/totp', { body: { code } });
  // The enrolment above used the current step already when its code was that same one.
  if (code === first.code) assertProblem(byCode, 400, 'code', 'a used code');
  else {
    assert.equal(byCode.status, 201, JSON.stringify(byCode.body));
    assertProblem(
      await u.as('POST', '/api/v1/me/totp', { body: { code } }),
      400,
      'code',
      'the same code twice',
    );
  }
  const pending = byCode.status === 201 ? byCode.body.secret : byPassword.body.secret;
  const conf = await u.as('POST', '/api/v1/me/totp/confirm', { body: { code: oathtool(pending) } });
  assert.equal(conf.status, 200, JSON.stringify(conf.body));
  const starts = await auditRows(srv, 'totp.enrol_start', u.user.id);
  assert.ok(
    starts.some((r) => r.after && JSON.stringify(r.after).includes('password')),
    JSON.stringify(starts),
  );
  assert.equal((await auditRows(srv, 'totp.replaced', u.user.id)).length, 1);
  // Wrong proofs count as failed sign-in steps (A4).
  const failures = await auditRows(srv, 'login.failure', u.user.id);
  assert.ok(failures.length >= 2, JSON.stringify(failures));
  // First enrolment needs no proof.
  const fresh = await readyUser(srv, { permissions: ['users.read'] });
  assert.equal((await fresh.as('POST', '/api/v1/me/totp')).status, 201);
});
