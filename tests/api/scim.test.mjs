// SCIM 2.0 (issue 15, SECURITY C10): SCIM clients (POST/GET/DELETE /api/v1/scim-clients and
// `gatehouse scim`), Okta's documented request sequence replayed in order against /scim/v2,
// filters, paging, ETag/If-Match, errors in SCIM's schema, the discovery documents, and the
// isolation of a client: a token of provider A sees, reads, changes and creates nothing of
// provider B, cannot use /api/v1, and no client carries more than its creator holds.
// One server for the file; each test makes its own providers and clients, so each passes alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, adminWith, auditRows, createUser } from './lib/server.mjs';
import { assertProblem, uniq, USERS_ALL } from './lib/helpers.mjs';
import * as okta from './fixtures/scim/okta.mjs';

const SCIM = 'application/scim+json';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
let srv;

before(async () => {
  srv = await startServer();
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

// A SCIM client of provider p made by `token` (root's by default); returns the answer's body.
async function client(p, { token = srv.token, body = {} } = {}) {
  const r = await srv.api('POST', '/api/v1/scim-clients', {
    token,
    body: { name: uniq('Okta '), provider_id: p.id, ...body },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

// One SCIM request with a client's token, in SCIM's media type.
async function scim(tok, method, path, body, headers = {}) {
  const r = await srv.api(method, `/scim/v2${path}`, {
    token: tok,
    body,
    headers: body !== undefined ? { 'content-type': SCIM, ...headers } : headers,
  });
  if (r.status !== 204)
    assert.match(
      r.headers.get('content-type') || '',
      /^application\/scim\+json/,
      `${method} ${path}`,
    );
  return r;
}

// A SCIM error answer: its schema, its status as a string and, when given, its scimType.
function assertScimError(r, status, scimType) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(r.body.schemas, [ERROR]);
  assert.equal(r.body.status, String(status));
  assert.equal(typeof r.body.detail, 'string');
  if (scimType !== undefined) assert.equal(r.body.scimType, scimType, JSON.stringify(r.body));
}

// A user for filters, through SCIM.
async function scimUser(tok, over = {}) {
  const name = uniq('f');
  const r = await scim(tok, 'POST', '/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: name,
    name: { givenName: 'Filter', familyName: `Fam${name}` },
    emails: [{ value: `${name}@example.com`, primary: true }],
    ...over,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

const list = async (tok, query) => {
  const r = await scim(tok, 'GET', `/Users?${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};

const filter = (f, more = '') => `filter=${encodeURIComponent(f)}${more}`;

test("Okta's sequence: look up, create, duplicate, read, replace, deactivate, reactivate", async () => {
  const p = await provider();
  const c = await client(p);
  assert.match(c.token, /^gh_/);
  assert.equal(c.provider_id, p.id);

  const none = await scim(c.token, 'GET', `/Users?${okta.lookupQuery}`);
  assert.equal(none.status, 200);
  assert.deepEqual(none.body, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
    totalResults: 0,
    startIndex: 1,
    itemsPerPage: 0,
    Resources: [],
  });

  const made = await scim(c.token, 'POST', '/Users', okta.createUser);
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const u = made.body;
  assert.match(u.id, /^\d+$/);
  assert.equal(u.userName, 'test.user@okta.local');
  assert.deepEqual(u.name, { givenName: 'Test', familyName: 'User', formatted: 'Test User' });
  assert.deepEqual(u.emails, [{ value: 'test.user@okta.local', type: 'work', primary: true }]);
  assert.equal(u.externalId, '00ujl29u0le5T6Aj10h7');
  assert.equal(u.active, true);
  assert.equal(u.locale, 'en');
  assert.equal(u.meta.resourceType, 'User');
  assert.equal(u.meta.version, 'W/"1"');
  assert.ok(u.meta.location.endsWith(`/scim/v2/Users/${u.id}`));
  assert.equal(made.headers.get('location'), u.meta.location);
  assert.equal(made.headers.get('etag'), 'W/"1"');
  assert.equal('password' in u, false);
  // the password is not a credential: the user is invited (onboarding e-mail) in provider p,
  // with the client's default access
  const api = await srv.api('GET', `/api/v1/users/${u.id}`);
  assert.equal(api.body.status, 'invited');
  assert.equal(api.body.provider_id, p.id);
  assert.equal(api.body.access.level, 'provider');

  const found = await scim(c.token, 'GET', `/Users?${okta.lookupQuery}`);
  assert.equal(found.body.totalResults, 1);
  assert.equal(found.body.Resources[0].id, u.id);

  assertScimError(await scim(c.token, 'POST', '/Users', okta.createUser), 409, 'uniqueness');

  const read = await scim(c.token, 'GET', `/Users/${u.id}`);
  assert.equal(read.status, 200);
  assert.deepEqual(read.body, u);

  const put = await scim(c.token, 'PUT', `/Users/${u.id}`, okta.replaceUser(u.id));
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.name.givenName, 'Another');
  assert.equal(put.body.externalId, '00ujl29u0le5T6Aj10h7', 'a PUT without it keeps externalId');
  assert.equal(put.body.active, true);

  const off = await scim(c.token, 'PATCH', `/Users/${u.id}`, okta.deactivate);
  assert.equal(off.status, 200, JSON.stringify(off.body));
  assert.equal(off.body.active, false);
  assert.equal((await srv.api('GET', `/api/v1/users/${u.id}`)).body.status, 'disabled');
  const rows = await auditRows(srv, 'user.disable', u.id);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].actor, `scim:${c.name}`, 'the audit trail names the SCIM client');
  assert.equal(rows[0].actor_id, c.created_by);

  const on = await scim(c.token, 'PATCH', `/Users/${u.id}`, okta.reactivate);
  assert.equal(on.status, 200, JSON.stringify(on.body));
  assert.equal(on.body.active, true);
  assert.equal((await srv.api('GET', `/api/v1/users/${u.id}`)).body.status, 'invited');
  const created = await auditRows(srv, 'user.create', u.id);
  assert.equal(created[0].actor, `scim:${c.name}`);
});

test('DELETE disables and tombstones: the user is gone for SCIM, its userName never re-used', async () => {
  const p = await provider();
  const c = await client(p);
  const u = await scimUser(c.token);
  const del = await scim(c.token, 'DELETE', `/Users/${u.id}`);
  assert.equal(del.status, 204);
  assertScimError(await scim(c.token, 'GET', `/Users/${u.id}`), 404);
  assertScimError(await scim(c.token, 'DELETE', `/Users/${u.id}`), 404);
  assert.equal((await list(c.token, filter(`userName eq "${u.userName}"`))).totalResults, 0);
  assert.equal((await srv.api('GET', `/api/v1/users/${u.id}`)).body.status, 'deleted');
  const again = await scim(c.token, 'POST', '/Users', {
    userName: u.userName,
    emails: [{ value: 'again@example.com' }],
  });
  assertScimError(again, 409, 'uniqueness');
});

test('ETag and If-Match: a stale version is refused with 412', async () => {
  const p = await provider();
  const c = await client(p);
  const u = await scimUser(c.token);
  const patch = (ifMatch) =>
    scim(
      c.token,
      'PATCH',
      `/Users/${u.id}`,
      { Operations: [{ op: 'replace', path: 'name.givenName', value: uniq('G') }] },
      { 'if-match': ifMatch },
    );
  const ok = await patch('W/"1"');
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.meta.version, 'W/"2"');
  assert.equal(ok.headers.get('etag'), 'W/"2"');
  assertScimError(await patch('W/"1"'), 412);
  assertScimError(
    await scim(c.token, 'DELETE', `/Users/${u.id}`, undefined, { 'if-match': 'W/"1"' }),
    412,
  );
  assert.equal((await patch('W/"2"')).status, 200);
});

test('filters: eq, co, sw, pr, and, or, not, emails, names, active, meta.lastModified', async () => {
  const p = await provider();
  const c = await client(p);
  const tag = uniq('flt');
  const a = await scimUser(c.token, { userName: `${tag}-alpha`, externalId: `${tag}-ext-A` });
  const b = await scimUser(c.token, {
    userName: `${tag}-beta`,
    name: { givenName: 'Bea', familyName: `${tag}Smith` },
  });
  const d = await scimUser(c.token, { userName: `${tag}-delta`, active: false });
  assert.equal(d.active, false);
  const ids = async (f) =>
    (await list(c.token, filter(f))).Resources.map((r) => r.id).sort((x, y) => x - y);

  assert.deepEqual(await ids(`userName eq "${tag.toUpperCase()}-ALPHA"`), [a.id]);
  assert.deepEqual(await ids(`externalId eq "${tag}-ext-A"`), [a.id]);
  assert.deepEqual(await ids(`externalId eq "${tag}-EXT-A"`), [], 'externalId is case-exact');
  assert.deepEqual(await ids(`emails.value eq "${b.emails[0].value}"`), [b.id]);
  assert.deepEqual(await ids(`emails[type eq "work" and value eq "${b.emails[0].value}"]`), [b.id]);
  assert.deepEqual(await ids(`name.familyName eq "${tag}smith"`), [b.id]);
  assert.deepEqual(await ids(`userName sw "${tag}-"`), [a.id, b.id, d.id]);
  assert.deepEqual(await ids(`userName co "${tag.slice(3)}-b"`), [b.id]);
  assert.deepEqual(await ids(`userName sw "${tag}-" and active eq false`), [d.id]);
  assert.deepEqual(await ids(`userName sw "${tag}-" and not (active eq false)`), [a.id, b.id]);
  assert.deepEqual(await ids(`userName eq "${tag}-alpha" or userName eq "${tag}-delta"`), [
    a.id,
    d.id,
  ]);
  assert.deepEqual(await ids(`userName sw "${tag}-" and externalId pr`), [a.id]);
  // LIKE's wildcards are plain characters in a value
  assert.deepEqual(await ids(`userName co "${tag}%"`), []);
  assert.deepEqual(await ids(`userName co "_"`), []);
  const since = new Date(Date.parse(a.meta.lastModified) - 1000).toISOString();
  assert.deepEqual(
    await ids(`userName sw "${tag}-" and meta.lastModified gt "${since.replace(/\.\d+Z$/, 'Z')}"`),
    [a.id, b.id, d.id],
  );
  assert.deepEqual(
    await ids(`userName sw "${tag}-" and meta.lastModified gt "2999-01-01T00:00:00Z"`),
    [],
  );

  for (const bad of [
    'userName eq',
    'nickName eq "x"',
    'userName eq "x" and',
    '(userName eq "x"',
    'active eq "maybe"',
  ])
    assertScimError(await scim(c.token, 'GET', `/Users?${filter(bad)}`), 400, 'invalidFilter');
});

test('paging: startIndex and count, totalResults counts all matches', async () => {
  const p = await provider();
  const c = await client(p);
  const made = [];
  for (let i = 0; i < 5; i++) made.push((await scimUser(c.token)).id);
  const page = await list(c.token, 'startIndex=2&count=2');
  assert.equal(page.totalResults, 5);
  assert.equal(page.startIndex, 2);
  assert.equal(page.itemsPerPage, 2);
  assert.deepEqual(
    page.Resources.map((r) => r.id),
    made.slice(1, 3),
  );
  const none = await list(c.token, 'count=0');
  assert.equal(none.totalResults, 5);
  assert.deepEqual(none.Resources, []);
  const past = await list(c.token, 'startIndex=10');
  assert.equal(past.totalResults, 5);
  assert.equal(past.itemsPerPage, 0);
  assert.equal((await list(c.token, 'startIndex=0&count=1')).startIndex, 1);
  assertScimError(await scim(c.token, 'GET', '/Users?count=many'), 400, 'invalidValue');
});

test('input: unknown attributes, wrong types, a renamed userName and bad JSON are refused', async () => {
  const p = await provider();
  const c = await client(p);
  const u = await scimUser(c.token);
  const bad = async (method, path, body, status, type) =>
    assertScimError(await scim(c.token, method, path, body), status, type);
  await bad(
    'POST',
    '/Users',
    { userName: uniq('x'), emails: [{ value: 'x@example.com' }], admin: true },
    400,
    'invalidSyntax',
  );
  await bad('POST', '/Users', { userName: uniq('x') }, 400, 'invalidValue');
  await bad(
    'POST',
    '/Users',
    { userName: 7, emails: [{ value: 'x@example.com' }] },
    400,
    'invalidValue',
  );
  await bad(
    'PATCH',
    `/Users/${u.id}`,
    { Operations: [{ op: 'replace', path: 'active', value: 'perhaps' }] },
    400,
    'invalidValue',
  );
  await bad(
    'PATCH',
    `/Users/${u.id}`,
    { Operations: [{ op: 'move', path: 'active' }] },
    400,
    'invalidSyntax',
  );
  await bad('PATCH', `/Users/${u.id}`, { Operations: [] }, 400, 'invalidSyntax');
  await bad(
    'PATCH',
    `/Users/${u.id}`,
    { Operations: [{ op: 'replace', path: 'userName', value: 'other' }] },
    400,
    'mutability',
  );
  await bad(
    'PATCH',
    `/Users/${u.id}`,
    { Operations: [{ op: 'remove', path: 'nope' }] },
    400,
    'noTarget',
  );
  await bad(
    'PATCH',
    `/Users/${u.id}`,
    { Operations: [{ op: 'replace', path: 'emails[type eq "work"', value: 'a' }] },
    400,
    'invalidPath',
  );
  const raw = await srv.api('POST', '/scim/v2/Users', {
    token: c.token,
    raw: '{"userName": ',
    headers: { 'content-type': SCIM },
  });
  assertScimError(raw, 400);
  const plain = await srv.api('POST', '/scim/v2/Users', {
    token: c.token,
    raw: '{}',
    headers: { 'content-type': 'text/plain' },
  });
  assertScimError(plain, 415);
  // application/json is taken as well
  const json = await srv.api('POST', '/scim/v2/Users', {
    token: c.token,
    body: { userName: uniq('j'), emails: [{ value: 'j@example.com' }] },
  });
  assert.equal(json.status, 201, JSON.stringify(json.body));
  assertScimError(await scim(c.token, 'GET', '/Users/abc'), 404);
  assertScimError(await scim(c.token, 'GET', '/Nope'), 404);
  assertScimError(await scim(c.token, 'POST', '/ServiceProviderConfig', {}), 405);
});

test('discovery: ServiceProviderConfig, ResourceTypes and Schemas say what is supported', async () => {
  const p = await provider();
  const c = await client(p);
  const spc = await scim(c.token, 'GET', '/ServiceProviderConfig');
  assert.equal(spc.status, 200);
  assert.equal(spc.body.patch.supported, true);
  assert.equal(spc.body.bulk.supported, false);
  assert.equal(spc.body.filter.supported, true);
  assert.equal(spc.body.filter.maxResults, 200);
  assert.equal(spc.body.sort.supported, false);
  assert.equal(spc.body.etag.supported, true);
  assert.equal(spc.body.changePassword.supported, false);
  assert.equal(spc.body.authenticationSchemes[0].type, 'oauthbearertoken');
  const rt = await scim(c.token, 'GET', '/ResourceTypes');
  assert.equal(rt.body.totalResults, 2);
  assert.deepEqual(
    rt.body.Resources.map((x) => x.endpoint),
    ['/Users', '/Groups'],
  );
  assert.equal((await scim(c.token, 'GET', '/ResourceTypes/User')).body.id, 'User');
  assert.equal((await scim(c.token, 'GET', '/ResourceTypes/Group')).body.id, 'Group');
  const sc = await scim(c.token, 'GET', '/Schemas');
  const ids = sc.body.Resources.map((s) => s.id);
  assert.ok(ids.includes('urn:ietf:params:scim:schemas:core:2.0:User'));
  assert.ok(ids.includes('urn:ietf:params:scim:schemas:core:2.0:Group'));
  const user = await scim(c.token, 'GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
  const names = user.body.attributes.map((a) => a.name);
  for (const n of ['userName', 'name', 'emails', 'phoneNumbers', 'active', 'externalId'])
    assert.ok(names.includes(n), n);
  assertScimError(await scim(c.token, 'GET', '/Schemas/urn:nope'), 404);
  // discovery, like everything under /scim/v2, needs a SCIM client's token
  assertScimError(await scim(null, 'GET', '/ServiceProviderConfig'), 401);
});

test("isolation: provider A's token sees, reads, changes and creates nothing of provider B", async () => {
  const pa = await provider();
  const pb = await provider();
  const ca = await client(pa);
  const cb = await client(pb);
  const ub = await scimUser(cb.token);
  const { user: apiB } = await createUser(srv, { provider_id: pb.id });
  const ua = await scimUser(ca.token);

  // lists, counts and lookups of A hold nothing of B
  const all = await list(ca.token, 'count=200');
  assert.deepEqual(
    all.Resources.map((r) => r.id),
    [ua.id],
  );
  assert.equal(all.totalResults, 1);
  assert.equal((await list(ca.token, filter(`userName eq "${ub.userName}"`))).totalResults, 0);
  assert.equal((await list(ca.token, filter(`id eq "${apiB.id}"`))).totalResults, 0);
  // B's users answer like ids that do not exist (C9)
  for (const id of [ub.id, String(apiB.id), '999999']) {
    assertScimError(await scim(ca.token, 'GET', `/Users/${id}`), 404);
    assertScimError(await scim(ca.token, 'PUT', `/Users/${id}`, okta.replaceUser(id)), 404);
    assertScimError(await scim(ca.token, 'PATCH', `/Users/${id}`, okta.deactivate), 404);
    assertScimError(await scim(ca.token, 'DELETE', `/Users/${id}`), 404);
  }
  assert.equal((await srv.api('GET', `/api/v1/users/${ub.id}`)).body.status, 'invited');
  // a create always lands in A: the Gatehouse extension is read-only
  const made = await scimUser(ca.token, {
    'urn:gatehouse:params:scim:schemas:extension:gatehouse:2.0:User': { providerId: pb.id },
  });
  assert.equal((await srv.api('GET', `/api/v1/users/${made.id}`)).body.provider_id, pa.id);
  // B's userName is taken for A too, with no more said than that (C9)
  const dup = await scim(ca.token, 'POST', '/Users', {
    userName: ub.userName,
    emails: [{ value: 'dup@example.com' }],
  });
  assertScimError(dup, 409, 'uniqueness');
  assert.ok(!dup.body.detail.includes(String(pb.id)));

  // a SCIM token is no API token, and an API token no SCIM token
  for (const path of ['/api/v1/users', '/api/v1/session', `/api/v1/users/${ua.id}`])
    assertProblem(await srv.api('GET', path, { token: ca.token }), 401);
  assertScimError(await scim(srv.token, 'GET', '/Users'), 401);
  // a revoked client's token stops at once
  assert.equal((await srv.api('DELETE', `/api/v1/scim-clients/${cb.id}`)).status, 204);
  assertScimError(await scim(cb.token, 'GET', '/Users'), 401);
  assertProblem(await srv.api('DELETE', `/api/v1/scim-clients/${cb.id}`), 404);
});

test('SCIM clients: bound to a provider its creator manages, never beyond its rights', async () => {
  const pa = await provider();
  const pb = await provider();
  const grantable = await srv.api('POST', '/api/v1/roles', {
    body: {
      name: uniq('staff '),
      kind: 'service_provider',
      provider_id: pa.id,
      permissions: ['users.read'],
    },
  });
  const mighty = await srv.api('POST', '/api/v1/roles', {
    body: {
      name: uniq('mighty '),
      kind: 'service_provider',
      provider_id: pa.id,
      permissions: ['users.read', 'roles.delete'],
    },
  });
  // a provider-level admin of A holding users.* and settings.*, not roles.delete
  const admin = await adminWith(srv, [...USERS_ALL, 'settings.read', 'settings.update'], {
    provider_id: pa.id,
  });
  const beyond = await srv.api('POST', '/api/v1/scim-clients', {
    token: admin.token,
    body: { name: 'Okta', provider_id: pa.id, role_ids: [mighty.body.id] },
  });
  assertProblem(beyond, 403, 'role_ids');
  const other = await srv.api('POST', '/api/v1/scim-clients', {
    token: admin.token,
    body: { name: 'Okta', provider_id: pb.id },
  });
  assertProblem(other, 400, 'provider_id');
  const c = await client(pa, {
    token: admin.token,
    body: { role_ids: [grantable.body.id], access: { level: 'account', account_ids: 'all' } },
  });
  assert.deepEqual(c.role_ids, [grantable.body.id]);
  assert.deepEqual(c.access, { level: 'account', account_ids: 'all' });
  assert.equal(c.created_by, admin.user.id);
  assert.equal('token' in (await srv.api('GET', `/api/v1/scim-clients/${c.id}`)).body, false);
  const u = await scimUser(c.token);
  const api = (await srv.api('GET', `/api/v1/users/${u.id}`)).body;
  assert.deepEqual(api.role_ids, [grantable.body.id]);
  assert.equal(api.access.level, 'account');
  assert.equal(api.access.account_ids, 'all');

  // the admin of A sees its own clients only; B's is invisible to it
  const cb = await client(pb);
  const mine = await srv.api('GET', '/api/v1/scim-clients', { token: admin.token });
  assert.deepEqual(
    mine.body.items.map((x) => x.id),
    [c.id],
  );
  assertProblem(await srv.api('GET', `/api/v1/scim-clients/${cb.id}`, { token: admin.token }), 404);
  assertProblem(
    await srv.api('DELETE', `/api/v1/scim-clients/${cb.id}`, { token: admin.token }),
    404,
  );
  // without settings.update: no client at all
  const reader = await adminWith(srv, [...USERS_ALL, 'settings.read'], { provider_id: pa.id });
  assertProblem(
    await srv.api('POST', '/api/v1/scim-clients', {
      token: reader.token,
      body: { name: 'x', provider_id: pa.id },
    }),
    403,
  );

  // the creator's rights are the ceiling, read at every request: a creator who loses users.create
  // takes it from its client
  const disabled = await srv.api('POST', `/api/v1/users/${admin.user.id}/disable`);
  assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
  assertScimError(await scim(c.token, 'GET', '/Users'), 401);
});

test('gatehouse scim add, list and delete', async () => {
  const p = await provider();
  const out = srv.cli([
    'scim',
    'add',
    '--name',
    'Entra',
    '--provider-id',
    String(p.id),
    '--user',
    'root',
  ]);
  const token = out.trim().split('\n').pop();
  assert.match(token, /^gh_/);
  const id = out.match(/SCIM client (\d+) created/)[1];
  assert.equal((await scim(token, 'GET', '/Users')).status, 200);
  assert.match(srv.cli(['scim', 'list']), new RegExp(`^${id}\\tEntra\\t${p.id}\\troot\\t`, 'm'));
  assert.match(srv.cli(['scim', 'delete', id]), /revoked/);
  assertScimError(await scim(token, 'GET', '/Users'), 401);
});

test("Okta's Group Push: look up, create, read, rename, add and remove a member, replace, delete", async () => {
  const p = await provider();
  const c = await client(p);
  const made = await scim(c.token, 'POST', '/Users', {
    ...okta.createUser,
    userName: uniq('okta.'),
    externalId: undefined,
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const uid = made.body.id;

  const none = await scim(c.token, 'GET', `/Groups?${okta.groupLookupQuery}`);
  assert.equal(none.status, 200);
  assert.equal(none.body.totalResults, 0);
  const g = await scim(c.token, 'POST', '/Groups', okta.createGroup);
  assert.equal(g.status, 201, JSON.stringify(g.body));
  assert.equal(g.body.displayName, 'Test SCIMv2');
  assert.deepEqual(g.body.members, []);
  assert.equal(g.body.meta.resourceType, 'Group');
  assert.equal(g.headers.get('location'), g.body.meta.location);
  const gid = g.body.id;
  assertScimError(await scim(c.token, 'POST', '/Groups', okta.createGroup), 409, 'uniqueness');
  const found = await scim(c.token, 'GET', `/Groups?${okta.groupLookupQuery}`);
  assert.deepEqual(
    found.body.Resources.map((x) => x.id),
    [gid],
  );
  assert.equal((await scim(c.token, 'GET', `/Groups/${gid}`)).body.displayName, 'Test SCIMv2');

  const renamed = await scim(c.token, 'PATCH', `/Groups/${gid}`, okta.renameGroup(gid));
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  assert.equal(renamed.body.displayName, 'Test SCIMv2 renamed');

  const added = await scim(c.token, 'PATCH', `/Groups/${gid}`, okta.addMember(uid));
  assert.equal(added.status, 200, JSON.stringify(added.body));
  assert.deepEqual(
    added.body.members.map((m) => m.value),
    [uid],
  );
  assert.deepEqual((await srv.api('GET', `/api/v1/users/${uid}`)).body.group_ids, [Number(gid)]);
  const user = await scim(c.token, 'GET', `/Users/${uid}`);
  assert.deepEqual(
    user.body.groups.map((x) => x.value),
    [gid],
  );
  const byMember = await scim(c.token, 'GET', `/Groups?${filter(`members[value eq "${uid}"]`)}`);
  assert.deepEqual(
    byMember.body.Resources.map((x) => x.id),
    [gid],
  );
  const inGroup = await list(c.token, filter(`groups.value eq "${gid}"`));
  assert.deepEqual(
    inGroup.Resources.map((x) => x.id),
    [uid],
  );

  const removed = await scim(c.token, 'PATCH', `/Groups/${gid}`, okta.removeMember(uid));
  assert.equal(removed.status, 200, JSON.stringify(removed.body));
  assert.deepEqual(removed.body.members, []);
  assert.deepEqual((await srv.api('GET', `/api/v1/users/${uid}`)).body.group_ids, []);

  const put = await scim(c.token, 'PUT', `/Groups/${gid}`, okta.replaceGroup(gid, uid));
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.displayName, 'Test SCIMv2');
  assert.deepEqual(
    put.body.members.map((m) => m.value),
    [uid],
  );

  assert.equal((await scim(c.token, 'DELETE', `/Groups/${gid}`)).status, 204);
  assertScimError(await scim(c.token, 'GET', `/Groups/${gid}`), 404);
  assert.deepEqual((await srv.api('GET', `/api/v1/users/${uid}`)).body.group_ids, []);
});

test("groups: provider B's groups and users are out of A's reach; global groups are no SCIM group", async () => {
  const pa = await provider();
  const pb = await provider();
  const ca = await client(pa);
  const cb = await client(pb);
  const gb = await scim(cb.token, 'POST', '/Groups', { displayName: uniq('B group ') });
  assert.equal(gb.status, 201, JSON.stringify(gb.body));
  const ub = await scimUser(cb.token);
  const global = await srv.api('POST', '/api/v1/groups', {
    body: { name: uniq('Global '), provider_id: null },
  });
  assert.equal(global.status, 201, JSON.stringify(global.body));
  assert.equal((await scim(ca.token, 'GET', '/Groups')).body.totalResults, 0);
  for (const id of [gb.body.id, String(global.body.id)]) {
    assertScimError(await scim(ca.token, 'GET', `/Groups/${id}`), 404);
    assertScimError(await scim(ca.token, 'PATCH', `/Groups/${id}`, okta.addMember(ub.id)), 404);
    assertScimError(await scim(ca.token, 'DELETE', `/Groups/${id}`), 404);
  }
  // a user of B cannot join a group of A
  const ga = await scim(ca.token, 'POST', '/Groups', { displayName: uniq('A group ') });
  assertScimError(
    await scim(ca.token, 'PATCH', `/Groups/${ga.body.id}`, okta.addMember(ub.id)),
    400,
    'invalidValue',
  );
  assert.deepEqual((await srv.api('GET', `/api/v1/users/${ub.id}`)).body.group_ids, []);
  // the same display name in two providers is no conflict
  const same = await scim(ca.token, 'POST', '/Groups', { displayName: gb.body.displayName });
  assert.equal(same.status, 201, JSON.stringify(same.body));
});

test("a client holds no more than its creator: an action beyond the creator's permissions is 403 and audited", async () => {
  const p = await provider();
  // a provider admin that may read, create and update users, not delete or disable them
  const admin = await adminWith(
    srv,
    ['users.read', 'users.create', 'users.update', 'settings.read', 'settings.update'],
    { provider_id: p.id },
  );
  const c = await client(p, { token: admin.token });
  const u = await scimUser(c.token);
  assertScimError(await scim(c.token, 'DELETE', `/Users/${u.id}`), 403);
  assertScimError(await scim(c.token, 'PATCH', `/Users/${u.id}`, okta.deactivate), 403);
  assertScimError(await scim(c.token, 'POST', '/Groups', { displayName: uniq('G ') }), 403);
  assert.equal((await srv.api('GET', `/api/v1/users/${u.id}`)).body.status, 'invited');
  const denied = await auditRows(srv, 'DELETE /scim/v2/Users/{id}');
  assert.equal(denied[0].outcome, 'denied');
  assert.equal(denied[0].actor, `scim:${c.name}`);
});

test('the Gatehouse extension writes roles and access, within what the creator may grant', async () => {
  const GH = 'urn:gatehouse:params:scim:schemas:extension:gatehouse:2.0:User';
  const pa = await provider();
  const pb = await provider();
  const acct = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'platform_account', parent_id: pa.id, name: uniq('acct ') },
  });
  const acctB = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'platform_account', parent_id: pb.id, name: uniq('acct ') },
  });
  const role = async (provider_id, permissions) => {
    const r = await srv.api('POST', '/api/v1/roles', {
      body: { name: uniq('r '), kind: 'service_provider', provider_id, permissions },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id;
  };
  const reader = await role(pa.id, ['users.read']);
  const mighty = await role(pa.id, ['users.read', 'roles.delete']);
  const ofB = await role(pb.id, ['users.read']);
  const admin = await adminWith(srv, [...USERS_ALL, 'settings.read', 'settings.update'], {
    provider_id: pa.id,
  });
  const c = await client(pa, { token: admin.token });

  const u = await scimUser(c.token, {
    [GH]: { roleIds: [String(reader)], access: { level: 'account', accountIds: [acct.body.id] } },
  });
  assert.deepEqual(u[GH].roleIds, [reader]);
  assert.deepEqual(u[GH].access, { level: 'account', accountIds: [acct.body.id] });
  const api = (await srv.api('GET', `/api/v1/users/${u.id}`)).body;
  assert.deepEqual(api.role_ids, [reader]);
  assert.deepEqual(api.access.account_ids, [acct.body.id]);

  // beyond the creator's rights, another provider's role or account: refused, nothing changes
  const patch = (path, value) =>
    scim(c.token, 'PATCH', `/Users/${u.id}`, { Operations: [{ op: 'replace', path, value }] });
  assertScimError(await patch(`${GH}:roleIds`, [mighty]), 403);
  assertScimError(await patch(`${GH}:roleIds`, [ofB]), 400, 'invalidValue');
  assertScimError(
    await patch(`${GH}:access`, { level: 'account', accountIds: [acctB.body.id] }),
    400,
    'invalidValue',
  );
  assertScimError(await patch(`${GH}:access`, { level: 'platform' }), 400, 'invalidValue');
  // status is read-only: ignored (RFC 7643 2.2)
  assert.equal((await patch(`${GH}:status`, 'active')).status, 200);
  assert.deepEqual((await srv.api('GET', `/api/v1/users/${u.id}`)).body.role_ids, [reader]);

  // a colon path and the extension as a value both write
  const none = await patch(`${GH}:roleIds`, []);
  assert.equal(none.status, 200, JSON.stringify(none.body));
  assert.deepEqual(none.body[GH].roleIds, []);
  const back = await scim(c.token, 'PATCH', `/Users/${u.id}`, {
    Operations: [
      { op: 'add', value: { [GH]: { roleIds: [reader], access: { level: 'provider' } } } },
    ],
  });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  assert.deepEqual(back.body[GH].roleIds, [reader]);
  assert.deepEqual(back.body[GH].access, { level: 'provider' });
});
