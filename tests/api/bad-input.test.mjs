// Bad input to POST /api/v1/users and PATCH /api/v1/users/{id}: every case gets a 4xx
// application/problem+json answer naming the field, never a 500, and nothing is half-written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, listAll, rawHttp } from './lib/server.mjs';
import { assertProblem, uniq } from './lib/helpers.mjs';

let srv;
const PASSWORD = 'a long enough password for bad input';
const t = {};
let target; // a user the PATCH cases aim at
let usersBefore;
let createAuditBefore;
const badUsernames = new Set();

async function auditCreates() {
  return (await listAll(srv, '/api/v1/audit?action=user.create')).filter(
    (e) => e.action === 'user.create',
  );
}

before(async () => {
  srv = await startServer();
  const mk = async (path, body) => {
    const r = await srv.api('POST', path, { body });
    assert.equal(r.status, 201, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    return r.body.id;
  };
  t.P = await mk('/api/v1/tenants', { kind: 'service_provider', name: 'Bad input SP' });
  t.Q = await mk('/api/v1/tenants', { kind: 'service_provider', name: 'Other SP' });
  t.A1 = await mk('/api/v1/tenants', { kind: 'platform_account', parent_id: t.P, name: 'A1' });
  t.A2 = await mk('/api/v1/tenants', { kind: 'platform_account', parent_id: t.P, name: 'A2' });
  t.QA = await mk('/api/v1/tenants', { kind: 'platform_account', parent_id: t.Q, name: 'QA' });
  t.S1 = await mk('/api/v1/tenants', { kind: 'sub_account', parent_id: t.A1, name: 'S1' });
  t.S2 = await mk('/api/v1/tenants', { kind: 'sub_account', parent_id: t.A2, name: 'S2' });
  t.QS = await mk('/api/v1/tenants', { kind: 'sub_account', parent_id: t.QA, name: 'QS' });
  t.rPU = await mk('/api/v1/roles', {
    name: 'PU',
    kind: 'platform_user',
    provider_id: t.P,
    permissions: ['users.read'],
  });
  t.rSP = await mk('/api/v1/roles', {
    name: 'SP',
    kind: 'service_provider',
    provider_id: t.P,
    permissions: ['users.read'],
  });
  t.rQ = await mk('/api/v1/roles', {
    name: 'Q role',
    kind: 'service_provider',
    provider_id: t.Q,
    permissions: ['users.read'],
  });
  t.gQ = await mk('/api/v1/groups', { name: 'Q group', provider_id: t.Q });
  const u = await srv.api('POST', '/api/v1/users', {
    body: {
      username: 'patchme',
      email: 'patchme@example.com',
      first_name: 'Patch',
      last_name: 'Me',
      provider_id: t.P,
      role_ids: [t.rSP],
      phone: '+442071234567',
      language: 'en',
      timezone: 'Europe/London',
      country: 'GB',
      password: PASSWORD,
    },
  });
  assert.equal(u.status, 201, JSON.stringify(u.body));
  target = u.body;
  usersBefore = await listAll(srv, '/api/v1/users');
  createAuditBefore = await auditCreates();
});

after(async () => {
  await srv?.stop();
});

// A valid create body with one change; `over` values of undefined remove the key.
function createBody(over = {}) {
  const username = uniq('bad');
  badUsernames.add(username.toLowerCase());
  const b = { username, email: `${username}@example.com`, first_name: 'Bad', last_name: 'Input' };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete b[k];
    else b[k] = v;
  }
  if (typeof b.username === 'string') badUsernames.add(b.username.toLowerCase());
  return b;
}

const long = (n, c = 'a') => c.repeat(n);

