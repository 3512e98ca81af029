// SECURITY C1 (deny by default) and L1 (denied authorizations are audited).
// The route list comes from the server's own OpenAPI document, so a new route is covered the
// moment it exists: for every route that names permissions, a user holding every permission
// except those gets 403; the same request by a user holding every permission succeeds, which
// proves the 403 was about the permission and not about the body or the id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, adminWith, signIn, testClock } from './lib/server.mjs';
import { assertProblem, uniq } from './lib/helpers.mjs';

let srv;
let clock; // the server's test clock: the expired-token case moves it
let routes = []; // [{method, pattern, perms: [..] | null (public), success}]
let allPerms = []; // the catalogue
let fixture = {}; // shared targets: user, tenant, role, group
let everything; // a user holding every permission (not a superadmin)
const withoutCache = new Map(); // "perm,perm" -> {user, token}

before(async () => {
  clock = testClock();
  srv = await startServer({ clock });
  const doc = await srv.api('GET', '/api/v1/openapi.json', { token: null });
  assert.equal(doc.status, 200);
  for (const [pattern, item] of Object.entries(doc.body.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const ok = Object.keys(op.responses).find((s) => /^2\d\d$/.test(s));
      routes.push({
        method: method.toUpperCase(),
        pattern,
        op,
        success: Number(ok),
        perms: Array.isArray(op.security) && op.security.length === 0 ? null : op['x-permissions'],
        stages: op['x-session-stages'],
      });
    }
  }
  const cat = await srv.api('GET', '/api/v1/permissions');
  assert.equal(cat.status, 200);
  allPerms = cat.body.items.map((p) => p.name);
  assert.ok(allPerms.length >= 20, 'the permission catalogue is complete');
  fixture = await freshFixtures();
  everything = await adminWith(srv, allPerms, { username: uniq('all') });
});

after(async () => {
  await srv?.stop();
  clock?.remove();
});

// Creates (as root) one user, tenant, role and group that requests can point at.
async function freshFixtures() {
  const u = await srv.api('POST', '/api/v1/users', {
    body: { username: uniq('target'), email: `${uniq('t')}@example.com` },
  });
  assert.equal(u.status, 201, JSON.stringify(u.body));
  const t = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('Tenant ') },
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  const r = await srv.api('POST', '/api/v1/roles', {
    body: {
      name: uniq('Role '),
      kind: 'service_provider',
      provider_id: null,
      permissions: ['users.read'],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const g = await srv.api('POST', '/api/v1/groups', {
    body: { name: uniq('Group '), provider_id: null },
  });
  assert.equal(g.status, 201, JSON.stringify(g.body));
  // a user with a password and an open session, for the session routes
  const sname = uniq('signer');
  const password = 'a long enough password for tests';
  const su = await srv.api('POST', '/api/v1/users', {
    body: { username: sname, email: `${sname}@example.com`, password },
  });
  assert.equal(su.status, 201, JSON.stringify(su.body));
  const s = await signIn(srv, sname, password);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  // an SSO source, for its routes
  const sso = await srv.api('POST', '/api/v1/sso-sources', {
    body: {
      name: uniq('sso-'),
      display_name: 'Matrix IdP',
      issuer: 'https://idp.example.com',
      client_id: 'gatehouse',
      client_secret: 'matrix secret',
    },
  });
  assert.equal(sso.status, 201, JSON.stringify(sso.body));
  // a SCIM client (of a provider of its own: the fixture tenant is deleted), for its routes
  const ts = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('SCIM provider ') },
  });
  assert.equal(ts.status, 201, JSON.stringify(ts.body));
  const scim = await srv.api('POST', '/api/v1/scim-clients', {
    body: { name: uniq('scim-'), provider_id: ts.body.id },
  });
  assert.equal(scim.status, 201, JSON.stringify(scim.body));
  // a webhook subscription (of that provider) and one delivery of it (a user created after it),
  // for its routes
  const wh = await srv.api('POST', '/api/v1/webhooks', {
    body: {
      url: 'https://hooks.example.com/in',
      events: ['user.created'],
      provider_id: ts.body.id,
    },
  });
  assert.equal(wh.status, 201, JSON.stringify(wh.body));
  const wname = uniq('hooked');
  const wu = await srv.api('POST', '/api/v1/users', {
    body: { username: wname, email: `${wname}@example.com`, password, provider_id: ts.body.id },
  });
  assert.equal(wu.status, 201, JSON.stringify(wu.body));
  const wd = await srv.api('GET', `/api/v1/webhooks/${wh.body.id}/deliveries`);
  assert.equal(wd.status, 200, JSON.stringify(wd.body));
  // and an API token, for the token routes
  srv.cli(['token', 'create', '--user', sname]);
  const toks = await srv.api('GET', `/api/v1/users/${su.body.id}/tokens`);
  assert.equal(toks.status, 200, JSON.stringify(toks.body));
  return {
    user: u.body.id,
    tenant: t.body.id,
    role: r.body.id,
    group: g.body.id,
    sso: sso.body.id,
    scim: scim.body.id,
    scimProvider: ts.body.id,
    webhook: wh.body.id,
    delivery: wd.body.items[0].id,
    signer: su.body.id,
    sid: s.body.session.id,
    tid: toks.body.items[0].id,
  };
}

