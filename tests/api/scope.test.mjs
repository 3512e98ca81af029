// SECURITY C2: scope isolation. Provider A has accounts A1 and A2 (sub-accounts A1a, A1b of A1
// and A2a of A2); provider B has account B1 with sub-account B1a. Admins sit at every level; each
// must see (in lists, searches, counts, reads, writes and the audit trail) exactly the users inside
// its scope, and get 404 for any user, role, group or tenant outside it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, adminWith, listAll } from './lib/server.mjs';
import { ok } from './lib/helpers.mjs';

let srv;
const T = {}; // tenants by name -> id
const U = {}; // users by name -> {id, username}
const R = {}; // roles by name -> id
const G = {}; // groups by name -> id
const A = {}; // admins by name -> {user, token}

const ADMIN_PERMS = [
  'users.read',
  'users.create',
  'users.update',
  'users.disable',
  'users.delete',
  'users.onboard',
  'users.mfa_reset',
  'users.unban',
  'users.force_reset',
  'roles.read',
  'roles.create',
  'roles.update',
  'roles.delete',
  'groups.read',
  'groups.create',
  'groups.update',
  'groups.delete',
  'tenants.read',
  'audit.read',
];

// Who each admin must see. Everything else in U is outside.
const A_USERS = [
  'tA',
  'tA1',
  'tA2',
  'tA12',
  'tAall',
  'tA1a',
  'tA1b',
  'tA1ab',
  'tA1all',
  'tA2a',
  'provA',
  'accA1',
  'accAll',
  'subA1a',
  'subAllA1',
];
const SCOPE = {
  provA: { users: A_USERS, tenants: ['A', 'A1', 'A2', 'A1a', 'A1b', 'A2a'] },
  accA1: {
    users: ['tA1', 'tA1a', 'tA1b', 'tA1ab', 'tA1all', 'accA1', 'subA1a', 'subAllA1'],
    tenants: ['A1', 'A1a', 'A1b'],
  },
  accAll: {
    users: [
      'tA1',
      'tA2',
      'tA12',
      'tAall',
      'tA1a',
      'tA1b',
      'tA1ab',
      'tA1all',
      'tA2a',
      'accA1',
      'accAll',
      'subA1a',
      'subAllA1',
    ],
    tenants: ['A1', 'A2', 'A1a', 'A1b', 'A2a'],
  },
  subA1a: { users: ['tA1a', 'subA1a'], tenants: ['A1a'] },
  subAllA1: {
    users: ['tA1a', 'tA1b', 'tA1ab', 'tA1all', 'subA1a', 'subAllA1'],
    tenants: ['A1', 'A1a', 'A1b'],
  },
  provB: { users: ['tB', 'tB1', 'tB1a', 'provB'], tenants: ['B', 'B1', 'B1a'] },
};
const ADMINS = Object.keys(SCOPE);
const PROVIDER_OF = { provA: 'A', accA1: 'A', accAll: 'A', subA1a: 'A', subAllA1: 'A', provB: 'B' };

async function tenant(name, kind, parent) {
  T[name] = (
    await ok(
      srv.api('POST', '/api/v1/tenants', {
        body: { kind, name: `Scope ${name}`, parent_id: parent ? T[parent] : null },
      }),
    )
  ).id;
}

async function target(name, provider, access, roles = []) {
  const username = `scopet-${name}`;
  const body = {
    username,
    email: `${username}@example.com`,
    provider_id: provider ? T[provider] : null,
    role_ids: roles,
  };
  if (access) body.access = access;
  const u = await ok(srv.api('POST', '/api/v1/users', { body }));
  U[name] = { id: u.id, username };
}

const acc = (...names) => ({ level: 'account', account_ids: names.map((n) => T[n]) });
const sub = (account, subs) => ({
  level: 'sub_account',
  account_ids: [T[account]],
  sub_account_ids: subs === 'all' ? 'all' : subs.map((n) => T[n]),
});

