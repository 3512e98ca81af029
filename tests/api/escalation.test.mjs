// SECURITY C3 (no escalation) and C5 (a revoked role takes effect on the next request).
// Granter × target-role matrix over the whole permission catalogue: an admin grants a role only
// when it holds every permission of that role, through every path (a user's roles, a user's
// groups, a group's roles, a role's permissions); it grants only scope that it holds; and it
// cannot act on a user holding permissions it lacks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, adminWith } from './lib/server.mjs';
import { ok, uniq, USERS_ALL } from './lib/helpers.mjs';

let srv;
let perms = []; // the catalogue
const roleOf = {}; // permission -> id of a global role holding only it
const groupOf = {}; // permission -> id of a global group whose role holds only it
const T = {}; // tenants
let puA; // Platform User role of provider A (no permissions)

function assertForbidden(r, field, what) {
  assert.equal(r.status, 403, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.match(r.headers.get('content-type') || '', /^application\/problem\+json/);
  if (field !== undefined)
    assert.equal(r.body.errors?.[0]?.field, field, `${what}: ${JSON.stringify(r.body)}`);
}

const newUser = (extra = {}) => {
  const username = uniq('esc');
  return { username, email: `${username}@example.com`, ...extra };
};

async function tenant(name, kind, parent) {
  T[name] = (
    await ok(
      srv.api('POST', '/api/v1/tenants', {
        body: { kind, name: `Esc ${name}`, parent_id: parent ? T[parent] : null },
      }),
    )
  ).id;
}

before(async () => {
  srv = await startServer();
  perms = (await ok(srv.api('GET', '/api/v1/permissions'), 200)).items.map((p) => p.name);
  for (const p of perms) {
    roleOf[p] = (
      await ok(
        srv.api('POST', '/api/v1/roles', {
          body: {
            name: `Only ${p}`,
            kind: 'service_provider',
            provider_id: null,
            permissions: [p],
          },
        }),
      )
    ).id;
    groupOf[p] = (
      await ok(
        srv.api('POST', '/api/v1/groups', {
          body: { name: `Group ${p}`, provider_id: null, role_ids: [roleOf[p]] },
        }),
      )
    ).id;
  }
  await tenant('A', 'service_provider');
  await tenant('B', 'service_provider');
  await tenant('A1', 'platform_account', 'A');
  await tenant('A2', 'platform_account', 'A');
  await tenant('B1', 'platform_account', 'B');
  await tenant('A1a', 'sub_account', 'A1');
  await tenant('A1b', 'sub_account', 'A1');
  await tenant('A2a', 'sub_account', 'A2');
  puA = (
    await ok(
      srv.api('POST', '/api/v1/roles', {
        body: { name: 'Esc PU A', kind: 'platform_user', provider_id: T.A, permissions: [] },
      }),
    )
  ).id;
});

after(async () => {
  await srv?.stop();
});

// Granters for the role and group matrices (platform staff, so scope never gets in the way).
const GRANTERS = {
  'users.*': USERS_ALL,
  'users.* + roles.read + groups.read': [...USERS_ALL, 'roles.read', 'groups.read'],
  'users.create + users.read + audit.read': ['users.create', 'users.read', 'audit.read'],
  'everything but roles.create': null, // filled in from the catalogue
};
const granterPerms = (name) => GRANTERS[name] ?? perms.filter((p) => p !== 'roles.create');

for (const name of Object.keys(GRANTERS)) {
  test(`granter [${name}] × every one-permission role: create a user with it (field role_ids)`, async () => {
    const held = new Set(granterPerms(name));
    const g = await adminWith(srv, [...held]);
    for (const p of perms) {
      const r = await srv.api('POST', '/api/v1/users', {
        token: g.token,
        body: newUser({ role_ids: [roleOf[p]] }),
      });
      if (held.has(p))
        assert.equal(r.status, 201, `${name} granting ${p}: ${JSON.stringify(r.body)}`);
      else assertForbidden(r, 'role_ids', `${name} granting ${p}`);
    }
    // A role mixing held and missing permissions is refused as a whole.
    const lacking = perms.find((p) => !held.has(p));
    const mixed = await ok(
      srv.api('POST', '/api/v1/roles', {
        body: {
          name: uniq('Mixed '),
          kind: 'service_provider',
          provider_id: null,
          permissions: ['users.read', lacking],
        },
      }),
    );
    assertForbidden(
      await srv.api('POST', '/api/v1/users', {
        token: g.token,
        body: newUser({ role_ids: [roleOf['users.read'], mixed.id] }),
      }),
      'role_ids',
      `${name} granting users.read+${lacking}`,
    );
  });

  test(`granter [${name}] × every one-permission group: create a user in it (field group_ids)`, async () => {
    const held = new Set(granterPerms(name));
    const g = await adminWith(srv, [...held]);
    for (const p of perms) {
      const r = await srv.api('POST', '/api/v1/users', {
        token: g.token,
        body: newUser({ group_ids: [groupOf[p]] }),
      });
      if (held.has(p))
        assert.equal(r.status, 201, `${name} via group ${p}: ${JSON.stringify(r.body)}`);
      else assertForbidden(r, 'group_ids', `${name} via group ${p}`);
    }
  });
}

test('a refused creation leaves nothing behind (the username stays free)', async () => {
  const g = await adminWith(srv, USERS_ALL);
  const body = newUser({ role_ids: [roleOf['roles.create']] });
  assertForbidden(
    await srv.api('POST', '/api/v1/users', { token: g.token, body }),
    'role_ids',
    'granting roles.create',
  );
  const again = await srv.api('POST', '/api/v1/users', {
    token: g.token,
    body: { ...body, role_ids: [roleOf['users.read']] },
  });
  assert.equal(again.status, 201, JSON.stringify(again.body));
});

test('editing a user: adding a role or group with permissions the granter lacks is refused', async () => {
  const held = new Set(USERS_ALL);
  const g = await adminWith(srv, [...held]);
  const target = await ok(srv.api('POST', '/api/v1/users', { body: newUser() }));
  for (const p of perms) {
    for (const [field, id] of [
      ['role_ids', roleOf[p]],
      ['group_ids', groupOf[p]],
    ]) {
      const r = await srv.api('PATCH', `/api/v1/users/${target.id}`, {
        token: g.token,
        body: { [field]: [id], role_ids: field === 'role_ids' ? [id] : [] },
      });
      if (held.has(p)) {
        assert.equal(r.status, 200, `PATCH ${field} ${p}: ${JSON.stringify(r.body)}`);
      } else {
        assertForbidden(r, field, `PATCH ${field} ${p}`);
        const now = await ok(srv.api('GET', `/api/v1/users/${target.id}`), 200);
        assert.ok(!now[field].includes(id), `${field} ${p} was saved despite the 403`);
      }
    }
  }
  // Whatever the target ended with, every permission it holds is one the granter holds.
  const final = await ok(srv.api('GET', `/api/v1/users/${target.id}`), 200);
  for (const p of perms) {
    if (final.role_ids.includes(roleOf[p]) || final.group_ids.includes(groupOf[p]))
      assert.ok(held.has(p), `target holds ${p}`);
  }
});

test('editing a role to add permissions the editor lacks is refused (field permissions)', async () => {
  const editors = {
    'roles.read + roles.update': ['roles.read', 'roles.update'],
    'everything but roles.create': perms.filter((p) => p !== 'roles.create'),
    'users.* + roles.update': [...USERS_ALL, 'roles.update'],
  };
  for (const [name, held] of Object.entries(editors)) {
    const e = await adminWith(srv, held);
    for (const p of perms) {
      const scratch = await ok(
        srv.api('POST', '/api/v1/roles', {
          body: {
            name: uniq('Scratch '),
            kind: 'service_provider',
            provider_id: null,
            permissions: [],
          },
        }),
      );
      const r = await srv.api('PATCH', `/api/v1/roles/${scratch.id}`, {
        token: e.token,
        body: { permissions: [p] },
      });
      if (held.includes(p)) {
        assert.equal(r.status, 200, `${name} adding ${p}: ${JSON.stringify(r.body)}`);
      } else {
        assertForbidden(r, 'permissions', `${name} adding ${p}`);
        const now = await ok(srv.api('GET', `/api/v1/roles/${scratch.id}`), 200);
        assert.deepEqual(now.permissions, [], `${p} was saved despite the 403`);
      }
    }
    // Its own role is no way round it either.
    const own = await srv.api('PATCH', `/api/v1/roles/${e.role.id}`, {
      token: e.token,
      body: { permissions: perms },
    });
    assertForbidden(own, 'permissions', `${name} widening its own role`);
  }
});

test('creating a role with permissions the creator lacks is refused (field permissions)', async () => {
  const held = ['roles.read', 'roles.create', 'users.read'];
  const c = await adminWith(srv, held);
  for (const p of perms) {
    const r = await srv.api('POST', '/api/v1/roles', {
      token: c.token,
      body: {
        name: uniq('By creator '),
        kind: 'service_provider',
        provider_id: null,
        permissions: [p],
      },
    });
    if (held.includes(p))
      assert.equal(r.status, 201, `creating with ${p}: ${JSON.stringify(r.body)}`);
    else assertForbidden(r, 'permissions', `creating a role with ${p}`);
  }
});

test('a group gets only roles whose permissions the editor holds (create and edit, field role_ids)', async () => {
  const held = ['groups.read', 'groups.create', 'groups.update', 'roles.read'];
  const e = await adminWith(srv, held);
  const group = await ok(
    srv.api('POST', '/api/v1/groups', {
      token: e.token,
      body: { name: uniq('Editor group '), provider_id: null },
    }),
  );
  // A member, so a role slipped into the group would reach a real user.
  const member = await ok(
    srv.api('POST', '/api/v1/users', { body: newUser({ group_ids: [group.id] }) }),
  );
  for (const p of perms) {
    const c = await srv.api('POST', '/api/v1/groups', {
      token: e.token,
      body: { name: uniq('G '), provider_id: null, role_ids: [roleOf[p]] },
    });
    const u = await srv.api('PATCH', `/api/v1/groups/${group.id}`, {
      token: e.token,
      body: { role_ids: [roleOf[p]] },
    });
    if (held.includes(p)) {
      assert.equal(c.status, 201, `create with ${p}: ${JSON.stringify(c.body)}`);
      assert.equal(u.status, 200, `edit with ${p}: ${JSON.stringify(u.body)}`);
    } else {
      assertForbidden(c, 'role_ids', `group create with ${p}`);
      assertForbidden(u, 'role_ids', `group edit with ${p}`);
    }
  }
  const g = await ok(srv.api('GET', `/api/v1/groups/${group.id}`), 200);
  for (const id of g.role_ids)
    assert.ok(
      held.some((p) => roleOf[p] === id),
      `group holds role ${id}`,
    );
  assert.equal(g.member_count, 1);
  assert.ok(member.id > 0);
});

test('a provider admin cannot change global roles or groups', async () => {
  const e = await adminWith(
    srv,
    [
      ...USERS_ALL,
      'roles.read',
      'roles.update',
      'roles.delete',
      'groups.read',
      'groups.update',
      'groups.delete',
    ],
    { provider_id: T.A, username: uniq('provroles') },
  );
  assert.equal(
    (
      await srv.api('PATCH', `/api/v1/roles/${roleOf['users.read']}`, {
        token: e.token,
        body: { description: 'x' },
      })
    ).status,
    403,
  );
  assert.equal(
    (await srv.api('DELETE', `/api/v1/roles/${roleOf['users.read']}`, { token: e.token })).status,
    403,
  );
  assert.equal(
    (
      await srv.api('PATCH', `/api/v1/groups/${groupOf['users.read']}`, {
        token: e.token,
        body: { description: 'x' },
      })
    ).status,
    403,
  );
  assert.equal(
    (await srv.api('DELETE', `/api/v1/groups/${groupOf['users.read']}`, { token: e.token })).status,
    403,
  );
  const r = await srv.api('POST', '/api/v1/roles', {
    token: e.token,
    body: {
      name: uniq('Global by provider '),
      kind: 'service_provider',
      provider_id: null,
      permissions: [],
    },
  });
  assert.equal(r.status, 403, JSON.stringify(r.body));
});

// ---- scope ----

const acc = (...names) => ({ level: 'account', account_ids: names.map((n) => T[n]) });
const sub = (account, subs) => ({
  level: 'sub_account',
  account_ids: [T[account]],
  sub_account_ids: subs === 'all' ? 'all' : subs.map((n) => T[n]),
});

async function scopeCase(granter, { provider = 'A', access, roles = [] }, expect, what) {
  const body = newUser({ provider_id: provider ? T[provider] : null, role_ids: roles });
  if (access) body.access = access;
  const r = await srv.api('POST', '/api/v1/users', { token: granter.token, body });
  if (expect === 201) {
    assert.equal(r.status, 201, `${what}: ${JSON.stringify(r.body)}`);
  } else {
    // 403 on scope the granter sees but does not hold; a tenant outside its view answers like
    // one that does not exist (400 naming the field: C9).
    if (typeof expect === 'string') {
      assert.equal(r.status, 400, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.errors?.[0]?.field, expect, `${what}: ${JSON.stringify(r.body)}`);
    } else assertForbidden(r, 'access', what);
    // Nothing was written: the same username is still free.
    const again = await srv.api('POST', '/api/v1/users', { body });
    assert.equal(
      again.status,
      201,
      `${what}: the refused user was saved (${JSON.stringify(again.body)})`,
    );
  }
}

test('an account-scoped admin grants only its own accounts (field access)', async () => {
  const g = await adminWith(srv, USERS_ALL, {
    provider_id: T.A,
    access: acc('A1'),
    username: uniq('accA1'),
  });
  await scopeCase(g, { access: acc('A1') }, 201, 'account A1');
  await scopeCase(g, { access: sub('A1', ['A1a']), roles: [puA] }, 201, 'sub-account A1a');
  await scopeCase(g, { access: sub('A1', 'all'), roles: [puA] }, 201, 'all sub-accounts of A1');
  await scopeCase(g, { access: acc('A2') }, 'access.account_ids', 'account A2');
  await scopeCase(g, { access: acc('A1', 'A2') }, 'access.account_ids', 'accounts A1+A2');
  await scopeCase(g, { access: { level: 'account', account_ids: 'all' } }, 403, 'all accounts');
  await scopeCase(g, {}, 403, 'the whole provider');
  await scopeCase(
    g,
    { access: sub('A2', ['A2a']), roles: [puA] },
    'access.account_ids',
    'sub-account A2a',
  );
  await scopeCase(g, { provider: 'B', access: acc('B1') }, 'provider_id', 'another provider');
  await scopeCase(g, { provider: null }, 403, 'platform staff');
});

test('a sub-account admin grants only its own sub-accounts (field access)', async () => {
  const g = await adminWith(srv, USERS_ALL, {
    provider_id: T.A,
    access: sub('A1', ['A1a']),
    kind: 'platform_user',
    username: uniq('subA1a'),
  });
  await scopeCase(g, { access: sub('A1', ['A1a']), roles: [puA] }, 201, 'sub-account A1a');
  await scopeCase(
    g,
    { access: sub('A1', ['A1b']), roles: [puA] },
    'access.sub_account_ids',
    'sub-account A1b',
  );
  await scopeCase(
    g,
    { access: sub('A1', ['A1a', 'A1b']), roles: [puA] },
    'access.sub_account_ids',
    'sub-accounts A1a+A1b',
  );
  await scopeCase(g, { access: sub('A1', 'all'), roles: [puA] }, 403, 'all sub-accounts of A1');
  await scopeCase(g, { access: acc('A1') }, 403, 'account A1');
  await scopeCase(g, {}, 403, 'the whole provider');
});

test('an "all accounts" admin grants accounts but not the whole provider (field access)', async () => {
  const g = await adminWith(srv, USERS_ALL, {
    provider_id: T.A,
    access: { level: 'account', account_ids: 'all' },
    username: uniq('accAll'),
  });
  await scopeCase(g, { access: acc('A1', 'A2') }, 201, 'accounts A1+A2');
  await scopeCase(g, { access: { level: 'account', account_ids: 'all' } }, 201, 'all accounts');
  await scopeCase(g, {}, 403, 'the whole provider');
  await scopeCase(g, { provider: 'B', access: acc('B1') }, 'provider_id', 'another provider');
});

test("editing a user's access beyond the editor's own scope is refused and changes nothing", async () => {
  const g = await adminWith(srv, USERS_ALL, {
    provider_id: T.A,
    access: acc('A1'),
    username: uniq('accA1e'),
  });
  const t = await ok(
    srv.api('POST', '/api/v1/users', { body: newUser({ provider_id: T.A, access: acc('A1') }) }),
  );
  for (const [what, access, field] of [
    ['A2', acc('A2'), 'access.account_ids'],
    ['A1+A2', acc('A1', 'A2'), 'access.account_ids'],
    ['all', { level: 'account', account_ids: 'all' }],
    ['provider', { level: 'provider' }],
  ]) {
    const r = await srv.api('PATCH', `/api/v1/users/${t.id}`, { token: g.token, body: { access } });
    if (field) {
      // A2 is outside its view: answered as an account that does not exist (C9)
      assert.equal(r.status, 400, `widening to ${what}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.errors?.[0]?.field, field);
    } else assertForbidden(r, 'access', `widening to ${what}`);
    const now = await ok(srv.api('GET', `/api/v1/users/${t.id}`), 200);
    assert.deepEqual(
      now.access,
      { level: 'account', account_ids: [T.A1] },
      `after widening to ${what}`,
    );
  }
  // An admin cannot widen its own scope either.
  const self = await srv.api('PATCH', `/api/v1/users/${g.user.id}`, {
    token: g.token,
    body: { access: { level: 'account', account_ids: 'all' } },
  });
  assertForbidden(self, 'access', 'widening its own access');
});

// ---- acting on a more powerful user ----

test('an admin cannot edit, disable, enable or delete a user holding permissions it lacks', async () => {
  const g = await adminWith(srv, USERS_ALL);
  const mk = async (permissions, via = 'role') => {
    const role = await ok(
      srv.api('POST', '/api/v1/roles', {
        body: { name: uniq('Target '), kind: 'service_provider', provider_id: null, permissions },
      }),
    );
    const extra =
      via === 'role'
        ? { role_ids: [role.id] }
        : {
            group_ids: [
              (
                await ok(
                  srv.api('POST', '/api/v1/groups', {
                    body: { name: uniq('TG '), provider_id: null, role_ids: [role.id] },
                  }),
                )
              ).id,
            ],
          };
    return ok(
      srv.api('POST', '/api/v1/users', {
        body: newUser({ password: 'a long enough password for tests', ...extra }),
      }),
    );
  };
  const stronger = {
    'users.* + audit.read': await mk([...USERS_ALL, 'audit.read']),
    'roles.create only': await mk(['roles.create']),
    'settings.update through a group': await mk(['settings.update'], 'group'),
    'the superadmin root': (await ok(srv.api('GET', '/api/v1/users?q=root'), 200)).items.find(
      (u) => u.username === 'root',
    ),
  };
  for (const [what, t] of Object.entries(stronger)) {
    assertForbidden(
      await srv.api('PATCH', `/api/v1/users/${t.id}`, {
        token: g.token,
        body: { email: 'attacker@example.com' },
      }),
      undefined,
      `edit ${what}`,
    );
    assertForbidden(
      await srv.api('POST', `/api/v1/users/${t.id}/disable`, { token: g.token }),
      undefined,
      `disable ${what}`,
    );
    assertForbidden(
      await srv.api('DELETE', `/api/v1/users/${t.id}`, { token: g.token }),
      undefined,
      `delete ${what}`,
    );
    const bulk = await ok(
      srv.api('POST', '/api/v1/users/bulk', {
        token: g.token,
        body: { action: 'disable', ids: [t.id] },
      }),
      200,
    );
    assert.equal(bulk.results[0].status, 403, `bulk disable ${what}`);
    const now = await ok(srv.api('GET', `/api/v1/users/${t.id}`), 200);
    assert.equal(now.status, 'active', what);
    assert.notEqual(now.email, 'attacker@example.com', what);
  }
  // Enabling a disabled, more powerful user is refused too.
  const t = stronger['users.* + audit.read'];
  await ok(srv.api('POST', `/api/v1/users/${t.id}/disable`), 200);
  assertForbidden(
    await srv.api('POST', `/api/v1/users/${t.id}/enable`, { token: g.token }),
    undefined,
    'enable a stronger user',
  );
  assert.equal((await ok(srv.api('GET', `/api/v1/users/${t.id}`), 200)).status, 'disabled');

  // Control: equal and weaker users are fair game.
  for (const permissions of [USERS_ALL, ['users.read'], []]) {
    const w = await mk(permissions);
    assert.equal(
      (
        await srv.api('PATCH', `/api/v1/users/${w.id}`, {
          token: g.token,
          body: { first_name: 'Edited' },
        })
      ).status,
      200,
    );
    assert.equal(
      (await srv.api('POST', `/api/v1/users/${w.id}/disable`, { token: g.token })).status,
      200,
    );
    assert.equal(
      (await srv.api('POST', `/api/v1/users/${w.id}/enable`, { token: g.token })).status,
      200,
    );
    assert.equal(
      (await srv.api('DELETE', `/api/v1/users/${w.id}`, { token: g.token })).status,
      204,
    );
  }
});

// ---- C5 ----

test('C5: removing a permission from a role takes effect on the next request', async () => {
  const x = await adminWith(srv, ['users.read', 'audit.read']);
  assert.equal((await srv.api('GET', '/api/v1/users', { token: x.token })).status, 200);
  await ok(
    srv.api('PATCH', `/api/v1/roles/${x.role.id}`, { body: { permissions: ['audit.read'] } }),
    200,
  );
  assert.equal((await srv.api('GET', '/api/v1/users', { token: x.token })).status, 403);
  assert.equal((await srv.api('GET', '/api/v1/audit', { token: x.token })).status, 200);
  await ok(
    srv.api('PATCH', `/api/v1/roles/${x.role.id}`, {
      body: { permissions: ['audit.read', 'users.read'] },
    }),
    200,
  );
  assert.equal((await srv.api('GET', '/api/v1/users', { token: x.token })).status, 200);
});

test('C5: removing the role from the user takes effect on the next request', async () => {
  const y = await adminWith(srv, ['users.read', 'users.update']);
  assert.equal((await srv.api('GET', '/api/v1/users', { token: y.token })).status, 200);
  await ok(srv.api('PATCH', `/api/v1/users/${y.user.id}`, { body: { role_ids: [] } }), 200);
  assert.equal((await srv.api('GET', '/api/v1/users', { token: y.token })).status, 403);
  assert.equal(
    (
      await srv.api('PATCH', `/api/v1/users/${y.user.id}`, {
        token: y.token,
        body: { role_ids: [y.role.id] },
      })
    ).status,
    403,
  );
});

test('C5: removing a role from a group, or the user from the group, takes effect at once', async () => {
  const role = await ok(
    srv.api('POST', '/api/v1/roles', {
      body: {
        name: uniq('Via group '),
        kind: 'service_provider',
        provider_id: null,
        permissions: ['users.read'],
      },
    }),
  );
  const group = await ok(
    srv.api('POST', '/api/v1/groups', {
      body: { name: uniq('Revoked group '), provider_id: null, role_ids: [role.id] },
    }),
  );
  const body = newUser({ password: 'a long enough password for tests', group_ids: [group.id] });
  const z = await ok(srv.api('POST', '/api/v1/users', { body }));
  const tok = srv.cli(['token', 'create', '--user', body.username]).trim();
  assert.equal((await srv.api('GET', '/api/v1/users', { token: tok })).status, 200);
  await ok(srv.api('PATCH', `/api/v1/groups/${group.id}`, { body: { role_ids: [] } }), 200);
  assert.equal((await srv.api('GET', '/api/v1/users', { token: tok })).status, 403);
  await ok(srv.api('PATCH', `/api/v1/groups/${group.id}`, { body: { role_ids: [role.id] } }), 200);
  assert.equal((await srv.api('GET', '/api/v1/users', { token: tok })).status, 200);
  await ok(srv.api('PATCH', `/api/v1/users/${z.id}`, { body: { group_ids: [] } }), 200);
  assert.equal((await srv.api('GET', '/api/v1/users', { token: tok })).status, 403);
});

test("C5: narrowing an admin's scope takes effect on the next request", async () => {
  const a = await adminWith(srv, ['users.read'], { provider_id: T.A, username: uniq('narrowed') });
  const inA2 = await ok(
    srv.api('POST', '/api/v1/users', { body: newUser({ provider_id: T.A, access: acc('A2') }) }),
  );
  assert.equal((await srv.api('GET', `/api/v1/users/${inA2.id}`, { token: a.token })).status, 200);
  await ok(srv.api('PATCH', `/api/v1/users/${a.user.id}`, { body: { access: acc('A1') } }), 200);
  assert.equal((await srv.api('GET', `/api/v1/users/${inA2.id}`, { token: a.token })).status, 404);
});
