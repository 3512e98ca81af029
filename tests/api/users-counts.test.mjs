// The users list as the console shows it (issue 14, point 5):
//   - GET /api/v1/users/counts: each tab's count for the list's filter (q, role_id, group_id,
//     tenant_id), exact up to 10,000 and then {count: 10000, more: true}, inside the reader's
//     scope (C10); null for a search term that no index serves;
//   - list items name their provider and roles ({id, name}) beside the ids;
//   - in the Banned tab each item carries its lock-out: the failed sign-ins since the last
//     successful one, the last failure's time and address.
// One server for the file; each test makes its own service provider, so each passes alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUser, userWithPerms, dbExec, signIn } from './lib/server.mjs';
import { assertProblem, uniq } from './lib/helpers.mjs';

let srv;

before(async () => {
  srv = await startServer({ args: ['--lockout-threshold', '3'] });
});

after(async () => {
  await srv?.stop();
});

async function provider() {
  const r = await srv.api('POST', '/api/v1/tenants', {
    body: { name: uniq('sp'), kind: 'service_provider' },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

const counts = async (query, token = srv.token) => {
  const r = await srv.api('GET', `/api/v1/users/counts?${new URLSearchParams(query)}`, { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};

// A user of provider p who is then disabled, deleted or banned (three wrong passwords).
async function userIn(p, state = 'active', over = {}) {
  const { user, username } = await createUser(srv, {
    provider_id: p.id,
    password: state === 'invited' ? null : undefined,
    ...over,
  });
  if (state === 'disabled' || state === 'deleted') {
    const r = await srv.api('POST', '/api/v1/users/bulk', {
      body: { action: state === 'disabled' ? 'disable' : 'delete', ids: [user.id] },
    });
    assert.equal(r.body.results[0].status < 300, true, JSON.stringify(r.body));
  }
  if (state === 'banned')
    for (let i = 0; i < 3; i++) await signIn(srv, username, `wrong password number ${i}`);
  return user;
}

test('counts: one number per tab for the filter, the search included', async () => {
  const p = await provider();
  const tag = uniq('cnt');
  for (const s of ['active', 'active', 'active', 'invited', 'invited', 'disabled', 'deleted'])
    await userIn(p, s, { last_name: `${tag}${s}` });
  await userIn(p, 'banned');
  const all = await counts({ tenant_id: p.id });
  assert.equal(all.cap, 10000);
  assert.deepEqual(
    Object.fromEntries(
      ['active', 'invited', 'disabled', 'banned', 'deleted'].map((k) => [k, all[k]]),
    ),
    {
      active: { count: 3, more: false },
      invited: { count: 2, more: false },
      disabled: { count: 1, more: false },
      banned: { count: 1, more: false },
      deleted: { count: 1, more: false },
    },
  );
  // the same as the lists say
  for (const status of ['active', 'invited', 'disabled', 'banned', 'deleted']) {
    const l = await srv.api('GET', `/api/v1/users?tenant_id=${p.id}&status=${status}&limit=200`);
    assert.equal(l.body.items.length, all[status].count, status);
  }
  const found = await counts({ tenant_id: p.id, q: `${tag}inv` });
  assert.equal(found.invited.count, 2);
  assert.equal(found.active.count, 0);
  // a term of two characters that are not letters or digits: no index serves it, no count
  const scan = await counts({ tenant_id: p.id, q: '-.' });
  assert.equal(scan.active, null);
});

test('counts stop at 10,000: beyond, the count says more', async () => {
  const p = await provider();
  const n = 10005;
  const sql =
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n}) ` +
    'INSERT INTO users (provider_id, username, username_key, email, status, access_level, ' +
    'sort_name, search_key, search_grams, created_at, updated_at) ' +
    `SELECT ${p.id}, 'bulk${p.id}x' || i, 'bulk${p.id}x' || i, 'bulk${p.id}x' || i || '@example.com', ` +
    `'disabled', 'provider', 'bulk${p.id}x' || i, 'bulk${p.id}x' || i, 'bu', 0, 0 FROM n`;
  dbExec(srv, sql);
  const c = await counts({ tenant_id: p.id });
  assert.deepEqual(c.disabled, { count: 10000, more: true });
  assert.deepEqual(c.active, { count: 0, more: false });
  assert.equal(c.exact, true);
  // a filter's counts read at most 50,000 of its matches: beyond, each is a lower bound
  dbExec(
    srv,
    sql
      .replace(`'bulk${p.id}x'`, `'more${p.id}x'`)
      .replaceAll(`bulk${p.id}x`, `more${p.id}x`)
      .replace(`i < ${n}`, 'i < 40000'),
  );
  const big = await counts({ tenant_id: p.id });
  assert.equal(big.exact, false);
  assert.deepEqual(big.disabled, { count: 10000, more: true });
  assert.equal(big.active.more, true, 'not read to the end: a lower bound');
  // without a filter each tab still counts exactly up to the cap
  const all = await counts();
  assert.equal(all.exact, true);
  assert.deepEqual(all.disabled, { count: 10000, more: true });
});

test('counts keep to the scope of the reader, and need users.read', async () => {
  const a = await provider();
  const b = await provider();
  await userIn(a);
  await userIn(b);
  await userIn(b);
  const { token } = await userWithPerms(srv, ['users.read'], { provider_id: a.id });
  assert.equal((await counts({ tenant_id: b.id }, token)).active.count, 0);
  assert.equal((await counts({}, token)).active.count, 2, 'the one user of A and the admin');
  const none = await userWithPerms(srv, ['roles.read'], { provider_id: a.id });
  const r = await srv.api('GET', '/api/v1/users/counts', { token: none.token });
  assert.equal(r.status, 403);
  const bad = await srv.api('GET', '/api/v1/users/counts?status=active');
  assertProblem(bad, 400, 'status');
  const badId = await srv.api('GET', '/api/v1/users/counts?role_id=x');
  assertProblem(badId, 400, 'role_id');
});

test('list items name their provider and roles', async () => {
  const p = await provider();
  const roles = [];
  for (const name of ['zeta', 'alpha']) {
    const r = await srv.api('POST', '/api/v1/roles', {
      body: {
        name: `${name}-${uniq()}`,
        kind: 'service_provider',
        provider_id: p.id,
        permissions: ['users.read'],
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    roles.push(r.body);
  }
  const u = await userIn(p, 'active', { role_ids: roles.map((r) => r.id) });
  const l = await srv.api('GET', `/api/v1/users?tenant_id=${p.id}`);
  const item = l.body.items.find((x) => x.id === u.id);
  assert.deepEqual(item.provider, { id: p.id, name: p.name });
  assert.deepEqual(
    item.roles,
    [roles[1], roles[0]].map((r) => ({ id: r.id, name: r.name })),
    'in name order',
  );
  assert.equal(item.lockout, undefined, 'only the Banned tab carries lock-outs');
  const staff = await srv.api('GET', '/api/v1/users?q=root');
  const root = staff.body.items.find((x) => x.username === 'root');
  assert.equal(root.provider, null, 'the platform staff have no provider');
});

test('the Banned tab says how many failures, when the last was and from where', async () => {
  const p = await provider();
  const u = await userIn(p, 'banned');
  const l = await srv.api('GET', `/api/v1/users?tenant_id=${p.id}&status=banned`);
  const item = l.body.items.find((x) => x.id === u.id);
  assert.ok(item, JSON.stringify(l.body));
  assert.equal(item.lockout.failures, 3);
  assert.equal(item.lockout.last_failure_ip, '127.0.0.1');
  const at = Date.parse(item.lockout.last_failure_at);
  assert.ok(Math.abs(at - Date.now()) < 120000, item.lockout.last_failure_at);
});