before(async () => {
  srv = await startServer();
  await tenant('A', 'service_provider');
  await tenant('B', 'service_provider');
  await tenant('A1', 'platform_account', 'A');
  await tenant('A2', 'platform_account', 'A');
  await tenant('B1', 'platform_account', 'B');
  await tenant('A1a', 'sub_account', 'A1');
  await tenant('A1b', 'sub_account', 'A1');
  await tenant('A2a', 'sub_account', 'A2');
  await tenant('B1a', 'sub_account', 'B1');

  for (const p of ['A', 'B']) {
    R[`pu${p}`] = (
      await ok(
        srv.api('POST', '/api/v1/roles', {
          body: {
            name: `Scope PU ${p}`,
            kind: 'platform_user',
            provider_id: T[p],
            permissions: [],
          },
        }),
      )
    ).id;
    R[`sp${p}`] = (
      await ok(
        srv.api('POST', '/api/v1/roles', {
          body: {
            name: `Scope SP ${p}`,
            kind: 'service_provider',
            provider_id: T[p],
            permissions: ['users.read'],
          },
        }),
      )
    ).id;
    G[p] = (
      await ok(
        srv.api('POST', '/api/v1/groups', {
          body: { name: `Scope group ${p}`, provider_id: T[p], role_ids: [R[`sp${p}`]] },
        }),
      )
    ).id;
  }
  R.global = (
    await ok(
      srv.api('POST', '/api/v1/roles', {
        body: {
          name: 'Scope global',
          kind: 'service_provider',
          provider_id: null,
          permissions: [],
        },
      }),
    )
  ).id;
  G.global = (
    await ok(
      srv.api('POST', '/api/v1/groups', {
        body: { name: 'Scope global group', provider_id: null },
      }),
    )
  ).id;

  await target('tPlat', null);
  await target('tA', 'A');
  await target('tA1', 'A', acc('A1'));
  await target('tA2', 'A', acc('A2'));
  await target('tA12', 'A', acc('A1', 'A2'));
  await target('tAall', 'A', { level: 'account', account_ids: 'all' });
  await target('tA1a', 'A', sub('A1', ['A1a']), [R.puA]);
  await target('tA1b', 'A', sub('A1', ['A1b']), [R.puA]);
  await target('tA1ab', 'A', sub('A1', ['A1a', 'A1b']), [R.puA]);
  await target('tA1all', 'A', sub('A1', 'all'), [R.puA]);
  await target('tA2a', 'A', sub('A2', ['A2a']), [R.puA]);
  await target('tB', 'B', undefined, [R.spB]);
  await target('tB1', 'B', acc('B1'));
  await target('tB1a', 'B', sub('B1', ['B1a']), [R.puB]);
  // B's user in B's group, so group and role filters have something to leak.
  await ok(srv.api('PATCH', `/api/v1/users/${U.tB1.id}`, { body: { group_ids: [G.B] } }), 200);

  const admin = async (name, provider, access, kind = 'service_provider') => {
    A[name] = await adminWith(srv, ADMIN_PERMS, {
      provider_id: T[provider],
      access,
      kind,
      username: `scopeadm-${name}`,
    });
    U[name] = { id: A[name].user.id, username: `scopeadm-${name}` };
  };
  await admin('provA', 'A');
  await admin('accA1', 'A', acc('A1'));
  await admin('accAll', 'A', { level: 'account', account_ids: 'all' });
  await admin('subA1a', 'A', sub('A1', ['A1a']), 'platform_user');
  await admin('subAllA1', 'A', sub('A1', 'all'), 'platform_user');
  await admin('provB', 'B');

  // Audit rows about users outside most scopes: changes by root, and a denied request by B's admin.
  await ok(srv.api('PATCH', `/api/v1/users/${U.tB.id}`, { body: { last_name: 'Changed' } }), 200);
  await ok(srv.api('PATCH', `/api/v1/users/${U.tA2.id}`, { body: { last_name: 'Changed' } }), 200);
  await ok(
    srv.api('PATCH', `/api/v1/users/${U.tPlat.id}`, { body: { last_name: 'Changed' } }),
    200,
  );
  const d = await srv.api('POST', '/api/v1/tenants', {
    token: A.provB.token,
    body: { kind: 'service_provider', name: 'Denied' },
  });
  assert.equal(d.status, 403);
});

