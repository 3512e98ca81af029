// `gatehouse user import FILE [--dry-run] [--report FILE]` (issue 15, import): the export's
// columns read back by name, each row its own transaction through the same create and update as
// the API; the round trip: export from one database, import into another that has the same
// tenants, roles and groups but no users, export again: the same file, byte for byte (every
// column the export writes is one the import reproduces: users created by the import are invited,
// so the source's users are invited ones; root is in both). Re-running the same file changes
// nothing; invited users have their onboarding e-mail queued in the outbox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  startServer,
  dbQuery,
  BIN,
  userWithPerms,
  signIn,
  withCookie,
  ROOT_PASSWORD,
} from './lib/server.mjs';
import { assertProblem } from './lib/helpers.mjs';

let src, dst;

before(async () => {
  src = await startServer();
  dst = await startServer();
});

after(async () => {
  await src?.stop();
  await dst?.stop();
});

async function ok(srv, method, path, body, status = 201) {
  const r = await srv.api(method, path, { body });
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

// The same tenants, roles and groups by name in srv; returns their ids by name.
async function catalog(srv) {
  const ids = {};
  ids.p = (
    await ok(srv, 'POST', '/api/v1/tenants', { kind: 'service_provider', name: 'Acme, Inc.' })
  ).id;
  const t = async (key, kind, name, parent) =>
    (ids[key] = (await ok(srv, 'POST', '/api/v1/tenants', { kind, name, parent_id: parent })).id);
  await t('a1', 'platform_account', 'North; East', ids.p);
  await t('a2', 'platform_account', '=Formula', ids.p);
  await t('s1', 'sub_account', 'Shop 1', ids.a1);
  await t('s2', 'sub_account', 'Shop 2', ids.a1);
  const role = async (key, name, kind = 'service_provider', provider_id = ids.p) =>
    (ids[key] = (
      await ok(srv, 'POST', '/api/v1/roles', { name, kind, provider_id, permissions: [] })
    ).id);
  await role('r1', 'Clerk');
  await role('r2', 'Back\\office; night');
  await role('pu', 'Shop user', 'platform_user');
  await role('g', 'Global viewer', 'service_provider', null);
  ids.g1 = (await ok(srv, 'POST', '/api/v1/groups', { name: 'Team "A"', provider_id: ids.p })).id;
  return ids;
}

// The export's bytes (fetch's text() would drop the byte-order mark).
const exportOf = async (srv) => {
  const r = await fetch(`${srv.base}/api/v1/users.csv?bom=1&sort=username`, {
    headers: { authorization: `Bearer ${srv.token}` },
  });
  assert.equal(r.status, 200);
  return Buffer.from(await r.arrayBuffer());
};

// Runs the import of text (a string or bytes) on srv's database: {code, stderr, report}.
function importFile(srv, text, args = []) {
  const path = join(srv.dir, `import-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(path, text);
  const report = `${path}.report.csv`;
  const res = spawnSync(
    BIN,
    ['user', 'import', path, '--report', report, ...args, '--db', srv.db],
    {
      encoding: 'utf8',
    },
  );
  let written = '';
  try {
    written = readFileSync(report, 'utf8');
  } catch {
    /* no report: the command stopped before the rows */
  }
  return { code: res.status, stderr: res.stderr, report: written };
}

const summary = (stderr) => stderr.split('\n').find((l) => /^(import|dry run): /.test(l));

test('round trip: export, import into a database without users, export again: the same file', async () => {
  const a = await catalog(src);
  await catalog(dst);
  const users = [
    {
      username: 'ada',
      first_name: 'Ada',
      last_name: 'Lovelace, "Countess"',
      phone: '+442071234567',
    },
    {
      username: 'bob',
      first_name: '=1+1',
      last_name: "'quoted",
      language: 'zh',
      timezone: 'Asia/Shanghai',
      country: 'CN',
    },
    {
      username: 'cy',
      first_name: '李',
      last_name: '伟',
      role_ids: [a.r1, a.r2, a.g],
      group_ids: [a.g1],
    },
    {
      username: 'dee',
      access: { level: 'account', account_ids: [a.a1, a.a2] },
      login_enabled: false,
    },
    { username: 'eve', access: { level: 'account', account_ids: 'all' }, mfa_required: true },
    {
      username: 'fay',
      role_ids: [a.pu],
      access: { level: 'sub_account', account_ids: [a.a1], sub_account_ids: [a.s1, a.s2] },
    },
    {
      username: 'gus',
      role_ids: [a.pu],
      access: { level: 'sub_account', account_ids: [a.a1], sub_account_ids: 'all' },
    },
  ];
  for (const u of users)
    await ok(src, 'POST', '/api/v1/users', {
      email: `${u.username}@example.com`,
      provider_id: a.p,
      ...u,
    });
  await ok(src, 'POST', '/api/v1/users', { username: 'staff', email: 'staff@example.com' });
  const first = await exportOf(src);
  assert.equal(first.subarray(0, 12).toString('latin1'), '\xef\xbb\xbfusername,');

  const before = await exportOf(dst);
  const dry = importFile(dst, first, ['--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(
    summary(dry.stderr),
    'dry run: 9 rows: 8 to create, 0 to update, 1 unchanged, 0 refused',
  );
  assert.deepEqual(await exportOf(dst), before, 'a dry run keeps nothing');
  assert.match(dry.report, /^line,username,outcome,field,reason,message\r\n2,ada,created,,,\r\n/);

  const run = importFile(dst, first);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(summary(run.stderr), 'import: 9 rows: 8 created, 0 updated, 1 unchanged, 0 refused');
  const second = await exportOf(dst);
  assert.ok(second.equals(first), `not the same file:\n${first}\n---\n${second}`);
  // invited: each new user's onboarding e-mail waits in the outbox
  const queued = dbQuery(
    dst,
    "SELECT username FROM outbox WHERE kind = 'onboarding' ORDER BY username",
  );
  assert.deepEqual(queued.trim().split('\n'), [
    'ada',
    'bob',
    'cy',
    'dee',
    'eve',
    'fay',
    'gus',
    'staff',
  ]);

  // the same file again: nothing changes
  const again = importFile(dst, first);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(
    summary(again.stderr),
    'import: 9 rows: 0 created, 0 updated, 9 unchanged, 0 refused',
  );
  assert.ok((await exportOf(dst)).equals(first));
});

test('updates, refusals with their field and reason, bad records; columns by name in any order', async () => {
  const p = (
    await ok(dst, 'POST', '/api/v1/tenants', { kind: 'service_provider', name: 'Import Co' })
  ).id;
  await ok(dst, 'POST', '/api/v1/roles', {
    name: 'Importer',
    kind: 'service_provider',
    provider_id: p,
    permissions: [],
  });
  const text = [
    'email,username,provider,roles,first_name',
    'imp1@example.com,imp1,Import Co,Importer,One',
    'imp2@example.com,imp2,Import Co,No such role,Two',
    'imp3@example.com,imp3,Nowhere,,Three',
    'not-an-address,imp4,Import Co,,Four',
    'imp5@example.com,imp5,Import Co,,"Five, ""the"" fifth"',
    'imp6@example.com,imp6,Import Co,,bad"quote',
    'imp7@example.com,imp7,Import Co',
    '',
  ].join('\n');
  const run = importFile(dst, text);
  assert.equal(run.code, 1, 'a refused row fails the command');
  assert.equal(summary(run.stderr), 'import: 7 rows: 2 created, 0 updated, 0 unchanged, 5 refused');
  const report = run.report.trim().split('\r\n');
  assert.deepEqual(report.slice(1), [
    '2,imp1,created,,,',
    '3,imp2,refused,roles,not_found,no such name: No such role',
    '4,imp3,refused,provider,not_found,no service provider of that name',
    '5,imp4,refused,email,invalid,not a valid e-mail address',
    '6,imp5,created,,,',
    '7,,refused,row,invalid,a quote inside a field that does not start with one',
    '8,imp7,refused,row,invalid,3 fields where the header has 5',
  ]);
  const u = (await dst.api('GET', '/api/v1/users?q=imp5')).body.items[0];
  assert.equal(u.first_name, 'Five, "the" fifth');

  // an update: one changed cell; a column left out keeps its value
  const upd = importFile(dst, 'username,first_name\r\nimp1,Uno\r\nimp5,"Five, ""the"" fifth"\r\n');
  assert.equal(upd.code, 0, upd.stderr);
  assert.equal(summary(upd.stderr), 'import: 2 rows: 0 created, 1 updated, 1 unchanged, 0 refused');
  const one = (await dst.api('GET', '/api/v1/users?q=imp1')).body.items[0];
  assert.equal(one.first_name, 'Uno');
  assert.deepEqual(
    one.roles.map((r) => r.name),
    ['Importer'],
  );
  // the provider of a user never changes; the status column is read-only and ignored
  const moved = importFile(dst, 'username,provider,status\r\nimp1,,disabled\r\n');
  assert.equal(moved.code, 1);
  assert.match(moved.report, /imp1,refused,provider,immutable,/);
  const same = importFile(dst, 'username,status\r\nimp1,disabled\r\n');
  assert.equal(
    summary(same.stderr),
    'import: 1 rows: 0 created, 0 updated, 1 unchanged, 0 refused',
  );

  // the header is checked before any row
  for (const [head, msg] of [
    ['username,shoe_size', /"shoe_size" is not one of the export's columns/],
    ['username,email,email', /"email" is there twice/],
    ['email,first_name', /no username column/],
  ]) {
    const bad = importFile(dst, `${head}\r\nx,y,z\r\n`);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, msg);
  }
});

// POST /api/v1/users/import: the same import over HTTP, a part of a file a request.
const post = (srv, text, { token = srv.token, query = '', type = 'text/csv' } = {}) =>
  srv.api('POST', `/api/v1/users/import${query}`, {
    token,
    raw: text,
    headers: { 'content-type': type },
  });

test('POST /api/v1/users/import: a dry run, then the import, per-row results as JSON', async () => {
  const text = 'username,email,first_name\r\nweb1,web1@example.com,Web\r\nweb2,nope,Two\r\n';
  const dry = await post(dst, text, { query: '?dry_run=1' });
  assert.equal(dry.status, 200, JSON.stringify(dry.body));
  assert.deepEqual(
    { ...dry.body, rows: undefined },
    { dry_run: true, created: 1, updated: 0, unchanged: 0, refused: 1, rows: undefined },
  );
  assert.deepEqual(dry.body.rows, [
    { line: 2, username: 'web1', outcome: 'created' },
    {
      line: 3,
      username: 'web2',
      outcome: 'refused',
      field: 'email',
      code: 'email.invalid',
      message: 'not a valid e-mail address',
    },
  ]);
  assert.equal((await dst.api('GET', '/api/v1/users?q=web1')).body.items.length, 0);
  const run = await post(dst, text);
  assert.equal(run.status, 200, JSON.stringify(run.body));
  assert.equal(run.body.dry_run, false);
  assert.equal(run.body.created, 1);
  const made = (await dst.api('GET', '/api/v1/users?q=web1&status=invited')).body.items;
  assert.equal(made.length, 1);
  const again = await post(dst, text);
  assert.equal(again.body.unchanged, 1);
  assert.equal(again.body.created, 0);
});

test('POST /api/v1/users/import checks its input and keeps to the reader scope', async () => {
  assertProblem(await post(dst, 'username\r\nx\r\n', { type: 'text/plain' }), 415);
  assertProblem(await post(dst, ''), 400);
  assertProblem(await post(dst, 'username,shoe\r\nx,y\r\n'), 400, 'header');
  assertProblem(await post(dst, 'email\r\nx@example.com\r\n'), 400, 'header');
  assertProblem(await post(dst, 'username\r\nx\r\n', { query: '?dry_run=yes' }), 400, 'dry_run');
  assertProblem(await post(dst, 'username\r\nx\r\n', { query: '?limit=2' }), 400, 'limit');
  assertProblem(await post(dst, `username\r\n${'x'.repeat(70 * 1024)}\r\n`), 413);

  // a provider's admin: its own provider only; another's names answer as unknown (C9)
  const mine = (
    await ok(dst, 'POST', '/api/v1/tenants', { kind: 'service_provider', name: 'Scoped One' })
  ).id;
  await ok(dst, 'POST', '/api/v1/tenants', { kind: 'service_provider', name: 'Scoped Two' });
  const admin = await userWithPerms(dst, ['users.read', 'users.create', 'users.update'], {
    provider_id: mine,
  });
  const r = await post(
    dst,
    [
      'username,email,provider',
      'sc1,sc1@example.com,Scoped One',
      'sc2,sc2@example.com,Scoped Two',
      'sc3,sc3@example.com,No Such Provider',
      'root,root@example.com,Scoped One',
      '',
    ].join('\r\n'),
    { token: admin.token },
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(
    r.body.rows.map((x) => [x.username, x.outcome, x.code ?? null]),
    [
      ['sc1', 'created', null],
      ['sc2', 'refused', 'provider.not_found'],
      ['sc3', 'refused', 'provider.not_found'],
      ['root', 'refused', 'username.taken'],
    ],
  );
  const none = await userWithPerms(dst, ['users.read', 'users.create'], { provider_id: mine });
  assertProblem(await post(dst, 'username\r\nx\r\n', { token: none.token }), 403);
});

test('S7: a CSV import carried by the session cookie must come from our own pages', async () => {
  const s = await signIn(dst, 'root', ROOT_PASSWORD);
  assert.ok(s.cookie, 'signed in');
  const as = withCookie(dst, s.cookie);
  const body = 's7one,s7one@example.com\r\n';
  const req = (origin) =>
    as('POST', '/api/v1/users/import?dry_run=1', {
      raw: `username,email\r\n${body}`,
      headers: { 'content-type': 'text/csv' },
      origin,
    });
  assertProblem(await req('https://evil.example'), 403);
  const same = await req(dst.base);
  assert.equal(same.status, 200, JSON.stringify(same.body));
  assert.equal(same.body.created, 1);
});
