// Users: create with every field of the two manuals, the access levels, invited/active/generated
// passwords, ETag and If-Match, the immutable username and provider, disable/enable/delete and
// their statuses, usernames reserved for ever (case-insensitively), bulk actions, and an admin
// that cannot disable or delete itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ssoSource } from './lib/server.mjs';
import { assertProblem, uniq } from './lib/helpers.mjs';

let srv;
const PASSWORD = 'a long enough password for users tests';
const ids = {};

before(async () => {
  srv = await startServer();
  const mk = async (path, body) => {
    const r = await srv.api('POST', path, { body });
    assert.equal(r.status, 201, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    return r.body.id;
  };
  ids.provider = await mk('/api/v1/tenants', { kind: 'service_provider', name: uniq('Users SP ') });
  await ssoSource(srv, 'corporate-oidc', ids.provider);
  ids.otherProvider = await mk('/api/v1/tenants', {
    kind: 'service_provider',
    name: uniq('Other SP '),
  });
  ids.acc1 = await mk('/api/v1/tenants', {
    kind: 'platform_account',
    parent_id: ids.provider,
    name: 'Account one',
  });
  ids.acc2 = await mk('/api/v1/tenants', {
    kind: 'platform_account',
    parent_id: ids.provider,
    name: 'Account two',
  });
  ids.sub1 = await mk('/api/v1/tenants', {
    kind: 'sub_account',
    parent_id: ids.acc1,
    name: 'Sub one',
  });
  ids.sub2 = await mk('/api/v1/tenants', {
    kind: 'sub_account',
    parent_id: ids.acc1,
    name: 'Sub two',
  });
  ids.sub3 = await mk('/api/v1/tenants', {
    kind: 'sub_account',
    parent_id: ids.acc2,
    name: 'Sub three',
  });
  ids.roleSP = await mk('/api/v1/roles', {
    name: 'SP admin',
    kind: 'service_provider',
    provider_id: ids.provider,
    permissions: ['users.read', 'users.create'],
  });
  ids.roleAcc = await mk('/api/v1/roles', {
    name: 'Account admin',
    kind: 'platform_account',
    provider_id: ids.provider,
    permissions: ['users.read'],
  });
  ids.rolePU = await mk('/api/v1/roles', {
    name: 'Platform user',
    kind: 'platform_user',
    provider_id: ids.provider,
    permissions: ['users.read'],
  });
  ids.roleGlobal = await mk('/api/v1/roles', {
    name: uniq('Global reader '),
    kind: 'service_provider',
    provider_id: null,
    permissions: ['users.read'],
  });
  ids.group1 = await mk('/api/v1/groups', { name: 'Support', provider_id: ids.provider });
  ids.group2 = await mk('/api/v1/groups', { name: 'Finance', provider_id: ids.provider });
  const list = await srv.api('GET', '/api/v1/users?q=root');
  assert.equal(list.status, 200);
  ids.root = list.body.items.find((u) => u.username === 'root').id;
});

after(async () => {
  await srv?.stop();
});

async function create(body) {
  const r = await srv.api('POST', '/api/v1/users', { body });
  assert.equal(r.status, 201, `${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function get(id) {
  return srv.api('GET', `/api/v1/users/${id}`);
}

function fullBody(over = {}) {
  const name = uniq('full');
  return {
    provider_id: ids.provider,
    username: name,
    first_name: 'Zhang',
    last_name: 'Wei',
    email: `${name}@example.com`,
    phone: '+8613800138000',
    language: 'zh',
    timezone: 'Asia/Shanghai',
    country: 'CN',
    role_ids: [ids.roleAcc],
    group_ids: [ids.group1, ids.group2],
    access: { level: 'account', account_ids: [ids.acc1, ids.acc2] },
    login_enabled: false,
    enforce_sso: true,
    sso_source: 'corporate-oidc',
    sso_id: 'zhang.wei@corp.example',
    mfa_required: true,
    password: PASSWORD,
    ...over,
  };
}

test('create with every field of the manuals stores and returns each of them', async () => {
  const body = fullBody();
  const r = await srv.api('POST', '/api/v1/users', { body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const u = r.body;
  for (const k of [
    'provider_id',
    'username',
    'first_name',
    'last_name',
    'email',
    'phone',
    'language',
    'timezone',
    'country',
    'login_enabled',
    'enforce_sso',
    'sso_source',
    'sso_id',
    'mfa_required',
  ]) {
    assert.deepEqual(u[k], body[k], k);
  }
  assert.deepEqual(u.role_ids, [ids.roleAcc]);
  assert.deepEqual(
    [...u.group_ids].sort((a, b) => a - b),
    [ids.group1, ids.group2].sort((a, b) => a - b),
  );
  assert.equal(u.access.level, 'account');
  assert.deepEqual(
    [...u.access.account_ids].sort((a, b) => a - b),
    [ids.acc1, ids.acc2].sort((a, b) => a - b),
  );
  assert.equal(u.status, 'active');
  assert.equal(u.mfa_enrolled, false);
  assert.equal(u.banned_until, null);
  assert.equal(u.last_login_at, null);
  assert.ok(Number.isInteger(u.id) && u.id > 0);
  assert.match(u.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(u.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  for (const k of ['password', 'password_hash', 'generated_password'])
    assert.ok(!(k in u), `response has ${k}`);
  assert.ok(!JSON.stringify(u).includes(PASSWORD), 'the password is echoed');
  assert.ok(!JSON.stringify(u).includes('$argon2'), 'a hash is echoed');

  const g = await get(u.id);
  assert.equal(g.status, 200);
  assert.deepEqual(g.body, u, 'GET returns what create returned');
});

test('defaults: a minimal user is English, UTC, login enabled, no SSO, no MFA, platform access', async () => {
  const name = uniq('min');
  const u = await create({ username: name, email: `${name}@example.com` });
  assert.equal(u.provider_id, null);
  assert.equal(u.language, 'en');
  assert.equal(u.timezone, 'UTC');
  assert.equal(u.login_enabled, true);
  assert.equal(u.mfa_required, false);
  assert.equal(u.sso_source, null);
  assert.equal(u.sso_id, null);
  assert.deepEqual(u.role_ids, []);
  assert.deepEqual(u.group_ids, []);
  assert.equal(u.access.level, 'platform');
});

test('access level provider: the whole service provider', async () => {
  const u = await create(
    fullBody({ access: { level: 'provider' }, role_ids: [ids.roleSP], group_ids: [] }),
  );
  assert.deepEqual(u.access, { level: 'provider' });
  const d = await create(fullBody({ access: undefined, role_ids: [ids.roleSP], group_ids: [] }));
  assert.equal(d.access.level, 'provider', 'a user of a provider defaults to provider access');
});

test('access level account with "all" platform accounts', async () => {
  const u = await create(fullBody({ access: { level: 'account', account_ids: 'all' } }));
  assert.deepEqual(u.access, { level: 'account', account_ids: 'all' });
  assert.deepEqual((await get(u.id)).body.access, { level: 'account', account_ids: 'all' });
});

test('access level sub_account: exactly one account and chosen sub-accounts, for a Platform User', async () => {
  const u = await create(
    fullBody({
      role_ids: [ids.rolePU],
      access: {
        level: 'sub_account',
        account_ids: [ids.acc1],
        sub_account_ids: [ids.sub1, ids.sub2],
      },
    }),
  );
  assert.equal(u.access.level, 'sub_account');
  assert.deepEqual(u.access.account_ids, [ids.acc1]);
  assert.deepEqual(
    [...u.access.sub_account_ids].sort((a, b) => a - b),
    [ids.sub1, ids.sub2].sort((a, b) => a - b),
  );
  assert.equal(u.access.sub_account_count, 2, 'the number of sub-accounts is shown in the details');
});

test('access level sub_account "all" is dynamic: it covers sub-accounts created later', async () => {
  const acc = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'platform_account', parent_id: ids.provider, name: uniq('Dyn acc ') },
  });
  assert.equal(acc.status, 201);
  const s1 = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'sub_account', parent_id: acc.body.id, name: 'dyn 1' },
  });
  assert.equal(s1.status, 201);
  const u = await create(
    fullBody({
      role_ids: [ids.rolePU],
      access: { level: 'sub_account', account_ids: [acc.body.id], sub_account_ids: 'all' },
    }),
  );
  assert.equal(u.access.sub_account_ids, 'all');
  assert.equal(u.access.sub_account_count, 1);
  const s2 = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'sub_account', parent_id: acc.body.id, name: 'dyn 2' },
  });
  assert.equal(s2.status, 201);
  const g = await get(u.id);
  assert.equal(g.body.access.sub_account_ids, 'all');
  assert.equal(g.body.access.sub_account_count, 2);
});

test('sub_account access is only for a role of kind platform_user', async () => {
  const r = await srv.api('POST', '/api/v1/users', {
    body: fullBody({
      role_ids: [ids.roleAcc],
      access: { level: 'sub_account', account_ids: [ids.acc1], sub_account_ids: [ids.sub1] },
    }),
  });
  assertProblem(r, 400, 'access.sub_account_ids');
  const none = await srv.api('POST', '/api/v1/users', {
    body: fullBody({
      role_ids: [],
      access: { level: 'sub_account', account_ids: [ids.acc1], sub_account_ids: 'all' },
    }),
  });
  assertProblem(none, 400, 'access.sub_account_ids');
});

test('sub-accounts can be chosen only with exactly one platform account', async () => {
  for (const account_ids of [[ids.acc1, ids.acc2], [], 'all']) {
    const r = await srv.api('POST', '/api/v1/users', {
      body: fullBody({
        role_ids: [ids.rolePU],
        access: { level: 'sub_account', account_ids, sub_account_ids: [ids.sub1] },
      }),
    });
    assertProblem(r, 400, 'access.account_ids', JSON.stringify(account_ids));
  }
});

test('a sub-account of another platform account is refused', async () => {
  const r = await srv.api('POST', '/api/v1/users', {
    body: fullBody({
      role_ids: [ids.rolePU],
      access: {
        level: 'sub_account',
        account_ids: [ids.acc1],
        sub_account_ids: [ids.sub1, ids.sub3],
      },
    }),
  });
  assertProblem(r, 400, 'access.sub_account_ids');
});

test('with a password the user is active; without one it is invited', async () => {
  const a = await create(fullBody());
  assert.equal(a.status, 'active');
  const name = uniq('inv');
  const i = await create({ username: name, email: `${name}@example.com`, first_name: 'Ivy' });
  assert.equal(i.status, 'invited');
  assert.equal((await get(i.id)).body.status, 'invited');
});

test('generate_password returns the password once, and never again', async () => {
  const name = uniq('gen');
  const r = await srv.api('POST', '/api/v1/users', {
    body: { username: name, email: `${name}@example.com`, generate_password: true },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const pw = r.body.generated_password;
  assert.equal(typeof pw, 'string');
  assert.ok(pw.length >= 15, `generated password too short: ${pw.length}`);
  assert.equal(r.body.status, 'active');
  const g = await get(r.body.id);
  assert.equal(g.status, 200);
  assert.ok(!('generated_password' in g.body));
  assert.ok(!JSON.stringify(g.body).includes(pw), 'GET shows the generated password');
  const list = await srv.api('GET', `/api/v1/users?q=${name}`);
  assert.ok(!JSON.stringify(list.body).includes(pw), 'the list shows the generated password');
  const audit = await srv.api('GET', `/api/v1/audit?target_id=${r.body.id}`);
  assert.equal(audit.status, 200);
  assert.ok(
    !JSON.stringify(audit.body).includes(pw),
    'the audit trail holds the generated password',
  );
  // Two generated passwords differ.
  const name2 = uniq('gen');
  const r2 = await srv.api('POST', '/api/v1/users', {
    body: { username: name2, email: `${name2}@example.com`, generate_password: true },
  });
  assert.equal(r2.status, 201);
  assert.notEqual(r2.body.generated_password, pw);
});

test('password and generate_password together are refused', async () => {
  const name = uniq('both');
  const r = await srv.api('POST', '/api/v1/users', {
    body: {
      username: name,
      email: `${name}@example.com`,
      password: PASSWORD,
      generate_password: true,
    },
  });
  assertProblem(r, 400, 'generate_password');
});

test('a too-short password is refused naming password', async () => {
  const name = uniq('short');
  const r = await srv.api('POST', '/api/v1/users', {
    body: { username: name, email: `${name}@example.com`, password: 'short' },
  });
  assertProblem(r, 400, 'password');
});

test('GET returns an ETag; PATCH with a matching If-Match succeeds and bumps it; a stale one gets 412', async () => {
  const u = await create(fullBody());
  const g1 = await get(u.id);
  const etag1 = g1.headers.get('etag');
  assert.match(etag1 || '', /^(W\/)?"[^"]+"$/, 'GET has no ETag');
  const p1 = await srv.api('PATCH', `/api/v1/users/${u.id}`, {
    body: { first_name: 'Li', phone: '+442071234567' },
    headers: { 'if-match': etag1 },
  });
  assert.equal(p1.status, 200, JSON.stringify(p1.body));
  assert.equal(p1.body.first_name, 'Li');
  assert.equal(p1.body.phone, '+442071234567');
  const etag2 = p1.headers.get('etag');
  assert.ok(etag2, 'PATCH response has no ETag');
  assert.notEqual(etag2, etag1, 'the ETag did not change');
  const g2 = await get(u.id);
  assert.equal(g2.headers.get('etag'), etag2);
  assert.equal(g2.body.first_name, 'Li');

  const stale = await srv.api('PATCH', `/api/v1/users/${u.id}`, {
    body: { first_name: 'Lost' },
    headers: { 'if-match': etag1 },
  });
  assertProblem(stale, 412);
  const g3 = await get(u.id);
  assert.equal(g3.body.first_name, 'Li', 'the stale PATCH changed the user');
  assert.equal(g3.headers.get('etag'), etag2, 'the stale PATCH changed the ETag');

  const p2 = await srv.api('PATCH', `/api/v1/users/${u.id}`, {
    body: { last_name: 'Na' },
    headers: { 'if-match': etag2 },
  });
  assert.equal(p2.status, 200, JSON.stringify(p2.body));
  assert.equal(p2.body.first_name, 'Li', 'a PATCH keeps fields it does not name');
  assert.equal(p2.body.last_name, 'Na');
});

test('actions bump the ETag so an edit based on the old one is refused', async () => {
  const u = await create(fullBody());
  const etag = (await get(u.id)).headers.get('etag');
  assert.equal((await srv.api('POST', `/api/v1/users/${u.id}/disable`)).status, 200);
  const p = await srv.api('PATCH', `/api/v1/users/${u.id}`, {
    body: { first_name: 'X' },
    headers: { 'if-match': etag },
  });
  assertProblem(p, 412);
});

test('PATCH edits every editable field', async () => {
  const u = await create(fullBody());
  const patch = {
    email: 'changed@example.org',
    first_name: 'Anna',
    last_name: 'Smith',
    phone: '+14155550100',
    language: 'en',
    timezone: 'Europe/London',
    country: 'GB',
    role_ids: [ids.rolePU],
    group_ids: [ids.group1],
    access: { level: 'sub_account', account_ids: [ids.acc1], sub_account_ids: [ids.sub2] },
    login_enabled: true,
    enforce_sso: false,
    sso_source: null,
    sso_id: null,
    mfa_required: false,
  };
  const r = await srv.api('PATCH', `/api/v1/users/${u.id}`, { body: patch });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const g = (await get(u.id)).body;
  for (const k of [
    'email',
    'first_name',
    'last_name',
    'phone',
    'language',
    'timezone',
    'country',
    'login_enabled',
    'enforce_sso',
    'sso_source',
    'sso_id',
    'mfa_required',
  ])
    assert.deepEqual(g[k], patch[k], k);
  assert.deepEqual(g.role_ids, [ids.rolePU]);
  assert.deepEqual(g.group_ids, [ids.group1]);
  assert.equal(g.access.level, 'sub_account');
  assert.deepEqual(g.access.sub_account_ids, [ids.sub2]);
  assert.equal(g.username, u.username);
  assert.equal(g.status, 'active');
});

test('a PATCH changing username or provider_id is refused naming the field', async () => {
  const u = await create(fullBody());
  const before = await get(u.id);
  for (const [field, body] of [
    ['username', { username: uniq('renamed') }],
    ['username', { username: u.username.toUpperCase() }],
    ['provider_id', { provider_id: ids.otherProvider }],
    ['provider_id', { provider_id: null }],
  ]) {
    const r = await srv.api('PATCH', `/api/v1/users/${u.id}`, { body });
    assertProblem(r, 400, field, JSON.stringify(body));
  }
  const after = await get(u.id);
  assert.deepEqual(after.body, before.body);
  assert.equal(after.headers.get('etag'), before.headers.get('etag'));
});

test('disable, enable and delete change the status', async () => {
  const u = await create(fullBody());
  const d = await srv.api('POST', `/api/v1/users/${u.id}/disable`);
  assert.equal(d.status, 200, JSON.stringify(d.body));
  assert.equal(d.body.status, 'disabled');
  assert.equal((await get(u.id)).body.status, 'disabled');
  const d2 = await srv.api('POST', `/api/v1/users/${u.id}/disable`);
  assert.equal(d2.status, 200, 'disabling twice is harmless');
  assert.equal(d2.body.status, 'disabled');
  const e = await srv.api('POST', `/api/v1/users/${u.id}/enable`);
  assert.equal(e.status, 200, JSON.stringify(e.body));
  assert.equal(e.body.status, 'active');
  const e2 = await srv.api('POST', `/api/v1/users/${u.id}/enable`);
  assert.equal(e2.status, 200);
  assert.equal(e2.body.status, 'active');
  const del = await srv.api('DELETE', `/api/v1/users/${u.id}`);
  assert.equal(del.status, 204);
  assert.equal(del.body, '');
  const g = await get(u.id);
  assert.equal(g.status, 200, 'a deleted user stays readable, as a tombstone');
  assert.equal(g.body.status, 'deleted');
  assert.deepEqual(g.body.allowed_actions, [], 'read-only');
  assertProblem(await srv.api('DELETE', `/api/v1/users/${u.id}`), 404, undefined, 'deleting twice');
  assertProblem(
    await srv.api('POST', `/api/v1/users/${u.id}/enable`),
    404,
    undefined,
    'enabling a deleted user',
  );
  assertProblem(
    await srv.api('PATCH', `/api/v1/users/${u.id}`, { body: { first_name: 'Ghost' } }),
    404,
    undefined,
    'editing a deleted user',
  );
  const deleted = await srv.api(
    'GET',
    `/api/v1/users?status=deleted&q=${encodeURIComponent(u.username)}`,
  );
  assert.equal(deleted.status, 200);
  assert.ok(
    deleted.body.items.some((x) => x.id === u.id && x.status === 'deleted'),
    'not in the deleted list',
  );
  const live = await srv.api('GET', `/api/v1/users?q=${encodeURIComponent(u.username)}`);
  assert.ok(!live.body.items.some((x) => x.id === u.id), 'a deleted user is in the default list');
});

test('a disabled user can be deleted', async () => {
  const u = await create(fullBody());
  assert.equal((await srv.api('POST', `/api/v1/users/${u.id}/disable`)).status, 200);
  assert.equal((await srv.api('DELETE', `/api/v1/users/${u.id}`)).status, 204);
  assert.equal((await get(u.id)).body.status, 'deleted');
});

test('enabling an invited user that never set a password returns it to invited', async () => {
  const name = uniq('invdis');
  const u = await create({ username: name, email: `${name}@example.com` });
  assert.equal(u.status, 'invited');
  const d = await srv.api('POST', `/api/v1/users/${u.id}/disable`);
  assert.equal(d.body.status, 'disabled');
  const e = await srv.api('POST', `/api/v1/users/${u.id}/enable`);
  assert.equal(e.status, 200);
  assert.equal(e.body.status, 'invited');
  // Enabling an invited (not disabled) user leaves it invited.
  const e2 = await srv.api('POST', `/api/v1/users/${u.id}/enable`);
  assert.equal(e2.status, 200);
  assert.equal(e2.body.status, 'invited');
});

test('unknown user ids give 404 on every per-user route', async () => {
  for (const [m, p] of [
    ['GET', ''],
    ['PATCH', ''],
    ['DELETE', ''],
    ['POST', '/disable'],
    ['POST', '/enable'],
  ]) {
    const r = await srv.api(
      m,
      `/api/v1/users/987654${p}`,
      m === 'PATCH' ? { body: { first_name: 'x' } } : {},
    );
    assertProblem(r, 404, undefined, `${m} ${p}`);
  }
});

test('a deleted username can never be created again', async () => {
  const u = await create(fullBody());
  assert.equal((await srv.api('DELETE', `/api/v1/users/${u.id}`)).status, 204);
  for (const username of [u.username, u.username.toUpperCase()]) {
    const r = await srv.api('POST', '/api/v1/users', {
      body: { username, email: 'again@example.com', password: PASSWORD },
    });
    assertProblem(r, 409, 'username', username);
  }
});

test('a disabled username can never be created again', async () => {
  const u = await create(fullBody());
  assert.equal((await srv.api('POST', `/api/v1/users/${u.id}/disable`)).status, 200);
  const r = await srv.api('POST', '/api/v1/users', {
    body: { username: u.username, email: 'again@example.com' },
  });
  assertProblem(r, 409, 'username');
});

test('usernames are unique case-insensitively', async () => {
  const base = uniq('CaseUser');
  const u = await create({ username: base, email: 'case@example.com' });
  assert.equal(u.username, base, 'the username keeps its case');
  for (const v of [base.toLowerCase(), base.toUpperCase(), base]) {
    const r = await srv.api('POST', '/api/v1/users', {
      body: { username: v, email: 'case2@example.com' },
    });
    assertProblem(r, 409, 'username', v);
  }
  // A user of another provider may not take it either: unique across the platform.
  const r = await srv.api('POST', '/api/v1/users', {
    body: { username: base.toLowerCase(), email: 'c@example.com', provider_id: ids.otherProvider },
  });
  assertProblem(r, 409, 'username');
});

test('the caller cannot disable or delete itself', async () => {
  const d = await srv.api('POST', `/api/v1/users/${ids.root}/disable`);
  assertProblem(d, 409);
  const del = await srv.api('DELETE', `/api/v1/users/${ids.root}`);
  assertProblem(del, 409);
  const g = await get(ids.root);
  assert.equal(g.status, 200, 'the caller lost its own access');
  assert.equal(g.body.status, 'active');
  const e = await srv.api('POST', `/api/v1/users/${ids.root}/enable`);
  assert.equal(e.status, 200, 'enabling oneself is a harmless no-op');
});

test('bulk disable, enable and delete report each id with succeeded/failed counts', async () => {
  const a = await create(fullBody());
  const b = await create(fullBody());
  const name = uniq('bulkinv');
  const c = await create({ username: name, email: `${name}@example.com` });
  const missing = 99999999;

  const dis = await srv.api('POST', '/api/v1/users/bulk', {
    body: { action: 'disable', ids: [a.id, b.id, c.id, missing, ids.root] },
  });
  assert.equal(dis.status, 200, JSON.stringify(dis.body));
  assert.equal(dis.body.action, 'disable');
  assert.deepEqual(
    dis.body.results.map((x) => [x.id, x.status]),
    [
      [a.id, 200],
      [b.id, 200],
      [c.id, 200],
      [missing, 404],
      [ids.root, 409],
    ],
  );
  assert.equal(dis.body.succeeded, 3);
  assert.equal(dis.body.failed, 2);
  for (const x of dis.body.results.filter((x) => x.status >= 400))
    assert.equal(typeof x.detail, 'string');
  for (const u of [a, b, c]) assert.equal((await get(u.id)).body.status, 'disabled');
  assert.equal((await get(ids.root)).body.status, 'active');

  const en = await srv.api('POST', '/api/v1/users/bulk', {
    body: { action: 'enable', ids: [a.id, c.id, missing] },
  });
  assert.equal(en.status, 200, JSON.stringify(en.body));
  assert.deepEqual(
    en.body.results.map((x) => [x.id, x.status]),
    [
      [a.id, 200],
      [c.id, 200],
      [missing, 404],
    ],
  );
  assert.equal(en.body.succeeded, 2);
  assert.equal(en.body.failed, 1);
  assert.equal((await get(a.id)).body.status, 'active');
  assert.equal((await get(c.id)).body.status, 'invited', 'an invited user goes back to invited');
  assert.equal((await get(b.id)).body.status, 'disabled', 'b was not in the list');

  const del = await srv.api('POST', '/api/v1/users/bulk', {
    body: { action: 'delete', ids: [a.id, b.id, ids.root, missing] },
  });
  assert.equal(del.status, 200, JSON.stringify(del.body));
  assert.deepEqual(
    del.body.results.map((x) => [x.id, x.status]),
    [
      [a.id, 204],
      [b.id, 204],
      [ids.root, 409],
      [missing, 404],
    ],
  );
  assert.equal(del.body.succeeded, 2);
  assert.equal(del.body.failed, 2);
  assert.equal((await get(a.id)).body.status, 'deleted');
  assert.equal((await get(b.id)).body.status, 'deleted');
  assert.equal((await get(ids.root)).body.status, 'active');

  const again = await srv.api('POST', '/api/v1/users/bulk', {
    body: { action: 'delete', ids: [a.id] },
  });
  assert.deepEqual(
    again.body.results.map((x) => [x.id, x.status]),
    [[a.id, 404]],
    'a deleted user is not found again',
  );
});

test('bulk refuses an unknown action, an empty id list and bad ids', async () => {
  const u = await create(fullBody());
  assertProblem(
    await srv.api('POST', '/api/v1/users/bulk', { body: { action: 'ban', ids: [u.id] } }),
    400,
    'action',
  );
  assertProblem(
    await srv.api('POST', '/api/v1/users/bulk', { body: { action: 'disable', ids: [] } }),
    400,
    'ids',
  );
  assertProblem(
    await srv.api('POST', '/api/v1/users/bulk', { body: { action: 'disable', ids: [u.id, u.id] } }),
    400,
    'ids',
  );
  assertProblem(
    await srv.api('POST', '/api/v1/users/bulk', { body: { action: 'disable', ids: ['1'] } }),
    400,
    'ids',
  );
  assertProblem(
    await srv.api('POST', '/api/v1/users/bulk', { body: { action: 'disable' } }),
    400,
    'ids',
  );
  assertProblem(
    await srv.api('POST', '/api/v1/users/bulk', { body: { ids: [u.id] } }),
    400,
    'action',
  );
  assert.equal((await get(u.id)).body.status, 'active');
});

test('create and actions are recorded in the audit trail', async () => {
  const u = await create(fullBody());
  await srv.api('POST', `/api/v1/users/${u.id}/disable`);
  await srv.api('POST', `/api/v1/users/${u.id}/enable`);
  await srv.api('DELETE', `/api/v1/users/${u.id}`);
  const a = await srv.api('GET', `/api/v1/audit?target_id=${u.id}&target_type=user`);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  const actions = a.body.items.map((x) => x.action);
  for (const act of ['user.create', 'user.disable', 'user.enable', 'user.delete'])
    assert.ok(actions.includes(act), `${act} missing: ${actions}`);
  for (const x of a.body.items) assert.equal(x.actor_id, ids.root);
});