after(async () => {
  await srv?.stop();
});

const inside = (admin) => new Set(SCOPE[admin].users);
const outside = (admin) => Object.keys(U).filter((n) => !inside(admin).has(n));
const nameOfId = (id) => Object.keys(U).find((n) => U[n].id === id);

test('root (platform) sees every user of the fixture', async () => {
  const all = await listAll(srv, '/api/v1/users');
  const names = new Set(all.map((u) => nameOfId(u.id)).filter(Boolean));
  assert.deepEqual([...names].sort(), Object.keys(U).sort());
});

for (const admin of ADMINS) {
  test(`${admin}: the users list holds exactly the users inside its scope`, async () => {
    const items = await listAll(srv, '/api/v1/users', { token: A[admin].token });
    const names = items.map((u) => nameOfId(u.id) ?? `unknown:${u.username}`).sort();
    assert.deepEqual(names, [...inside(admin)].sort());
    for (const u of items)
      assert.equal(u.provider_id, T[PROVIDER_OF[admin]], `${u.username} is of another provider`);
  });

  test(`${admin}: counts by paging one at a time match the scope`, async () => {
    const items = await listAll(srv, '/api/v1/users', { token: A[admin].token, limit: 1 });
    assert.equal(items.length, inside(admin).size);
    assert.equal(new Set(items.map((u) => u.id)).size, items.length, 'no user twice across pages');
    for (const sort of ['username', '-email', 'created', 'name']) {
      const s = await listAll(srv, `/api/v1/users?sort=${sort}`, {
        token: A[admin].token,
        limit: 2,
      });
      assert.equal(s.length, inside(admin).size, `sort=${sort}`);
    }
  });

  test(`${admin}: searches never find users outside its scope`, async () => {
    const tok = A[admin].token;
    const found = await listAll(srv, '/api/v1/users?q=scopet', { token: tok });
    const expected = [...inside(admin)].filter((n) => U[n].username.startsWith('scopet-')).sort();
    assert.deepEqual(found.map((u) => nameOfId(u.id)).sort(), expected);
    const adm = await listAll(srv, '/api/v1/users?q=scopeadm', { token: tok });
    assert.deepEqual(
      adm.map((u) => nameOfId(u.id)).sort(),
      [...inside(admin)].filter((n) => n in A).sort(),
    );
    for (const n of outside(admin)) {
      const r = await srv.api('GET', `/api/v1/users?q=${encodeURIComponent(U[n].username)}`, {
        token: tok,
      });
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.items.filter((u) => u.id === U[n].id),
        [],
        `search found ${n}`,
      );
    }
    for (const status of ['invited', 'active', 'disabled', 'banned', 'deleted']) {
      const items = await listAll(srv, `/api/v1/users?status=${status}`, { token: tok });
      for (const u of items)
        assert.ok(inside(admin).has(nameOfId(u.id)), `status=${status} listed ${u.username}`);
    }
  });

  test(`${admin}: filters by another provider's tenant, role or group reveal nothing`, async () => {
    const tok = A[admin].token;
    const other = PROVIDER_OF[admin] === 'A' ? 'B' : 'A';
    const filters = [
      `tenant_id=${T[other]}`,
      `tenant_id=${T[`${other}1`]}`,
      `tenant_id=${T[`${other}1a`]}`,
      `role_id=${R[`sp${other}`]}`,
      `role_id=${R[`pu${other}`]}`,
      `group_id=${G[other]}`,
    ];
    if (admin !== 'provA' && admin !== 'provB')
      filters.push(`tenant_id=${T.A2}`, `tenant_id=${T.A1b}`, `role_id=${R.puA}`);
    for (const f of filters) {
      const items = await listAll(srv, `/api/v1/users?${f}`, { token: tok });
      for (const u of items)
        assert.ok(inside(admin).has(nameOfId(u.id)), `${f} listed ${u.username}`);
    }
  });

  test(`${admin}: reads users inside its scope and gets 404 for every user outside`, async () => {
    const tok = A[admin].token;
    for (const n of inside(admin)) {
      const r = await srv.api('GET', `/api/v1/users/${U[n].id}`, { token: tok });
      assert.equal(r.status, 200, `${n}: ${JSON.stringify(r.body)}`);
    }
    for (const n of outside(admin)) {
      const r = await srv.api('GET', `/api/v1/users/${U[n].id}`, { token: tok });
      assert.equal(r.status, 404, `${admin} reading ${n}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.type, 'urn:gatehouse:problem:ENOTFOUND');
    }
    const none = await srv.api('GET', '/api/v1/users/999999', { token: tok });
    assert.equal(none.status, 404, 'outside and absent look the same');
    const hidden = await srv.api('GET', `/api/v1/users/${U[outside(admin)[0]].id}`, { token: tok });
    assert.equal(none.body.detail, hidden.body.detail);
    assert.equal(none.body.title, hidden.body.title);
  });

  test(`${admin}: cannot change, disable or delete users outside its scope (404)`, async () => {
    const tok = A[admin].token;
    for (const n of outside(admin)) {
      const id = U[n].id;
      const what = `${admin} on ${n}`;
      assert.equal(
        (
          await srv.api('PATCH', `/api/v1/users/${id}`, {
            token: tok,
            body: { first_name: 'Hijacked' },
          })
        ).status,
        404,
        what,
      );
      assert.equal(
        (await srv.api('POST', `/api/v1/users/${id}/disable`, { token: tok })).status,
        404,
        what,
      );
      assert.equal(
        (await srv.api('POST', `/api/v1/users/${id}/enable`, { token: tok })).status,
        404,
        what,
      );
      assert.equal(
        (await srv.api('DELETE', `/api/v1/users/${id}`, { token: tok })).status,
        404,
        what,
      );
    }
    const ids = outside(admin).map((n) => U[n].id);
    for (const action of ['disable', 'delete']) {
      const b = await srv.api('POST', '/api/v1/users/bulk', { token: tok, body: { action, ids } });
      assert.equal(b.status, 200, JSON.stringify(b.body));
      assert.equal(
        b.body.succeeded,
        0,
        `${admin} bulk ${action}: ${JSON.stringify(b.body.results)}`,
      );
      for (const res of b.body.results)
        assert.equal(res.status, 404, `${admin} bulk ${action} ${res.id}`);
    }
    for (const n of outside(admin)) {
      const r = await srv.api('GET', `/api/v1/users/${U[n].id}`);
      assert.equal(r.status, 200, `${n} still exists`);
      assert.notEqual(r.body.first_name, 'Hijacked');
      assert.notEqual(r.body.status, 'disabled');
    }
  });

  test(`${admin}: roles and groups of the other provider are invisible (404)`, async () => {
    const tok = A[admin].token;
    const mine = PROVIDER_OF[admin];
    const other = mine === 'A' ? 'B' : 'A';
    const roles = await listAll(srv, '/api/v1/roles', { token: tok });
    const roleIds = new Set(roles.map((r) => r.id));
    for (const r of roles)
      assert.ok(r.provider_id === null || r.provider_id === T[mine], `role ${r.name}`);
    assert.ok(roleIds.has(R.global) && roleIds.has(R[`sp${mine}`]) && roleIds.has(R[`pu${mine}`]));
    assert.deepEqual(
      await listAll(srv, `/api/v1/roles?provider_id=${T[other]}`, { token: tok }),
      [],
    );
    const groups = await listAll(srv, '/api/v1/groups', { token: tok });
    for (const g of groups)
      assert.ok(g.provider_id === null || g.provider_id === T[mine], `group ${g.name}`);
    assert.ok(groups.some((g) => g.id === G[mine]) && groups.some((g) => g.id === G.global));
    assert.deepEqual(
      await listAll(srv, `/api/v1/groups?provider_id=${T[other]}`, { token: tok }),
      [],
    );
    for (const id of [R[`sp${other}`], R[`pu${other}`]]) {
      assert.equal((await srv.api('GET', `/api/v1/roles/${id}`, { token: tok })).status, 404);
      assert.equal(
        (await srv.api('PATCH', `/api/v1/roles/${id}`, { token: tok, body: { description: 'x' } }))
          .status,
        404,
      );
      assert.equal((await srv.api('DELETE', `/api/v1/roles/${id}`, { token: tok })).status, 404);
    }
    assert.equal((await srv.api('GET', `/api/v1/groups/${G[other]}`, { token: tok })).status, 404);
    assert.equal(
      (
        await srv.api('PATCH', `/api/v1/groups/${G[other]}`, {
          token: tok,
          body: { description: 'x' },
        })
      ).status,
      404,
    );
    assert.equal(
      (await srv.api('DELETE', `/api/v1/groups/${G[other]}`, { token: tok })).status,
      404,
    );
    // Nor can another provider's role or group be given to a user inside the scope.
    const someone = [...inside(admin)].find((n) => !(n in A) && n !== 'tA');
    const r1 = await srv.api('PATCH', `/api/v1/users/${U[someone].id}`, {
      token: tok,
      body: { role_ids: [R[`sp${other}`]] },
    });
    assert.equal(r1.status, 400, JSON.stringify(r1.body));
    assert.equal(r1.body.errors?.[0]?.field, 'role_ids');
    const r2 = await srv.api('PATCH', `/api/v1/users/${U[someone].id}`, {
      token: tok,
      body: { group_ids: [G[other]] },
    });
    assert.equal(r2.status, 400, JSON.stringify(r2.body));
    assert.equal(r2.body.errors?.[0]?.field, 'group_ids');
    const after = await srv.api('GET', `/api/v1/users/${U[someone].id}`);
    assert.ok(
      !after.body.role_ids.includes(R[`sp${other}`]) && !after.body.group_ids.includes(G[other]),
    );
  });

  test(`${admin}: tenants outside its scope are invisible (404)`, async () => {
    const tok = A[admin].token;
    const visible = new Set(SCOPE[admin].tenants);
    const listed = (await listAll(srv, '/api/v1/tenants', { token: tok })).map(
      (t) => Object.keys(T).find((n) => T[n] === t.id) ?? `unknown:${t.name}`,
    );
    assert.deepEqual(listed.sort(), [...visible].sort());
    for (const n of Object.keys(T)) {
      const r = await srv.api('GET', `/api/v1/tenants/${T[n]}`, { token: tok });
      assert.equal(r.status, visible.has(n) ? 200 : 404, `${admin} reading tenant ${n}`);
    }
    const other = PROVIDER_OF[admin] === 'A' ? 'B' : 'A';
    assert.deepEqual(
      await listAll(srv, `/api/v1/tenants?parent_id=${T[other]}`, { token: tok }),
      [],
    );
    assert.deepEqual(
      await listAll(srv, `/api/v1/tenants?parent_id=${T[`${other}1`]}`, { token: tok }),
      [],
    );
  });

  test(`${admin}: the audit trail shows no rows about users outside its scope`, async () => {
    const tok = A[admin].token;
    const rows = await listAll(srv, '/api/v1/audit', { token: tok });
    assert.ok(rows.length > 0, 'the admin sees at least the rows about its own scope');
    const insideIds = new Set([...inside(admin)].map((n) => U[n].id));
    const outsideIds = new Set(outside(admin).map((n) => U[n].id));
    for (const row of rows) {
      const what = `${admin} sees audit row ${JSON.stringify(row).slice(0, 300)}`;
      if (row.target_user_id !== null) assert.ok(insideIds.has(row.target_user_id), what);
      if (row.target_type === 'user') assert.ok(insideIds.has(row.target_id), what);
      assert.ok(!outsideIds.has(row.actor_id) || row.target_user_id !== null, what);
      assert.ok(row.provider_id === null || row.provider_id === T[PROVIDER_OF[admin]], what);
    }
    for (const n of inside(admin)) {
      assert.ok(
        rows.some((x) => x.action === 'user.create' && x.target_id === U[n].id),
        `${admin} does not see the creation of ${n}, which is inside its scope`,
      );
    }
    for (const n of outside(admin)) {
      const r = await srv.api('GET', `/api/v1/audit?target_id=${U[n].id}`, { token: tok });
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.items.filter((x) => x.target_type === 'user'),
        [],
        `${admin}: audit about ${n}`,
      );
    }
  });
}
