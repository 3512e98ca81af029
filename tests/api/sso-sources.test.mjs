// SSO sources: POST/GET/PATCH/DELETE /api/v1/sso-sources[/{id}] (settings.read to read,
// settings.update to change), the public list for the sign-in page, every field's validation, the
// write-only client secret (never in a response or an audit row), the audit rows, If-Match, the
// `gatehouse sso add|list|delete` commands, and SECURITY C10: a provider-level admin manages only
// its own provider's sources, and every other source answers like one that does not exist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, adminWith, cliResult, dbQuery, sansRequestId } from './lib/server.mjs';
import { assertProblem, ok, uniq } from './lib/helpers.mjs';

let srv;
let tmp;
const SECRET = 'top-secret-client-value-7Qx';
const SETTINGS = ['settings.read', 'settings.update'];

before(async () => {
  srv = await startServer();
  tmp = mkdtempSync(join(tmpdir(), 'gatehouse-sso-'));
});
after(async () => {
  await srv?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// A valid create body with a fresh name; over adds or replaces fields.
const body = (over = {}) => ({
  name: uniq('idp-'),
  display_name: 'Corp IdP',
  issuer: 'https://login.example.com/realms/corp',
  client_id: 'gatehouse',
  client_secret: SECRET,
  ...over,
});

const create = (over = {}, token = srv.token) =>
  srv.api('POST', '/api/v1/sso-sources', { body: body(over), token });

async function provider() {
  return ok(
    srv.api('POST', '/api/v1/tenants', {
      body: { kind: 'service_provider', name: uniq('SSO provider ') },
    }),
  );
}

// An admin of a fresh provider holding the settings permissions: {provider, token, user}.
async function providerAdmin(perms = SETTINGS) {
  const p = await provider();
  const a = await adminWith(srv, [...perms, 'audit.read'], { provider_id: p.id });
  return { provider: p, ...a };
}

function assertNoSecret(value, what) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  assert.ok(!text.includes(SECRET), `${what} shows the client secret: ${text.slice(0, 300)}`);
  assert.ok(!/client_secret"\s*:\s*"/.test(text), `${what} has a client_secret value`);
  assert.ok(!text.includes('client_secret_sealed'), `${what} shows the sealed secret`);
}

// The CLI with the server's database and its secret key file (next to a SQLite database; in the
// test's folder with PostgreSQL, as lib/server.mjs gives serve).
function cli(args) {
  const key = srv.db.startsWith('postgres') ? join(srv.dir, 'secret.key') : `${srv.db}.key`;
  return cliResult(srv.db, [...args, '--secret-key-file', key]);
}

test('create with defaults, read with an ETag, list, edit and delete (204, then 404)', async () => {
  const r = await create();
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const s = r.body;
  assert.equal(typeof s.id, 'number');
  assert.equal(s.provider_id, null);
  assert.equal(s.display_name, 'Corp IdP');
  assert.equal(s.issuer, 'https://login.example.com/realms/corp');
  assert.equal(s.client_id, 'gatehouse');
  assert.equal(s.scopes, 'openid email profile');
  assert.equal(s.claim, 'sub');
  assert.equal(s.trust_idp_mfa, false);
  assert.equal(s.rp_logout, false);
  assert.equal(s.client_secret_set, true);
  assert.equal(r.headers.get('etag'), '"1"');
  assert.match(s.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(
    Object.keys(s).sort(),
    [
      'id',
      'provider_id',
      'name',
      'display_name',
      'issuer',
      'client_id',
      'scopes',
      'claim',
      'trust_idp_mfa',
      'rp_logout',
      'client_secret_set',
      'created_at',
      'updated_at',
    ].sort(),
  );

  const got = await srv.api('GET', `/api/v1/sso-sources/${s.id}`);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, s);
  assert.equal(got.headers.get('etag'), '"1"');
  const list = await srv.api('GET', '/api/v1/sso-sources?limit=200');
  assert.equal(list.status, 200);
  assert.deepEqual(
    list.body.items.find((x) => x.id === s.id),
    s,
  );

  const all = await create({
    scopes: 'openid email',
    claim: 'preferred_username',
    trust_idp_mfa: true,
    rp_logout: true,
  });
  assert.equal(all.status, 201, JSON.stringify(all.body));
  assert.equal(all.body.scopes, 'openid email');
  assert.equal(all.body.claim, 'preferred_username');
  assert.equal(all.body.trust_idp_mfa, true);
  assert.equal(all.body.rp_logout, true);

  const p = await srv.api('PATCH', `/api/v1/sso-sources/${s.id}`, {
    body: { display_name: 'Corp', claim: 'email', rp_logout: true, client_secret: 'rotated' },
  });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  assert.equal(p.body.display_name, 'Corp');
  assert.equal(p.body.claim, 'email');
  assert.equal(p.body.rp_logout, true);
  assert.equal(p.body.name, s.name);
  assert.equal(p.body.issuer, s.issuer);
  assert.equal(p.headers.get('etag'), '"2"');

  const d = await srv.api('DELETE', `/api/v1/sso-sources/${s.id}`);
  assert.equal(d.status, 204);
  assertProblem(await srv.api('GET', `/api/v1/sso-sources/${s.id}`), 404);
  assertProblem(await srv.api('DELETE', `/api/v1/sso-sources/${s.id}`), 404);
  assertProblem(
    await srv.api('PATCH', `/api/v1/sso-sources/${s.id}`, { body: { display_name: 'x' } }),
    404,
  );
});

test('the client secret is never returned, logged in the audit trail, or stored in the clear', async () => {
  const r = await create();
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const id = r.body.id;
  assertNoSecret(r.body, 'create');
  assertNoSecret((await srv.api('GET', `/api/v1/sso-sources/${id}`)).body, 'read');
  assertNoSecret((await srv.api('GET', '/api/v1/sso-sources?limit=200')).body, 'list');
  const p = await srv.api('PATCH', `/api/v1/sso-sources/${id}`, {
    body: { client_secret: `${SECRET}-2` },
  });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  assertNoSecret(p.body, 'patch');
  assertNoSecret((await srv.api('GET', '/api/v1/sso-sources/public')).body, 'public list');
  const audit = await srv.api('GET', `/api/v1/audit?target_type=sso_source&target_id=${id}`);
  assert.equal(audit.status, 200);
  assert.equal(audit.body.items.length, 2);
  assertNoSecret(audit.body, 'audit');
  for (const row of audit.body.items) assert.equal(row.after.client_secret_set, true);
  // at rest: sealed, and sealed anew when replaced
  const stored = dbQuery(srv, `SELECT client_secret_sealed FROM sso_sources WHERE id = ${id}`);
  assert.ok(stored.trim().length > 40, 'a sealed secret is stored');
  assertNoSecret(stored, 'the database');
});

test('every bad field is refused with 400 naming it', async () => {
  const bad = [
    ['name', { name: 'Upper' }],
    ['name', { name: '-leading' }],
    ['name', { name: 'has space' }],
    ['name', { name: 'under_score' }],
    ['name', { name: 'a'.repeat(64) }],
    ['name', { name: '' }],
    ['name', { name: 7 }],
    ['display_name', { display_name: '' }],
    ['display_name', { display_name: 'x'.repeat(101) }],
    ['display_name', { display_name: 'line\nbreak' }],
    ['display_name', { display_name: null }],
    ['issuer', { issuer: 'http://login.example.com' }],
    ['issuer', { issuer: 'http://127.0.0.1.example.com' }],
    ['issuer', { issuer: 'http://localhost.example.com' }],
    ['issuer', { issuer: 'login.example.com' }],
    ['issuer', { issuer: '//login.example.com' }],
    ['issuer', { issuer: 'ftp://login.example.com' }],
    ['issuer', { issuer: 'javascript:alert(1)' }],
    ['issuer', { issuer: 'https://user:pw@login.example.com' }],
    ['issuer', { issuer: 'https://user@login.example.com' }],
    ['issuer', { issuer: 'https://login.example.com?x=1' }],
    ['issuer', { issuer: 'https://login.example.com/#frag' }],
    ['issuer', { issuer: 'https:///login.example.com' }],
    ['issuer', { issuer: 'https:/login.example.com' }],
    ['issuer', { issuer: 'https://login.example.com\\@evil.example' }],
    ['issuer', { issuer: 'https://login.example.com/a b' }],
    ['issuer', { issuer: 'https://' }],
    ['issuer', { issuer: `https://login.example.com/${'p'.repeat(1024)}` }],
    ['client_id', { client_id: '' }],
    ['client_id', { client_id: 'c'.repeat(256) }],
    ['client_id', { client_id: 'caf\u00e9' }],
    ['client_id', { client_id: 'tab\there' }],
    ['client_secret', { client_secret: '' }],
    ['client_secret', { client_secret: 's'.repeat(513) }],
    ['client_secret', { client_secret: 'new\nline' }],
    ['scopes', { scopes: 'email profile' }],
    ['scopes', { scopes: '' }],
    ['scopes', { scopes: 'openid  email' }],
    ['scopes', { scopes: 'openid email email' }],
    ['scopes', { scopes: ' openid' }],
    ['scopes', { scopes: `openid ${'x'.repeat(994)}` }], // 1001 characters
    ['claim', { claim: 'e-mail' }],
    ['claim', { claim: '' }],
    ['claim', { claim: 'a.b' }],
    ['claim', { claim: 'c'.repeat(65) }],
    ['provider_id', { provider_id: 99999 }],
    ['provider_id', { provider_id: 0 }],
    ['provider_id', { provider_id: 'x' }],
    ['trust_idp_mfa', { trust_idp_mfa: 'yes' }],
    ['rp_logout', { rp_logout: 1 }],
    ['id', { id: 5 }],
    ['client_secret_set', { client_secret_set: false }],
    ['client_secret_sealed', { client_secret_sealed: 'x' }],
    ['created_at', { created_at: '2020-01-01T00:00:00Z' }],
  ];
  for (const [field, over] of bad) {
    const r = await create(over);
    assertProblem(r, 400, field, `${field} = ${JSON.stringify(over[field])}`);
  }
  // required fields
  for (const field of ['name', 'display_name', 'issuer', 'client_id', 'client_secret']) {
    const b = body();
    delete b[field];
    assertProblem(
      await srv.api('POST', '/api/v1/sso-sources', { body: b }),
      400,
      field,
      `${field} missing`,
    );
  }
  // a tenant that is not a service provider
  const p = await provider();
  const acc = await ok(
    srv.api('POST', '/api/v1/tenants', {
      body: { kind: 'platform_account', parent_id: p.id, name: uniq('Account ') },
    }),
  );
  assertProblem(await create({ provider_id: acc.id }), 400, 'provider_id', 'an account');
  // the edges that are fine: 100 characters, 63-character names, http on loopback only
  for (const over of [
    { display_name: 'x'.repeat(100) },
    { display_name: 'Connexion \u4e2d\u6587 \u00e9' },
    { name: `a${uniq()}`.padEnd(63, '0') },
    { issuer: 'http://127.0.0.1:9000' },
    { issuer: 'http://localhost:3000/oidc' },
    { issuer: 'http://[::1]:8080/' },
    { issuer: 'https://login.example.com:8443/' },
    { client_secret: 's'.repeat(512) },
    { scopes: 'openid' },
    { scopes: `openid ${'x'.repeat(993)}` }, // 1000 characters
    { issuer: `https://login.example.com/${'p'.repeat(1024 - 26)}` }, // 1024
    { claim: 'oid' },
    { provider_id: null },
    { provider_id: p.id },
  ]) {
    const r = await create(over);
    assert.equal(r.status, 201, `${JSON.stringify(over)}: ${JSON.stringify(r.body)}`);
  }
  // an edit is checked the same way; name and provider cannot change
  const s = await ok(create());
  for (const [field, over] of [
    ['issuer', { issuer: 'http://login.example.com' }],
    ['scopes', { scopes: 'profile' }],
    ['claim', { claim: 'no spaces' }],
    ['display_name', { display_name: '' }],
    ['name', { name: uniq('renamed-') }],
    ['provider_id', { provider_id: p.id }],
    ['client_secret_set', { client_secret_set: true }],
  ]) {
    const r = await srv.api('PATCH', `/api/v1/sso-sources/${s.id}`, { body: over });
    assertProblem(r, 400, field, `PATCH ${field}`);
  }
  const after = await srv.api('GET', `/api/v1/sso-sources/${s.id}`);
  assert.deepEqual(after.body, s, 'a refused edit changed nothing');
});

test('a name is unique: a second source with it gets 409 naming name', async () => {
  const first = await ok(create());
  const p = await provider();
  const again = await create({ name: first.name, provider_id: p.id });
  assertProblem(again, 409, 'name');
});

test('If-Match: a stale version gets 412 and changes nothing; the current one works', async () => {
  const s = await ok(create());
  const one = await srv.api('PATCH', `/api/v1/sso-sources/${s.id}`, {
    headers: { 'if-match': '"1"' },
    body: { display_name: 'First edit' },
  });
  assert.equal(one.status, 200, JSON.stringify(one.body));
  assert.equal(one.headers.get('etag'), '"2"');
  const stale = await srv.api('PATCH', `/api/v1/sso-sources/${s.id}`, {
    headers: { 'if-match': '"1"' },
    body: { display_name: 'Lost update' },
  });
  assertProblem(stale, 412);
  const got = await srv.api('GET', `/api/v1/sso-sources/${s.id}`);
  assert.equal(got.body.display_name, 'First edit');
  const current = await srv.api('PATCH', `/api/v1/sso-sources/${s.id}`, {
    headers: { 'if-match': got.headers.get('etag') },
    body: { display_name: 'Second edit' },
  });
  assert.equal(current.status, 200, JSON.stringify(current.body));
  assert.equal(current.body.display_name, 'Second edit');
});

test('every write is audited with typed before and after (sso_source.create, update, delete)', async () => {
  const s = await ok(create({ display_name: 'Audited' }));
  await ok(
    srv.api('PATCH', `/api/v1/sso-sources/${s.id}`, { body: { display_name: 'Audited 2' } }),
    200,
  );
  assert.equal((await srv.api('DELETE', `/api/v1/sso-sources/${s.id}`)).status, 204);
  const rows = (
    await srv.api('GET', `/api/v1/audit?target_type=sso_source&target_id=${s.id}&limit=10`)
  ).body.items;
  assert.deepEqual(
    rows.map((x) => x.action),
    ['sso_source.delete', 'sso_source.update', 'sso_source.create'],
  );
  const [del, upd, cre] = rows;
  for (const row of rows) {
    assert.equal(row.outcome, 'success');
    assert.equal(row.actor, 'root');
    assert.equal(row.target_type, 'sso_source');
    assert.equal(row.target_id, s.id);
    assert.equal(row.provider_id, null);
  }
  assert.equal(cre.before, null);
  assert.deepEqual(cre.after, s);
  assert.equal(upd.before.display_name, 'Audited');
  assert.equal(upd.after.display_name, 'Audited 2');
  assert.equal(upd.after.client_secret_set, true);
  assert.equal(del.before.display_name, 'Audited 2');
  assert.equal(del.after, null);
  assertNoSecret(rows, 'audit rows');
});

test('reads need settings.read and writes settings.update (403 otherwise)', async () => {
  const s = await ok(create());
  const reader = await adminWith(srv, ['settings.read'], { username: uniq('reader') });
  assert.equal(
    (await srv.api('GET', `/api/v1/sso-sources/${s.id}`, { token: reader.token })).status,
    200,
  );
  assert.equal((await srv.api('GET', '/api/v1/sso-sources', { token: reader.token })).status, 200);
  assertProblem(await create({}, reader.token), 403);
  assertProblem(
    await srv.api('PATCH', `/api/v1/sso-sources/${s.id}`, {
      token: reader.token,
      body: { display_name: 'no' },
    }),
    403,
  );
  assertProblem(
    await srv.api('DELETE', `/api/v1/sso-sources/${s.id}`, { token: reader.token }),
    403,
  );
  const writer = await adminWith(srv, ['settings.update'], { username: uniq('writer') });
  assertProblem(await srv.api('GET', `/api/v1/sso-sources/${s.id}`, { token: writer.token }), 403);
  assertProblem(await srv.api('GET', '/api/v1/sso-sources', { token: writer.token }), 403);
  const none = await adminWith(srv, ['users.read'], { username: uniq('none') });
  assertProblem(await srv.api('GET', '/api/v1/sso-sources', { token: none.token }), 403);
  assertProblem(await create({}, none.token), 403);
  assertProblem(await srv.api('GET', '/api/v1/sso-sources', { token: null }), 401);
  const got = await srv.api('GET', `/api/v1/sso-sources/${s.id}`);
  assert.deepEqual(got.body, s, 'nothing changed');
});

test('C10: a provider admin manages only its own provider; other sources answer 404', async () => {
  const a = await providerAdmin();
  const b = await providerAdmin();
  const platform = await ok(create({ display_name: 'Platform staff' }));
  const theirs = await ok(create({ provider_id: b.provider.id }));

  // create: bound to its own provider by default; never another's, never a platform one
  const mine = await ok(create({}, a.token));
  assert.equal(mine.provider_id, a.provider.id);
  const explicit = await ok(create({ provider_id: a.provider.id }, a.token));
  assert.equal(explicit.provider_id, a.provider.id);
  assertProblem(await create({ provider_id: b.provider.id }, a.token), 403, 'provider_id');
  assertProblem(await create({ provider_id: 99999 }, a.token), 403, 'provider_id', 'unknown id');
  assertProblem(await create({ provider_id: null }, a.token), 403, 'provider_id', 'platform');

  // reads, edits and deletes outside its provider answer like a missing id (C9)
  const missing = await srv.api('GET', '/api/v1/sso-sources/999999', { token: a.token });
  assertProblem(missing, 404);
  for (const other of [theirs, platform]) {
    const g = await srv.api('GET', `/api/v1/sso-sources/${other.id}`, { token: a.token });
    assertProblem(g, 404);
    assert.equal(sansRequestId(g.body), sansRequestId(missing.body));
    assertProblem(
      await srv.api('PATCH', `/api/v1/sso-sources/${other.id}`, {
        token: a.token,
        body: { display_name: 'taken over' },
      }),
      404,
    );
    assertProblem(
      await srv.api('DELETE', `/api/v1/sso-sources/${other.id}`, { token: a.token }),
      404,
    );
    const still = await srv.api('GET', `/api/v1/sso-sources/${other.id}`);
    assert.deepEqual(still.body, other, 'untouched');
  }

  // lists: only its own provider's, whatever it asks for
  const ids = async (q) =>
    (await ok(srv.api('GET', `/api/v1/sso-sources${q}`, { token: a.token }), 200)).items.map(
      (x) => x.id,
    );
  assert.deepEqual((await ids('?limit=200')).sort(), [mine.id, explicit.id].sort());
  assert.deepEqual(await ids(`?provider_id=${b.provider.id}`), []);
  assert.deepEqual(await ids('?provider_id=platform'), []);
  assert.deepEqual(
    (await ids(`?provider_id=${a.provider.id}`)).sort(),
    [mine.id, explicit.id].sort(),
  );

  // its own: it edits and deletes them
  const e = await srv.api('PATCH', `/api/v1/sso-sources/${mine.id}`, {
    token: a.token,
    body: { display_name: 'Ours' },
  });
  assert.equal(e.status, 200, JSON.stringify(e.body));
  assert.equal(
    (await srv.api('DELETE', `/api/v1/sso-sources/${mine.id}`, { token: a.token })).status,
    204,
  );
  // and its audit trail has those rows, not the other provider's
  const trail = await ok(
    srv.api('GET', '/api/v1/audit?target_type=sso_source&limit=200', { token: a.token }),
    200,
  );
  const targets = new Set(trail.items.map((x) => x.target_id));
  assert.ok(targets.has(mine.id));
  assert.ok(!targets.has(theirs.id) && !targets.has(platform.id));

  // the platform sees and filters everything
  const root = (await ok(srv.api('GET', '/api/v1/sso-sources?limit=200'), 200)).items.map(
    (x) => x.id,
  );
  for (const id of [platform.id, theirs.id, explicit.id]) assert.ok(root.includes(id));
  const plat = (await ok(srv.api('GET', '/api/v1/sso-sources?provider_id=platform&limit=200'), 200))
    .items;
  assert.ok(plat.every((x) => x.provider_id === null));
  assert.ok(plat.some((x) => x.id === platform.id));
});

test('C10: an account-level admin holding the settings permissions sees and manages none', async () => {
  const p = await provider();
  const acc = await ok(
    srv.api('POST', '/api/v1/tenants', {
      body: { kind: 'platform_account', parent_id: p.id, name: uniq('Account ') },
    }),
  );
  const s = await ok(create({ provider_id: p.id }));
  const admin = await adminWith(srv, SETTINGS, {
    provider_id: p.id,
    kind: 'platform_account',
    access: { level: 'account', account_ids: [acc.id] },
  });
  const list = await ok(srv.api('GET', '/api/v1/sso-sources', { token: admin.token }), 200);
  assert.deepEqual(list.items, []);
  assertProblem(await srv.api('GET', `/api/v1/sso-sources/${s.id}`, { token: admin.token }), 404);
  assertProblem(await create({}, admin.token), 403);
});

test('a provider that an SSO source serves cannot be removed (409) until the source goes', async () => {
  const p = await provider();
  const s = await ok(create({ provider_id: p.id }));
  assertProblem(await srv.api('DELETE', `/api/v1/tenants/${p.id}`), 409);
  assert.equal((await srv.api('DELETE', `/api/v1/sso-sources/${s.id}`)).status, 204);
  assert.equal((await srv.api('DELETE', `/api/v1/tenants/${p.id}`)).status, 204);
});

test('the public list: no sign-in, {name, display_name, start_url} by display name, no-store', async () => {
  const tag = uniq();
  const made = [];
  for (const d of [`M ${tag}`, `A ${tag}`, `Z ${tag}`])
    made.push(await ok(create({ display_name: d, name: uniq('pub-') })));
  const p = await provider();
  made.push(await ok(create({ display_name: `B ${tag}`, provider_id: p.id })));
  const r = await srv.api('GET', '/api/v1/sso-sources/public', { token: null });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.match(r.headers.get('content-type'), /^application\/json/);
  for (const item of r.body.items)
    assert.deepEqual(Object.keys(item).sort(), ['display_name', 'name', 'start_url']);
  const mine = r.body.items.filter((x) => x.display_name.endsWith(tag));
  assert.deepEqual(
    mine.map((x) => x.display_name),
    [`A ${tag}`, `B ${tag}`, `M ${tag}`, `Z ${tag}`],
  );
  for (const item of mine) {
    const s = made.find((x) => x.name === item.name);
    assert.ok(s, item.name);
    assert.equal(item.start_url, `/sso/${s.name}/start`);
  }
  const names = r.body.items.map((x) => x.display_name);
  assert.deepEqual(names, [...names].sort(), 'sorted by display name throughout');
  // the same with a token, and a deleted source is gone from it
  await ok(srv.api('DELETE', `/api/v1/sso-sources/${made[0].id}`), 204);
  const again = await srv.api('GET', '/api/v1/sso-sources/public');
  assert.equal(again.status, 200);
  assert.ok(!again.body.items.some((x) => x.name === made[0].name));
  assert.ok(again.body.items.some((x) => x.name === made[1].name));
});

test('gatehouse sso add, list and delete: the same rules, the secret from a file', async () => {
  const name = uniq('cli-');
  const secretFile = join(tmp, `${name}.secret`);
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const p = await provider();
  const add = cli([
    'sso',
    'add',
    '--name',
    name,
    '--display-name',
    'CLI IdP',
    '--issuer',
    'https://cli.example.com',
    '--client-id',
    'cli-client',
    '--client-secret-file',
    secretFile,
    '--scopes',
    'openid email',
    '--claim',
    'email',
    '--provider-id',
    String(p.id),
    '--trust-idp-mfa',
    '--rp-logout',
  ]);
  assert.equal(add.code, 0, add.stderr);
  assert.ok(!add.stdout.includes(SECRET) && !add.stderr.includes(SECRET));
  const id = Number(/id (\d+)/.exec(add.stdout)?.[1]);
  assert.ok(id > 0, add.stdout);
  const s = await ok(srv.api('GET', `/api/v1/sso-sources/${id}`), 200);
  assert.equal(s.name, name);
  assert.equal(s.display_name, 'CLI IdP');
  assert.equal(s.issuer, 'https://cli.example.com');
  assert.equal(s.client_id, 'cli-client');
  assert.equal(s.scopes, 'openid email');
  assert.equal(s.claim, 'email');
  assert.equal(s.provider_id, p.id);
  assert.equal(s.trust_idp_mfa, true);
  assert.equal(s.rp_logout, true);
  assert.equal(s.client_secret_set, true);
  const rows = await ok(
    srv.api('GET', `/api/v1/audit?action=sso_source.create&target_id=${id}`),
    200,
  );
  assert.equal(rows.items.length, 1);
  assert.equal(rows.items[0].actor, 'system');

  // defaults, and a platform source
  const plain = uniq('cli-');
  const def = cli([
    'sso',
    'add',
    '--name',
    plain,
    '--display-name',
    'Plain',
    '--issuer',
    'https://plain.example.com',
    '--client-id',
    'c',
    '--client-secret-file',
    secretFile,
  ]);
  assert.equal(def.code, 0, def.stderr);

  const list = cli(['sso', 'list']);
  assert.equal(list.code, 0, list.stderr);
  const lines = list.stdout.trim().split('\n');
  assert.equal(lines[0], 'ID\tNAME\tDISPLAY NAME\tISSUER\tPROVIDER');
  assert.ok(
    lines.includes(`${id}\t${name}\tCLI IdP\thttps://cli.example.com\t${p.id}`),
    list.stdout,
  );
  assert.ok(
    lines.some((l) => l.split('\t')[1] === plain && l.endsWith('\tplatform')),
    list.stdout,
  );
  assert.ok(!list.stdout.includes(SECRET));

  // refusals name the field and create nothing
  for (const [field, args] of [
    ['issuer', ['--issuer', 'http://cli.example.com']],
    ['name', ['--name', 'Not A Slug']],
    ['scopes', ['--scopes', 'email']],
  ]) {
    const base = {
      '--name': uniq('cli-'),
      '--display-name': 'X',
      '--issuer': 'https://x.example.com',
      '--client-id': 'x',
      '--client-secret-file': secretFile,
    };
    for (let i = 0; i < args.length; i += 2) base[args[i]] = args[i + 1];
    const r = cli(['sso', 'add', ...Object.entries(base).flat()]);
    assert.notEqual(r.code, 0, `${field}: ${r.stdout}`);
    assert.match(r.stderr, new RegExp(`^gatehouse: ${field}: `), r.stderr);
  }
  const dup = cli([
    'sso',
    'add',
    '--name',
    name,
    '--display-name',
    'Again',
    '--issuer',
    'https://x.example.com',
    '--client-id',
    'x',
    '--client-secret-file',
    secretFile,
  ]);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /name: /);
  const noFile = cli([
    'sso',
    'add',
    '--name',
    uniq('cli-'),
    '--display-name',
    'X',
    '--issuer',
    'https://x.example.com',
    '--client-id',
    'x',
    '--client-secret-file',
    join(tmp, 'missing'),
  ]);
  assert.notEqual(noFile.code, 0);
  assert.match(noFile.stderr, /client secret/);

  const del = cli(['sso', 'delete', String(id)]);
  assert.equal(del.code, 0, del.stderr);
  assertProblem(await srv.api('GET', `/api/v1/sso-sources/${id}`), 404);
  const again = cli(['sso', 'delete', String(id)]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /no such SSO source/);
});
