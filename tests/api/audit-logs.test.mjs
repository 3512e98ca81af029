// SECURITY L1-L4 and D1. Every admin change leaves an audit row (actor, action, target, before and
// after, RFC 3339 UTC time, source IP, the request id of the response); the audit list filters and
// pages; no password or token reaches the audit trail, the log or the database in clear; a newline
// in input never splits a log record; SQLite runs in WAL mode.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, adminWith, listAll, PG_URL } from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';

let srv;
let rootId;
let admin; // a second actor (every permission, not a superadmin)
let provider; // a service provider for the users
const CANARY_PASSWORD = 'Canary-zebra-quokka-7781-passphrase';
const CANARY_TOKEN = `gh_CANARYgarbage${'Q'.repeat(30)}`;
const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const changes = []; // {requestId, action, target_type, target_id, actor_id, t0, t1}

before(async () => {
  srv = await startServer({ env: { GATEHOUSE_ACCESS_LOG: '1' } });
  const me = await srv.api('GET', '/api/v1/users?q=root');
  rootId = me.body.items.find((u) => u.username === 'root').id;
  const perms = (await srv.api('GET', '/api/v1/permissions')).body.items.map((p) => p.name);
  admin = await adminWith(srv, perms, { username: uniq('auditor') });
  const p = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('Audit provider ') },
  });
  assert.equal(p.status, 201);
  provider = p.body.id;
});

after(async () => {
  await srv?.stop();
});

// Makes one change and remembers what its audit row(s) must say.
async function change(method, path, body, expect, { token = srv.token, status } = {}) {
  const t0 = Date.now();
  const r = await srv.api(method, path, { body, token });
  const t1 = Date.now();
  if (status !== undefined)
    assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  else
    assert.ok(
      r.status >= 200 && r.status < 300,
      `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`,
    );
  const requestId = r.headers.get('x-request-id');
  assert.match(requestId, /^[0-9a-f]{32}$/);
  const targets = [].concat(expect.target_id ?? r.body.id);
  for (const target_id of targets) {
    changes.push({
      ...expect,
      target_id,
      requestId,
      t0,
      t1,
      actor_id: token === srv.token ? rootId : admin.user.id,
    });
  }
  return r;
}