// [field named in the error, overrides of the valid body, note]
const CREATE_CASES = () => [
  // wrong types
  ...[['1'], [0], [-1], [1.5], [true], [[]], [{}]].map(([v]) => [
    'provider_id',
    { provider_id: v },
  ]),
  ...[[1], [null], [true], [[]], [{}], [1.5]].map(([v]) => ['username', { username: v }]),
  ...[
    'first_name',
    'last_name',
    'email',
    'phone',
    'language',
    'timezone',
    'country',
    'password',
  ].flatMap((f) => [[1], [null], [false], [['x']], [{ a: 1 }]].map(([v]) => [f, { [f]: v }])),
  ...['sso_source', 'sso_id'].flatMap((f) =>
    [[1], [false], [['x']], [{}]].map(([v]) => [f, { [f]: v }]),
  ),
  ...['login_enabled', 'enforce_sso', 'mfa_required', 'generate_password'].flatMap((f) =>
    [['true'], [1], [0], [null], [[]], ['yes']].map(([v]) => [f, { [f]: v }]),
  ),
  ...['role_ids', 'group_ids'].flatMap((f) =>
    [
      ['1'],
      [1],
      [null],
      [{}],
      [[0]],
      [[-1]],
      [['1']],
      [[1.5]],
      [[null]],
      [[1, 1]],
      ['all'],
      [[[1]]],
    ].map(([v]) => [f, { [f]: v }]),
  ),
  ['access', { access: 'provider' }],
  ['access', { access: [] }],
  ['access', { access: null }],
  ['access', { access: 1 }],
  ['access.level', { provider_id: null, access: {} }],
  ['access.level', { provider_id: null, access: { level: 1 } }],
  ['access.level', { provider_id: null, access: { level: null } }],
  ['access.level', { provider_id: t.P, access: { level: 'galaxy' } }],
  ['access.level', { provider_id: t.P, access: { level: 'Provider' } }],
  ['access.account_ids', { provider_id: t.P, access: { level: 'account', account_ids: 'All' } }],
  ['access.account_ids', { provider_id: t.P, access: { level: 'account', account_ids: 1 } }],
  ['access.account_ids', { provider_id: t.P, access: { level: 'account', account_ids: [0] } }],
  [
    'access.account_ids',
    { provider_id: t.P, access: { level: 'account', account_ids: [t.A1, t.A1] } },
  ],
  [
    'access.sub_account_ids',
    {
      provider_id: t.P,
      role_ids: [t.rPU],
      access: { level: 'sub_account', account_ids: [t.A1], sub_account_ids: 'ALL' },
    },
  ],
  [
    'access.sub_account_ids',
    {
      provider_id: t.P,
      role_ids: [t.rPU],
      access: { level: 'sub_account', account_ids: [t.A1], sub_account_ids: {} },
    },
  ],
  ['access.extra', { provider_id: t.P, access: { level: 'provider', extra: 1 } }],
  [
    'access.sub_account_count',
    { provider_id: t.P, access: { level: 'provider', sub_account_count: 3 } },
  ],
  // unknown and read-only fields (no mass assignment)
  ...[
    'id',
    'status',
    'is_superadmin',
    'password_hash',
    'created_at',
    'updated_at',
    'mfa_enrolled',
    'banned_until',
    'last_login_at',
    'created_by',
    'version',
    'must_change_password',
    'failed_logins',
    'roles',
    'groups',
    'permissions',
    'superadmin',
    'Username',
    'foo',
    '',
  ].map((f) => [f, { [f]: f === 'status' ? 'active' : f === 'is_superadmin' ? true : 1 }]),
  ['is_superadmin', { is_superadmin: false }],
  ['password_hash', { password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA' }],
  ['status', { status: 'disabled' }],
  // over-long strings
  ['username', { username: long(65) }],
  ['first_name', { first_name: long(101) }],
  ['last_name', { last_name: long(101, 'é') }],
  ['email', { email: `${long(250)}@x.io` }],
  ['phone', { phone: `+${long(16, '1')}` }],
  ['timezone', { timezone: long(65, 'A') }],
  ['sso_source', { sso_source: long(101) }],
  ['sso_id', { sso_id: long(256) }],
  ['password', { password: long(257, 'p') }],
  ['password', { password: long(1025, 'p') }],
  ['password', { password: 'fourteen chars' }],
  ['password', { password: '' }],
  // username rules
  ...[
    '',
    ' ',
    'has space',
    '.dot',
    '-dash',
    '_under',
    'tab\tname',
    'semi;colon',
    'slash/name',
    'ñandu',
    'quote"d',
    'new\nline',
    'nul\u0000byte',
  ].map((u) => ['username', { username: u }]),
  // e-mail
  ...[
    '',
    'plainaddress',
    '@example.com',
    'a@',
    'a@b',
    'a@@b.com',
    'a@b@c.com',
    'a b@c.com',
    'a@b..com',
    'a@.b.com',
    'a@b.com.',
    'a@b-.com'.replace('-.com', '.com-'),
    '<a@b.com>',
    'a@b.com, c@d.com',
    'a"b@c.com',
    'a@b.c\u0000m',
    `${long(65)}@example.com`,
    'a@b.com\n',
    'a\\b@c.com',
    'a@[1.2.3.4]',
  ].map((e) => ['email', { email: e }]),
  // phone: E.164 only
  ...[
    '12345',
    '+0123456',
    '+44 20 7123 4567',
    '+44-20-7123',
    '+1',
    '+',
    'abc',
    '00442071234567',
    '+44(20)71234567',
    '+١٢٣٤٥٦٧',
    '+4420712345678901',
    ' +442071234567',
  ].map((p) => ['phone', { phone: p }]),
  // timezone: only zones in tzdata
  ...[
    'Mars/Olympus',
    '../../etc/passwd',
    '/etc/localtime',
    'europe/london',
    'EUROPE/LONDON',
    'posix/Europe/London',
    'right/UTC',
    'Europe',
    'America',
    '',
    'UTC ',
    ' UTC',
    'Etc/GMT+99',
    'zone.tab',
    'iso3166.tab',
    'Europe//London',
    'Europe/London/',
    'Europe/../Europe/London',
    'Europe/London\u0000',
    '%2e%2e',
  ].map((z) => ['timezone', { timezone: z }]),
  // country: ISO 3166-1 alpha-2, upper case
  ...['XX', 'gb', 'Gb', 'GBR', 'UK', 'G', '12', 'ZZ', 'EU', 'AA', ' G', 'G\u0000'].map((c) => [
    'country',
    { country: c },
  ]),
  // language: en or zh
  ...['fr', 'EN', 'Zh', 'zh-CN', '', 'cn', 'e'].map((l) => ['language', { language: l }]),
  // control characters in names
  ['first_name', { first_name: 'a\u0001b' }],
  ['last_name', { last_name: 'a\u007fb' }],
  ['sso_source', { sso_source: 'a\nb' }],
  ['sso_id', { sso_id: 'a\u001bb' }],
  // tenancy and cross-tenant ids
  ['provider_id', { provider_id: t.A1 }],
  ['provider_id', { provider_id: t.S1 }],
  ['provider_id', { provider_id: 99999 }],
  ['role_ids', { provider_id: t.P, role_ids: [t.rQ] }],
  ['role_ids', { provider_id: null, role_ids: [t.rSP] }],
  ['role_ids', { provider_id: t.P, role_ids: [99999] }],
  ['group_ids', { provider_id: t.P, group_ids: [t.gQ] }],
  ['group_ids', { provider_id: t.P, group_ids: [99999] }],
  ['access.level', { provider_id: null, access: { level: 'provider' } }],
  ['access.level', { provider_id: null, access: { level: 'account', account_ids: 'all' } }],
  ['access.level', { provider_id: t.P, access: { level: 'platform' } }],
  ['access.account_ids', { provider_id: t.P, access: { level: 'account' } }],
  ['access.account_ids', { provider_id: t.P, access: { level: 'account', account_ids: [] } }],
  ['access.account_ids', { provider_id: t.P, access: { level: 'account', account_ids: [t.QA] } }],
  ['access.account_ids', { provider_id: t.P, access: { level: 'account', account_ids: [t.S1] } }],
  ['access.account_ids', { provider_id: t.P, access: { level: 'account', account_ids: [t.P] } }],
  ['access.account_ids', { provider_id: t.P, access: { level: 'account', account_ids: [99999] } }],
  ['access.account_ids', { provider_id: t.P, access: { level: 'provider', account_ids: [t.A1] } }],
  [
    'access.sub_account_ids',
    { provider_id: t.P, access: { level: 'provider', sub_account_ids: [t.S1] } },
  ],
  [
    'access.sub_account_ids',
    {
      provider_id: t.P,
      access: { level: 'account', account_ids: [t.A1], sub_account_ids: [t.S1] },
    },
  ],
  // a sub-account outside the chosen account
  [
    'access.sub_account_ids',
    {
      provider_id: t.P,
      role_ids: [t.rPU],
      access: { level: 'sub_account', account_ids: [t.A1], sub_account_ids: [t.S2] },
    },
  ],
  [
    'access.sub_account_ids',
    {
      provider_id: t.P,
      role_ids: [t.rPU],
      access: { level: 'sub_account', account_ids: [t.A1], sub_account_ids: [t.S1, t.QS] },
    },
  ],
  [
    'access.sub_account_ids',
    {
      provider_id: t.P,
      role_ids: [t.rPU],
      access: { level: 'sub_account', account_ids: [t.A1], sub_account_ids: [t.A2] },
    },
  ],
  [
    'access.sub_account_ids',
    {
      provider_id: t.P,
      role_ids: [t.rPU],
      access: { level: 'sub_account', account_ids: [t.A1], sub_account_ids: [] },
    },
  ],
  [
    'access.sub_account_ids',
    { provider_id: t.P, role_ids: [t.rPU], access: { level: 'sub_account', account_ids: [t.A1] } },
  ],
  // a Platform User with two platform accounts and chosen sub-accounts
  [
    'access.account_ids',
    {
      provider_id: t.P,
      role_ids: [t.rPU],
      access: { level: 'sub_account', account_ids: [t.A1, t.A2], sub_account_ids: [t.S1, t.S2] },
    },
  ],
  [
    'access.account_ids',
    {
      provider_id: t.P,
      role_ids: [t.rPU],
      access: { level: 'sub_account', account_ids: 'all', sub_account_ids: [t.S1] },
    },
  ],
  [
    'access.account_ids',
    {
      provider_id: t.P,
      role_ids: [t.rPU],
      access: { level: 'sub_account', account_ids: [t.QA], sub_account_ids: [t.QS] },
    },
  ],
  // sub-account access without a Platform User role
  [
    'access.sub_account_ids',
    {
      provider_id: t.P,
      role_ids: [t.rSP],
      access: { level: 'sub_account', account_ids: [t.A1], sub_account_ids: [t.S1] },
    },
  ],
  // both password and generate_password
  ['generate_password', { password: PASSWORD, generate_password: true }],
  // required fields missing
  ['username', { username: undefined }],
  ['email', { email: undefined }],
];

test('POST /api/v1/users refuses each bad input with 400 naming the field', async () => {
  let n = 0;
  for (const [field, over] of CREATE_CASES()) {
    const body = createBody(over);
    const r = await srv.api('POST', '/api/v1/users', { body });
    assertProblem(r, 400, field, `case ${n++} ${JSON.stringify(over).slice(0, 200)}`);
  }
});

test('a taken username gets 409 naming username', async () => {
  for (const username of ['patchme', 'PATCHME', 'root', 'Root']) {
    const r = await srv.api('POST', '/api/v1/users', {
      body: { username, email: 'dup@example.com' },
    });
    assertProblem(r, 409, 'username', username);
  }
});

// Sends raw bytes as a request body.
async function send(method, path, raw, contentType = 'application/json', extra = {}) {
  const headers = { authorization: `Bearer ${srv.token}`, ...extra };
  if (contentType !== null) headers['content-type'] = contentType;
  const res = await fetch(srv.base + path, { method, headers, body: raw });
  const text = await res.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body };
}

function nested(depth) {
  let v = '1';
  for (let i = 1; i < depth; i++) v = `[${v}]`;
  return v;
}

test('malformed JSON, duplicate keys and deep nesting are refused with 400', async () => {
  const u = uniq('raw');
  badUsernames.add(u);
  const cases = [
    '{',
    `{"username":"${u}",`,
    `{"username":"${u}" "email":"a@b.co"}`,
    `{username:"${u}"}`,
    `{'username':'${u}'}`,
    `{"username":"${u}","email":"a@b.co",}`,
    `{"username":"${u}","email":"a@b.co"}x`,
    `{"username":"${u}","email":"a@b.co"}{}`,
    '[]',
    `[{"username":"${u}"}]`,
    '"string"',
    '42',
    'null',
    'true',
    '',
    ' ',
    '\u0000',
    `{"username":"${u}\\x"}`,
    `{"username":"${u}","email":"a@b.co","provider_id":01}`,
    `{"username":"${u}","email":"a@b.co","provider_id":NaN}`,
    `{"username":"${u}","email":"a@b.co","provider_id":1e400}`,
    `{"username":"${u}","email":"a@b.co","provider_id":99999999999999999999999}`,
    `{"username":"${u}","email":"a@b.co","first_name":"\\ud800"}`,
    // duplicate keys
    `{"username":"a${u}","username":"b${u}","email":"a@b.co"}`,
    `{"username":"${u}","email":"a@b.co","email":"c@d.co"}`,
    `{"username":"${u}","email":"a@b.co","access":{"level":"platform","level":"provider"}}`,
    // nested deeper than 8
    `{"username":"${u}","email":"a@b.co","role_ids":${nested(9)}}`,
    `{"username":"${u}","email":"a@b.co","access":{"account_ids":${nested(9)}}}`,
    `{"username":"${u}","email":"a@b.co","x":${nested(200)}}`,
    `{"username":"${u}","email":"a@b.co","x":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
  ];
  for (const raw of cases) {
    const r = await send('POST', '/api/v1/users', raw);
    assertProblem(r, 400, undefined, `body ${JSON.stringify(raw).slice(0, 120)}`);
  }
  const dup = await send(
    'POST',
    '/api/v1/users',
    `{"username":"a${u}","username":"b${u}","email":"a@b.co"}`,
  );
  assert.match(dup.body.detail, /duplicate/i, 'the duplicate-key error says so');
  // Invalid UTF-8
  const bytes = Buffer.concat([
    Buffer.from(`{"username":"${u}","email":"a@b.co","first_name":"`),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"}'),
  ]);
  assertProblem(await send('POST', '/api/v1/users', bytes), 400, undefined, 'invalid UTF-8');
});