// A valid request for each known route against the fixtures f: {path, body}.
function sample(route, f) {
  const collection = route.pattern.split('/')[3]; // users, tenants, roles, groups, ...
  const id =
    {
      users: f.user,
      tenants: f.tenant,
      roles: f.role,
      groups: f.group,
      'sso-sources': f.sso,
      'scim-clients': f.scim,
      webhooks: f.webhook,
    }[collection] ?? 1;
  const path =
    collection === 'webhooks'
      ? route.pattern.replace('{id}', String(id)).replace('{sid}', String(f.delivery))
      : route.pattern.includes('{sid}') || route.pattern.includes('{tid}')
        ? route.pattern
            .replace('{id}', String(f.signer))
            .replace('{sid}', String(f.sid))
            .replace('{tid}', String(f.tid))
        : route.pattern.replace('{id}', String(id));
  const key = `${route.method} ${route.pattern}`;
  const bodies = {
    'POST /api/v1/users': {
      username: uniq('new'),
      email: `${uniq('n')}@example.com`,
      first_name: 'Matrix',
    },
    'POST /api/v1/users/bulk': { action: 'disable', ids: [f.user] },
    'PATCH /api/v1/users/{id}': { first_name: 'Changed' },
    'POST /api/v1/tenants': { kind: 'service_provider', name: uniq('Provider ') },
    'PATCH /api/v1/tenants/{id}': { name: uniq('Renamed ') },
    'POST /api/v1/roles': {
      name: uniq('New role '),
      kind: 'service_provider',
      provider_id: null,
      permissions: ['users.read'],
    },
    'PATCH /api/v1/roles/{id}': { description: 'changed' },
    'POST /api/v1/groups': { name: uniq('New group '), provider_id: null },
    'PATCH /api/v1/groups/{id}': { description: 'changed' },
    'POST /api/v1/sso-sources': {
      name: uniq('new-sso-'),
      display_name: 'New IdP',
      issuer: 'https://idp.example.com',
      client_id: 'gatehouse',
      client_secret: 'a secret',
    },
    'PATCH /api/v1/sso-sources/{id}': { display_name: 'Changed' },
    'POST /api/v1/scim-clients': { name: uniq('new-scim-'), provider_id: f.scimProvider },
    'PATCH /api/v1/webhooks/{id}': { enabled: false },
    'POST /api/v1/webhooks': {
      url: 'https://hooks.example.com/new',
      events: ['user.created'],
      provider_id: f.scimProvider,
    },
  };
  const known = new Set([
    'GET /api/v1/permissions',
    'GET /api/v1/users',
    'GET /api/v1/users/counts',
    'GET /api/v1/users.csv',
    'GET /api/v1/users/{id}',
    'DELETE /api/v1/users/{id}',
    'POST /api/v1/users/{id}/disable',
    'POST /api/v1/users/{id}/enable',
    'GET /api/v1/tenants',
    'GET /api/v1/tenants/{id}',
    'DELETE /api/v1/tenants/{id}',
    'GET /api/v1/roles',
    'GET /api/v1/roles/{id}',
    'DELETE /api/v1/roles/{id}',
    'GET /api/v1/groups',
    'GET /api/v1/groups/{id}',
    'DELETE /api/v1/groups/{id}',
    'GET /api/v1/audit',
    'GET /api/v1/audit/actions',
    'POST /api/v1/users/{id}/unban',
    'POST /api/v1/users/{id}/force-password-reset',
    'POST /api/v1/users/{id}/reset-mfa',
    'GET /api/v1/users/{id}/sessions',
    'DELETE /api/v1/users/{id}/sessions',
    'DELETE /api/v1/users/{id}/sessions/{sid}',
    'GET /api/v1/users/{id}/tokens',
    'DELETE /api/v1/users/{id}/tokens/{tid}',
    'POST /api/v1/users/{id}/resend-onboarding',
    'POST /api/v1/users/{id}/onboarding-link',
    'GET /api/v1/sso-sources',
    'GET /api/v1/sso-sources/{id}',
    'DELETE /api/v1/sso-sources/{id}',
    'POST /api/v1/sso-sources/{id}/test',
    'GET /api/v1/scim-clients',
    'GET /api/v1/scim-clients/{id}',
    'DELETE /api/v1/scim-clients/{id}',
    'GET /api/v1/webhooks',
    'GET /api/v1/webhooks/{id}',
    'DELETE /api/v1/webhooks/{id}',
    'GET /api/v1/webhooks/{id}/deliveries',
    'POST /api/v1/webhooks/{id}/deliveries/{sid}/resend',
    ...Object.keys(bodies),
  ]);
  if (key === 'POST /api/v1/users/import') {
    // a CSV body: one new user, checked only (dry_run=1)
    const name = uniq('csv');
    return {
      path: `${path}?dry_run=1`,
      raw: `username,email\r\n${name},${name}@example.com\r\n`,
      headers: { 'content-type': 'text/csv' },
      known: true,
    };
  }
  if (!known.has(key)) {
    // Unknown route: still exercise the permission check with a body shaped by its schema.
    const schema = route.op.requestBody?.content?.['application/json']?.schema;
    const body = schema
      ? Object.fromEntries((schema.required || []).map((k) => [k, 'x']))
      : undefined;
    return { path: path.replace(/\{[a-z_]+\}/g, '1'), body, known: false };
  }
  return { path, body: bodies[key], known: true };
}

