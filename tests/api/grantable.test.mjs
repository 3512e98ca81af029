// Issue 14, points 2 and 3: what the console offers is exactly what the server accepts.
// GET /api/v1/me/grantable lists, per service provider, the access levels, accounts, sub-accounts,
// roles and groups the caller may grant; a user's allowed_actions the actions it may take on that
// user now. For several kinds of administrator, every listed item is tried (accepted) and every
// unlisted candidate is tried (refused), and each action is tried on a fresh target. User answers
// carry the names of the provider, roles, groups and tenants beside their ids.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, adminWith, listAll } from './lib/server.mjs';
import { ok, uniq, USERS_ALL } from './lib/helpers.mjs';

let srv;
const T = {}; // tenants by name -> id
const A = {}; // admins by name -> {user, token}
let allRoles = [];
let allGroups = [];
let providers = [];

const tenant = async (kind, name, parent_id = null) =>
  (await ok(srv.api('POST', '/api/v1/tenants', { body: { kind, name, parent_id } }))).id;
const role = async (name, provider_id, permissions, kind = 'service_provider') =>
  (await ok(srv.api('POST', '/api/v1/roles', { body: { name, provider_id, permissions, kind } })))
    .id;
const group = async (name, provider_id, role_ids) =>
  (await ok(srv.api('POST', '/api/v1/groups', { body: { name, provider_id, role_ids } }))).id;

before(async () => {
  srv = await startServer();
  T.P1 = await tenant('service_provider', 'Acme');
  T.P2 = await tenant('service_provider', 'Other');
  T.A1 = await tenant('platform_account', 'North', T.P1);
  T.A2 = await tenant('platform_account', 'South', T.P1);
  T.S11 = await tenant('sub_account', 'North One', T.A1);
  T.S12 = await tenant('sub_account', 'North Two', T.A1);
  T.S21 = await tenant('sub_account', 'South One', T.A2);
  T.B1 = await tenant('platform_account', 'Beta', T.P2);
  const gRead = await role('global reader', null, ['users.read']);
  const small = await role('acme reader', T.P1, ['users.read']);
  const pu = await role('acme platform user', T.P1, ['users.read'], 'platform_user');
  const big = await role('acme roles admin', T.P1, [...USERS_ALL, 'roles.create']);
  await role('other reader', T.P2, ['users.read']);
  await group('acme readers', T.P1, [small]);
  await group('acme pu', T.P1, [pu]);
  await group('acme big', T.P1, [big]);
  await group('global readers', null, [gRead]);
  await group('other readers', T.P2, []);
  const view = ['roles.read', 'groups.read', 'tenants.read'];
  A.provider = await adminWith(srv, [...USERS_ALL, ...view], { provider_id: T.P1 });
  A.account = await adminWith(srv, [...USERS_ALL, ...view], {
    provider_id: T.P1,
    kind: 'platform_account',
    access: { level: 'account', account_ids: [T.A1] },
  });
  A.sub = await adminWith(srv, [...USERS_ALL, ...view], {
    provider_id: T.P1,
    kind: 'platform_user',
    access: { level: 'sub_account', account_ids: [T.A1], sub_account_ids: [T.S11] },
  });
  A.few = await adminWith(srv, ['users.read', 'users.update'], { provider_id: T.P1 });
  A.reader = await adminWith(srv, ['users.read'], { provider_id: T.P1 });
  A.root = { token: srv.token, user: null };
  allRoles = await listAll(srv, '/api/v1/roles');
  allGroups = await listAll(srv, '/api/v1/groups');
  providers = await listAll(srv, '/api/v1/tenants?kind=service_provider');
});

after(() => srv?.stop());

const isPu = (roleIds) =>
  roleIds.some((id) => allRoles.find((r) => r.id === id)?.kind === 'platform_user');

