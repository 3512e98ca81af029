// Tenants, roles, groups, the permission catalogue and the OpenAPI document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, listAll } from './lib/server.mjs';
import { assertProblem, uniq } from './lib/helpers.mjs';

let srv;
const PASSWORD = 'a long enough password for catalog tests';
const here = dirname(fileURLToPath(import.meta.url));

before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

async function post(path, body) {
  const r = await srv.api('POST', path, { body });
  assert.equal(
    r.status,
    201,
    `${path} ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`,
  );
  return r.body;
}

const tenant = (kind, name, parent_id) =>
  post('/api/v1/tenants', parent_id === undefined ? { kind, name } : { kind, name, parent_id });

// ---------------------------------------------------------------- tenants

test('tenants: provider -> platform account -> sub-account', async () => {
  const p = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('Acme ') },
  });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  assert.ok(p.headers.get('etag'), 'create has no ETag');
  assert.equal(p.body.kind, 'service_provider');
  assert.equal(p.body.parent_id, null);
  assert.equal(p.body.provider_id, p.body.id);
  const a = await tenant('platform_account', 'Acme Retail', p.body.id);
  assert.equal(a.kind, 'platform_account');
  assert.equal(a.parent_id, p.body.id);
  assert.equal(a.provider_id, p.body.id);
  const s = await tenant('sub_account', 'Acme Retail North', a.id);
  assert.equal(s.kind, 'sub_account');
  assert.equal(s.parent_id, a.id);
  assert.equal(s.provider_id, p.body.id);
  const g = await srv.api('GET', `/api/v1/tenants/${s.id}`);
  assert.equal(g.status, 200);
  assert.deepEqual(g.body, s);
  assert.match(g.headers.get('etag') || '', /^(W\/)?"[^"]+"$/);
  // provider_id: null and explicit null parent for a provider are fine
  const p2 = await post('/api/v1/tenants', {
    kind: 'service_provider',
    name: uniq('Null parent '),
    parent_id: null,
  });
  assert.equal(p2.parent_id, null);
});

test('tenants: a wrong parent kind is refused with 400 naming parent_id', async () => {
  const p = await tenant('service_provider', uniq('Parents '));
  const a = await tenant('platform_account', 'acc', p.id);
  const s = await tenant('sub_account', 'sub', a.id);
  const cases = [
    { kind: 'service_provider', parent_id: p.id },
    { kind: 'service_provider', parent_id: a.id },
    { kind: 'platform_account', parent_id: a.id },
    { kind: 'platform_account', parent_id: s.id },
    { kind: 'platform_account' },
    { kind: 'platform_account', parent_id: null },
    { kind: 'sub_account', parent_id: p.id },
    { kind: 'sub_account', parent_id: s.id },
    { kind: 'sub_account' },
  ];
  for (const c of cases) {
    const r = await srv.api('POST', '/api/v1/tenants', { body: { ...c, name: uniq('wrong ') } });
    assertProblem(r, 400, 'parent_id', JSON.stringify(c));
  }
  const missing = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'platform_account', parent_id: 999999, name: 'x' },
  });
  assertProblem(missing, [400, 404], 'parent_id', 'a parent that does not exist');
  const list = await listAll(srv, `/api/v1/tenants?parent_id=${p.id}`);
  assert.deepEqual(
    list.map((x) => x.id),
    [a.id],
    'a refused create left a tenant behind',
  );
});

test('tenants: kind, name and field validation', async () => {
  const cases = [
    ['kind', { kind: 'galaxy', name: 'x' }],
    ['kind', { kind: 'Service_Provider', name: 'x' }],
    ['kind', { name: 'x' }],
    ['kind', { kind: 1, name: 'x' }],
    ['name', { kind: 'service_provider' }],
    ['name', { kind: 'service_provider', name: '' }],
    ['name', { kind: 'service_provider', name: 'a\u0001b' }],
    ['name', { kind: 'service_provider', name: 'x'.repeat(101) }],
    ['name', { kind: 'service_provider', name: 5 }],
    ['parent_id', { kind: 'service_provider', name: 'x', parent_id: '1' }],
    ['provider_id', { kind: 'service_provider', name: 'x', provider_id: 1 }],
    ['id', { kind: 'service_provider', name: 'x', id: 1 }],
  ];
  for (const [field, body] of cases)
    assertProblem(
      await srv.api('POST', '/api/v1/tenants', { body }),
      400,
      field,
      JSON.stringify(body),
    );
});

