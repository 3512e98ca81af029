// The users list: substring search, status/role/group/tenant filters, every sort in both
// directions, keyset pagination that visits every row once, and strict query parameters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, listAll } from './lib/server.mjs';
import { assertProblem } from './lib/helpers.mjs';

let srv;
const PASSWORD = 'a long enough password for list tests';
const t = {}; // tenants, roles, groups by short name
const users = []; // {username, first_name, last_name, email, id, status, roles, groups, tenancy}
let root;

// username, first name, last name, e-mail, options
const PEOPLE = [
  [
    'alice',
    'Alice',
    'Anderson',
    'alice@alpha.example',
    { roles: ['rP'], groups: ['g1'], tenancy: 'P' },
  ],
  ['bob', 'Bob', 'Brown', 'bob@beta.example', { status: 'invited', tenancy: 'P' }],
  [
    'carol',
    'Carol',
    'Chen',
    'carol.chen@gamma.example',
    { roles: ['rP'], groups: ['g1', 'g2'], tenancy: 'P' },
  ],
  ['dave', 'David', 'Dunn', 'd.dunn@alpha.example', { status: 'disabled' }],
  ['eve', 'Eve', 'Evans', 'eve@delta.example', { roles: ['rG'] }],
  ['frank', 'Frank', 'Foster', 'FRANK@Upper.Example', { tenancy: 'A1', roles: ['rP'] }],
  [
    'grace',
    'Grace',
    'Garcia',
    'grace@epsilon.example',
    { status: 'invited', groups: ['g1'], tenancy: 'P' },
  ],
  ['heidi', 'Heidi', 'Hughes', 'heidi@alpha.example', { status: 'deleted', roles: ['rG'] }],
  ['ivan', 'Ivan', 'Ivanov', 'ivan@zeta.example', { tenancy: 'A2' }],
  ['judy', 'Judy', 'Jones', 'judy@eta.example', { roles: ['rG'], status: 'disabled' }],
  ['mallory', 'Mallory', 'Moore', 'mallory@theta.example', { tenancy: 'S1', roles: ['rPU'] }],
  ['niaj', 'Niaj', 'Nguyen', 'niaj@iota.example', {}],
  ['olivia', 'Olivia', "O'Brien", 'olivia@kappa.example', { status: 'invited' }],
  ['peggy', 'Peggy', 'Patel', 'peggy@lambda.example', { groups: ['g2'] }],
  ['rupert', 'Rupert', 'Reyes', 'rupert@mu.example', { tenancy: 'A1' }],
  ['sybil', 'Sybil', 'Singh', 'sybil@nu.example', { status: 'deleted' }],
  ['trent', 'Trent', 'Taylor', 'trent@xi.example', { roles: ['rG'] }],
  ['victor', 'Victor', 'Vasquez', 'victor@omicron.example', {}],
  ['walter', 'Walter', 'White', 'walter@pi.example', { status: 'disabled', groups: ['g1'] }],
  ['xena', 'Xena', 'Xu', 'xena@rho.example', {}],
  ['yves', 'Yves', 'Young', 'yves@sigma.example', { status: 'invited' }],
  ['zoe', 'Zoe', 'Zhang', 'zoe@tau.example', { tenancy: 'P' }],
  ['li.na', 'Na', 'Li', 'lina@upsilon.example', {}],
  ['under_score', 'Under', 'Score', 'under_score@phi.example', {}],
  ['pct', '100%', 'Sure', 'pct@chi.example', {}],
  ['quote', 'Pat "Q"', 'Quinn', 'quote@psi.example', {}],
  ['al', 'Al', 'Bundy', 'al@omega.example', {}],
  ['ALICE2', 'alice', 'ANDERSON', 'Alice2@Alpha.example', { roles: ['rG'] }],
  ['no.name', '', '', 'noname@example.com', { status: 'invited' }],
  ['x', 'X', 'Ray', 'x@ray.example', {}],
];