test('JSON nested exactly 8 deep is parsed (the field check then refuses it)', async () => {
  const body = `{"username":"${uniq('deep')}","email":"a@b.co","role_ids":${nested(7)}}`;
  const r = await send('POST', '/api/v1/users', body);
  assertProblem(r, 400, 'role_ids', 'depth 8');
});

test('a body over 64 KiB gets 413', async () => {
  const u = uniq('huge');
  badUsernames.add(u);
  const big = JSON.stringify({ username: u, email: 'a@b.co', first_name: 'x'.repeat(70 * 1024) });
  let r;
  try {
    r = await send('POST', '/api/v1/users', big);
  } catch {
    // The server may close the connection after answering; read the answer over a raw socket.
    const raw = await rawHttp(
      srv.port,
      `POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${srv.token}\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n${big}`,
    );
    assert.equal(raw.status, 413, raw.data.slice(0, 300));
    assert.match(raw.data, /content-type: application\/problem\+json/i);
    return;
  }
  assertProblem(r, 413, undefined, '70 KiB body');
  // Just under the limit is parsed (and refused for the long name, not the size).
  const under = JSON.stringify({
    username: uniq('under'),
    email: 'a@b.co',
    first_name: 'x'.repeat(60 * 1024),
  });
  assertProblem(await send('POST', '/api/v1/users', under), 400, 'first_name', '60 KiB body');
});

