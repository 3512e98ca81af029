// The per-instance principal cache keeps SECURITY C5 and S4 (issue 13): a principal served from
// an instance's cache (token or session -> user, permissions, scope) is checked against the
// revocation counters in the request's own snapshot, so every kind of revoking write takes effect
// on the next request. Each test first warms the principal (token and session) on instance B,
// then revokes on instance A, then expects B to refuse (401/403) or narrow (404) the very next
// request. With GATEHOUSE_TEST_PG_URL, A and B are two instances on one PostgreSQL database;
// without it, one SQLite instance plays both. The race tests stream requests on B while A
// revokes: every request on B that starts after the revoking response arrived (so after its
// commit) must be refused, never served with the old rights. No timing is asserted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  PG_URL,
  startServer,
  restartServer,
  readyUser,
  createUser,
  signIn,
  strongPassword,
  withCookie,
} from './lib/server.mjs';
import { ok, uniq } from './lib/helpers.mjs';

const ARGS = ['--signin-rate-per-minute', '10000', '--per-ip-connection-limit', '512'];
let a, b;

before(async () => {
  a = await startServer({ args: ARGS });
  b = PG_URL ? await restartServer(a, { args: ARGS }) : a;
});
after(async () => {
  if (b !== a) await b?.stop();
  await a?.stop();
});

const REFUSED = [401, 403, 404];

// What X can do on B: read itself by token and by cookie.
const byToken = (x, srv = b) => srv.api('GET', `/api/v1/users/${x.user.id}`, { token: x.token });
const byCookie = (x, srv = b) => withCookie(srv, x.cookie)('GET', `/api/v1/users/${x.user.id}`);

async function warm(x) {
  for (let i = 0; i < 3; i++) {
    assert.equal((await byToken(x)).status, 200, 'token before the revocation');
    assert.equal((await byCookie(x)).status, 200, 'session before the revocation');
    assert.equal((await withCookie(b, x.cookie)('GET', '/api/v1/session')).status, 200);
  }
}

async function refused(what, pending) {
  const r = await pending;
  assert.ok(REFUSED.includes(r.status), `${what}: expected 401/403/404, got ${r.status}`);
  return r.status;
}

// A user with users.read through a fresh role of its own, signed in, with a token.
const reader = () => readyUser(a, { permissions: ['users.read'] });

// A user with users.read only through a group's role.
async function groupReader() {
  const role = await ok(
    a.api('POST', '/api/v1/roles', {
      body: {
        name: uniq('gr'),
        kind: 'service_provider',
        provider_id: null,
        permissions: ['users.read'],
      },
    }),
  );
  const group = await ok(
    a.api('POST', '/api/v1/groups', {
      body: { name: uniq('g'), provider_id: null, role_ids: [role.id] },
    }),
  );
  const x = await readyUser(a, { group_ids: [group.id] });
  x.token = a.cli(['token', 'create', '--user', x.username]).trim();
  return { ...x, group, role };
}

const patchUser = (x, body) => a.api('PATCH', `/api/v1/users/${x.user.id}`, { body });

// [name, make the user, revoke on A, which credentials it ends: token, cookie]
const KINDS = [
  [
    'C5: the role loses the permission',
    reader,
    (x) =>
      a.api('PATCH', `/api/v1/roles/${x.user.role_ids[0]}`, {
        body: { permissions: ['audit.read'] },
      }),
  ],
  ['C5: the role is taken from the user', reader, (x) => patchUser(x, { role_ids: [] })],
  [
    "C5: the user's group loses the role",
    groupReader,
    (x) => a.api('PATCH', `/api/v1/groups/${x.group.id}`, { body: { role_ids: [] } }),
  ],
  ['C5: the user leaves the group', groupReader, (x) => patchUser(x, { group_ids: [] })],
  [
    "C5: the user's group is deleted",
    groupReader,
    (x) => a.api('DELETE', `/api/v1/groups/${x.group.id}`),
  ],
  ['S4: disable', reader, (x) => a.api('POST', `/api/v1/users/${x.user.id}/disable`)],
  ['S4: delete', reader, (x) => a.api('DELETE', `/api/v1/users/${x.user.id}`)],
  [
    'S4: force-password-reset',
    reader,
    (x) => a.api('POST', `/api/v1/users/${x.user.id}/force-password-reset`),
  ],
  ['S4: reset-mfa', reader, (x) => a.api('POST', `/api/v1/users/${x.user.id}/reset-mfa`)],
  ['A5: login disabled', reader, (x) => patchUser(x, { login_enabled: false })],
  [
    'A4/A5: banned after five wrong passwords',
    reader,
    async (x) => {
      for (let i = 0; i < 5; i++) await signIn(a, x.username, 'not the password at all, no');
      return { status: 200 };
    },
  ],
];

for (const [name, make, revoke] of KINDS) {
  test(`${name} on A: B refuses the next request (token and session)`, async () => {
    const x = await make();
    await warm(x);
    const r = await revoke(x);
    assert.ok(r.status >= 200 && r.status < 300, `revoke: ${r.status} ${JSON.stringify(r.body)}`);
    await refused('token', byToken(x));
    await refused('session', byCookie(x));
    // and it stays so
    await refused('token again', byToken(x));
    await refused('session again', byCookie(x));
  });
}

test('S5: an admin ends the sessions on A: B refuses the cookie, the token still works', async () => {
  const x = await reader();
  await warm(x);
  assert.equal((await a.api('DELETE', `/api/v1/users/${x.user.id}/sessions`)).status, 204);
  assert.equal(await refused('session', withCookie(b, x.cookie)('GET', '/api/v1/session')), 401);
  assert.equal((await byToken(x)).status, 200);
});

