// GET /api/v1/users.csv (issue 15, export): the users list as an RFC 4180 file with the list's
// filters and sort, streamed page by page; formula cells neutralised with a leading apostrophe;
// bom=1 for Excel; only the users the reader sees (C2, C9); users.read needed.
// One server for the file; each test makes its own service provider, so each passes alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUser, userWithPerms } from './lib/server.mjs';
import { assertProblem, uniq } from './lib/helpers.mjs';

let srv;

before(async () => {
  srv = await startServer();
});

after(async () => {
  await srv?.stop();
});

const COLUMNS = [
  'username',
  'first_name',
  'last_name',
  'email',
  'phone',
  'language',
  'timezone',
  'country',
  'status',
  'provider',
  'access',
  'accounts',
  'sub_accounts',
  'roles',
  'groups',
  'login_enabled',
  'mfa_required',
  'enforce_sso',
  'sso_source',
  'sso_id',
];

// RFC 4180 records of text (CRLF between records; quoted fields may hold anything).
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        cell += c;
        i++;
      }
    } else if (c === '"' && cell === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 2;
    } else {
      assert.ok(c !== '\r' && c !== '\n', `a bare line break at ${i}`);
      cell += c;
      i++;
    }
  }
  assert.equal(cell, '', 'the file ends with CRLF');
  assert.equal(row.length, 0, 'the file ends with CRLF');
  return rows;
}