before(async () => {
  srv = await startServer();
  const mk = async (path, body) => {
    const r = await srv.api('POST', path, { body });
    assert.equal(r.status, 201, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    return r.body.id;
  };
  t.P = await mk('/api/v1/tenants', { kind: 'service_provider', name: 'List provider' });
  t.A1 = await mk('/api/v1/tenants', { kind: 'platform_account', parent_id: t.P, name: 'List A1' });
  t.A2 = await mk('/api/v1/tenants', { kind: 'platform_account', parent_id: t.P, name: 'List A2' });
  t.S1 = await mk('/api/v1/tenants', { kind: 'sub_account', parent_id: t.A1, name: 'List S1' });
  t.rP = await mk('/api/v1/roles', {
    name: 'List SP role',
    kind: 'service_provider',
    provider_id: t.P,
    permissions: ['users.read'],
  });
  t.rPU = await mk('/api/v1/roles', {
    name: 'List PU role',
    kind: 'platform_user',
    provider_id: t.P,
    permissions: ['users.read'],
  });
  t.rG = await mk('/api/v1/roles', {
    name: 'List global role',
    kind: 'service_provider',
    provider_id: null,
    permissions: ['users.read'],
  });
  t.g1 = await mk('/api/v1/groups', { name: 'List group 1', provider_id: null });
  t.g2 = await mk('/api/v1/groups', { name: 'List group 2', provider_id: null });

  for (const [username, first_name, last_name, email, o] of PEOPLE) {
    const body = { username, first_name, last_name, email };
    if (o.status !== 'invited') body.password = PASSWORD;
    const tenancy = o.tenancy;
    if (tenancy) body.provider_id = t.P;
    if (tenancy === 'A1' || tenancy === 'A2')
      body.access = { level: 'account', account_ids: [t[tenancy]] };
    if (tenancy === 'S1')
      body.access = { level: 'sub_account', account_ids: [t.A1], sub_account_ids: [t.S1] };
    if (o.roles) body.role_ids = o.roles.map((k) => t[k]);
    if (o.groups) body.group_ids = o.groups.map((k) => t[k]);
    const r = await srv.api('POST', '/api/v1/users', { body });
    assert.equal(r.status, 201, `${username}: ${JSON.stringify(r.body)}`);
    const status = o.status || 'active';
    if (status === 'disabled')
      assert.equal((await srv.api('POST', `/api/v1/users/${r.body.id}/disable`)).status, 200);
    if (status === 'deleted')
      assert.equal((await srv.api('DELETE', `/api/v1/users/${r.body.id}`)).status, 204);
    users.push({
      username,
      first_name,
      last_name,
      email,
      id: r.body.id,
      status,
      roles: o.roles || [],
      groups: o.groups || [],
      tenancy,
    });
  }
  const all = await listAll(srv, '/api/v1/users');
  const r = all.find((u) => u.username === 'root');
  root = {
    username: 'root',
    first_name: r.first_name,
    last_name: r.last_name,
    email: r.email,
    id: r.id,
    status: 'active',
    roles: [],
    groups: [],
    tenancy: null,
  };
});

after(async () => {
  await srv?.stop();
});

const live = () => [root, ...users].filter((u) => u.status !== 'deleted');
const idsOf = (items) => items.map((u) => u.id);
const sorted = (a) => [...a].sort((x, y) => x - y);
// What a search finds, as the API documents it: text is folded (case, compatibility forms,
// accents); a term of one or two letters or digits matches the start of a word (any position in
// Chinese, Japanese or Korean text), a longer term (or a short one with other characters) matches
// anywhere.
const fold = (s) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const haystack = (u) => {
  const [f, l] = [fold(u.first_name), fold(u.last_name)];
  const both = CJK.test(f + l) ? ` ${l}${f}` : '';
  return `${fold(u.username)} ${f} ${l}${both} ${fold(u.email)}`;
};
const finds = (u, q) => {
  const t = fold(q).trim();
  const chars = [...t];
  const h = haystack(u);
  if (chars.length <= 2 && chars.every((c) => /[\p{L}\p{N}]/u.test(c))) {
    if (chars.every((c) => CJK.test(c))) return h.includes(t);
    if (chars.some((c) => CJK.test(c))) return h.includes(t);
    return h
      .split(/[^\p{L}\p{N}]+|(?=\p{Script=Han})/u)
      .some((w) => w.replace(CJK, '') !== '' && w.startsWith(t));
  }
  return h.includes(t);
};

test('the default list shows every live user with the list columns, deleted ones hidden', async () => {
  const items = await listAll(srv, '/api/v1/users');
  assert.deepEqual(sorted(idsOf(items)), sorted(idsOf(live())));
  const alice = items.find((u) => u.username === 'alice');
  for (const k of [
    'id',
    'username',
    'first_name',
    'last_name',
    'email',
    'status',
    'last_login_at',
    'created_at',
  ]) {
    assert.ok(k in alice, `list item lacks ${k}`);
  }
  assert.ok(!JSON.stringify(items).includes('$argon2'));
});

test('q searches username, first name, last name and e-mail, case-insensitively', async () => {
  const queries = [
    'alice',
    'ALICE',
    'Anderson',
    'anderSON',
    'alpha.example',
    'ALPHA',
    'chen',
    'CAROL.CHEN',
    'gamma',
    'upper.example',
    'Frank@upper',
    'ivanov',
    "o'brien",
    'li.na',
    'lina@',
    'ray',
    'bundy',
    'zh',
    'Xu',
    'a',
    'Z',
    'q',
    'x',
    'li',
    'AN',
    'nobody-matches-this',
    'example',
    'heidi',
    'sybil',
    'score',
    'dunn',
  ];
  for (const q of queries) {
    const got = await listAll(srv, `/api/v1/users?q=${encodeURIComponent(q)}`);
    const want = live().filter((u) => finds(u, q));
    assert.deepEqual(
      sorted(idsOf(got)),
      sorted(idsOf(want)),
      `q=${q}: got ${got.map((u) => u.username)}, want ${want.map((u) => u.username)}`,
    );
  }
});

test('1- and 2-character queries match the start of a word', async () => {
  const one = await listAll(srv, '/api/v1/users?q=v');
  assert.deepEqual(sorted(idsOf(one)), sorted(idsOf(live().filter((u) => finds(u, 'v')))));
  assert.ok(one.some((u) => u.username === 'victor'));
  assert.ok(!one.some((u) => u.username === 'yves'), 'yves has a v inside a word only');
  const two = await listAll(srv, '/api/v1/users?q=Yo');
  assert.deepEqual(
    two.map((u) => u.username),
    ['yves'],
  );
  const two2 = await listAll(srv, '/api/v1/users?q=al');
  assert.deepEqual(sorted(idsOf(two2)), sorted(idsOf(live().filter((u) => finds(u, 'al')))));
});

test('queries with a double quote, % or _ do not error and match literally', async () => {
  const queries = [
    '"',
    '""',
    '"Q"',
    'Pat "Q',
    '"Q" Quinn',
    '%',
    '%%',
    '100%',
    '0%',
    'a%',
    '%a',
    '_',
    '__',
    'r_s',
    'under_',
    '_score',
    'r_',
    '\\',
    "'",
    '%_"',
    '*',
    'al*',
    'a OR b',
    'NEAR',
    '(',
    ')',
    '-x',
    'x:y',
    '^a',
  ];
  for (const q of queries) {
    const r = await srv.api('GET', `/api/v1/users?q=${encodeURIComponent(q)}&limit=200`);
    assert.equal(r.status, 200, `q=${q}: ${r.status} ${JSON.stringify(r.body)}`);
    const want = live().filter((u) => finds(u, q));
    assert.deepEqual(
      sorted(idsOf(r.body.items)),
      sorted(idsOf(want)),
      `q=${q}: got ${r.body.items.map((u) => u.username)}, want ${want.map((u) => u.username)}`,
    );
  }
  // Spot checks, independent of the oracle.
  const quote = await srv.api('GET', `/api/v1/users?q=${encodeURIComponent('"')}`);
  assert.deepEqual(
    quote.body.items.map((u) => u.username),
    ['quote'],
  );
  const pct = await srv.api('GET', `/api/v1/users?q=${encodeURIComponent('%')}`);
  assert.deepEqual(
    pct.body.items.map((u) => u.username),
    ['pct'],
  );
  const und = await srv.api('GET', `/api/v1/users?q=${encodeURIComponent('_')}`);
  assert.deepEqual(
    und.body.items.map((u) => u.username),
    ['under_score'],
  );
});

test('q longer than 100 characters is refused; an empty q lists everyone', async () => {
  assertProblem(await srv.api('GET', `/api/v1/users?q=${'a'.repeat(101)}`), 400, 'q');
  const r = await srv.api('GET', `/api/v1/users?q=${'a'.repeat(100)}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.items, []);
  const empty = await listAll(srv, '/api/v1/users?q=');
  assert.equal(empty.length, live().length);
});

test('status filters: active, invited, disabled, banned (none yet), deleted', async () => {
  const all = [root, ...users];
  for (const status of ['active', 'invited', 'disabled', 'deleted']) {
    const got = await listAll(srv, `/api/v1/users?status=${status}`);
    const want = all.filter((u) => u.status === status);
    assert.ok(want.length > 0);
    assert.deepEqual(sorted(idsOf(got)), sorted(idsOf(want)), status);
    for (const u of got) assert.equal(u.status, status);
  }
  const banned = await srv.api('GET', '/api/v1/users?status=banned');
  assert.equal(banned.status, 200);
  assert.deepEqual(banned.body.items, []);
  assert.equal(banned.body.next_cursor, null);
  assertProblem(await srv.api('GET', '/api/v1/users?status=locked'), 400, 'status');
  assertProblem(await srv.api('GET', '/api/v1/users?status=Active'), 400, 'status');
});

test('status combines with q', async () => {
  const got = await listAll(srv, '/api/v1/users?status=invited&q=o');
  const want = [root, ...users].filter((u) => u.status === 'invited' && finds(u, 'o'));
  assert.deepEqual(sorted(idsOf(got)), sorted(idsOf(want)));
  const del = await listAll(srv, '/api/v1/users?status=deleted&q=heidi');
  assert.deepEqual(
    del.map((u) => u.username),
    ['heidi'],
  );
});

test('role_id and group_id filters', async () => {
  for (const k of ['rP', 'rPU', 'rG']) {
    const got = await listAll(srv, `/api/v1/users?role_id=${t[k]}`);
    const want = live().filter((u) => u.roles.includes(k));
    assert.deepEqual(sorted(idsOf(got)), sorted(idsOf(want)), k);
  }
  for (const k of ['g1', 'g2']) {
    const got = await listAll(srv, `/api/v1/users?group_id=${t[k]}`);
    const want = live().filter((u) => u.groups.includes(k));
    assert.deepEqual(sorted(idsOf(got)), sorted(idsOf(want)), k);
  }
  const both = await listAll(srv, `/api/v1/users?role_id=${t.rP}&group_id=${t.g2}`);
  assert.deepEqual(
    both.map((u) => u.username),
    ['carol'],
  );
  const none = await srv.api('GET', '/api/v1/users?role_id=999999');
  assert.equal(none.status, 200);
  assert.deepEqual(none.body.items, []);
  for (const p of [
    'role_id=abc',
    'role_id=0',
    'role_id=-1',
    'group_id=1.5',
    'group_id=',
    'tenant_id=x',
  ]) {
    assertProblem(await srv.api('GET', `/api/v1/users?${p}`), 400, p.split('=')[0], p);
  }
});

test('tenant_id filter: users of a provider, an account and a sub-account', async () => {
  const provider = await listAll(srv, `/api/v1/users?tenant_id=${t.P}`);
  assert.deepEqual(
    sorted(idsOf(provider)),
    sorted(idsOf(live().filter((u) => u.tenancy))),
    'provider',
  );
  const a1 = await listAll(srv, `/api/v1/users?tenant_id=${t.A1}`);
  assert.deepEqual(
    sorted(idsOf(a1)),
    sorted(idsOf(live().filter((u) => u.tenancy === 'A1' || u.tenancy === 'S1'))),
    'A1',
  );
  const a2 = await listAll(srv, `/api/v1/users?tenant_id=${t.A2}`);
  assert.deepEqual(
    a2.map((u) => u.username),
    ['ivan'],
  );
  const s1 = await listAll(srv, `/api/v1/users?tenant_id=${t.S1}`);
  assert.deepEqual(
    s1.map((u) => u.username),
    ['mallory'],
  );
  const q = await listAll(srv, `/api/v1/users?tenant_id=${t.P}&q=zoe`);
  assert.deepEqual(
    q.map((u) => u.username),
    ['zoe'],
  );
});

// The expected order of list items for a sort key (ties broken by id, reversed with '-').
const KEYS = {
  name: (u) => `${u.first_name} ${u.last_name}`.toLowerCase(),
  username: (u) => u.username.toLowerCase(),
  email: (u) => u.email.toLowerCase(),
  last_login: (u) => u.last_login_at || '',
  created: (u) => u.created_at,
};

function expectedOrder(items, sort) {
  const desc = sort.startsWith('-');
  const key = KEYS[desc ? sort.slice(1) : sort];
  const out = [...items].sort((a, b) => {
    const ka = key(a),
      kb = key(b);
    const c = ka < kb ? -1 : ka > kb ? 1 : a.id - b.id;
    return desc ? -c : c;
  });
  return idsOf(out);
}

const SORTS = [
  'name',
  '-name',
  'username',
  '-username',
  'last_login',
  '-last_login',
  'created',
  '-created',
];

test('sort by name, username, last_login and created, ascending and descending', async () => {
  for (const sort of SORTS) {
    const r = await srv.api('GET', `/api/v1/users?sort=${sort}&limit=200`);
    assert.equal(r.status, 200, `${sort}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.items.length, live().length);
    assert.deepEqual(
      idsOf(r.body.items),
      expectedOrder(r.body.items, sort),
      `sort=${sort}: ${r.body.items.map((u) => u.username)}`,
    );
  }
  const byName = await srv.api('GET', '/api/v1/users?sort=name&limit=200');
  const names = byName.body.items.map((u) => u.username);
  assert.ok(
    names.indexOf('al') < names.indexOf('alice') && names.indexOf('alice') < names.indexOf('bob'),
    names.join(','),
  );
  const byUser = await srv.api('GET', '/api/v1/users?sort=-username&limit=200');
  assert.equal(byUser.body.items[0].username, 'zoe');
  const plain = await srv.api('GET', '/api/v1/users?limit=200');
  assert.deepEqual(
    idsOf(plain.body.items),
    idsOf(byName.body.items),
    'the default sort is by name',
  );
});