// Every placement a grantable provider entry lists, as an access object (pu: needs a Platform
// User role, as sub-account access does).
function listedPlacements(p) {
  const out = [];
  if (p.levels.includes('platform')) out.push({ access: { level: 'platform' }, pu: false });
  if (p.levels.includes('provider')) out.push({ access: { level: 'provider' }, pu: false });
  if (p.accounts_all) out.push({ access: { level: 'account', account_ids: 'all' }, pu: false });
  for (const a of p.accounts) {
    if (a.account_level) out.push({ access: { level: 'account', account_ids: [a.id] }, pu: false });
    if (a.sub_accounts_all)
      out.push({
        access: { level: 'sub_account', account_ids: [a.id], sub_account_ids: 'all' },
        pu: true,
      });
    for (const s of a.sub_accounts)
      out.push({
        access: { level: 'sub_account', account_ids: [a.id], sub_account_ids: [s.id] },
        pu: true,
      });
  }
  return out;
}

// Every placement that could be asked for at provider pid (the tenants of the setup).
function allPlacements(pid) {
  if (pid === null) return [{ access: { level: 'platform' }, pu: false }];
  const accounts = { [T.P1]: [T.A1, T.A2], [T.P2]: [T.B1] }[pid] || [];
  const subs = { [T.A1]: [T.S11, T.S12], [T.A2]: [T.S21] };
  const out = [
    { access: { level: 'provider' }, pu: false },
    { access: { level: 'account', account_ids: 'all' }, pu: false },
  ];
  for (const a of accounts) {
    out.push({ access: { level: 'account', account_ids: [a] }, pu: false });
    out.push({
      access: { level: 'sub_account', account_ids: [a], sub_account_ids: 'all' },
      pu: true,
    });
    for (const s of subs[a] || [])
      out.push({
        access: { level: 'sub_account', account_ids: [a], sub_account_ids: [s] },
        pu: true,
      });
  }
  return out;
}

const same = (x, y) => JSON.stringify(x) === JSON.stringify(y);

// Grants {provider_id, access, role_ids, group_ids} as admin: a new user when it may create
// users, else an edit of a fresh, powerless target that root placed in the admin's provider.
async function grant(admin, canCreate, body) {
  if (canCreate) {
    const name = uniq('g');
    return srv.api('POST', '/api/v1/users', {
      token: admin.token,
      body: { username: name, email: `${name}@example.com`, ...body },
    });
  }
  const name = uniq('t');
  const target = await ok(
    srv.api('POST', '/api/v1/users', {
      body: { username: name, email: `${name}@example.com`, provider_id: body.provider_id },
    }),
  );
  const patch = { ...body };
  delete patch.provider_id;
  return srv.api('PATCH', `/api/v1/users/${target.id}`, { token: admin.token, body: patch });
}

// A body that grants the extra roles and groups at the first placement of p that suits them.
function bodyFor(p, { role_ids = [], group_ids = [] } = {}) {
  const pu = isPu([
    ...role_ids,
    ...group_ids.flatMap((g) => p.groups.find((x) => x.id === g).role_ids),
  ]);
  const places = listedPlacements(p);
  let place = places.find((x) => x.pu === pu);
  const extra = [];
  if (!place && !pu) {
    // only sub-account placements: a listed Platform User role makes it acceptable
    place = places.find((x) => x.pu);
    const puRole = p.roles.find((r) => r.kind === 'platform_user');
    if (!place || !puRole) return null;
    extra.push(puRole.id);
  }
  if (!place) return null;
  return {
    provider_id: p.id,
    access: place.access,
    role_ids: [...role_ids, ...extra],
    group_ids,
  };
}

const KINDS = [
  ['platform superadmin', 'root', true],
  ['provider admin', 'provider', true],
  ['account admin', 'account', true],
  ['sub-account admin', 'sub', true],
  ['admin with users.read and users.update only', 'few', false],
];