async function exportCsv(query = {}, token = srv.token) {
  const r = await srv.api('GET', `/api/v1/users.csv?${new URLSearchParams(query)}`, { token });
  assert.equal(r.status, 200, typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
  assert.match(r.headers.get('content-type'), /^text\/csv; charset=utf-8/);
  assert.match(r.headers.get('content-disposition'), /^attachment; filename="users\.csv"$/);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  const rows = parseCsv(r.body);
  assert.deepEqual(rows[0], COLUMNS);
  for (const row of rows) assert.equal(row.length, COLUMNS.length);
  return rows.slice(1).map((row) => Object.fromEntries(row.map((v, i) => [COLUMNS[i], v])));
}

async function provider() {
  const r = await srv.api('POST', '/api/v1/tenants', {
    body: { name: uniq('sp'), kind: 'service_provider' },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

test('quoting: commas, quotes and formula cells come back exactly, neutralised', async () => {
  const p = await provider();
  const { username } = await createUser(srv, {
    provider_id: p.id,
    first_name: 'Smith, "Jr"',
    last_name: '=HYPERLINK("x")',
    phone: '+442071234567',
  });
  const other = await createUser(srv, {
    provider_id: p.id,
    first_name: "'quoted",
    last_name: '@home',
  });
  const minus = await createUser(srv, {
    provider_id: p.id,
    first_name: '-1+1',
    last_name: 'Plain',
  });
  const r = await srv.api('GET', `/api/v1/users.csv?tenant_id=${p.id}&sort=username`);
  // the raw text: RFC 4180 quoting, CRLF, an apostrophe before each formula-like cell
  assert.ok(r.body.includes(`"Smith, ""Jr"""`), r.body);
  assert.ok(r.body.includes(`"'=HYPERLINK(""x"")"`), r.body);
  assert.ok(r.body.includes(",'+442071234567,"), r.body);
  assert.ok(r.body.includes(",''quoted,'@home,"), r.body);
  assert.ok(r.body.includes(",'-1+1,Plain,"), r.body);
  const rows = await exportCsv({ tenant_id: p.id, sort: 'username' });
  const byName = Object.fromEntries(rows.map((row) => [row.username, row]));
  assert.equal(byName[username].first_name, 'Smith, "Jr"');
  assert.equal(byName[username].last_name, `'=HYPERLINK("x")`);
  assert.equal(byName[username].provider, p.name);
  assert.equal(byName[username].status, 'active');
  assert.equal(byName[username].access, 'provider');
  assert.equal(byName[username].login_enabled, 'true');
  assert.equal(byName[other.username].first_name, "''quoted");
  assert.equal(byName[other.username].status, 'active');
  assert.equal(byName[minus.username].first_name, "'-1+1");
  assert.deepEqual(
    rows.map((row) => row.username),
    [username, other.username, minus.username].sort(),
  );
});

test('bom=1 starts the file with a UTF-8 byte-order mark; without it the header comes first', async () => {
  const p = await provider();
  await createUser(srv, { provider_id: p.id, first_name: '李', last_name: '伟' });
  const url = `/api/v1/users.csv?tenant_id=${p.id}`;
  const plain = await fetch(`${srv.base}${url}`, {
    headers: { authorization: `Bearer ${srv.token}` },
  });
  const bytes = Buffer.from(await plain.arrayBuffer());
  assert.equal(bytes.subarray(0, 9).toString(), 'username,');
  assert.ok(bytes.toString('utf8').includes(',李,伟,'));
  const withBom = await fetch(`${srv.base}${url}&bom=1`, {
    headers: { authorization: `Bearer ${srv.token}` },
  });
  const b2 = Buffer.from(await withBom.arrayBuffer());
  assert.deepEqual([...b2.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.equal(b2.subarray(3).toString('utf8'), bytes.toString('utf8'));
  const none = await srv.api('GET', `${url}&bom=0`);
  assert.equal(none.body, bytes.toString('utf8'));
  assertProblem(await srv.api('GET', `${url}&bom=yes`), 400, 'bom');
});

test('filters, sort, roles, groups and access as names; many pages stream whole', async () => {
  const p = await provider();
  const role = await srv.api('POST', '/api/v1/roles', {
    body: {
      name: uniq('Role;with,semi'),
      kind: 'service_provider',
      provider_id: p.id,
      permissions: [],
    },
  });
  assert.equal(role.status, 201, JSON.stringify(role.body));
  const group = await srv.api('POST', '/api/v1/groups', {
    body: { name: uniq('Group '), provider_id: p.id },
  });
  assert.equal(group.status, 201, JSON.stringify(group.body));
  const tag = uniq('csvf');
  const made = [];
  for (let i = 0; i < 260; i++) {
    const username = `${tag}-${String(i).padStart(3, '0')}`;
    const r = await srv.api('POST', '/api/v1/users', {
      body: {
        username,
        email: `${username}@example.com`,
        provider_id: p.id,
        last_name: `Last${i}`,
        ...(i % 2 === 0 ? { role_ids: [role.body.id], group_ids: [group.body.id] } : {}),
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made.push(username);
  }
  // every user once, in username order, across more than one page of the stream
  const all = await exportCsv({ tenant_id: p.id, sort: 'username' });
  assert.deepEqual(
    all.map((row) => row.username),
    made,
  );
  const escaped = role.body.name.replace(/;/g, '\\;');
  assert.equal(all[0].roles, escaped);
  assert.equal(all[0].groups, group.body.name);
  assert.equal(all[1].roles, '');
  assert.equal(all[0].status, 'invited');
  const desc = await exportCsv({ tenant_id: p.id, sort: '-username' });
  assert.deepEqual(
    desc.map((row) => row.username),
    [...made].reverse(),
  );
  const byRole = await exportCsv({ role_id: role.body.id });
  assert.equal(byRole.length, 130);
  const byGroup = await exportCsv({ group_id: group.body.id, status: 'invited' });
  assert.equal(byGroup.length, 130);
  assert.equal((await exportCsv({ group_id: group.body.id, status: 'active' })).length, 0);
  const found = await exportCsv({ q: `${tag}-25`, tenant_id: p.id });
  assert.deepEqual(
    found.map((row) => row.username).sort(),
    made.filter((u) => u.startsWith(`${tag}-25`)),
  );
  // the list's own checks
  assertProblem(await srv.api('GET', '/api/v1/users.csv?sort=shoe'), 400, 'sort');
  assertProblem(await srv.api('GET', '/api/v1/users.csv?status=gone'), 400, 'status');
  assertProblem(await srv.api('GET', '/api/v1/users.csv?limit=5'), 400, 'limit');
  assertProblem(await srv.api('GET', '/api/v1/users.csv?role_id=x'), 400, 'role_id');
});

test('account and sub-account access list their tenants by name, "*" for all', async () => {
  const p = await provider();
  const tenant = async (kind, parent, name = uniq(kind)) => {
    const r = await srv.api('POST', '/api/v1/tenants', { body: { kind, name, parent_id: parent } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const a1 = await tenant('platform_account', p.id, uniq('B acct'));
  const a2 = await tenant('platform_account', p.id, uniq('A acct'));
  const star = await tenant('platform_account', p.id, '*');
  const s1 = await tenant('sub_account', a1.id);
  const pu = await srv.api('POST', '/api/v1/roles', {
    body: { name: uniq('pu'), kind: 'platform_user', provider_id: p.id, permissions: [] },
  });
  assert.equal(pu.status, 201, JSON.stringify(pu.body));
  const make = async (access, roles = []) => {
    const username = uniq('acc');
    const r = await srv.api('POST', '/api/v1/users', {
      body: {
        username,
        email: `${username}@example.com`,
        provider_id: p.id,
        role_ids: roles,
        access,
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return username;
  };
  const two = await make({ level: 'account', account_ids: [a1.id, a2.id] });
  const all = await make({ level: 'account', account_ids: 'all' });
  const literal = await make({ level: 'account', account_ids: [star.id] });
  const sub = await make({ level: 'sub_account', account_ids: [a1.id], sub_account_ids: [s1.id] }, [
    pu.body.id,
  ]);
  const subAll = await make(
    { level: 'sub_account', account_ids: [a1.id], sub_account_ids: 'all' },
    [pu.body.id],
  );
  const rows = Object.fromEntries(
    (await exportCsv({ tenant_id: p.id })).map((row) => [row.username, row]),
  );
  assert.equal(rows[two].access, 'account');
  assert.equal(rows[two].accounts, `${a2.name};${a1.name}`); // in name order
  assert.equal(rows[two].sub_accounts, '');
  assert.equal(rows[all].accounts, '*');
  assert.equal(rows[literal].accounts, '\\*');
  assert.equal(rows[sub].access, 'sub_account');
  assert.equal(rows[sub].accounts, a1.name);
  assert.equal(rows[sub].sub_accounts, s1.name);
  assert.equal(rows[sub].roles, pu.body.name);
  assert.equal(rows[subAll].sub_accounts, '*');
});

test('scope: a provider admin exports only its own provider; users.read is needed', async () => {
  const p1 = await provider();
  const p2 = await provider();
  const mine = await createUser(srv, { provider_id: p1.id });
  const theirs = await createUser(srv, { provider_id: p2.id });
  const admin = await userWithPerms(srv, ['users.read'], { provider_id: p1.id });
  const rows = await exportCsv({}, admin.token);
  const names = rows.map((r) => r.username);
  assert.ok(names.includes(mine.username));
  assert.ok(!names.includes(theirs.username));
  assert.ok(!names.includes('root'));
  for (const r of rows) assert.equal(r.provider, p1.name);
  // a filter on another provider's tenant gives nothing, like the list
  assert.equal((await exportCsv({ tenant_id: p2.id }, admin.token)).length, 0);
  const none = await userWithPerms(srv, ['users.create'], { provider_id: p1.id });
  assertProblem(await srv.api('GET', '/api/v1/users.csv', { token: none.token }), 403);
  assertProblem(await srv.api('GET', '/api/v1/users.csv', { token: null }), 401);
});

test('HEAD answers the headers without a body', async () => {
  const r = await fetch(`${srv.base}/api/v1/users.csv`, {
    method: 'HEAD',
    headers: { authorization: `Bearer ${srv.token}` },
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  assert.equal(await r.text(), '');
});