test('sort by e-mail, ascending and descending, ignores letter case', async () => {
  for (const sort of ['email', '-email']) {
    const r = await srv.api('GET', `/api/v1/users?sort=${sort}&limit=200`);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.items.map((u) => u.email),
      expectedOrder(r.body.items, sort).map((id) => r.body.items.find((u) => u.id === id).email),
      `sort=${sort}`,
    );
  }
});

test('sort is refused for unknown keys', async () => {
  for (const s of ['bogus', 'password_hash', '--name', '+name', 'NAME', 'name desc', 'id;drop']) {
    assertProblem(
      await srv.api('GET', `/api/v1/users?sort=${encodeURIComponent(s)}`),
      400,
      'sort',
      s,
    );
  }
});

// Follows the cursor with the given page size; checks page sizes and the last page.
async function pages(query, limit) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < 100; i++) {
    const url = `/api/v1/users?${query}${query ? '&' : ''}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await srv.api('GET', url);
    assert.equal(r.status, 200, `${url}: ${JSON.stringify(r.body)}`);
    assert.ok(r.body.items.length <= limit);
    assert.ok('next_cursor' in r.body);
    out.push(r.body.items);
    cursor = r.body.next_cursor;
    if (cursor === null) return out;
    assert.equal(typeof cursor, 'string');
    assert.equal(r.body.items.length, limit, `a page before the last is short: ${url}`);
  }
  throw new Error('too many pages');
}

test('cursor pagination with limit 7 visits every user exactly once, in order, for every sort', async () => {
  for (const sort of [...SORTS, 'email', '-email', null]) {
    const query = sort ? `sort=${sort}` : '';
    const full = await srv.api('GET', `/api/v1/users?${query}${query ? '&' : ''}limit=200`);
    const ps = await pages(query, 7);
    const got = idsOf(ps.flat());
    assert.equal(new Set(got).size, got.length, `sort=${sort}: a user appears twice`);
    assert.deepEqual(
      got,
      idsOf(full.body.items),
      `sort=${sort}: pages differ from the single page`,
    );
    assert.equal(got.length, live().length);
    assert.ok(ps[ps.length - 1].length > 0, `sort=${sort}: the last page is empty`);
  }
});

test('cursor pagination works with search and filters, and when the total is a multiple of the page', async () => {
  for (const query of [
    'q=example',
    'q=a&sort=-name',
    'status=active&sort=username',
    'q=e&sort=created',
    `tenant_id=${t.P}&sort=email`,
  ]) {
    const full = await srv.api('GET', `/api/v1/users?${query}&limit=200`);
    const total = full.body.items.length;
    assert.ok(total > 3, query);
    for (const limit of [1, 3, total]) {
      const ps = await pages(query, limit);
      assert.deepEqual(idsOf(ps.flat()), idsOf(full.body.items), `${query} limit=${limit}`);
      assert.ok(
        ps[ps.length - 1].length > 0 || total === 0,
        `${query} limit=${limit}: the last page is empty`,
      );
    }
  }
  const exact = await srv.api('GET', `/api/v1/users?limit=${live().length}`);
  assert.equal(exact.body.items.length, live().length);
  assert.equal(exact.body.next_cursor, null, 'a page holding everything has no next cursor');
});

test('a cursor from one sort is refused with another (400, field cursor)', async () => {
  const first = await srv.api('GET', '/api/v1/users?sort=name&limit=7');
  const cursor = first.body.next_cursor;
  assert.equal(typeof cursor, 'string');
  const ok = await srv.api(
    'GET',
    `/api/v1/users?sort=name&limit=7&cursor=${encodeURIComponent(cursor)}`,
  );
  assert.equal(ok.status, 200);
  for (const sort of ['-name', 'email', 'username', 'created', '-last_login']) {
    const r = await srv.api(
      'GET',
      `/api/v1/users?sort=${sort}&limit=7&cursor=${encodeURIComponent(cursor)}`,
    );
    assertProblem(r, 400, 'cursor', sort);
  }
  for (const bad of [
    'abc!',
    '%%%',
    'AAAA',
    'x'.repeat(500),
    Buffer.from('99\n1\nzz').toString('base64url'),
    Buffer.from('0\n').toString('base64url'),
  ]) {
    const r = await srv.api('GET', `/api/v1/users?sort=name&cursor=${encodeURIComponent(bad)}`);
    assertProblem(r, 400, 'cursor', bad.slice(0, 20));
  }
});

test('limit must be an integer from 1 to 200', async () => {
  for (const l of ['0', '201', 'abc', '-1', '1.5', '', '007', '1e2', '99999999999999999999']) {
    assertProblem(await srv.api('GET', `/api/v1/users?limit=${l}`), 400, 'limit', `limit=${l}`);
  }
  const one = await srv.api('GET', '/api/v1/users?limit=1');
  assert.equal(one.status, 200);
  assert.equal(one.body.items.length, 1);
  const max = await srv.api('GET', '/api/v1/users?limit=200');
  assert.equal(max.status, 200);
});

test('an unknown query parameter is refused naming it', async () => {
  for (const p of ['foo', 'page', 'offset', 'Q', 'sort_by', 'provider_id']) {
    assertProblem(await srv.api('GET', `/api/v1/users?${p}=1`), 400, p, p);
  }
  assertProblem(await srv.api('GET', '/api/v1/users?q=a&bogus=1'), 400, 'bogus');
});

test('the list never answers 500 for odd query strings', async () => {
  for (const qs of [
    'q=%00',
    'q=%FF',
    'q=%E4%B8%AD',
    'q=%C3%A9',
    'sort=',
    'cursor=',
    'q=a&q=b',
    'status=',
    '&&',
    '=',
    'q',
  ]) {
    const r = await srv.api('GET', `/api/v1/users?${qs}`);
    assert.ok(r.status < 500, `${qs}: ${r.status} ${JSON.stringify(r.body)}`);
  }
});