test('tenants: names are unique under one parent, not across parents', async () => {
  const name = uniq('Dup ');
  const p = await tenant('service_provider', name);
  assertProblem(
    await srv.api('POST', '/api/v1/tenants', { body: { kind: 'service_provider', name } }),
    409,
    'name',
  );
  const q = await tenant('service_provider', uniq('Dup other '));
  await tenant('platform_account', 'Same name', p.id);
  await tenant('platform_account', 'Same name', q.id);
  assertProblem(
    await srv.api('POST', '/api/v1/tenants', {
      body: { kind: 'platform_account', name: 'Same name', parent_id: p.id },
    }),
    409,
    'name',
  );
});

test('tenants: rename with If-Match, 412 when stale', async () => {
  const p = await tenant('service_provider', uniq('Rename '));
  const g = await srv.api('GET', `/api/v1/tenants/${p.id}`);
  const etag = g.headers.get('etag');
  const r = await srv.api('PATCH', `/api/v1/tenants/${p.id}`, {
    body: { name: `${p.name} renamed` },
    headers: { 'if-match': etag },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.name, `${p.name} renamed`);
  assert.notEqual(r.headers.get('etag'), etag);
  const stale = await srv.api('PATCH', `/api/v1/tenants/${p.id}`, {
    body: { name: 'lost update' },
    headers: { 'if-match': etag },
  });
  assertProblem(stale, 412);
  assert.equal((await srv.api('GET', `/api/v1/tenants/${p.id}`)).body.name, `${p.name} renamed`);
  for (const [field, body] of [
    ['name', {}],
    ['name', { name: '' }],
    ['kind', { name: 'x', kind: 'sub_account' }],
    ['parent_id', { name: 'x', parent_id: 1 }],
  ]) {
    assertProblem(
      await srv.api('PATCH', `/api/v1/tenants/${p.id}`, { body }),
      400,
      field,
      JSON.stringify(body),
    );
  }
  assertProblem(await srv.api('PATCH', '/api/v1/tenants/999999', { body: { name: 'x' } }), 404);
});

test('tenants: delete is refused while children, users, roles or groups exist; an empty tenant is deleted', async () => {
  const p = await tenant('service_provider', uniq('Delete '));
  const a = await tenant('platform_account', 'acc', p.id);
  const s = await tenant('sub_account', 'sub', a.id);
  assertProblem(
    await srv.api('DELETE', `/api/v1/tenants/${p.id}`),
    409,
    undefined,
    'provider with an account',
  );
  assertProblem(
    await srv.api('DELETE', `/api/v1/tenants/${a.id}`),
    409,
    undefined,
    'account with a sub-account',
  );

  const role = await post('/api/v1/roles', {
    name: 'PU',
    kind: 'platform_user',
    provider_id: p.id,
    permissions: ['users.read'],
  });
  const name = uniq('tenantuser');
  const u = await post('/api/v1/users', {
    username: name,
    email: `${name}@example.com`,
    provider_id: p.id,
    role_ids: [role.id],
    access: { level: 'sub_account', account_ids: [a.id], sub_account_ids: [s.id] },
    password: PASSWORD,
  });
  assertProblem(
    await srv.api('DELETE', `/api/v1/tenants/${s.id}`),
    409,
    undefined,
    'sub-account a user can access',
  );
  // A Platform User stays in its account (C8); without the role it moves to provider access and
  // the sub-account is then empty.
  assertProblem(
    await srv.api('PATCH', `/api/v1/users/${u.id}`, { body: { access: { level: 'provider' } } }),
    400,
    'access.level',
  );
  const moved = await srv.api('PATCH', `/api/v1/users/${u.id}`, {
    body: { access: { level: 'provider' }, role_ids: [] },
  });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  const ds = await srv.api('DELETE', `/api/v1/tenants/${s.id}`);
  assert.equal(ds.status, 204, JSON.stringify(ds.body));
  assertProblem(await srv.api('GET', `/api/v1/tenants/${s.id}`), 404);
  const da = await srv.api('DELETE', `/api/v1/tenants/${a.id}`);
  assert.equal(da.status, 204, JSON.stringify(da.body));
  assertProblem(
    await srv.api('DELETE', `/api/v1/tenants/${p.id}`),
    409,
    undefined,
    'provider with a user and a role',
  );

  const p2 = await tenant('service_provider', uniq('Delete role '));
  await post('/api/v1/roles', {
    name: 'r',
    kind: 'service_provider',
    provider_id: p2.id,
    permissions: [],
  });
  assertProblem(
    await srv.api('DELETE', `/api/v1/tenants/${p2.id}`),
    409,
    undefined,
    'provider with a role',
  );
  const p3 = await tenant('service_provider', uniq('Delete group '));
  await post('/api/v1/groups', { name: 'g', provider_id: p3.id });
  assertProblem(
    await srv.api('DELETE', `/api/v1/tenants/${p3.id}`),
    409,
    undefined,
    'provider with a group',
  );

  const empty = await tenant('service_provider', uniq('Empty '));
  const d = await srv.api('DELETE', `/api/v1/tenants/${empty.id}`);
  assert.equal(d.status, 204);
  assert.equal(d.body, '');
  assertProblem(await srv.api('GET', `/api/v1/tenants/${empty.id}`), 404);
  assertProblem(await srv.api('DELETE', `/api/v1/tenants/${empty.id}`), 404);
});

test('tenants: list with parent_id and kind filters and cursor paging', async () => {
  const p = await tenant('service_provider', uniq('List '));
  const accounts = [];
  for (let i = 0; i < 5; i++) accounts.push(await tenant('platform_account', `acc ${i}`, p.id));
  const subs = [];
  for (let i = 0; i < 3; i++) subs.push(await tenant('sub_account', `sub ${i}`, accounts[0].id));

  const children = await listAll(srv, `/api/v1/tenants?parent_id=${p.id}`);
  assert.deepEqual(
    children.map((x) => x.id),
    accounts.map((x) => x.id),
  );
  const subList = await listAll(srv, `/api/v1/tenants?parent_id=${accounts[0].id}`);
  assert.deepEqual(
    subList.map((x) => x.id),
    subs.map((x) => x.id),
  );
  assert.deepEqual(await listAll(srv, `/api/v1/tenants?parent_id=${accounts[1].id}`), []);

  const all = await listAll(srv, '/api/v1/tenants');
  for (const kind of ['service_provider', 'platform_account', 'sub_account']) {
    const got = await listAll(srv, `/api/v1/tenants?kind=${kind}`);
    assert.ok(got.length > 0);
    assert.ok(
      got.every((x) => x.kind === kind),
      kind,
    );
    assert.deepEqual(
      got.map((x) => x.id),
      all.filter((x) => x.kind === kind).map((x) => x.id),
      kind,
    );
  }
  const both = await listAll(srv, `/api/v1/tenants?kind=sub_account&parent_id=${accounts[0].id}`);
  assert.equal(both.length, 3);
  assert.deepEqual(
    await listAll(srv, `/api/v1/tenants?kind=platform_account&parent_id=${accounts[0].id}`),
    [],
  );

  // paging with limit 2 visits every tenant exactly once in id order
  const seen = [];
  let cursor = null;
  for (let i = 0; i < 100; i++) {
    const r = await srv.api(
      'GET',
      `/api/v1/tenants?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.items.length <= 2);
    seen.push(...r.body.items.map((x) => x.id));
    cursor = r.body.next_cursor;
    if (cursor === null) break;
    assert.equal(r.body.items.length, 2);
  }
  assert.equal(cursor, null, 'paging did not end');
  assert.deepEqual(
    seen,
    all.map((x) => x.id),
  );
  assert.equal(new Set(seen).size, seen.length);
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    seen,
    'not in id order',
  );

  assertProblem(await srv.api('GET', '/api/v1/tenants?kind=galaxy'), 400, 'kind');
  assertProblem(await srv.api('GET', '/api/v1/tenants?parent_id=abc'), 400, 'parent_id');
  assertProblem(await srv.api('GET', '/api/v1/tenants?limit=0'), 400, 'limit');
  assertProblem(await srv.api('GET', '/api/v1/tenants?limit=201'), 400, 'limit');
  assertProblem(await srv.api('GET', '/api/v1/tenants?cursor=abc'), 400, 'cursor');
  assertProblem(await srv.api('GET', '/api/v1/tenants?name=x'), 400, 'name');
});

// ---------------------------------------------------------------- permissions and roles

test('the permission catalogue lists the fixed set of permissions', async () => {
  const r = await srv.api('GET', '/api/v1/permissions');
  assert.equal(r.status, 200);
  const names = r.body.items.map((p) => p.name);
  assert.equal(new Set(names).size, names.length, 'duplicate permission names');
  for (const p of [
    'users.read',
    'users.create',
    'users.update',
    'users.disable',
    'users.delete',
    'users.onboard',
    'users.mfa_reset',
    'users.unban',
    'users.force_reset',
    'audit.read',
  ]) {
    assert.ok(names.includes(p), `${p} missing from ${names}`);
  }
  for (const prefix of ['roles.', 'groups.', 'tenants.', 'settings.'])
    assert.ok(
      names.some((n) => n.startsWith(prefix)),
      prefix,
    );
  for (const p of r.body.items) assert.equal(typeof p.description, 'string');
  assertProblem(await srv.api('GET', '/api/v1/permissions', { token: null }), 401);
});

test('roles: create with every permission of the catalogue, read back, list', async () => {
  const perms = (await srv.api('GET', '/api/v1/permissions')).body.items.map((p) => p.name);
  const p = await tenant('service_provider', uniq('Roles '));
  for (const kind of ['service_provider', 'platform_account', 'platform_user']) {
    const r = await srv.api('POST', '/api/v1/roles', {
      body: {
        name: `All ${kind}`,
        description: 'everything',
        kind,
        provider_id: p.id,
        permissions: perms,
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.kind, kind);
    assert.equal(r.body.provider_id, p.id);
    assert.equal(r.body.description, 'everything');
    assert.deepEqual([...r.body.permissions].sort(), [...perms].sort());
    const g = await srv.api('GET', `/api/v1/roles/${r.body.id}`);
    assert.equal(g.status, 200);
    assert.deepEqual(g.body, r.body);
    assert.ok(g.headers.get('etag'));
  }
  const global = await post('/api/v1/roles', {
    name: uniq('Global '),
    kind: 'service_provider',
    provider_id: null,
    permissions: [],
  });
  assert.equal(global.provider_id, null);
  assert.deepEqual(global.permissions, []);
  const noProvider = await post('/api/v1/roles', {
    name: uniq('Implicit global '),
    kind: 'service_provider',
    permissions: ['users.read'],
  });
  assert.equal(noProvider.provider_id, null);
  const mine = await listAll(srv, `/api/v1/roles?provider_id=${p.id}`);
  assert.equal(mine.length, 3);
  assert.ok(mine.every((x) => x.provider_id === p.id));
  const globals = await listAll(srv, '/api/v1/roles?provider_id=global');
  assert.ok(globals.some((x) => x.id === global.id));
  assert.ok(globals.every((x) => x.provider_id === null));
  const all = await listAll(srv, '/api/v1/roles', { limit: 2 });
  assert.equal(new Set(all.map((x) => x.id)).size, all.length);
  assert.ok(
    all.some((x) => x.id === global.id) && mine.every((m) => all.some((x) => x.id === m.id)),
  );
});

test('roles: unknown permissions, bad kinds and bad providers are refused', async () => {
  const acc = await tenant(
    'platform_account',
    'acc',
    (await tenant('service_provider', uniq('Role val '))).id,
  );
  const cases = [
    ['permissions', { name: 'x', kind: 'service_provider', permissions: ['users.fly'] }],
    [
      'permissions',
      { name: 'x', kind: 'service_provider', permissions: ['users.read', 'USERS.READ'] },
    ],
    ['permissions', { name: 'x', kind: 'service_provider', permissions: ['users.*'] }],
    ['permissions', { name: 'x', kind: 'service_provider', permissions: [''] }],
    ['permissions', { name: 'x', kind: 'service_provider', permissions: [1] }],
    ['permissions', { name: 'x', kind: 'service_provider', permissions: 'users.read' }],
    ['permissions', { name: 'x', kind: 'service_provider' }],
    ['kind', { name: 'x', kind: 'superuser', permissions: [] }],
    ['kind', { name: 'x', kind: 'sub_account', permissions: [] }],
    ['kind', { name: 'x', kind: '', permissions: [] }],
    ['kind', { name: 'x', permissions: [] }],
    ['name', { kind: 'service_provider', permissions: [] }],
    ['name', { name: '', kind: 'service_provider', permissions: [] }],
    ['provider_id', { name: 'x', kind: 'service_provider', permissions: [], provider_id: acc.id }],
    ['provider_id', { name: 'x', kind: 'service_provider', permissions: [], provider_id: 999999 }],
    ['id', { name: 'x', kind: 'service_provider', permissions: [], id: 1 }],
  ];
  for (const [field, body] of cases)
    assertProblem(
      await srv.api('POST', '/api/v1/roles', { body }),
      400,
      field,
      JSON.stringify(body),
    );
  const name = uniq('Dup role ');
  await post('/api/v1/roles', { name, kind: 'service_provider', permissions: [] });
  assertProblem(
    await srv.api('POST', '/api/v1/roles', {
      body: { name, kind: 'platform_user', permissions: [] },
    }),
    409,
    'name',
  );
});

test('roles: PATCH with If-Match, 412 when stale, provider cannot change', async () => {
  const role = await post('/api/v1/roles', {
    name: uniq('Edit role '),
    kind: 'service_provider',
    permissions: ['users.read'],
  });
  const g = await srv.api('GET', `/api/v1/roles/${role.id}`);
  const etag = g.headers.get('etag');
  const r = await srv.api('PATCH', `/api/v1/roles/${role.id}`, {
    body: {
      name: `${role.name} v2`,
      description: 'edited',
      kind: 'platform_user',
      permissions: ['users.read', 'users.update'],
    },
    headers: { 'if-match': etag },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.name, `${role.name} v2`);
  assert.equal(r.body.kind, 'platform_user');
  assert.equal(r.body.description, 'edited');
  assert.deepEqual([...r.body.permissions].sort(), ['users.read', 'users.update']);
  assert.notEqual(r.headers.get('etag'), etag);
  assertProblem(
    await srv.api('PATCH', `/api/v1/roles/${role.id}`, {
      body: { name: 'lost' },
      headers: { 'if-match': etag },
    }),
    412,
  );
  assert.equal((await srv.api('GET', `/api/v1/roles/${role.id}`)).body.name, `${role.name} v2`);
  for (const [field, body] of [
    ['provider_id', { provider_id: 1 }],
    ['permissions', { permissions: ['nope'] }],
    ['kind', { kind: 'nope' }],
    ['name', { name: '' }],
    ['id', { id: 3 }],
  ]) {
    assertProblem(
      await srv.api('PATCH', `/api/v1/roles/${role.id}`, { body }),
      400,
      field,
      JSON.stringify(body),
    );
  }
  const after = await srv.api('GET', `/api/v1/roles/${role.id}`);
  assert.deepEqual([...after.body.permissions].sort(), ['users.read', 'users.update']);
  assert.equal(after.body.kind, 'platform_user');
  assertProblem(await srv.api('PATCH', '/api/v1/roles/999999', { body: { name: 'x' } }), 404);
});

test('roles: delete is refused while a user or a group holds the role', async () => {
  const role = await post('/api/v1/roles', {
    name: uniq('In use '),
    kind: 'service_provider',
    permissions: ['users.read'],
  });
  const name = uniq('roleuser');
  const u = await post('/api/v1/users', {
    username: name,
    email: `${name}@example.com`,
    role_ids: [role.id],
    password: PASSWORD,
  });
  assertProblem(
    await srv.api('DELETE', `/api/v1/roles/${role.id}`),
    409,
    undefined,
    'held by a user',
  );
  assert.equal(
    (await srv.api('PATCH', `/api/v1/users/${u.id}`, { body: { role_ids: [] } })).status,
    200,
  );
  const group = await post('/api/v1/groups', { name: uniq('Role group '), role_ids: [role.id] });
  assertProblem(
    await srv.api('DELETE', `/api/v1/roles/${role.id}`),
    409,
    undefined,
    'held by a group',
  );
  assert.equal(
    (await srv.api('PATCH', `/api/v1/groups/${group.id}`, { body: { role_ids: [] } })).status,
    200,
  );
  const d = await srv.api('DELETE', `/api/v1/roles/${role.id}`);
  assert.equal(d.status, 204, JSON.stringify(d.body));
  assertProblem(await srv.api('GET', `/api/v1/roles/${role.id}`), 404);
  assertProblem(await srv.api('DELETE', `/api/v1/roles/${role.id}`), 404);
  // A user can no longer be given the deleted role.
  const n2 = uniq('roleuser');
  assertProblem(
    await srv.api('POST', '/api/v1/users', {
      body: { username: n2, email: `${n2}@example.com`, role_ids: [role.id] },
    }),
    400,
    'role_ids',
  );
});

// ---------------------------------------------------------------- groups

test('groups: create with roles; member_count follows users with group_ids', async () => {
  const p = await tenant('service_provider', uniq('Groups '));
  const role = await post('/api/v1/roles', {
    name: 'Group role',
    kind: 'service_provider',
    provider_id: p.id,
    permissions: ['users.read'],
  });
  const g = await srv.api('POST', '/api/v1/groups', {
    body: { name: 'Support', description: 'first line', provider_id: p.id, role_ids: [role.id] },
  });
  assert.equal(g.status, 201, JSON.stringify(g.body));
  assert.equal(g.body.name, 'Support');
  assert.equal(g.body.description, 'first line');
  assert.equal(g.body.provider_id, p.id);
  assert.deepEqual(g.body.role_ids, [role.id]);
  assert.equal(g.body.member_count, 0);
  const members = [];
  for (let i = 0; i < 3; i++) {
    const name = uniq('member');
    members.push(
      await post('/api/v1/users', {
        username: name,
        email: `${name}@example.com`,
        provider_id: p.id,
        group_ids: [g.body.id],
      }),
    );
  }
  assert.deepEqual(members[0].group_ids, [g.body.id]);
  const count = async () => (await srv.api('GET', `/api/v1/groups/${g.body.id}`)).body.member_count;
  assert.equal(await count(), 3);
  assert.equal(
    (await srv.api('PATCH', `/api/v1/users/${members[0].id}`, { body: { group_ids: [] } })).status,
    200,
  );
  assert.equal(await count(), 2);
  assert.equal((await srv.api('POST', `/api/v1/users/${members[1].id}/disable`)).status, 200);
  assert.equal(await count(), 2, 'a disabled user is still a member');
  const byGroup = await listAll(srv, `/api/v1/users?group_id=${g.body.id}`);
  assert.deepEqual(
    byGroup.map((u) => u.id).sort((a, b) => a - b),
    [members[1].id, members[2].id].sort((a, b) => a - b),
  );
  const listed = (await listAll(srv, `/api/v1/groups?provider_id=${p.id}`)).find(
    (x) => x.id === g.body.id,
  );
  assert.equal(listed.member_count, 2);
});

test('groups: a deleted user no longer counts as a member', async () => {
  const g = await post('/api/v1/groups', { name: uniq('Deleted members ') });
  const name = uniq('gonemember');
  const u = await post('/api/v1/users', {
    username: name,
    email: `${name}@example.com`,
    group_ids: [g.id],
  });
  assert.equal((await srv.api('GET', `/api/v1/groups/${g.id}`)).body.member_count, 1);
  assert.equal((await srv.api('DELETE', `/api/v1/users/${u.id}`)).status, 204);
  assert.deepEqual(
    await listAll(srv, `/api/v1/users?group_id=${g.id}`),
    [],
    'the users list agrees: no members',
  );
  assert.equal(
    (await srv.api('GET', `/api/v1/groups/${g.id}`)).body.member_count,
    0,
    'member_count still counts the deleted user',
  );
});

test('groups: validation, PATCH with If-Match, delete', async () => {
  const p = await tenant('service_provider', uniq('Group edit '));
  const q = await tenant('service_provider', uniq('Group other '));
  const rq = await post('/api/v1/roles', {
    name: 'other role',
    kind: 'service_provider',
    provider_id: q.id,
    permissions: [],
  });
  const rp = await post('/api/v1/roles', {
    name: 'own role',
    kind: 'service_provider',
    provider_id: p.id,
    permissions: ['users.read'],
  });
  for (const [field, body] of [
    ['name', { provider_id: p.id }],
    ['name', { name: '', provider_id: p.id }],
    ['role_ids', { name: 'x', provider_id: p.id, role_ids: [rq.id] }],
    ['role_ids', { name: 'x', provider_id: p.id, role_ids: [999999] }],
    ['role_ids', { name: 'x', provider_id: p.id, role_ids: [rp.id, rp.id] }],
    ['provider_id', { name: 'x', provider_id: 999999 }],
    ['member_count', { name: 'x', member_count: 3 }],
    ['members', { name: 'x', members: [1] }],
  ])
    assertProblem(
      await srv.api('POST', '/api/v1/groups', { body }),
      400,
      field,
      JSON.stringify(body),
    );

  const g = await post('/api/v1/groups', { name: 'Ops', provider_id: p.id });
  assertProblem(
    await srv.api('POST', '/api/v1/groups', { body: { name: 'Ops', provider_id: p.id } }),
    409,
    'name',
  );
  const etag = (await srv.api('GET', `/api/v1/groups/${g.id}`)).headers.get('etag');
  assert.ok(etag, 'GET group has no ETag');
  const r = await srv.api('PATCH', `/api/v1/groups/${g.id}`, {
    body: { name: 'Operations', description: 'on call', role_ids: [rp.id] },
    headers: { 'if-match': etag },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.name, 'Operations');
  assert.equal(r.body.description, 'on call');
  assert.deepEqual(r.body.role_ids, [rp.id]);
  assert.notEqual(r.headers.get('etag'), etag);
  assertProblem(
    await srv.api('PATCH', `/api/v1/groups/${g.id}`, {
      body: { name: 'lost' },
      headers: { 'if-match': etag },
    }),
    412,
  );
  for (const [field, body] of [
    ['provider_id', { provider_id: q.id }],
    ['role_ids', { role_ids: [rq.id] }],
    ['name', { name: '' }],
  ]) {
    assertProblem(
      await srv.api('PATCH', `/api/v1/groups/${g.id}`, { body }),
      400,
      field,
      JSON.stringify(body),
    );
  }
  assert.equal((await srv.api('GET', `/api/v1/groups/${g.id}`)).body.name, 'Operations');

  const name = uniq('groupie');
  const u = await post('/api/v1/users', {
    username: name,
    email: `${name}@example.com`,
    provider_id: p.id,
    group_ids: [g.id],
  });
  const d = await srv.api('DELETE', `/api/v1/groups/${g.id}`);
  assert.equal(d.status, 204, JSON.stringify(d.body));
  assertProblem(await srv.api('GET', `/api/v1/groups/${g.id}`), 404);
  assertProblem(await srv.api('DELETE', `/api/v1/groups/${g.id}`), 404);
  assert.deepEqual(
    (await srv.api('GET', `/api/v1/users/${u.id}`)).body.group_ids,
    [],
    'a deleted group is still on the user',
  );
  // Its role is free again.
  assert.equal((await srv.api('DELETE', `/api/v1/roles/${rp.id}`)).status, 204);
});

// ---------------------------------------------------------------- OpenAPI

test('GET /api/v1/openapi.json lists every route of src/http/routes.c', async () => {
  const r = await srv.api('GET', '/api/v1/openapi.json', { token: null });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /json/);
  const doc = r.body;
  assert.match(doc.openapi, /^3\.1\./);
  assert.equal(typeof doc.info?.title, 'string');
  const src = readFileSync(resolve(here, '../../src/http/routes.c'), 'utf8');
  // a row of gh_routes[]: {.method = "GET", .pattern = "/path", ...} (or the older positional form)
  const row =
    /\{\s*(?:\.method\s*=\s*)?"(GET|POST|PUT|PATCH|DELETE)",\s*(?:\.pattern\s*=\s*)?"([^"]+)"/g;
  const routes = [...src.matchAll(row)].map((m) => [m[1].toLowerCase(), m[2]]);
  assert.ok(routes.length >= 25, `only ${routes.length} routes parsed`);
  for (const [method, path] of routes) {
    assert.ok(doc.paths[path], `path ${path} missing`);
    assert.ok(doc.paths[path][method], `${method.toUpperCase()} ${path} missing`);
    assert.equal(typeof doc.paths[path][method].summary, 'string');
  }
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.keys(ops).map((m) => `${m} ${p}`),
  );
  const known = new Set(routes.map(([m, p]) => `${m} ${p}`));
  for (const op of documented) assert.ok(known.has(op), `${op} is documented but not routed`);
  const create = doc.paths['/api/v1/users'].post.requestBody.content['application/json'].schema;
  for (const f of [
    'provider_id',
    'username',
    'first_name',
    'last_name',
    'email',
    'phone',
    'language',
    'timezone',
    'country',
    'role_ids',
    'group_ids',
    'access',
    'login_enabled',
    'enforce_sso',
    'sso_source',
    'sso_id',
    'mfa_required',
    'password',
  ]) {
    assert.ok(create.properties[f], `users create schema lacks ${f}`);
  }
  assert.equal(create.additionalProperties, false);
  for (const ro of ['id', 'status', 'is_superadmin', 'password_hash'])
    assert.ok(!create.properties[ro], `${ro} is writable in the schema`);
});
