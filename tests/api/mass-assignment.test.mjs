// SECURITY C4: no mass assignment. Unknown and read-only fields on every create and edit body give
// 400 naming the field, and change nothing; responses never carry password hashes, tokens or seeds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, listAll } from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';

let srv;
let ids = {};
const FAKE_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA';
const CANARY_PASSWORD = 'mass assignment canary passphrase 7781';

// Read-only or unknown fields with plausible values, as an attacker would send them.
const READ_ONLY = {
  id: 1,
  status: 'active',
  is_superadmin: true,
  password_hash: FAKE_HASH,
  mfa_enrolled: true,
  created_at: '2020-01-01T00:00:00Z',
  banned_until: null,
  version: 99,
  updated_at: '2020-01-01T00:00:00Z',
  created_by: 1,
  updated_by: 1,
  must_change_password: false,
  failed_logins: 0,
  last_login_at: '2020-01-01T00:00:00Z',
  superadmin: true,
  member_count: 5,
  token_hash: 'x',
  totp_secret: 'JBSWY3DPEHPK3PXP',
  foo: 'bar',
  Status: 'active',
};

before(async () => {
  srv = await startServer();
  const u = await srv.api('POST', '/api/v1/users', {
    body: {
      username: uniq('mass'),
      email: 'owner@example.com',
      first_name: 'Original',
      password: CANARY_PASSWORD,
    },
  });
  assert.equal(u.status, 201, JSON.stringify(u.body));
  const t = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('Mass provider ') },
  });
  const a = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'platform_account', name: uniq('Mass account '), parent_id: t.body.id },
  });
  const r = await srv.api('POST', '/api/v1/roles', {
    body: {
      name: uniq('Mass role '),
      kind: 'service_provider',
      provider_id: null,
      permissions: ['users.read'],
    },
  });
  const g = await srv.api('POST', '/api/v1/groups', {
    body: { name: uniq('Mass group '), provider_id: null },
  });
  for (const x of [t, a, r, g]) assert.equal(x.status, 201, JSON.stringify(x.body));
  ids = {
    user: u.body.id,
    provider: t.body.id,
    account: a.body.id,
    role: r.body.id,
    group: g.body.id,
  };
});

after(async () => {
  await srv?.stop();
});

function assertRefused(r, field, what) {
  assert.equal(r.status, 400, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.match(r.headers.get('content-type') || '', /^application\/problem\+json/, what);
  assert.equal(r.body.errors?.[0]?.field, field, `${what}: ${JSON.stringify(r.body)}`);
  assert.ok(!JSON.stringify(r.body).includes('$argon2'), `${what}: the error echoes the hash`);
}

// For each resource: a valid create body, a valid edit body, the edit path and extra fields that
// are settable on create but read-only afterwards.
const RESOURCES = {
  users: {
    create: () => ({ username: uniq('massnew'), email: 'new@example.com' }),
    edit: () => ({ first_name: 'Edited' }),
    path: () => `/api/v1/users/${ids.user}`,
    createOnly: {
      username: 'renamed',
      provider_id: null,
      password: 'another long password here',
      generate_password: true,
    },
    extraCreate: { roles: [1], groups: [1], permissions: ['users.read'] },
  },
  roles: {
    create: () => ({
      name: uniq('Mass new role '),
      kind: 'service_provider',
      provider_id: null,
      permissions: [],
    }),
    edit: () => ({ description: 'edited' }),
    path: () => `/api/v1/roles/${ids.role}`,
    createOnly: { provider_id: null },
    extraCreate: { members: [1], users: [1] },
  },
  groups: {
    create: () => ({ name: uniq('Mass new group '), provider_id: null }),
    edit: () => ({ description: 'edited' }),
    path: () => `/api/v1/groups/${ids.group}`,
    createOnly: { provider_id: null },
    extraCreate: { members: [1], user_ids: [1], permissions: ['users.read'] },
  },
  tenants: {
    create: () => ({ kind: 'service_provider', name: uniq('Mass new provider ') }),
    edit: () => ({ name: uniq('Mass renamed ') }),
    path: () => `/api/v1/tenants/${ids.account}`,
    createOnly: { kind: 'service_provider', parent_id: 1 },
    extraCreate: { provider_id: 1 },
  },
};

for (const [name, res] of Object.entries(RESOURCES)) {
  test(`POST /api/v1/${name}: every read-only or unknown field gives 400 naming it, and nothing is created`, async () => {
    const base = res.create();
    for (const [field, value] of Object.entries({ ...READ_ONLY, ...res.extraCreate })) {
      const r = await srv.api('POST', `/api/v1/${name}`, { body: { ...base, [field]: value } });
      assertRefused(r, field, `POST ${name} with ${field}`);
    }
    // The valid body alone still works: none of the refused requests took its unique name.
    const ok = await srv.api('POST', `/api/v1/${name}`, { body: base });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.notEqual(ok.body.id, READ_ONLY.id);
    assert.ok(
      !('is_superadmin' in ok.body) && !('password_hash' in ok.body) && !('version' in ok.body),
    );
    if (name === 'users') {
      assert.equal(ok.body.status, 'invited');
      assert.equal(ok.body.mfa_enrolled, false);
    }
  });

  test(`PATCH /api/v1/${name}/{id}: every read-only or unknown field gives 400 naming it, and nothing changes`, async () => {
    const before = await srv.api('GET', res.path());
    assert.equal(before.status, 200);
    for (const [field, value] of Object.entries({ ...READ_ONLY, ...res.createOnly })) {
      const r = await srv.api('PATCH', res.path(), { body: { ...res.edit(), [field]: value } });
      assertRefused(r, field, `PATCH ${name} with ${field}`);
    }
    const now = await srv.api('GET', res.path());
    assert.deepEqual(now.body, before.body, 'the refused edits changed the record');
    assert.equal(now.headers.get('etag'), before.headers.get('etag'), 'the version moved');
  });
}

test('unknown fields inside access are refused with their full path', async () => {
  const base = { username: uniq('massacc'), email: 'acc@example.com', provider_id: ids.provider };
  for (const field of ['foo', 'id', 'provider_id', 'sub_account_count']) {
    const r = await srv.api('POST', '/api/v1/users', {
      body: { ...base, access: { level: 'account', account_ids: [ids.account], [field]: 1 } },
    });
    assertRefused(r, `access.${field}`, `access.${field}`);
  }
  const ok = await srv.api('POST', '/api/v1/users', {
    body: { ...base, access: { level: 'account', account_ids: [ids.account] } },
  });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
});

test('the bulk endpoint refuses unknown fields', async () => {
  for (const field of ['status', 'force', 'foo']) {
    const r = await srv.api('POST', '/api/v1/users/bulk', {
      body: { action: 'disable', ids: [ids.user], [field]: true },
    });
    assertRefused(r, field, `bulk with ${field}`);
  }
  const u = await srv.api('GET', `/api/v1/users/${ids.user}`);
  assert.equal(u.body.status, 'active', 'the refused bulk request disabled the user');
});

test('a __proto__ or constructor key is an unknown field, not a prototype change', async () => {
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    const raw = `{"first_name":"Proto","${key}":{"is_superadmin":true}}`;
    const r = await srv.api('PATCH', `/api/v1/users/${ids.user}`, {
      raw,
      headers: { 'content-type': 'application/json' },
    });
    assertRefused(r, key, key);
  }
  const u = await srv.api('GET', `/api/v1/users/${ids.user}`);
  assert.equal(u.body.first_name, 'Original');
});

