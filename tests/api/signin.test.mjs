// Sign-in: the password step and its answer (next, session, cookie), the cookie's attributes
// (S6, with and without TLS), identical refusals whatever the reason and alike in time (A6), steps
// in order only (A13), a failed first factor never changes a session's identity (A14), and
// same-origin checks on cookie-carried state changes (S7).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  userWithPerms,
  ROOT_PASSWORD,
  signIn,
  withCookie,
  sansRequestId,
  createUser,
  strongPassword,
  changeForced,
  readyUser,
  median,
  ssoSource,
} from './lib/server.mjs';

let srv;
let rootId;
const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const secs = (t) => Date.parse(t) / 1000;

before(async () => {
  // The A6 timing test alone sends dozens of failed sign-ins from 127.0.0.1 within a minute; the
  // per-address throttle (I8, tests/api/throttle.test.mjs) is raised so that they reach the
  // checks this file is about instead of a 429.
  srv = await startServer({ args: ['--signin-rate-per-minute', '10000'] });
  await ssoSource(srv, 'corporate-oidc');
  const list = await srv.api('GET', '/api/v1/users?q=root');
  rootId = list.body.items.find((u) => u.username === 'root').id;
});
after(async () => {
  await srv?.stop();
});

function assertRefused(r, what) {
  assert.equal(r.status, 401, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(r.headers.getSetCookie().length, 0, `${what}: a refused sign-in sets a cookie`);
}

test('sign-in answers next and the session, and sets an opaque HttpOnly SameSite=Strict cookie (S1, S6)', async () => {
  const r = await signIn(srv, 'root', ROOT_PASSWORD, {
    headers: { 'user-agent': 'signin-test/1.0' },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(r.body.next, 'done');
  const s = r.body.session;
  assert.ok(Number.isInteger(s.id) && s.id > 0, JSON.stringify(s));
  for (const k of ['created_at', 'last_seen_at', 'expires_at']) assert.match(s[k], RFC3339_UTC, k);
  assert.equal(secs(s.expires_at) - secs(s.created_at), 43200, 'absolute lifetime 12 h by default');
  assert.ok(Math.abs(secs(s.created_at) - Date.now() / 1000) < 60, s.created_at);
  assert.equal(s.ip, '127.0.0.1');
  assert.equal(s.user_agent, 'signin-test/1.0');

  const lines = r.headers.getSetCookie();
  assert.equal(lines.length, 1, lines.join('\n'));
  const c = r.setCookie;
  assert.ok(c, lines[0]);
  assert.equal(c.name, 'gh_session', 'over plain HTTP the cookie has no __Host- prefix');
  assert.equal(c.attrs.path, '/');
  assert.equal(c.attrs['max-age'], '43200');
  assert.equal(c.attrs.httponly, true, lines[0]);
  assert.equal(c.attrs.samesite, 'Strict', lines[0]);
  assert.ok(!('secure' in c.attrs), `no Secure over plain HTTP: ${lines[0]}`);
  assert.ok(!('domain' in c.attrs), `no Domain: ${lines[0]}`);
  assert.equal(r.headers.get('strict-transport-security'), null, 'no HSTS without TLS');
  // Opaque and at least 256 bits: base64url, 43+ characters, nothing of the user in it.
  assert.match(c.value, /^[A-Za-z0-9_-]+$/);
  assert.ok(c.value.replace(/^gh_/, '').length >= 43, `token too short: ${c.value.length}`);
  assert.ok(!c.value.includes('root') && !c.value.includes(String(rootId).padStart(4, '0')));
  assert.ok(!JSON.stringify(r.body).includes(c.value), 'the token is in the body');
});

test('the cookie alone authenticates: GET /api/v1/session shows next, user, permissions, scope and session', async () => {
  const s = await signIn(srv, 'root', ROOT_PASSWORD);
  const me = await withCookie(srv, s.cookie)('GET', '/api/v1/session');
  assert.equal(me.status, 200, JSON.stringify(me.body));
  assert.equal(me.body.next, 'done');
  assert.equal(me.body.user.id, rootId);
  assert.equal(me.body.user.username, 'root');
  assert.ok(
    Array.isArray(me.body.permissions) && me.body.permissions.includes('users.read'),
    JSON.stringify(me.body.permissions),
  );
  assert.deepEqual(me.body.scope, me.body.user.access);
  assert.equal(me.body.session.id, s.body.session.id);
  for (const k of ['password_hash', 'token', 'token_hash', 'totp_secret']) {
    assert.ok(!(k in me.body) && !(k in me.body.user) && !(k in me.body.session), k);
  }
  const users = await withCookie(srv, s.cookie)('GET', '/api/v1/users?limit=5');
  assert.equal(users.status, 200, 'a done session acts like its user');
});

test('behind TLS (--external-url https://...) the cookie is __Host-gh_session with Secure, and responses carry HSTS (S6, S8)', async () => {
  const tls = await startServer({ args: ['--external-url', 'https://gatehouse.example.com'] });
  try {
    const r = await signIn(tls, 'root', ROOT_PASSWORD);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const c = r.setCookie;
    assert.ok(c, r.headers.getSetCookie().join('\n'));
    assert.equal(c.name, '__Host-gh_session');
    assert.equal(c.attrs.secure, true, c.raw);
    assert.equal(c.attrs.path, '/', c.raw);
    assert.ok(!('domain' in c.attrs), c.raw);
    assert.equal(c.attrs.httponly, true, c.raw);
    assert.equal(c.attrs.samesite, 'Strict', c.raw);
    assert.match(r.headers.get('strict-transport-security') || '', /max-age=\d{7,}/);
    const health = await tls.api('GET', '/healthz', { token: null });
    assert.match(
      health.headers.get('strict-transport-security') || '',
      /max-age=\d+/,
      'HSTS on every response',
    );
    const me = await withCookie(tls, c.pair)('GET', '/api/v1/session');
    assert.equal(me.status, 200, JSON.stringify(me.body));
    const plain = await withCookie(tls, `gh_session=${c.value}`)('GET', '/api/v1/session');
    assert.equal(plain.status, 401, 'behind TLS only the __Host- cookie counts');
    const out = await withCookie(tls, c.pair)('DELETE', '/api/v1/session', {
      origin: 'https://gatehouse.example.com',
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(out.status, 204, JSON.stringify(out.body));
    const cleared = out.headers.getSetCookie().find((l) => l.startsWith('__Host-gh_session='));
    assert.ok(
      cleared && /Max-Age=0/i.test(cleared) && /Secure/.test(cleared),
      `sign-out clears the __Host- cookie: ${cleared}`,
    );
  } finally {
    await tls.stop();
  }
});

test('malformed sign-in bodies are 400, never 5xx', async () => {
  for (const body of [
    { username: 'root' },
    { password: ROOT_PASSWORD },
    { username: 'root', password: ROOT_PASSWORD, extra: 1 },
    { username: 7, password: ROOT_PASSWORD },
    { username: 'root', password: null },
    [],
  ]) {
    const r = await srv.api('POST', '/api/v1/session', { token: null, body });
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(r.headers.getSetCookie().length, 0);
  }
});

test('A6: every refused sign-in is 401 with the same body and headers, whatever the reason', async () => {
  const mk = (over = {}) => createUser(srv, over);
  const wrong = await mk();
  const banned = await mk();
  const disabled = await mk();
  const deleted = await mk();
  const noLogin = await mk({ login_enabled: false });
  const sso = await mk({
    enforce_sso: true,
    sso_source: 'corporate-oidc',
    sso_id: 'someone@corp.example',
  });
  const invited = await mk({ password: null });
  for (let i = 0; i < 5; i++)
    assertRefused(await signIn(srv, banned.username, 'not the password at all'), 'banning');
  assert.equal((await srv.api('POST', `/api/v1/users/${disabled.user.id}/disable`)).status, 200);
  const del = await srv.api('DELETE', `/api/v1/users/${deleted.user.id}`);
  assert.ok(del.status === 200 || del.status === 204, JSON.stringify(del.body));

  const cases = {
    'unknown user': await signIn(srv, `nobody-${Date.now()}`, 'a long enough password for tests'),
    'wrong password': await signIn(srv, wrong.username, 'a long enough password for tests!'),
    'banned (right password)': await signIn(srv, banned.username, banned.password),
    'disabled (right password)': await signIn(srv, disabled.username, disabled.password),
    'deleted (right password)': await signIn(srv, deleted.username, deleted.password),
    'login_enabled=false (right password)': await signIn(srv, noLogin.username, noLogin.password),
    'enforce_sso (right password)': await signIn(srv, sso.username, sso.password),
    'invited, no password yet': await signIn(
      srv,
      invited.username,
      'a long enough password for tests',
    ),
  };
  const ref = cases['unknown user'];
  assertRefused(ref, 'unknown user');
  assert.match(ref.headers.get('content-type'), /^application\/problem\+json/);
  assert.match(ref.body.request_id, /^[0-9a-f]{32}$/);
  for (const [what, r] of Object.entries(cases)) {
    assertRefused(r, what);
    assert.equal(
      sansRequestId(r.body),
      sansRequestId(ref.body),
      `${what}: the body differs from an unknown user's`,
    );
    for (const h of ['content-type', 'www-authenticate', 'retry-after']) {
      assert.equal(r.headers.get(h), ref.headers.get(h), `${what}: header ${h} differs`);
    }
  }
  // The refusals above did not sign anyone in: the right password of a still-good user works.
  assert.equal((await signIn(srv, wrong.username, wrong.password)).status, 200);
});

test('A6: an unknown user costs about as much time as a wrong password (dummy Argon2id check)', async () => {
  const a = await createUser(srv);
  const b = await createUser(srv);
  const warm = await createUser(srv);
  await signIn(srv, `warmup-${Date.now()}`, 'a long enough password for tests'); // the dummy hash is made once
  await signIn(srv, warm.username, 'warm up wrong password');
  const unknown = [];
  const wrong = [];
  const time = async (fn) => {
    const t = process.hrtime.bigint();
    assertRefused(await fn(), 'timing');
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  for (let i = 0; i < 8; i++) {
    // 4 wrong passwords each for a and b: below the ban threshold
    unknown.push(
      await time(() => signIn(srv, `ghost${i}-${Date.now()}`, 'a long enough password for tests')),
    );
    wrong.push(
      await time(() => signIn(srv, (i % 2 ? a : b).username, `wrong password number ${i}`)),
    );
  }
  const mu = median(unknown);
  const mw = median(wrong);
  const ratio = mu / mw;
  console.log(
    `# A6 timing: unknown user median ${mu.toFixed(1)} ms, wrong password median ${mw.toFixed(1)} ms, ratio ${ratio.toFixed(2)}`,
  );
  assert.ok(
    ratio > 0.5 && ratio < 2,
    `unknown ${mu.toFixed(1)} ms vs wrong password ${mw.toFixed(1)} ms`,
  );
});

test('A13: a new user must change the password first; until then the session can do nothing else', async () => {
  const { user } = await userWithPerms(srv, ['users.read']);
  const s = await signIn(srv, user.username, 'a long enough password for tests');
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.next, 'change_password');
  assert.ok(s.cookie, 'a partial session has a cookie too');
  const as = withCookie(srv, s.cookie);

  // S9: until the sign-in is finished the session reads its next step (and the language its page
  // speaks) and nothing else.
  const me = await as('GET', '/api/v1/session');
  assert.equal(me.status, 200, JSON.stringify(me.body));
  assert.deepEqual(me.body, { next: 'change_password', language: 'en' });
  assert.equal(
    (await srv.api('GET', `/api/v1/users/${user.id}`)).body.last_login_at,
    null,
    'last_login_at waits until the sign-in is done',
  );

  const denied = [
    ['GET', '/api/v1/users'],
    ['GET', `/api/v1/users/${user.id}`],
    ['POST', '/api/v1/session/totp', { code: '123456' }],
    ['GET', '/api/v1/me/sessions'],
    ['POST', '/api/v1/me/totp'],
    ['GET', '/api/v1/me/totp'],
    ['POST', '/api/v1/me/totp/confirm', { code: '123456' }],
    [
      'POST',
      '/api/v1/me/password',
      { current_password: 'a long enough password for tests', password: strongPassword() },
    ],
  ];
  for (const [method, path, body] of denied) {
    const r = await as(method, path, { body });
    assert.equal(
      r.status,
      403,
      `${method} ${path} before the password change: ${r.status} ${JSON.stringify(r.body)}`,
    );
  }

  await changeForced(srv, s.cookie, strongPassword());
  const after = await as('GET', '/api/v1/session');
  assert.equal(after.body.next, 'done');
  assert.equal(after.body.user.id, user.id);
  assert.deepEqual(after.body.permissions, ['users.read']);
  assert.deepEqual(after.body.scope, after.body.user.access);
  assert.equal(after.body.session.id, s.body.session.id);
  assert.equal(
    (await as('GET', '/api/v1/users')).status,
    200,
    'done: the role works through the cookie',
  );
  const u = (await srv.api('GET', `/api/v1/users/${user.id}`)).body;
  assert.match(
    u.last_login_at || '',
    RFC3339_UTC,
    'last_login_at is set when the sign-in completes',
  );

  // Steps already passed or not due cannot be replayed.
  const again = await as('POST', '/api/v1/session/password', {
    body: { password: strongPassword() },
  });
  assert.equal(again.status, 403, JSON.stringify(again.body));
  const totp = await as('POST', '/api/v1/session/totp', { body: { code: '123456' } });
  assert.equal(totp.status, 403, JSON.stringify(totp.body));
});

test('A13: a user without a pending step is done at once; step routes need a session', async () => {
  const r = await signIn(srv, 'root', ROOT_PASSWORD);
  assert.equal(r.body.next, 'done');
  for (const [path, body] of [
    ['/api/v1/session/totp', { code: '123456' }],
    ['/api/v1/session/password', { password: strongPassword() }],
  ]) {
    const none = await srv.api('POST', path, { token: null, body, headers: { origin: srv.base } });
    assert.equal(none.status, 401, `${path} without a session: ${JSON.stringify(none.body)}`);
    const bearer = await srv.api('POST', path, { body });
    assert.equal(bearer.status, 403, `${path} with a bearer token: ${JSON.stringify(bearer.body)}`);
    const done = await withCookie(srv, r.cookie)('POST', path, { body });
    assert.equal(done.status, 403, `${path} in a done session: ${JSON.stringify(done.body)}`);
  }
  const who = await srv.api('GET', '/api/v1/session', { token: null });
  assert.equal(who.status, 401);
});

test('A14: a failed sign-in never changes the identity of the session the browser already holds', async () => {
  const a = await readyUser(srv, { permissions: ['users.read'] });
  const b = await createUser(srv);
  // A failed sign-in as b, sent along with a's cookie.
  const failed = await srv.api('POST', '/api/v1/session', {
    token: null,
    body: { username: b.username, password: "not b's password at all" },
    headers: { cookie: a.cookie, origin: srv.base },
  });
  assertRefused(failed, "wrong password for b with a's cookie");
  let me = await a.as('GET', '/api/v1/session');
  assert.equal(me.status, 200);
  assert.equal(me.body.user.id, a.user.id, 'the session still belongs to a');
  assert.equal(me.body.next, 'done');

  // A partial session (b at change_password) stays b's and partial after a failed sign-in as a.
  const sb = await signIn(srv, b.username, b.password);
  assert.equal(sb.body.next, 'change_password');
  const failed2 = await srv.api('POST', '/api/v1/session', {
    token: null,
    body: { username: a.username, password: "not a's password either" },
    headers: { cookie: sb.cookie, origin: srv.base },
  });
  assertRefused(failed2, "wrong password for a with b's cookie");
  me = await withCookie(srv, sb.cookie)('GET', '/api/v1/session');
  assert.deepEqual(
    me.body,
    { next: 'change_password', language: 'en' },
    'still at its own step (S9: nothing else)',
  );
  assert.equal((await withCookie(srv, sb.cookie)('GET', '/api/v1/users')).status, 403);

  // A successful sign-in as b with a's cookie gives a new session for b; a's stays a's.
  const ok = await srv.api('POST', '/api/v1/session', {
    token: null,
    body: { username: b.username, password: b.password },
    headers: { cookie: a.cookie, origin: srv.base },
  });
  assert.equal(ok.status, 200);
  const newCookie = ok.headers.getSetCookie()[0].split(';')[0];
  assert.notEqual(newCookie, a.cookie);
  assert.equal((await a.as('GET', '/api/v1/session')).body.user.id, a.user.id);
  // Both partial sessions are b's: finishing the step shows whose they are.
  await changeForced(srv, sb.cookie, strongPassword());
  assert.equal(
    (await withCookie(srv, sb.cookie)('GET', '/api/v1/session')).body.user.id,
    b.user.id,
  );
  const own = await signIn(srv, b.username, b.password);
  assert.equal(own.status, 401, 'the forced change ended the password b signed in with');
  assert.equal(
    (await withCookie(srv, newCookie)('GET', '/api/v1/session')).status,
    401,
    "the forced change ended b's other sessions",
  );
});

test('S7: a state change carried by the cookie needs a same-origin Origin or Sec-Fetch-Site; bearer tokens do not', async () => {
  const s = await signIn(srv, 'root', ROOT_PASSWORD);
  const as = withCookie(srv, s.cookie);
  let n = 0;
  const tenant = () => ({
    kind: 'service_provider',
    name: `CSRF ${Date.now().toString(36)} ${n++}`,
  });
  const otherPort = srv.port === 65535 ? 65534 : srv.port + 1;
  const refused = {
    'no Origin, no Sec-Fetch-Site': { origin: false },
    'cross-site Origin': { origin: 'http://evil.example' },
    'another port on the same host': { origin: `http://127.0.0.1:${otherPort}` },
    'Origin: null': { origin: 'null' },
    'Sec-Fetch-Site: cross-site': { origin: false, headers: { 'sec-fetch-site': 'cross-site' } },
    'Sec-Fetch-Site: same-site': { origin: false, headers: { 'sec-fetch-site': 'same-site' } },
    'Sec-Fetch-Site: cross-site with a matching Origin': {
      headers: { 'sec-fetch-site': 'cross-site' },
    },
    'same-origin Sec-Fetch-Site with a foreign Origin': {
      origin: 'http://evil.example',
      headers: { 'sec-fetch-site': 'same-origin' },
    },
  };
  const names = [];
  for (const [what, opts] of Object.entries(refused)) {
    const body = tenant();
    names.push(body.name);
    const r = await as('POST', '/api/v1/tenants', { body, ...opts });
    assert.equal(r.status, 403, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const list = await srv.api('GET', '/api/v1/tenants?kind=service_provider&limit=200');
  for (const name of names)
    assert.ok(
      !list.body.items.some((t) => t.name === name),
      `${name} was created by a refused request`,
    );

  const byOrigin = await as('POST', '/api/v1/tenants', { body: tenant() });
  assert.equal(byOrigin.status, 201, `matching Origin: ${JSON.stringify(byOrigin.body)}`);
  const bySite = await as('POST', '/api/v1/tenants', {
    body: tenant(),
    origin: false,
    headers: { 'sec-fetch-site': 'same-origin' },
  });
  assert.equal(bySite.status, 201, `Sec-Fetch-Site: same-origin: ${JSON.stringify(bySite.body)}`);
  const read = await as('GET', '/api/v1/users?limit=1', { origin: 'http://evil.example' });
  assert.equal(read.status, 200, 'reads are not state changes');
  const bearer = await srv.api('POST', '/api/v1/tenants', {
    body: tenant(),
    headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
  });
  assert.equal(
    bearer.status,
    201,
    `bearer token with a cross-site Origin: ${JSON.stringify(bearer.body)}`,
  );

  // Sign-out is a state change too: refused cross-site, and the session survives it.
  const out = await as('DELETE', '/api/v1/session', { origin: false });
  assert.equal(out.status, 403, JSON.stringify(out.body));
  const out2 = await as('DELETE', '/api/v1/session', { origin: 'http://evil.example' });
  assert.equal(out2.status, 403, JSON.stringify(out2.body));
  assert.equal(
    (await as('GET', '/api/v1/session')).status,
    200,
    'the session survived the refused sign-outs',
  );
  // Steps of a partial session are state changes as well.
  const b = await createUser(srv);
  const sb = await signIn(srv, b.username, b.password);
  const step = await withCookie(srv, sb.cookie)('POST', '/api/v1/session/password', {
    body: { password: strongPassword() },
    origin: 'http://evil.example',
  });
  assert.equal(step.status, 403, JSON.stringify(step.body));
  assert.equal(
    (await withCookie(srv, sb.cookie)('GET', '/api/v1/session')).body.next,
    'change_password',
  );
});