test('S1: signing out on A ends the session on B', async () => {
  const x = await reader();
  await warm(x);
  assert.equal((await withCookie(a, x.cookie)('DELETE', '/api/v1/session')).status, 204);
  assert.equal(await refused('session', byCookie(x)), 401);
});

test('S11: the token is revoked on A: B refuses it, the session still works', async () => {
  const x = await reader();
  await warm(x);
  const list = await a.api('GET', `/api/v1/users/${x.user.id}/tokens`);
  assert.equal(list.status, 200, JSON.stringify(list.body));
  for (const t of list.body.items)
    assert.equal((await a.api('DELETE', `/api/v1/users/${x.user.id}/tokens/${t.id}`)).status, 204);
  assert.equal(await refused('token', byToken(x)), 401);
  assert.equal((await byCookie(x)).status, 200);
});

test('S11: a password change on A ends the tokens and the other sessions on B', async () => {
  const x = await reader();
  const other = await signIn(a, x.username, x.password);
  assert.equal(other.status, 200);
  x.cookie2 = other.cookie;
  await warm(x);
  assert.equal((await withCookie(b, other.cookie)('GET', '/api/v1/session')).status, 200);
  const r = await withCookie(a, x.cookie)('POST', '/api/v1/me/password', {
    body: { current_password: x.password, password: strongPassword() },
  });
  assert.ok(r.status >= 200 && r.status < 300, `${r.status} ${JSON.stringify(r.body)}`);
  await refused('token', byToken(x));
  await refused('other session', withCookie(b, other.cookie)('GET', '/api/v1/session'));
});

test('C2: access narrowed on A: B answers 404 for a user now outside the scope', async () => {
  const p = await ok(
    a.api('POST', '/api/v1/tenants', { body: { kind: 'service_provider', name: uniq('Prov ') } }),
  );
  const acct = await ok(
    a.api('POST', '/api/v1/tenants', {
      body: { kind: 'platform_account', name: uniq('Acct '), parent_id: p.id },
    }),
  );
  const role = await ok(
    a.api('POST', '/api/v1/roles', {
      body: {
        name: uniq('pr'),
        kind: 'service_provider',
        provider_id: p.id,
        permissions: ['users.read'],
      },
    }),
  );
  const x = await readyUser(a, { provider_id: p.id, role_ids: [role.id] });
  x.token = a.cli(['token', 'create', '--user', x.username]).trim();
  const y = (await createUser(a, { provider_id: p.id })).user; // provider-wide: outside an account
  const readY = () => b.api('GET', `/api/v1/users/${y.id}`, { token: x.token });
  for (let i = 0; i < 3; i++) assert.equal((await readY()).status, 200);
  const r = await patchUser(x, { access: { level: 'account', account_ids: [acct.id] } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal((await readY()).status, 404);
});

test('a role granted on A takes effect on B at the next request too', async () => {
  const x = await readyUser(a);
  x.token = a.cli(['token', 'create', '--user', x.username]).trim();
  assert.equal((await byToken(x)).status, 403);
  const role = await ok(
    a.api('POST', '/api/v1/roles', {
      body: {
        name: uniq('late'),
        kind: 'service_provider',
        provider_id: null,
        permissions: ['users.read'],
      },
    }),
  );
  assert.equal((await patchUser(x, { role_ids: [role.id] })).status, 200);
  assert.equal((await byToken(x)).status, 200);
  assert.equal((await byCookie(x)).status, 200);
});

// Streams requests on B (four at a time) until stopped; each record: when it started, status.
function stream(send) {
  const log = [];
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const t0 = performance.now();
      const r = await send();
      log.push({ t0, status: r.status });
    }
  };
  const workers = [worker(), worker(), worker(), worker()];
  return {
    log,
    async end() {
      stop = true;
      await Promise.all(workers);
    },
  };
}

const pause = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function race(x, send, revoke) {
  const s = stream(send);
  await pause(200);
  const r = await revoke(x);
  const committed = performance.now(); // the answer comes after the commit
  assert.ok(r.status >= 200 && r.status < 300, `revoke: ${r.status} ${JSON.stringify(r.body)}`);
  await pause(200);
  await s.end();
  const before = s.log.filter((e) => e.t0 < committed);
  const later = s.log.filter((e) => e.t0 > committed);
  assert.ok(
    before.some((e) => e.status === 200),
    'the stream was served before the revocation',
  );
  assert.ok(later.length > 0, 'requests started after the revocation');
  const served = later.filter((e) => !REFUSED.includes(e.status));
  assert.equal(
    served.length,
    0,
    `${served.length} of ${later.length} requests started after the commit were answered ` +
      `${[...new Set(served.map((e) => e.status))]}`,
  );
}

test('race: the role loses its permission on A while B serves a stream of token requests', async () => {
  const x = await reader();
  await race(
    x,
    () => byToken(x),
    () =>
      a.api('PATCH', `/api/v1/roles/${x.user.role_ids[0]}`, {
        body: { permissions: ['audit.read'] },
      }),
  );
});

test('race: the user is disabled on A while B serves a stream of session requests', async () => {
  const x = await reader();
  await race(
    x,
    () => byCookie(x),
    () => a.api('POST', `/api/v1/users/${x.user.id}/disable`),
  );
});

test('race: the user leaves its group on A while B serves a stream of token requests', async () => {
  const x = await groupReader();
  await race(
    x,
    () => byToken(x),
    () => patchUser(x, { group_ids: [] }),
  );
});