async function userWithout(perms) {
  const key = [...perms].sort().join(',');
  if (!withoutCache.has(key)) {
    const holds = allPerms.filter((p) => !perms.includes(p));
    withoutCache.set(key, await adminWith(srv, holds, { username: uniq('without') }));
  }
  return withoutCache.get(key);
}

const guarded = () => routes.filter((r) => r.perms && r.perms.length > 0);

test('the OpenAPI document lists permissions for every non-public route', () => {
  assert.ok(guarded().length >= 20, `only ${guarded().length} guarded routes`);
  for (const r of routes) {
    const kinds = [r.perms === null, Array.isArray(r.perms), Array.isArray(r.stages)].filter(
      Boolean,
    ).length;
    assert.equal(
      kinds,
      1,
      `${r.method} ${r.pattern} must be exactly one of public, x-permissions or x-session-stages`,
    );
    if (r.stages)
      assert.ok(
        r.pattern.startsWith('/api/v1/session') || r.pattern.startsWith('/api/v1/me/'),
        `${r.pattern}: session-only route outside session and me`,
      );
    for (const p of r.perms || [])
      assert.ok(allPerms.includes(p), `${r.method} ${r.pattern}: unknown permission ${p}`);
  }
  // The only public routes are the operations endpoints, signing in (with a password, or with a
  // passkey alone: its options and its assertion), the e-mailed links, the
  // first administrator's set-up link (whose token is the credential) and the sign-in page's SSO
  // buttons (names only), single sign-on's browser pages (redirects only) and the password
  // policy's figures (for the forms of those links), and forward-auth's answers to a reverse
  // proxy (they authenticate the browser's cookie themselves: tests/api/forward-auth.test.mjs).
  const pub = routes
    .filter((r) => r.perms === null)
    .map((r) => `${r.method} ${r.pattern}`)
    .sort();
  assert.deepEqual(
    pub,
    [
      'GET /api/v1/openapi.json',
      'GET /healthz',
      'GET /metrics',
      'GET /readyz',
      'POST /api/v1/session',
      'POST /api/v1/session/passkey/options',
      'POST /api/v1/session/passkey',
      'GET /api/v1/onboarding/{token}',
      'POST /api/v1/onboarding/{token}',
      'POST /api/v1/password-reset',
      'GET /api/v1/password-reset/{token}',
      'POST /api/v1/password-reset/{token}',
      'GET /api/v1/setup/{token}',
      'POST /api/v1/setup/{token}',
      'GET /api/v1/sso-sources/public',
      'GET /api/v1/password-policy',
      'GET /sso/{name}/start',
      'GET /sso/{name}/callback',
      'GET /sso/{name}/logout',
      'GET /auth/verify',
      'GET /auth/forward',
      'GET /auth/return',
    ].sort(),
  );
});