test('a wrong content type gets 415', async () => {
  const u = uniq('ctype');
  badUsernames.add(u);
  const body = JSON.stringify({ username: u, email: 'a@b.co' });
  for (const ct of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonx',
    'application/json-patch+json',
    'text/json',
    'application/xml',
    null,
  ]) {
    const r = await send('POST', '/api/v1/users', body, ct);
    assertProblem(r, 415, undefined, `content-type ${ct}`);
  }
  const form = await send(
    'POST',
    '/api/v1/users',
    `username=${u}&email=a%40b.co`,
    'application/x-www-form-urlencoded',
  );
  assertProblem(form, 415, undefined, 'form body');
  const patch = await send(
    'PATCH',
    `/api/v1/users/${target.id}`,
    JSON.stringify({ first_name: 'Changed' }),
    'text/plain',
  );
  assertProblem(patch, 415, undefined, 'PATCH text/plain');
});

test('a body on a route that takes none is refused and does nothing', async () => {
  const dis = await srv.api('POST', `/api/v1/users/${target.id}/disable`, {
    body: { reason: 'x' },
  });
  assertProblem(dis, 400, undefined, 'disable with a body');
  const del = await srv.api('DELETE', `/api/v1/users/${target.id}`, { body: {} });
  assertProblem(del, 400, undefined, 'delete with a body');
  const en = await send('POST', `/api/v1/users/${target.id}/enable`, 'x', 'text/plain');
  assertProblem(en, [400, 415], undefined, 'enable with a text body');
  const g = await srv.api('GET', `/api/v1/users/${target.id}`);
  assert.equal(g.status, 200);
  assert.equal(g.body.status, 'active', 'the user was disabled or deleted by a refused request');
  const raw = await rawHttp(
    srv.port,
    `GET /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${srv.token}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
  );
  assert.equal(raw.status, 400, raw.data.slice(0, 300));
});

// PATCH cases: [field, body]
const PATCH_CASES = () => [
  ...[
    ['id', 5],
    ['status', 'disabled'],
    ['is_superadmin', true],
    ['password_hash', 'x'],
    ['created_at', '2020-01-01T00:00:00Z'],
    ['mfa_enrolled', true],
    ['banned_until', null],
    ['username', 'other'],
    ['provider_id', null],
    ['password', PASSWORD],
    ['generate_password', true],
    ['version', 1],
    ['foo', 1],
    ['last_login_at', null],
    ['updated_by', 1],
  ].map(([f, v]) => [f, { [f]: v }]),
  ['email', { email: 'not-an-email' }],
  ['email', { email: null }],
  ['email', { email: `${long(250)}@x.io` }],
  ['first_name', { first_name: 5 }],
  ['first_name', { first_name: long(101) }],
  ['last_name', { last_name: null }],
  ['phone', { phone: '020 7123 4567' }],
  ['phone', { phone: '+0' }],
  ['timezone', { timezone: 'Not/AZone' }],
  ['timezone', { timezone: 'europe/london' }],
  ['country', { country: 'XX' }],
  ['country', { country: 'gb' }],
  ['language', { language: 'fr' }],
  ['login_enabled', { login_enabled: 'false' }],
  ['mfa_required', { mfa_required: null }],
  ['role_ids', { role_ids: [t.rQ] }],
  ['role_ids', { role_ids: [0] }],
  ['group_ids', { group_ids: [t.gQ] }],
  ['access.level', { access: { level: 'platform' } }],
  ['access.account_ids', { access: { level: 'account', account_ids: [t.QA] } }],
  [
    'access.sub_account_ids',
    {
      role_ids: [t.rPU],
      access: { level: 'sub_account', account_ids: [t.A1], sub_account_ids: [t.S2] },
    },
  ],
  [
    'access.account_ids',
    {
      role_ids: [t.rPU],
      access: { level: 'sub_account', account_ids: [t.A1, t.A2], sub_account_ids: [t.S1] },
    },
  ],
  [
    'access.sub_account_ids',
    { access: { level: 'sub_account', account_ids: [t.A1], sub_account_ids: [t.S1] } },
  ],
];

test('PATCH /api/v1/users/{id} refuses each bad input with 400 naming the field and changes nothing', async () => {
  const before = await srv.api('GET', `/api/v1/users/${target.id}`);
  let n = 0;
  for (const [field, body] of PATCH_CASES()) {
    const r = await srv.api('PATCH', `/api/v1/users/${target.id}`, { body });
    assertProblem(r, 400, field, `patch case ${n++} ${JSON.stringify(body)}`);
  }
  for (const raw of [
    '{',
    '{"first_name":"a","first_name":"b"}',
    '[]',
    '',
    `{"access":${nested(9)}}`,
  ]) {
    assertProblem(
      await send('PATCH', `/api/v1/users/${target.id}`, raw),
      400,
      undefined,
      `patch raw ${raw}`,
    );
  }
  // Mixed good and bad fields: the good ones must not be applied either.
  const mixed = await srv.api('PATCH', `/api/v1/users/${target.id}`, {
    body: { first_name: 'Half', country: 'XX' },
  });
  assertProblem(mixed, 400, 'country', 'mixed');
  const mixed2 = await srv.api('PATCH', `/api/v1/users/${target.id}`, {
    body: { first_name: 'Half', role_ids: [t.rQ] },
  });
  assertProblem(mixed2, 400, 'role_ids', 'mixed roles');
  const after = await srv.api('GET', `/api/v1/users/${target.id}`);
  assert.deepEqual(after.body, before.body, 'a refused PATCH changed the user');
  assert.equal(after.headers.get('etag'), before.headers.get('etag'));
});

test('a malformed If-Match is refused', async () => {
  for (const h of ['abc', '"abc"', '""', '"0"', '"-1"', 'W/', '"1', '1"']) {
    const r = await srv.api('PATCH', `/api/v1/users/${target.id}`, {
      body: { first_name: 'IfMatch' },
      headers: { 'if-match': h },
    });
    assertProblem(r, [400, 412], undefined, `If-Match ${h}`);
  }
  assert.equal((await srv.api('GET', `/api/v1/users/${target.id}`)).body.first_name, 'Patch');
});

test('bad bulk bodies are refused naming the field', async () => {
  const cases = [
    ['action', { action: 1, ids: [target.id] }],
    ['action', { action: 'DISABLE', ids: [target.id] }],
    ['ids', { action: 'disable', ids: 'all' }],
    ['ids', { action: 'disable', ids: [0] }],
    ['ids', { action: 'disable', ids: Array.from({ length: 1001 }, (_, i) => i + 1) }],
    ['extra', { action: 'disable', ids: [target.id], extra: true }],
  ];
  for (const [field, body] of cases) {
    assertProblem(
      await srv.api('POST', '/api/v1/users/bulk', { body }),
      400,
      field,
      JSON.stringify(body).slice(0, 80),
    );
  }
  assert.equal((await srv.api('GET', `/api/v1/users/${target.id}`)).body.status, 'active');
});

test('after all the bad requests nothing was half-written', async () => {
  const usersAfter = await listAll(srv, '/api/v1/users');
  assert.equal(
    usersAfter.length,
    usersBefore.length,
    `users were created: ${usersAfter.filter((u) => !usersBefore.some((b) => b.id === u.id)).map((u) => u.username)}`,
  );
  for (const status of ['invited', 'disabled', 'deleted']) {
    const extra = (await listAll(srv, `/api/v1/users?status=${status}`)).filter((u) =>
      badUsernames.has(u.username.toLowerCase()),
    );
    assert.deepEqual(
      extra.map((u) => u.username),
      [],
      `bad users with status ${status}`,
    );
  }
  const createsAfter = await auditCreates();
  assert.equal(createsAfter.length, createAuditBefore.length, 'user.create audit rows were added');
  for (const e of createsAfter) {
    const name = e.after?.username?.toLowerCase();
    assert.ok(!badUsernames.has(name), `audit has user.create for ${name}`);
  }
  const g = await srv.api('GET', `/api/v1/users/${target.id}`);
  assert.equal(g.body.first_name, 'Patch');
  assert.equal(g.body.status, 'active');
  assert.equal((await fetch(`${srv.base}/healthz`)).status, 200);
});