for (const [label, key, canCreate] of KINDS) {
  test(`${label}: every item /me/grantable lists is accepted, every other one refused`, async () => {
    const admin = A[key];
    const g = await ok(srv.api('GET', '/api/v1/me/grantable', { token: admin.token }), 200);
    assert.equal(g.partial, false);
    assert.ok(g.providers.length > 0, JSON.stringify(g));
    const listedIds = g.providers.map((p) => p.id);
    // providers not listed: refused
    for (const pid of [null, ...providers.map((p) => p.id)].filter((x) => !listedIds.includes(x))) {
      const r = await grant(admin, canCreate, {
        provider_id: pid,
        access: { level: pid === null ? 'platform' : 'provider' },
      });
      // an edit cannot move a user: a user of another provider is out of sight (404)
      const refusals = canCreate ? [400, 403] : [404];
      assert.ok(refusals.includes(r.status), `${label}: provider ${pid}: ${r.status}`);
    }
    for (const p of g.providers) {
      const where = `${label} at provider ${p.id}`;
      if (p.id !== null) assert.equal(p.name, providers.find((x) => x.id === p.id).name);
      // placements: each listed one accepted, each other one refused
      const puRole = p.roles.find((r) => r.kind === 'platform_user');
      const listed = listedPlacements(p);
      for (const place of allPlacements(p.id)) {
        const body = {
          provider_id: p.id,
          access: place.access,
          role_ids: place.pu && puRole ? [puRole.id] : [],
        };
        if (place.pu && !puRole) continue; // nothing could make it acceptable
        const r = await grant(admin, canCreate, body);
        const on = listed.some((x) => same(x.access, place.access));
        assert.equal(
          r.status < 300,
          on,
          `${where}: ${JSON.stringify(place.access)} listed ${on}, got ${r.status} ${JSON.stringify(r.body)}`,
        );
        if (!on) assert.ok([400, 403].includes(r.status), `${where}: ${r.status}`);
      }
      // roles
      for (const x of allRoles) {
        const on = p.roles.some((r) => r.id === x.id);
        const body = bodyFor(p, { role_ids: [x.id] });
        if (on) assert.ok(body, `${where}: no placement for role ${x.name}`);
        if (!body) continue;
        const r = await grant(admin, canCreate, body);
        assert.equal(r.status < 300, on, `${where}: role ${x.name} listed ${on}, got ${r.status}`);
        if (on)
          assert.deepEqual(
            r.body.roles.find((y) => y.id === x.id),
            { id: x.id, name: x.name },
          );
        else assert.ok([400, 403].includes(r.status), `${where}: role ${x.name}: ${r.status}`);
      }
      // groups
      for (const x of allGroups) {
        const on = p.groups.some((y) => y.id === x.id);
        const pu = isPu(x.role_ids);
        const base = bodyFor(p, pu && puRole ? { role_ids: [puRole.id] } : {});
        if (!base) continue;
        const r = await grant(admin, canCreate, { ...base, group_ids: [x.id] });
        assert.equal(r.status < 300, on, `${where}: group ${x.name} listed ${on}, got ${r.status}`);
        if (on) assert.deepEqual(r.body.groups, [{ id: x.id, name: x.name }]);
        else assert.ok([400, 403].includes(r.status), `${where}: group ${x.name}: ${r.status}`);
      }
    }
  });
}