test('every guarded route has a sample request in this test (keeps the success controls complete)', () => {
  const missing = guarded()
    .filter((r) => !sample(r, fixture).known)
    .map((r) => `${r.method} ${r.pattern}`);
  assert.deepEqual(missing, []);
});

const denied = []; // {route, user, requestId}
// The denied requests, made once by the first test that needs them (each test passes alone).
let denialsMade = null;
const denials = () => (denialsMade ??= denyEveryRoute());

async function denyEveryRoute() {
  for (const route of guarded()) {
    const who = await userWithout(route.perms);
    const { path, body, raw, headers } = sample(route, fixture);
    const r = await srv.api(route.method, path, { token: who.token, body, raw, headers });
    const what = `${route.method} ${path} without ${route.perms.join('+')}`;
    assertProblem(r, 403, null, what);
    assert.equal(r.body.type, 'urn:gatehouse:problem:EFORBIDDEN', what);
    assert.equal(r.body.id, undefined, `${what}: a denied request leaks no resource`);
    denied.push({ route, user: who.user, requestId: r.headers.get('x-request-id') });
  }
  return denied;
}

test("every guarded route answers 403 to a user holding every permission except the route's", async () => {
  await denials();
  // Nothing the denied requests aimed at was changed.
  const u = await srv.api('GET', `/api/v1/users/${fixture.user}`);
  assert.equal(u.status, 200);
  assert.equal(u.body.status, 'invited');
  assert.equal(u.body.first_name, '');
  const t = await srv.api('GET', `/api/v1/tenants/${fixture.tenant}`);
  assert.equal(t.status, 200);
  const ro = await srv.api('GET', `/api/v1/roles/${fixture.role}`);
  assert.equal(ro.status, 200);
  assert.equal(ro.body.description, '');
  const g = await srv.api('GET', `/api/v1/groups/${fixture.group}`);
  assert.equal(g.status, 200);
  assert.equal(g.body.description, '');
});

test('the same requests succeed for a user holding every permission (the 403 was about permission)', async () => {
  for (const route of guarded()) {
    const f = await freshFixtures();
    const { path, body, raw, headers } = sample(route, f);
    const r = await srv.api(route.method, path, { token: everything.token, body, raw, headers });
    assert.equal(r.status, route.success, `${route.method} ${path}: ${JSON.stringify(r.body)}`);
  }
});

test('bulk delete also needs users.delete', async () => {
  const f = await freshFixtures();
  const who = await userWithout(['users.delete']);
  const r = await srv.api('POST', '/api/v1/users/bulk', {
    token: who.token,
    body: { action: 'delete', ids: [f.user] },
  });
  assertProblem(r, 403, null, 'bulk delete without users.delete');
  assert.equal(r.body.errors?.[0]?.field, 'action');
  const u = await srv.api('GET', `/api/v1/users/${f.user}`);
  assert.equal(u.status, 200, 'the user was not deleted');
});