async function rowsOf(requestId, action) {
  const r = await srv.api('GET', `/api/v1/audit?action=${encodeURIComponent(action)}&limit=200`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items.filter((x) => x.request_id === requestId);
}

// The changes of the trail the tests below read: made once, by the first test that needs them
// (so that each test passes alone), and remembered in changes.
let trailMade = null;
const trail = () => (trailMade ??= makeTrail());

async function makeTrail() {
  const users = '/api/v1/users';
  // Tenants.
  const acc = await change(
    'POST',
    '/api/v1/tenants',
    { kind: 'platform_account', name: uniq('Audit account '), parent_id: provider },
    { action: 'tenant.create', target_type: 'tenant', before: false, after: true },
  );
  await change(
    'PATCH',
    `/api/v1/tenants/${acc.body.id}`,
    { name: uniq('Audit renamed ') },
    {
      action: 'tenant.update',
      target_type: 'tenant',
      target_id: acc.body.id,
      before: true,
      after: true,
      field: 'name',
    },
  );
  const spare = await change(
    'POST',
    '/api/v1/tenants',
    { kind: 'service_provider', name: uniq('Audit spare ') },
    { action: 'tenant.create', target_type: 'tenant', before: false, after: true },
  );
  await change('DELETE', `/api/v1/tenants/${spare.body.id}`, undefined, {
    action: 'tenant.delete',
    target_type: 'tenant',
    target_id: spare.body.id,
    before: true,
    after: false,
  });
  // Roles.
  const role = await change(
    'POST',
    '/api/v1/roles',
    {
      name: uniq('Audit role '),
      kind: 'service_provider',
      provider_id: provider,
      permissions: ['users.read'],
    },
    { action: 'role.create', target_type: 'role', before: false, after: true },
  );
  await change(
    'PATCH',
    `/api/v1/roles/${role.body.id}`,
    { permissions: ['users.read', 'audit.read'] },
    {
      action: 'role.update',
      target_type: 'role',
      target_id: role.body.id,
      before: true,
      after: true,
      field: 'permissions',
    },
  );
  const spareRole = await change(
    'POST',
    '/api/v1/roles',
    {
      name: uniq('Audit spare role '),
      kind: 'service_provider',
      provider_id: null,
      permissions: [],
    },
    { action: 'role.create', target_type: 'role', before: false, after: true },
    { token: admin.token },
  );
  await change('DELETE', `/api/v1/roles/${spareRole.body.id}`, undefined, {
    action: 'role.delete',
    target_type: 'role',
    target_id: spareRole.body.id,
    before: true,
    after: false,
  });
  // Groups.
  const group = await change(
    'POST',
    '/api/v1/groups',
    { name: uniq('Audit group '), provider_id: provider },
    { action: 'group.create', target_type: 'group', before: false, after: true },
  );
  await change(
    'PATCH',
    `/api/v1/groups/${group.body.id}`,
    { role_ids: [role.body.id] },
    {
      action: 'group.update',
      target_type: 'group',
      target_id: group.body.id,
      before: true,
      after: true,
      field: 'role_ids',
    },
  );
  await change('DELETE', `/api/v1/groups/${group.body.id}`, undefined, {
    action: 'group.delete',
    target_type: 'group',
    target_id: group.body.id,
    before: true,
    after: false,
  });
  // Users, by root and by another admin.
  const mk = (actorOpts = {}) =>
    change(
      'POST',
      users,
      {
        username: uniq('audited'),
        email: 'audited@example.com',
        provider_id: provider,
        role_ids: [role.body.id],
        password: CANARY_PASSWORD,
      },
      {
        action: 'user.create',
        target_type: 'user',
        before: false,
        after: true,
        provider_id: provider,
      },
      actorOpts,
    );
  const u = await mk();
  await change(
    'PATCH',
    `${users}/${u.body.id}`,
    { first_name: 'Renamed' },
    {
      action: 'user.update',
      target_type: 'user',
      target_id: u.body.id,
      before: true,
      after: true,
      field: 'first_name',
      provider_id: provider,
    },
  );
  await change(
    'PATCH',
    `${users}/${u.body.id}`,
    { last_name: 'By admin' },
    {
      action: 'user.update',
      target_type: 'user',
      target_id: u.body.id,
      before: true,
      after: true,
      field: 'last_name',
      provider_id: provider,
    },
    { token: admin.token },
  );
  await change('POST', `${users}/${u.body.id}/disable`, undefined, {
    action: 'user.disable',
    target_type: 'user',
    target_id: u.body.id,
    before: true,
    after: true,
    field: 'status',
    provider_id: provider,
  });
  await change(
    'POST',
    `${users}/${u.body.id}/enable`,
    undefined,
    {
      action: 'user.enable',
      target_type: 'user',
      target_id: u.body.id,
      before: true,
      after: true,
      field: 'status',
      provider_id: provider,
    },
    { token: admin.token },
  );
  await change('DELETE', `${users}/${u.body.id}`, undefined, {
    action: 'user.delete',
    target_type: 'user',
    target_id: u.body.id,
    before: true,
    after: true,
    field: 'status',
    provider_id: provider,
  });
  // Bulk: one row per user, all carrying the bulk request's id.
  const b1 = await mk({ token: admin.token });
  const b2 = await mk();
  const ids = [b1.body.id, b2.body.id];
  for (const action of ['disable', 'enable', 'delete']) {
    const r = await change(
      'POST',
      `${users}/bulk`,
      { action, ids },
      {
        action: `user.${action}`,
        target_type: 'user',
        target_id: ids,
        before: true,
        after: true,
        field: 'status',
        provider_id: provider,
      },
    );
    assert.equal(r.body.succeeded, 2, JSON.stringify(r.body));
  }
  return changes;
}

test('every admin change writes an audit row with actor, target, before/after, time, IP and request id', async () => {
  await trail();
  for (const c of changes) {
    const rows = (await rowsOf(c.requestId, c.action)).filter((x) => x.target_id === c.target_id);
    const what = `${c.action} of ${c.target_type} ${c.target_id} (request ${c.requestId})`;
    assert.equal(rows.length, 1, `${what}: ${rows.length} rows`);
    const row = rows[0];
    assert.equal(row.actor_id, c.actor_id, what);
    assert.equal(row.actor, c.actor_id === rootId ? 'root' : admin.user.username, what);
    assert.equal(row.target_type, c.target_type, what);
    assert.equal(row.outcome, 'success', what);
    assert.equal(row.ip, '127.0.0.1', what);
    assert.match(row.at, RFC3339_UTC, what);
    const at = Date.parse(row.at);
    assert.ok(
      at >= Math.floor(c.t0 / 1000) * 1000 - 1000 && at <= c.t1 + 1000,
      `${what}: at ${row.at} is not the time of the request`,
    );
    if (c.provider_id) assert.equal(row.provider_id, c.provider_id, `${what}: tenant`);
    if (c.target_type === 'user') assert.equal(row.target_user_id, c.target_id, what);
    assert.equal(row.before !== null, c.before, `${what}: before ${JSON.stringify(row.before)}`);
    assert.equal(row.after !== null, c.after, `${what}: after ${JSON.stringify(row.after)}`);
    if (row.after) assert.equal(row.after.id, c.target_id, what);
    if (row.before) assert.equal(row.before.id, c.target_id, what);
    if (c.field)
      assert.notDeepEqual(
        row.before[c.field],
        row.after[c.field],
        `${what}: before and after agree on ${c.field}`,
      );
  }
  const seen = new Set(changes.map((c) => c.action));
  for (const a of [
    'tenant.create',
    'tenant.update',
    'tenant.delete',
    'role.create',
    'role.update',
    'role.delete',
    'group.create',
    'group.update',
    'group.delete',
    'user.create',
    'user.update',
    'user.disable',
    'user.enable',
    'user.delete',
  ]) {
    assert.ok(seen.has(a), `no change exercised ${a}`);
  }
});

test('a change that fails writes no success row', async () => {
  const r = await srv.api('POST', '/api/v1/users', {
    body: { username: 'bad name!', email: 'x@example.com' },
  });
  assert.equal(r.status, 400);
  const rows = await listAll(srv, '/api/v1/audit?action=user.create');
  assert.ok(!rows.some((x) => x.request_id === r.headers.get('x-request-id')));
});

test('the audit filters: actor_id, target_id, target_type, action', async () => {
  await trail();
  const byAdmin = await listAll(srv, `/api/v1/audit?actor_id=${admin.user.id}`);
  assert.ok(byAdmin.length >= 4, `${byAdmin.length} rows by the admin`);
  assert.ok(byAdmin.every((x) => x.actor_id === admin.user.id));
  assert.deepEqual(
    new Set(byAdmin.map((x) => x.request_id)),
    new Set(changes.filter((c) => c.actor_id === admin.user.id).map((c) => c.requestId)),
  );

  const user = changes.find(
    (c) =>
      c.action === 'user.delete' &&
      changes.filter((d) => d.target_id === c.target_id && d.target_type === 'user').length >= 6,
  );
  const aboutUser = await listAll(
    srv,
    `/api/v1/audit?target_id=${user.target_id}&target_type=user`,
  );
  assert.deepEqual(
    aboutUser.map((x) => x.action),
    ['user.delete', 'user.enable', 'user.disable', 'user.update', 'user.update', 'user.create'],
  );
  assert.ok(aboutUser.every((x) => x.target_id === user.target_id));

  const updates = await listAll(srv, '/api/v1/audit?action=user.update');
  assert.equal(updates.length, changes.filter((c) => c.action === 'user.update').length);
  assert.ok(updates.every((x) => x.action === 'user.update'));
  const tenants = await listAll(srv, '/api/v1/audit?target_type=tenant');
  assert.ok(tenants.length >= 5 && tenants.every((x) => x.target_type === 'tenant'));
  const combined = await listAll(srv, `/api/v1/audit?actor_id=${admin.user.id}&action=user.update`);
  assert.equal(combined.length, 1);
  assert.deepEqual(await listAll(srv, '/api/v1/audit?action=no.such.action'), []);
  assert.deepEqual(await listAll(srv, '/api/v1/audit?actor_id=999999'), []);
});

test('the audit filters: since and until (since inclusive, until exclusive)', async () => {
  await trail();
  const all = await listAll(srv, '/api/v1/audit');
  const row = all.find((x) => x.action === 'role.update');
  const t = Date.parse(row.at);
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const has = async (q) => (await listAll(srv, `/api/v1/audit?${q}`)).some((x) => x.id === row.id);
  assert.equal(await has(`since=${iso(t)}`), true);
  assert.equal(await has(`since=${iso(t + 1000)}`), false);
  assert.equal(await has(`until=${iso(t)}`), false);
  assert.equal(await has(`until=${iso(t + 1000)}`), true);
  assert.equal(await has(`since=${iso(t)}&until=${iso(t + 1000)}`), true);
  assert.equal(await has(`since=${encodeURIComponent(iso(t).replace('Z', '+00:00'))}`), true);
  // An offset is honoured: the same instant two hours east.
  const east = new Date(t + 2 * 3600 * 1000).toISOString().replace(/\.\d{3}Z$/, '+02:00');
  assert.equal(await has(`since=${encodeURIComponent(east)}`), true);
  assert.deepEqual(await listAll(srv, `/api/v1/audit?since=${iso(Date.now() + 3600 * 1000)}`), []);
  assert.deepEqual(await listAll(srv, '/api/v1/audit?until=2001-01-01T00:00:00Z'), []);
  const window = await listAll(srv, `/api/v1/audit?since=${iso(t)}&until=${iso(t + 1000)}`);
  assert.ok(window.every((x) => Date.parse(x.at) >= t && Date.parse(x.at) < t + 1000));
});

test('bad audit filters give 400 naming the parameter', async () => {
  const cases = {
    'since=yesterday': 'since',
    'since=2026-13-45T00:00:00Z': 'since',
    'until=2026-01-01': 'until',
    'since=2026-01-01T00:00:00': 'since',
    'actor_id=abc': 'actor_id',
    'actor_id=0': 'actor_id',
    'actor_id=-1': 'actor_id',
    'target_id=1.5': 'target_id',
    'limit=0': 'limit',
    'limit=201': 'limit',
    'cursor=abc': 'cursor',
    [`actor=${'a'.repeat(65)}`]: 'actor',
    [`action=${'a'.repeat(101)}`]: 'action',
  };
  for (const [q, field] of Object.entries(cases)) {
    const r = await srv.api('GET', `/api/v1/audit?${q}`);
    assert.equal(r.status, 400, `${q}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.errors?.[0]?.field, field, `${q}: ${JSON.stringify(r.body)}`);
  }
});

test('cursor paging walks the whole trail newest first, without gaps or repeats', async () => {
  await trail();
  const all = await listAll(srv, '/api/v1/audit');
  assert.ok(all.length > 20);
  const paged = await listAll(srv, '/api/v1/audit', { limit: 3 });
  assert.deepEqual(
    paged.map((x) => x.id),
    all.map((x) => x.id),
  );
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].id > all[i].id, 'newest first');
  // Paging combines with a filter.
  const users = await listAll(srv, '/api/v1/audit?target_type=user');
  const usersPaged = await listAll(srv, '/api/v1/audit?target_type=user', { limit: 2 });
  assert.deepEqual(
    usersPaged.map((x) => x.id),
    users.map((x) => x.id),
  );
  const first = await srv.api('GET', '/api/v1/audit?limit=5');
  assert.equal(first.body.items.length, 5);
  assert.equal(typeof first.body.next_cursor, 'string');
});

// ---- L3 canary ----

function dbDump() {
  const [cmd, args] = srv.db.startsWith('postgres')
    ? ['pg_dump', ['--data-only', srv.db]]
    : ['sqlite3', [srv.db, '.dump']];
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

test('L3: no password or token in audit rows, the log, or the database in clear', async () => {
  // Requests that carry the canaries: a password on create, the bearer tokens, a bad token.
  const name = uniq('canary');
  const sent = [];
  const send = async (...args) => {
    const r = await srv.api(...args);
    sent.push(r.headers.get('x-request-id'));
    return r;
  };
  const c = await send('POST', '/api/v1/users', {
    body: { username: name, email: `${name}@example.com`, password: CANARY_PASSWORD },
  });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const userToken = srv.cli(['token', 'create', '--user', name]).trim();
  assert.equal(
    (await send('GET', '/api/v1/users', { token: userToken })).status,
    403,
    'a denied request with the user token',
  );
  assert.equal((await send('GET', '/api/v1/users', { token: CANARY_TOKEN })).status, 401);
  assert.equal(
    (
      await send('GET', '/api/v1/users', {
        token: null,
        headers: { authorization: `Basic ${CANARY_PASSWORD}` },
      })
    ).status,
    401,
  );
  const weak = await send('POST', '/api/v1/users', {
    body: {
      username: uniq('weak'),
      email: 'w@example.com',
      password: `${CANARY_PASSWORD.slice(0, 5)}`,
    },
  });
  assert.equal(weak.status, 400);
  const malformed = await send('POST', '/api/v1/users', {
    raw: `{"username":"x","password":"${CANARY_PASSWORD}"`,
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(malformed.status, 400);
  for (const id of sent) await logLineFor(id); // every line these requests log is in srv.logs

  const secrets = {
    password: CANARY_PASSWORD,
    'root token': srv.token,
    'user token': userToken,
    'bad token': CANARY_TOKEN,
    'admin token': admin.token,
    'test password': 'a long enough password for tests',
  };
  const audit = JSON.stringify(await listAll(srv, '/api/v1/audit'));
  const logs = srv.logs.join('\n');
  const dump = dbDump();
  for (const [what, value] of Object.entries(secrets)) {
    assert.ok(!audit.includes(value), `the ${what} is in the audit trail`);
    assert.ok(!logs.includes(value), `the ${what} is in the server log`);
    assert.ok(!dump.includes(value), `the ${what} is in the database in clear`);
  }
  assert.ok(!audit.includes('$argon2'), 'a password hash is in the audit trail');
  assert.ok(!logs.includes('$argon2'), 'a password hash is in the log');
  assert.ok(!/\bgh_[A-Za-z0-9_-]{20,}/.test(logs), 'something token-shaped is in the log');
});

// ---- L4 ----

// The log lines that carry a request id, once its access log line has arrived.
async function logLineFor(requestId) {
  await srv.waitForLog((l) => l.includes(requestId), {
    what: `the log line of request ${requestId}`,
  });
  return srv.logs.filter((l) => l.includes(requestId));
}

test('L4: control characters in names and usernames are refused', async () => {
  for (const [field, value] of [
    ['first_name', 'evil\nname'],
    ['last_name', 'evil\r\nname'],
    ['first_name', 'tab\there'],
    ['first_name', 'esc\u001b[31m'],
    ['first_name', 'del\u007f'],
  ]) {
    const r = await srv.api('POST', '/api/v1/users', {
      body: { username: uniq('ctl'), email: 'c@example.com', [field]: value },
    });
    assert.equal(r.status, 400, `${field} ${JSON.stringify(value)}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.errors?.[0]?.field, field);
  }
  for (const username of ['evil\nuser', 'evil\r\nuser', '\nuser', 'user\n{"level":"error"}']) {
    const r = await srv.api('POST', '/api/v1/users', {
      body: { username, email: 'c@example.com' },
    });
    assert.equal(r.status, 400, JSON.stringify(username));
    assert.equal(r.body.errors?.[0]?.field, 'username');
  }
});

test('L4: a request path holding %0a, %0d, quotes and other bytes stays one JSON log record', async () => {
  const paths = [
    '/api/v1/users/%0a{"time":"x","level":"error","event":"forged"}',
    '/api/v1/users/evil%0d%0a%0d%0aHTTP/1.1%20200',
    '/api/v1/users/quote%22and%5cbackslash',
    '/api/v1/users/sep%e2%80%a8line',
    '/api/v1/users/bytes%ff%fe',
    '/api/v1/users/nul%00after',
    '/api/v1/users/tab%09bell%07esc%1b',
    `/api/v1/users/${'%0a'.repeat(600)}`,
  ];
  for (const p of paths) {
    const r = await srv.api('GET', p);
    assert.ok(r.status >= 400 && r.status < 500, `${p}: ${r.status}`);
    const id = r.headers.get('x-request-id');
    const lines = await logLineFor(id);
    assert.equal(lines.length, 1, `${p}: ${lines.length} log lines carry request ${id}`);
    const rec = JSON.parse(lines[0]);
    assert.equal(rec.event, 'request');
    assert.equal(rec.request_id, id);
    assert.equal(rec.status, String(r.status));
    assert.equal(rec.ip, '127.0.0.1');
    if (!p.includes('%ff') && !p.includes('%00'))
      assert.equal(rec.path, decodeURIComponent(p), `${p}: logged path`);
  }
  const bad = srv.logs.filter((l) => {
    try {
      JSON.parse(l);
      return false;
    } catch {
      return true;
    }
  });
  assert.deepEqual(bad, [], 'log lines that are not JSON');
  for (const l of srv.logs) {
    const rec = JSON.parse(l);
    assert.notEqual(rec.event, 'forged', 'a forged record reached the log');
    assert.equal(typeof rec.time, 'string');
    assert.match(rec.time, RFC3339_UTC);
    assert.equal(typeof rec.level, 'string');
  }
});

test("L2: the access log and the audit row carry the response's request id", async () => {
  const r = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('Correlated ') },
  });
  assert.equal(r.status, 201);
  const id = r.headers.get('x-request-id');
  const [line] = await logLineFor(id);
  const rec = JSON.parse(line);
  assert.deepEqual([rec.method, rec.path, rec.status], ['POST', '/api/v1/tenants', '201']);
  const rows = await rowsOf(id, 'tenant.create');
  assert.equal(rows.length, 1);
  assert.equal(rows[0].target_id, r.body.id);
  // Error responses carry it too, in the header and the problem body.
  const e = await srv.api('GET', '/api/v1/users/999999');
  assert.equal(e.status, 404);
  assert.equal(e.body.request_id, e.headers.get('x-request-id'));
  // A client cannot choose the request id.
  const forced = await srv.api('GET', '/api/v1/users?limit=1', {
    headers: { 'x-request-id': 'forged-id' },
  });
  assert.notEqual(forced.headers.get('x-request-id'), 'forged-id');
});

// ---- D1 ----

test(
  'D1: the SQLite database runs in WAL mode',
  { skip: PG_URL ? 'SQLite only (on PostgreSQL, db_test_pg checks D2)' : false },
  () => {
    const mode = execFileSync('sqlite3', [srv.db, 'PRAGMA journal_mode'], {
      encoding: 'utf8',
    }).trim();
    assert.equal(mode, 'wal');
  },
);