test('what each kind of admin may grant, by name', async () => {
  const get = async (key) =>
    ok(srv.api('GET', '/api/v1/me/grantable', { token: A[key].token }), 200);
  const root = await get('root');
  assert.deepEqual(
    root.providers.map((p) => [p.id, p.name]),
    [
      [null, null],
      [T.P1, 'Acme'],
      [T.P2, 'Other'],
    ],
  );
  assert.deepEqual(root.providers[0].levels, ['platform']);
  const account = await get('account');
  assert.equal(account.level, 'account');
  assert.deepEqual(account.provider, { id: T.P1, name: 'Acme' });
  const [p] = account.providers;
  assert.deepEqual(p.levels, ['account', 'sub_account']);
  assert.equal(p.accounts_all, false);
  assert.deepEqual(
    p.accounts.map((a) => [
      a.name,
      a.account_level,
      a.sub_accounts_all,
      a.sub_accounts.map((s) => s.name),
    ]),
    [['North', true, true, ['North One', 'North Two']]],
  );
  assert.ok(!p.roles.some((r) => r.name === 'acme roles admin'), 'holds permissions it lacks');
  const sub = await get('sub');
  assert.deepEqual(sub.account, { id: T.A1, name: 'North' });
  assert.deepEqual(sub.providers[0].levels, ['sub_account']);
  assert.deepEqual(
    sub.providers[0].accounts.map((a) => [
      a.name,
      a.sub_accounts_all,
      a.sub_accounts.map((s) => s.name),
    ]),
    [['North', false, ['North One']]],
  );
  // who may neither create nor edit users grants nothing
  const reader = await get('reader');
  assert.deepEqual(reader.providers, []);
  assert.deepEqual(reader.provider, { id: T.P1, name: 'Acme' });
});

// ---- allowed_actions ----

const ACTIONS = {
  update: (id) => ['PATCH', `/api/v1/users/${id}`, { first_name: 'Renamed' }],
  disable: (id) => ['POST', `/api/v1/users/${id}/disable`],
  enable: (id) => ['POST', `/api/v1/users/${id}/enable`],
  delete: (id) => ['DELETE', `/api/v1/users/${id}`],
  reset_mfa: (id) => ['POST', `/api/v1/users/${id}/reset-mfa`],
  force_reset: (id) => ['POST', `/api/v1/users/${id}/force-password-reset`],
  resend: (id) => ['POST', `/api/v1/users/${id}/resend-onboarding`],
  unban: (id) => ['POST', `/api/v1/users/${id}/unban`],
};
const act = (admin, kind, id) => {
  const [method, path, body] = ACTIONS[kind](id);
  return srv.api(method, path, { token: admin.token, body });
};

// The targets each admin may see: a powerless invited user, a powerless active one, and one
// holding a permission the admin lacks (none for root, who holds everything).
async function target(kind, key) {
  const name = uniq('x');
  const place = {
    root: { provider_id: T.P1 },
    provider: { provider_id: T.P1 },
    account: { provider_id: T.P1, access: { level: 'account', account_ids: [T.A1] } },
    sub: {
      provider_id: T.P1,
      access: { level: 'sub_account', account_ids: [T.A1], sub_account_ids: [T.S11] },
      role_ids: [allRoles.find((r) => r.name === 'acme platform user').id],
    },
    few: { provider_id: T.P1 },
  }[key];
  const body = { username: name, email: `${name}@example.com`, ...place };
  if (kind !== 'invited') body.password = 'a long enough password for tests';
  if (kind === 'strong')
    body.role_ids = [
      ...(body.role_ids || []),
      allRoles.find((r) => r.name === 'acme roles admin').id,
    ];
  return ok(srv.api('POST', '/api/v1/users', { body }));
}

for (const [label, key] of KINDS) {
  test(`${label}: allowed_actions is exactly what the action endpoints accept`, async () => {
    const admin = A[key];
    for (const kind of ['invited', 'active', ...(key === 'root' ? [] : ['strong'])]) {
      const first = await target(kind, key);
      const seen = await ok(
        srv.api('GET', `/api/v1/users/${first.id}`, { token: admin.token }),
        200,
      );
      const allowed = seen.allowed_actions;
      assert.ok(Array.isArray(allowed));
      if (kind === 'strong') assert.deepEqual(allowed, [], `${label}: nothing on a stronger user`);
      // the list's item says the same
      const listed = await ok(
        srv.api('GET', `/api/v1/users?q=${first.username}`, { token: admin.token }),
        200,
      );
      assert.deepEqual(listed.items.find((u) => u.id === first.id)?.allowed_actions, allowed);
      for (const action of Object.keys(ACTIONS)) {
        const fresh = action === Object.keys(ACTIONS)[0] ? first : await target(kind, key);
        const r = await act(admin, action, fresh.id);
        const on = allowed.includes(action);
        assert.equal(
          r.status < 300,
          on,
          `${label}, ${kind} target, ${action}: listed ${on}, got ${r.status} ${JSON.stringify(r.body)}`,
        );
        if (!on) assert.ok([403, 409].includes(r.status), `${label} ${action}: ${r.status}`);
      }
    }
  });
}