// ---- responses never carry secrets ----

async function rawGet(path, token = srv.token) {
  const res = await fetch(srv.base + path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, text: await res.text() };
}

function assertNoSecrets(text, what) {
  assert.ok(!text.includes('$argon2'), `${what} holds an Argon2 hash`);
  assert.ok(!text.includes('gh_'), `${what} holds a token`);
  assert.ok(!/hash/i.test(text), `${what} mentions a hash`);
  assert.ok(!text.includes(srv.token), `${what} holds the root token`);
  assert.ok(!text.includes(CANARY_PASSWORD), `${what} holds a password`);
}

test('user create, read and list responses hold no hash, token or password', async () => {
  const username = uniq('secret');
  const created = await fetch(`${srv.base}/api/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username, email: `${username}@example.com`, password: CANARY_PASSWORD }),
  });
  const createdText = await created.text();
  assert.equal(created.status, 201, createdText);
  assertNoSecrets(createdText, 'POST /api/v1/users');
  const id = JSON.parse(createdText).id;
  // A token for the user exists, so any join with api_tokens would show up.
  srv.cli(['token', 'create', '--user', username]);

  for (const path of [
    `/api/v1/users/${id}`,
    `/api/v1/users/${ids.user}`,
    '/api/v1/users',
    `/api/v1/users?q=${username}`,
    '/api/v1/users?status=active',
    '/api/v1/users?limit=200&sort=-created',
  ]) {
    const r = await rawGet(path);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
    assertNoSecrets(r.text, path);
  }
  const patched = await srv.api('PATCH', `/api/v1/users/${id}`, { body: { last_name: 'Patched' } });
  assert.equal(patched.status, 200);
  assertNoSecrets(JSON.stringify(patched.body), `PATCH /api/v1/users/${id}`);
  for (const action of ['disable', 'enable']) {
    const r = await srv.api('POST', `/api/v1/users/${id}/${action}`);
    assert.equal(r.status, 200);
    assertNoSecrets(JSON.stringify(r.body), action);
  }
});

test('a generated password is shown once, then never again', async () => {
  const username = uniq('generated');
  const r = await srv.api('POST', '/api/v1/users', {
    body: { username, email: `${username}@example.com`, generate_password: true },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const pw = r.body.generated_password;
  assert.equal(typeof pw, 'string');
  assert.ok(pw.length >= 15);
  assertNoSecrets(
    JSON.stringify({ ...r.body, generated_password: undefined }),
    'create with generate_password',
  );
  const again = await rawGet(`/api/v1/users/${r.body.id}`);
  assert.ok(!again.text.includes(pw) && !again.text.includes('generated_password'));
  const audit = await listAll(srv, '/api/v1/audit');
  assert.ok(!JSON.stringify(audit).includes(pw), 'the generated password is in the audit trail');
});

test('audit rows hold no hash, token or password', async () => {
  const rows = await listAll(srv, '/api/v1/audit', { limit: 50 });
  assert.ok(rows.some((x) => x.action === 'user.create'));
  assert.ok(rows.some((x) => x.action === 'token.create'));
  assertNoSecrets(JSON.stringify(rows), 'the audit trail');
  for (const row of rows) {
    for (const side of [row.before, row.after]) {
      if (side && typeof side === 'object') {
        for (const k of Object.keys(side))
          assert.ok(
            !/hash|secret|token|password|seed/i.test(k),
            `audit row ${row.id} has field ${k}`,
          );
      }
    }
  }
});

test('role, group, tenant and permission responses hold no secrets', async () => {
  for (const path of [
    '/api/v1/roles',
    '/api/v1/groups',
    '/api/v1/tenants',
    '/api/v1/permissions',
    `/api/v1/roles/${ids.role}`,
    `/api/v1/groups/${ids.group}`,
    `/api/v1/tenants/${ids.provider}`,
  ]) {
    const r = await rawGet(path);
    assert.equal(r.status, 200, path);
    assertNoSecrets(r.text, path);
  }
});