test('every denied request left an audit row with outcome "denied" (L1)', async () => {
  await denials();
  assert.ok(denied.length > 0);
  for (const d of denied) {
    const action = `${d.route.method} ${d.route.pattern}`;
    const r = await srv.api(
      'GET',
      `/api/v1/audit?actor_id=${d.user.id}&action=${encodeURIComponent(action)}&limit=200`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const row = r.body.items.find((x) => x.request_id === d.requestId);
    assert.ok(row, `no audit row for the denied ${action} (request ${d.requestId})`);
    assert.equal(row.outcome, 'denied');
    assert.equal(row.actor_id, d.user.id);
    assert.equal(row.actor, d.user.username);
    assert.equal(row.ip, '127.0.0.1');
    assert.match(row.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  }
});

test('a signed-in user without roles gets 403 on every guarded route', async () => {
  const name = uniq('noroles');
  const u = await srv.api('POST', '/api/v1/users', {
    body: {
      username: name,
      email: `${name}@example.com`,
      password: 'a long enough password for tests',
    },
  });
  assert.equal(u.status, 201, JSON.stringify(u.body));
  const token = srv.cli(['token', 'create', '--user', name]).trim();
  for (const route of guarded()) {
    const { path, body, raw, headers } = sample(route, fixture);
    const r = await srv.api(route.method, path, { token, body, raw, headers });
    assertProblem(r, 403, null, `${route.method} ${path} with no roles`);
  }
  // Routes that name no permission are open to any signed-in principal (the catalogue).
  for (const route of routes.filter((x) => x.perms && x.perms.length === 0)) {
    const r = await srv.api(route.method, route.pattern, { token });
    assert.equal(r.status, 200, `${route.method} ${route.pattern}`);
  }
  const rows = await srv.api('GET', `/api/v1/audit?actor_id=${u.body.id}&limit=200`);
  assert.equal(rows.body.items.filter((x) => x.outcome === 'denied').length, guarded().length);
});

test('public routes answer without a token', async () => {
  // (the link routes take a token: tests/api/onboarding.test.mjs and mail.test.mjs cover them)
  // (forward-auth answers a proxy about a signed-in browser: tests/api/forward-auth.test.mjs)
  for (const route of routes.filter(
    (x) =>
      x.perms === null &&
      x.method === 'GET' &&
      !x.pattern.includes('{') &&
      !x.pattern.startsWith('/auth/'),
  )) {
    const r = await srv.api(route.method, route.pattern, { token: null });
    assert.equal(r.status, 200, `${route.method} ${route.pattern}`);
  }
  // signing in is public: a wrong password is a 401 problem, not a demand for a token
  const r = await srv.api('POST', '/api/v1/session', {
    token: null,
    body: { username: 'nobody', password: 'not the password at all' },
  });
  assertProblem(r, 401, null, 'POST /api/v1/session');
});

test('a bearer token cannot use the session-only routes (sign-in steps, me)', async () => {
  for (const route of routes.filter((x) => x.stages)) {
    const { path, body, raw, headers } = sample(route, fixture);
    const r = await srv.api(route.method, path, { token: everything.token, body, raw, headers });
    assertProblem(r, 403, null, `${route.method} ${path} with a bearer token`);
  }
});

test('no token: 401 with WWW-Authenticate on every non-public route', async () => {
  for (const route of routes.filter((x) => x.perms !== null)) {
    const { path, body, raw, headers } = sample(route, fixture);
    const r = await srv.api(route.method, path, { token: null, body, raw, headers });
    assertProblem(r, 401, null, `${route.method} ${path} without a token`);
    assert.match(r.headers.get('www-authenticate') || '', /^Bearer\b/, `${route.method} ${path}`);
  }
});

test("a garbage, malformed, tampered, expired or disabled user's token gets 401", async () => {
  const name = uniq('expiring');
  const holder = await adminWith(srv, ['users.read'], { username: name });
  const expiring = srv.cli(['token', 'create', '--user', name, '--expires-in', '30']).trim();
  const tampered = srv.token.slice(0, -1) + (srv.token.endsWith('A') ? 'B' : 'A');
  const first = await srv.api('GET', '/api/v1/users', { token: expiring });
  assert.equal(first.status, 200, 'the short-lived token works before it expires');

  const cases = {
    garbage: { authorization: 'Bearer garbage' },
    'gh_-shaped garbage': { authorization: `Bearer gh_${'A'.repeat(43)}` },
    tampered: { authorization: `Bearer ${tampered}` },
    'over-long': { authorization: `Bearer ${'x'.repeat(5000)}` },
    'empty bearer': { authorization: 'Bearer ' },
    'basic scheme': { authorization: `Basic ${Buffer.from('root:x').toString('base64')}` },
    'token without scheme': { authorization: srv.token },
  };
  for (const [what, headers] of Object.entries(cases)) {
    for (const path of ['/api/v1/users', '/api/v1/audit', '/api/v1/permissions']) {
      const r = await srv.api('GET', path, { token: null, headers });
      assertProblem(r, 401, null, `${what} on ${path}`);
      assert.match(r.headers.get('www-authenticate') || '', /^Bearer\b/);
    }
  }

  clock.advance(60); // the token lived 30 s (of the test clock: no waiting)
  const expired = await srv.api('GET', '/api/v1/users', { token: expiring });
  assertProblem(expired, 401, null, 'expired token');

  const dis = await srv.api('POST', `/api/v1/users/${holder.user.id}/disable`);
  assert.equal(dis.status, 200);
  const disabled = await srv.api('GET', '/api/v1/users', { token: holder.token });
  assertProblem(disabled, 401, null, 'token of a disabled user');
});