test('allowed_actions on oneself: never disable or delete (refused 409), edit allowed', async () => {
  for (const key of ['provider', 'account', 'sub']) {
    const admin = A[key];
    const me = await ok(
      srv.api('GET', `/api/v1/users/${admin.user.id}`, { token: admin.token }),
      200,
    );
    assert.ok(me.allowed_actions.includes('update'), key);
    for (const action of ['disable', 'delete']) {
      assert.ok(!me.allowed_actions.includes(action), `${key}: ${action} on oneself`);
      assert.equal((await act(admin, action, admin.user.id)).status, 409);
    }
    assert.equal((await act(admin, 'update', admin.user.id)).status, 200);
  }
});

test('a user answer names its provider, roles, groups and tenants beside their ids', async () => {
  const pu = allRoles.find((r) => r.name === 'acme platform user');
  const grp = allGroups.find((g) => g.name === 'acme readers');
  const name = uniq('n');
  const u = await ok(
    srv.api('POST', '/api/v1/users', {
      body: {
        username: name,
        email: `${name}@example.com`,
        provider_id: T.P1,
        role_ids: [pu.id],
        group_ids: [grp.id],
        access: { level: 'sub_account', account_ids: [T.A1], sub_account_ids: [T.S11, T.S12] },
      },
    }),
  );
  // read by an admin who may read neither tenants nor roles nor groups
  const seen = await ok(srv.api('GET', `/api/v1/users/${u.id}`, { token: A.few.token }), 200);
  assert.deepEqual(seen.provider, { id: T.P1, name: 'Acme' });
  assert.equal(seen.provider_id, T.P1);
  assert.deepEqual(seen.role_ids, [pu.id]);
  assert.deepEqual(seen.roles, [{ id: pu.id, name: 'acme platform user' }]);
  assert.deepEqual(seen.groups, [{ id: grp.id, name: 'acme readers' }]);
  assert.deepEqual(seen.accounts, [{ id: T.A1, name: 'North' }]);
  assert.deepEqual(seen.sub_accounts, [
    { id: T.S11, name: 'North One' },
    { id: T.S12, name: 'North Two' },
  ]);
  assert.deepEqual(seen.access.account_ids, [T.A1]);
  // a platform user has no provider
  const staff = await ok(srv.api('GET', `/api/v1/users/${A.provider.user.id}`), 200);
  assert.deepEqual(staff.provider, { id: T.P1, name: 'Acme' });
});

test('a long list page carries each user its allowed_actions, as the single read does', async () => {
  for (let i = 0; i < 45; i++) {
    const name = uniq('l');
    await ok(
      srv.api('POST', '/api/v1/users', {
        body: { username: name, email: `${name}@example.com`, provider_id: T.P1 },
      }),
    );
  }
  const page = await ok(
    srv.api('GET', '/api/v1/users?limit=100&sort=id', { token: A.provider.token }),
    200,
  );
  assert.ok(page.items.length > 40, `only ${page.items.length} users`);
  for (const item of page.items) {
    const one = await ok(
      srv.api('GET', `/api/v1/users/${item.id}`, { token: A.provider.token }),
      200,
    );
    assert.deepEqual(item.allowed_actions, one.allowed_actions, item.username);
  }
  assert.ok(page.items.some((u) => u.allowed_actions.includes('delete')));
  const me = page.items.find((u) => u.id === A.provider.user.id);
  assert.ok(me && !me.allowed_actions.includes('delete'));
});
