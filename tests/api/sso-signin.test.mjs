// Single sign-on through OpenID Connect, end to end over HTTP: GET /sso/{name}/start redirects to
// a real OpenID provider (npm oidc-provider on loopback), the test logs in there as a browser
// would, the provider sends it back to /sso/{name}/callback, and Gatehouse opens the same session
// as a password sign-in. The refusals of SECURITY I12 run against a provider that signs wrong
// tokens on purpose (lib/rogue-idp.mjs): wrong iss and aud, expired, no or another nonce, alg
// none, HS256 with the public key, a key not in the JWKS; and the flow's own: a replayed state,
// a code used twice, another browser, unknown, disabled and banned users, an SSO-only user trying
// the password, a provider that is down. One Gatehouse, one real provider and one rogue one per
// file; every test makes its own users and sources.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import {
  BIN,
  startServer,
  createUser,
  signIn,
  withCookie,
  sessionCookie,
  ssoSource,
  testClock,
  auditRows,
  oathtool,
  enrolTotp,
  median,
  dbQuery,
  dbExec,
} from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';
import { startProvider, cookieJar, providerLogin } from './lib/oidc.mjs';
import { startRogue } from './lib/rogue-idp.mjs';
import { closedPort, startSmtp, parts } from './lib/smtp.mjs';

let srv, idp, rogue, clock, smtp;
const SECRET = 'the client secret of gatehouse at the test provider';
// accounts at the real provider: id -> claims
const accounts = {};

before(async () => {
  clock = testClock();
  smtp = await startSmtp();
  srv = await startServer({
    clock,
    args: ['--sso-allow-loopback', '--smtp-url', smtp.url, '--mail-retry-seconds', '1'],
  });
  const back = (name) => `${srv.base}/sso/${name}/callback`;
  idp = await startProvider({
    clients: [
      {
        client_id: 'gatehouse',
        client_secret: SECRET,
        redirect_uris: [back('corp'), back('corp-rp'), back('corp-mfa')],
        post_logout_redirect_uris: [`${srv.base}/signin`],
      },
      {
        client_id: 'gatehouse-ec',
        client_secret: SECRET,
        redirect_uris: [back('corp-ec')],
        id_token_signed_response_alg: 'ES256',
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    accounts,
  });
  rogue = await startRogue();
  const source = (name, over = {}) =>
    ssoSource(srv, name, null, {
      issuer: idp.issuer,
      client_secret: SECRET,
      display_name: 'Corp',
      ...over,
    });
  await source('corp');
  await source('corp-ec', { client_id: 'gatehouse-ec' });
  await source('corp-rp', { rp_logout: true });
  await source('corp-mfa', { trust_idp_mfa: true });
  await ssoSource(srv, 'rogue', null, {
    issuer: rogue.issuer,
    client_id: rogue.clientId,
    client_secret: rogue.clientSecret,
    trust_idp_mfa: true,
  });
  await ssoSource(srv, 'down', null, { issuer: `http://127.0.0.1:${await closedPort()}` });
});

after(async () => {
  await srv?.stop();
  await idp?.close();
  await rogue?.close();
  await smtp?.stop();
  clock?.remove();
});

// A Gatehouse user signing in through source (default corp) with SSO ID sub, and its account at
// the real provider. Returns {user, sub}.
async function ssoUser({ source = 'corp', over = {} } = {}) {
  const sub = uniq('emp-');
  accounts[sub] = { email: `${sub}@corp.example`, email_verified: true };
  const { user } = await createUser(srv, {
    enforce_sso: true,
    sso_source: source,
    sso_id: sub,
    ...over,
  });
  return { user, sub };
}

// /sso/{name}/start in a fresh browser (jar): the redirect to the provider.
async function start(name, { next = '/users', jar = cookieJar() } = {}) {
  const res = await fetch(`${srv.base}/sso/${name}/start?next=${encodeURIComponent(next)}`, {
    headers: { cookie: jar.header() },
    redirect: 'manual',
  });
  jar.take(res);
  return { res, jar, location: res.headers.get('location') };
}

// The browser's way back: the callback URL with jar's cookies; {status, location, cookie}.
async function callback(url, jar) {
  const res = await fetch(url, { headers: { cookie: jar.header() }, redirect: 'manual' });
  return {
    status: res.status,
    location: res.headers.get('location'),
    cookie: sessionCookie(res.headers),
  };
}

// The whole journey at the real provider as login; returns the callback's answer and its URL.
async function ssoSignIn(name, login, { next = '/users' } = {}) {
  const s = await start(name, { next });
  assert.equal(s.res.status, 302, 'start redirects');
  assert.ok(s.location.startsWith(idp.issuer), s.location);
  const back = await providerLogin(s.location, login, `${srv.base}/sso/${name}/callback`);
  return { ...(await callback(back, s.jar)), url: back, jar: s.jar };
}

// The journey at the rogue provider (no login there): its next token is what over says.
async function rogueSignIn(sub, over = {}) {
  rogue.next({ ...over, claims: { sub, ...(over.claims || {}) } });
  const s = await start('rogue');
  assert.equal(s.res.status, 302);
  const at = await fetch(s.location, { redirect: 'manual' });
  return callback(at.headers.get('location'), s.jar);
}

const refusedTo = (r, code, what) => {
  assert.equal(r.status, 302, what);
  assert.equal(r.location, `/signin?sso_error=${code}`, what);
  assert.equal(r.cookie, null, `${what}: no session cookie`);
};

async function sessionOf(cookie) {
  return withCookie(srv, cookie.pair)('GET', '/api/v1/session');
}

test('the authorization request: code flow, PKCE S256, state and nonce, a Lax binding cookie', async () => {
  const s = await start('corp', { next: '/users?status=active' });
  assert.equal(s.res.status, 302);
  const u = new URL(s.location);
  assert.equal(u.origin + u.pathname, `${idp.issuer}/auth`);
  const q = Object.fromEntries(u.searchParams);
  assert.equal(q.response_type, 'code');
  assert.equal(q.client_id, 'gatehouse');
  assert.equal(q.redirect_uri, `${srv.base}/sso/corp/callback`);
  assert.equal(q.scope, 'openid email profile');
  assert.equal(q.code_challenge_method, 'S256');
  assert.match(q.code_challenge, /^[A-Za-z0-9_-]{43}$/);
  assert.match(q.state, /^[A-Za-z0-9_-]{43}$/);
  assert.match(q.nonce, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(q.state, q.nonce);
  const line = s.res.headers.getSetCookie().find((c) => c.startsWith('gh_sso='));
  assert.ok(line, 'a binding cookie');
  assert.match(line, /HttpOnly/);
  assert.match(line, /SameSite=Lax/);
  assert.match(line, /Max-Age=600/);
  // only hashes of the state are stored
  const flows = dbQuery(srv, 'SELECT state_hash, binding_hash FROM sso_flows');
  assert.ok(!flows.includes(q.state), 'the state is stored hashed');
  assert.ok(!flows.includes(s.jar.get('gh_sso')), 'the binding is stored hashed');
});

test('sign-in round trip with RS256: the session of a password sign-in, the next path, the audit row', async () => {
  const { user, sub } = await ssoUser();
  const times = [];
  let r;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    r = await ssoSignIn('corp', sub, { next: '/users?status=active' });
    times.push(performance.now() - t0);
    assert.equal(r.status, 302, JSON.stringify(r));
    assert.equal(r.location, '/users?status=active');
  }
  console.log(
    `# SSO sign-in round trip on loopback (start, provider login and consent, callback), ` +
      `median of 5: ${median(times).toFixed(1)} ms`,
  );
  assert.ok(r.cookie, 'a session cookie');
  assert.equal(r.cookie.name, 'gh_session');
  assert.equal(r.cookie.attrs.samesite, 'Strict');
  assert.ok(r.cookie.attrs.httponly);
  const me = await sessionOf(r.cookie);
  assert.equal(me.status, 200, JSON.stringify(me.body));
  assert.equal(me.body.next, 'done');
  assert.equal(me.body.user.id, user.id);
  const rows = await auditRows(srv, 'login.success', user.id);
  assert.ok(rows.length >= 5);
  assert.equal(rows[0].after.factor, 'sso');
  assert.equal(rows[0].after.source, 'corp');
  // each sign-in its own session (a new id every time: S2)
  const sessions = await srv.api('GET', `/api/v1/users/${user.id}/sessions`);
  assert.equal(sessions.body.items.length, 5);
});

test('ES256 keys and client_secret_post', async () => {
  const { user, sub } = await ssoUser({ source: 'corp-ec' });
  const r = await ssoSignIn('corp-ec', sub);
  assert.equal(r.status, 302, JSON.stringify(r));
  assert.equal(r.location, '/users');
  assert.equal((await sessionOf(r.cookie)).body.user.id, user.id);
});

test('an unsafe next path is replaced by /', async () => {
  const { sub } = await ssoUser();
  for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil', '/%2f%2fevil']) {
    const r = await ssoSignIn('corp', sub, { next });
    assert.equal(r.status, 302);
    assert.equal(r.location, '/', next);
  }
});

test('a replayed state, a code used twice and another browser are refused', async () => {
  const { sub } = await ssoUser();
  const first = await ssoSignIn('corp', sub);
  assert.equal(first.status, 302);
  assert.ok(first.cookie);
  // the same callback again (state used)
  refusedTo(await callback(first.url, first.jar), 'expired', 'replayed state');
  // the old code with a new flow's state
  const s = await start('corp');
  const state = new URL(s.location).searchParams.get('state');
  const old = new URL(first.url);
  old.searchParams.set('state', state);
  refusedTo(await callback(old.href, s.jar), 'refused', 'code used twice');
  // a callback in a browser that did not start the flow (no binding cookie, or another one)
  const t = await start('corp');
  const back = await providerLogin(t.location, sub, `${srv.base}/sso/corp/callback`);
  const other = cookieJar();
  other.set('gh_sso', 'A'.repeat(43));
  refusedTo(await callback(back, other), 'expired', 'another browser');
  refusedTo(await callback(back, t.jar), 'expired', 'the flow is used up by the first try');
  // an unknown state, a flow of another source
  refusedTo(
    await callback(`${srv.base}/sso/corp/callback?code=x&state=${'B'.repeat(43)}`, t.jar),
    'expired',
    'unknown state',
  );
  const u = await start('corp-ec');
  const st = new URL(u.location).searchParams.get('state');
  refusedTo(
    await callback(`${srv.base}/sso/corp/callback?code=x&state=${st}`, u.jar),
    'expired',
    'state of another source',
  );
});

test('a flow expires after ten minutes', async () => {
  // a server of its own: its clock moves, and the ID tokens of the shared one would expire
  const own = testClock();
  const srv2 = await startServer({ clock: own, args: ['--sso-allow-loopback'] });
  try {
    await ssoSource(srv2, 'rogue', null, {
      issuer: rogue.issuer,
      client_id: rogue.clientId,
      client_secret: rogue.clientSecret,
    });
    const sub = uniq('late-');
    await createUser(srv2, { enforce_sso: true, sso_source: 'rogue', sso_id: sub });
    // the rogue provider's tokens are issued on the server's moved clock (by the offset ahead)
    const go = async (ahead) => {
      const iat = Math.floor(Date.now() / 1000) + own.offset + ahead;
      rogue.next({ claims: { sub, iat, exp: iat + 300 } });
      const jar = cookieJar();
      const res = await fetch(`${srv2.base}/sso/rogue/start`, { redirect: 'manual' });
      jar.take(res);
      const at = await fetch(res.headers.get('location'), { redirect: 'manual' });
      return { back: at.headers.get('location'), jar };
    };
    // 590 s, not 599: the real seconds the requests take (more under ThreadSanitizer) come on top
    const early = await go(590);
    own.advance(590);
    const ontime = await callback(early.back, early.jar);
    assert.ok(ontime.cookie, 'after 590 s: still valid');
    const late = await go(601);
    own.advance(601);
    refusedTo(await callback(late.back, late.jar), 'expired', 'after 601 s');
  } finally {
    await srv2.stop();
  }
});

test('the user must exist, be active, not banned, and belong to the source', async () => {
  // unknown at Gatehouse (never created just in time)
  const stranger = uniq('stranger-');
  accounts[stranger] = { email: `${stranger}@corp.example` };
  refusedTo(await ssoSignIn('corp', stranger), 'refused', 'unknown user');
  const failures = await auditRows(srv, 'login.failure');
  assert.ok(
    failures.some((f) => f.after?.factor === 'sso' && /no account/.test(f.after?.reason || '')),
    'audited',
  );
  // disabled
  const d = await ssoUser();
  assert.equal((await srv.api('POST', `/api/v1/users/${d.user.id}/disable`)).status, 200);
  refusedTo(await ssoSignIn('corp', d.sub), 'refused', 'disabled user');
  // login disabled
  const l = await ssoUser({ over: { login_enabled: false } });
  refusedTo(await ssoSignIn('corp', l.sub), 'refused', 'login disabled');
  // banned: five wrong passwords (the account has one, from createUser)
  const b = await ssoUser({ over: { enforce_sso: false } });
  for (let i = 0; i < 5; i++) await signIn(srv, b.user.username, 'not the password, not at all');
  refusedTo(await ssoSignIn('corp', b.sub), 'refused', 'banned user');
  // deleted
  const x = await ssoUser();
  assert.ok([200, 204].includes((await srv.api('DELETE', `/api/v1/users/${x.user.id}`)).status));
  refusedTo(await ssoSignIn('corp', x.sub), 'refused', 'deleted user');
  // the SSO ID of another source: a user of corp-ec is not found through corp
  const e = await ssoUser({ source: 'corp-ec' });
  refusedTo(await ssoSignIn('corp', e.sub), 'refused', 'another source');
});

test("C10: a source serves only its own provider's users", async () => {
  const p = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('SSO SP ') },
  });
  assert.equal(p.status, 201);
  // a user of the provider cannot name the platform's source ...
  const bad = await srv.api('POST', '/api/v1/users', {
    body: {
      username: uniq('c10-'),
      email: `${uniq('c10')}@example.com`,
      provider_id: p.body.id,
      sso_source: 'corp',
      sso_id: 'x',
    },
  });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  assert.equal(bad.body.errors[0].field, 'sso_source');
  // ... and one moved there behind the API's back is still refused at sign-in
  const { user, sub } = await ssoUser();
  dbExec(srv, `UPDATE users SET provider_id = ${p.body.id} WHERE id = ${user.id}`);
  refusedTo(await ssoSignIn('corp', sub), 'refused', 'user of another provider');
});

test('an SSO-only user cannot sign in with a password nor be handed a password link', async () => {
  const { user } = await ssoUser({ over: { password: 'a long enough password for tests' } });
  assert.equal(user.enforce_sso, true);
  const s = await signIn(srv, user.username, 'a long enough password for tests');
  assert.equal(s.status, 401);
  assert.equal(s.cookie, null);
  const copy = await srv.api('POST', `/api/v1/users/${user.id}/onboarding-link`);
  assert.notEqual(copy.status, 200);
});

test('refusals of the ID token (SECURITY I12) at a provider that signs wrong tokens', async () => {
  const { user, sub } = await ssoUser({ source: 'rogue' });
  const ok = await rogueSignIn(sub);
  assert.equal(ok.status, 302, JSON.stringify(ok));
  assert.equal(ok.location, '/users');
  assert.ok(ok.cookie, 'a correct token signs in');
  const now = Math.floor(Date.now() / 1000);
  const cases = {
    'wrong iss': { claims: { iss: 'https://evil.example' } },
    'wrong aud': { claims: { aud: 'someone-else' } },
    'aud with us and azp of another': { claims: { aud: ['gatehouse', 'x'], azp: 'x' } },
    expired: { claims: { iat: now - 3600, exp: now - 1800 } },
    'issued in the future': { claims: { iat: now + 3600, exp: now + 7200 } },
    'no nonce': { claims: { nonce: undefined } },
    'another nonce': { claims: { nonce: 'not-the-nonce' } },
    'alg none': { alg: 'none' },
    'HS256 with the public key': { alg: 'HS256-public' },
    'a key not in the JWKS under a known kid': { key: 'other' },
    'an unknown kid': { kid: 'nobody' },
  };
  for (const [what, over] of Object.entries(cases))
    refusedTo(await rogueSignIn(sub, over), 'refused', what);
  // PS256 is accepted
  const pss = await rogueSignIn(sub, { alg: 'PS256' });
  assert.ok(pss.cookie, 'PS256');
  // the provider refuses the code; the provider answers garbage
  refusedTo(
    await rogueSignIn(sub, { status: 400, body: { error: 'invalid_grant' } }),
    'refused',
    'code refused',
  );
  refusedTo(await rogueSignIn(sub, { status: 500, body: { oops: true } }), 'unavailable', '500');
  refusedTo(
    await rogueSignIn(sub, { status: 200, body: { access_token: 'x' } }),
    'unavailable',
    'no id_token',
  );
  const rows = await auditRows(srv, 'login.failure');
  assert.ok(rows.some((r) => r.after?.factor === 'sso' && /audience/.test(r.after?.reason || '')));
  assert.ok((await auditRows(srv, 'login.success', user.id)).length >= 2);
});

test('key rotation: a new kid is fetched, the old keys are no longer used', async () => {
  const { sub } = await ssoUser({ source: 'rogue' });
  assert.ok((await rogueSignIn(sub)).cookie, 'before the rotation');
  await rogue.rotate();
  clock.advance(11); // past the refetch floor of one JWKS (GH_OIDC_JWKS_MIN_REFRESH_S)
  assert.ok((await rogueSignIn(sub)).cookie, 'after the rotation: the new kid was fetched');
});

test('two-factor after SSO: Gatehouse asks for its own code unless the source trusts the provider', async () => {
  const { sub } = await ssoUser({ over: { mfa_required: true } });
  const r = await ssoSignIn('corp', sub);
  assert.equal(r.status, 302);
  let me = await sessionOf(r.cookie);
  assert.equal(me.body.next, 'enroll_totp');
  const as = withCookie(srv, r.cookie.pair);
  const enrolled = await enrolTotp(srv, as, clock);
  assert.equal(enrolled.next, 'done');
  const again = await ssoSignIn('corp', sub);
  me = await sessionOf(again.cookie);
  assert.equal(me.body.next, 'totp');
  // a route of a signed-in user is closed until the code
  assert.equal((await withCookie(srv, again.cookie.pair)('GET', '/api/v1/users')).status, 403);
  clock.advance(31);
  const code = oathtool(enrolled.secret, clock.now());
  const step = await withCookie(srv, again.cookie.pair)('POST', '/api/v1/session/totp', {
    body: { code },
  });
  assert.equal(step.status, 200, JSON.stringify(step.body));
  assert.equal(step.body.next, 'done');
  // the rogue provider says amr mfa; its source trusts it: no code
  const t = await ssoUser({ source: 'rogue', over: { mfa_required: true } });
  const trusted = await rogueSignIn(t.sub, { claims: { amr: ['pwd', 'mfa'] } });
  assert.equal((await sessionOf(trusted.cookie)).body.next, 'done');
  const plain = await rogueSignIn(t.sub, { claims: { amr: ['pwd'] } });
  assert.equal((await sessionOf(plain.cookie)).body.next, 'enroll_totp');
  // corp-mfa trusts the provider, whose token has no amr: the code is still due
  const m = await ssoUser({ source: 'corp-mfa', over: { mfa_required: true } });
  const nm = await ssoSignIn('corp-mfa', m.sub);
  assert.equal((await sessionOf(nm.cookie)).body.next, 'enroll_totp');
});

test('an invited SSO-only user is onboarded by its first sign-in', async () => {
  const { user, sub } = await ssoUser({ over: { password: null } });
  assert.equal(user.status, 'invited');
  const r = await ssoSignIn('corp', sub);
  assert.equal(r.status, 302);
  assert.ok(r.cookie);
  const now = await srv.api('GET', `/api/v1/users/${user.id}`);
  assert.equal(now.body.status, 'active');
  assert.equal((await auditRows(srv, 'onboarding.completed', user.id)).length, 1);
});

test('the onboarding e-mail of an SSO-only user links to its sign-in button, not to a password', async () => {
  for (const language of ['en', 'zh']) {
    const sub = uniq('mail-');
    const { user } = await createUser(srv, {
      password: null,
      enforce_sso: true,
      sso_source: 'corp',
      sso_id: sub,
      language,
    });
    const got = () => smtp.messages().filter(smtp.to(user.email));
    await smtp.waitFor(() => got().length >= 1, { what: `the ${language} onboarding e-mail` });
    const { text, html } = parts(got()[0]);
    assert.ok(text.includes(`/sso/corp/start`), text);
    assert.ok(!/\/onboarding\//.test(text), 'no password link');
    assert.ok(html.includes('/sso/corp/start'), html);
    assert.match(got()[0].subject, /Corp/, 'the subject names the source');
    assert.ok(
      text.includes(language === 'zh' ? '使用 Corp 账户登录' : 'sign in with your Corp account'),
      text,
    );
    // a re-send is the same kind of e-mail; copying a password link is refused
    const again = await srv.api('POST', `/api/v1/users/${user.id}/resend-onboarding`);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    await smtp.waitFor(() => got().length >= 2, { what: 'the re-sent e-mail' });
    assert.ok(parts(got()[1]).text.includes('/sso/corp/start'));
    const copy = await srv.api('POST', `/api/v1/users/${user.id}/onboarding-link`);
    assert.equal(copy.status, 409, JSON.stringify(copy.body));
    assert.equal(copy.body.errors[0].field, 'enforce_sso');
  }
});

test('sign-out: 204, or the way to the provider for a source with RP logout', async () => {
  const { sub } = await ssoUser();
  const plain = await ssoSignIn('corp', sub);
  const out = await withCookie(srv, plain.cookie.pair)('DELETE', '/api/v1/session');
  assert.equal(out.status, 204);
  const rp = await ssoUser({ source: 'corp-rp' });
  const r = await ssoSignIn('corp-rp', rp.sub);
  const bye = await withCookie(srv, r.cookie.pair)('DELETE', '/api/v1/session');
  assert.equal(bye.status, 200, JSON.stringify(bye.body));
  assert.deepEqual(bye.body, { logout_url: '/sso/corp-rp/logout' });
  assert.equal((await sessionOf(r.cookie)).status, 401, 'the Gatehouse session ended');
  const go = await fetch(srv.base + bye.body.logout_url, { redirect: 'manual' });
  assert.equal(go.status, 302);
  const u = new URL(go.headers.get('location'));
  assert.equal(u.origin, idp.issuer);
  assert.equal(u.searchParams.get('client_id'), 'gatehouse');
  assert.equal(u.searchParams.get('post_logout_redirect_uri'), `${srv.base}/signin`);
  // a source without RP logout sends the browser to the sign-in page
  const no = await fetch(`${srv.base}/sso/corp/logout`, { redirect: 'manual' });
  assert.equal(no.headers.get('location'), '/signin');
});

test('a provider that is down, an unknown source, a cancelled sign-in: clear codes, no 500', async () => {
  const down = await start('down');
  assert.equal(down.res.status, 302);
  assert.equal(down.location, '/signin?sso_error=unavailable');
  const rows = await auditRows(srv, 'login.failure');
  assert.ok(rows.some((r) => r.after?.source === 'down'));
  const unknown = await start('no-such-source');
  assert.equal(unknown.location, '/signin?sso_error=unknown_source');
  const bad = await start('Not-A-Slug');
  assert.equal(bad.location, '/signin?sso_error=unknown_source');
  const s = await start('corp');
  const state = new URL(s.location).searchParams.get('state');
  const cancel = await callback(
    `${srv.base}/sso/corp/callback?error=access_denied&state=${state}`,
    s.jar,
  );
  refusedTo(cancel, 'cancelled', 'cancelled at the provider');
});

test('the Test action reports what discovery and the JWKS hold, or where it failed', async () => {
  const list = await srv.api('GET', '/api/v1/sso-sources');
  const id = (name) => list.body.items.find((s) => s.name === name).id;
  const good = await srv.api('POST', `/api/v1/sso-sources/${id('corp')}/test`);
  assert.equal(good.status, 200, JSON.stringify(good.body));
  assert.equal(good.body.ok, true);
  assert.equal(good.body.issuer, idp.issuer);
  assert.equal(good.body.keys, 2);
  assert.ok(good.body.token_auth_methods.includes('client_secret_basic'));
  assert.ok(good.body.signing_algs.includes('RS256'));
  assert.match(good.body.end_session_endpoint, /^http:\/\/127\.0\.0\.1/);
  const bad = await srv.api('POST', `/api/v1/sso-sources/${id('down')}/test`);
  assert.equal(bad.status, 200);
  assert.equal(bad.body.ok, false);
  assert.equal(bad.body.stage, 'discovery');
  assert.ok(bad.body.error.length > 0);
});

test('a provider that never answers: unavailable after the timeout, and the server serves on meanwhile', async () => {
  const held = [];
  const silent = createServer((req) => held.push(req)); // reads the request, never answers
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const name = uniq('silent-');
    await ssoSource(srv, name, null, { issuer: `http://127.0.0.1:${silent.address().port}` });
    const t0 = performance.now();
    let settled = false;
    const pending = start(name).finally(() => (settled = true));
    // while the provider keeps the sign-in waiting, the server's threads answer everyone else
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 20; i++) assert.equal((await fetch(`${srv.base}/healthz`)).status, 200);
    assert.equal(settled, false, 'other requests were answered while the sign-in waited');
    const s = await pending;
    assert.equal(s.location, '/signin?sso_error=unavailable');
    const took = performance.now() - t0;
    console.log(`# a silent provider: the sign-in gave up after ${took.toFixed(0)} ms`);
    assert.ok(held.length >= 1, 'the provider was called');
  } finally {
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
  }
});

test('gatehouse sso test ID: the same probe from the command line', async () => {
  const { execFile } = await import('node:child_process');
  const run = (args) =>
    new Promise((resolve) => {
      // asynchronous: the provider answering it runs in this process
      execFile(BIN, [...args, '--db', srv.db], { encoding: 'utf8' }, (err, stdout, stderr) =>
        resolve({ code: err ? err.code : 0, stdout, stderr }),
      );
    });
  const list = (await srv.api('GET', '/api/v1/sso-sources?limit=200')).body.items;
  const id = (name) => String(list.find((x) => x.name === name).id);
  const good = await run(['sso', 'test', id('corp'), '--sso-allow-loopback']);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /^corp: ok$/m);
  assert.match(good.stdout, /^signing keys\t2$/m);
  assert.ok(good.stdout.includes(`issuer\t${idp.issuer}`));
  // without the flag a loopback provider is not called (SECURITY I13)
  const refused = await run(['sso', 'test', id('corp')]);
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /FAILED at discovery/);
  const down = await run(['sso', 'test', id('down'), '--sso-allow-loopback']);
  assert.equal(down.code, 1);
  assert.match(down.stdout, /^down: FAILED at discovery: /m);
});

test('a provider answering garbage at discovery gives unavailable', async () => {
  const junk = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"issuer": "somewhere else"');
  });
  await new Promise((r) => junk.listen(0, '127.0.0.1', r));
  try {
    const name = uniq('junk-');
    await ssoSource(srv, name, null, { issuer: `http://127.0.0.1:${junk.address().port}` });
    const s = await start(name);
    assert.equal(s.location, '/signin?sso_error=unavailable');
  } finally {
    await new Promise((r) => junk.close(r));
  }
});

test("enforce_sso: defaults from the provider's source, and what it needs", async () => {
  const p = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('Default SP ') },
  });
  const pid = p.body.id;
  const none = await createUser(srv, { provider_id: pid });
  assert.equal(none.user.enforce_sso, false, 'no source: off');
  assert.equal(none.user.sso_source, null);
  const name = uniq('sp-idp-');
  await ssoSource(srv, name, pid, { claim: 'email' });
  const dflt = await createUser(srv, { provider_id: pid });
  assert.equal(dflt.user.enforce_sso, true, 'the provider has a source: on');
  assert.equal(dflt.user.sso_source, name);
  assert.equal(dflt.user.sso_id, dflt.user.email, 'the claim is email: the SSO ID is the e-mail');
  const off = await createUser(srv, { provider_id: pid, enforce_sso: false });
  assert.equal(off.user.enforce_sso, false, 'an explicit choice wins');
  const needs = await srv.api('POST', '/api/v1/users', {
    body: { username: uniq('n'), email: `${uniq('n')}@example.com`, enforce_sso: true },
  });
  assert.equal(needs.status, 400, JSON.stringify(needs.body));
  assert.equal(needs.body.errors[0].field, 'sso_source');
  // a deleted source does not stop edits of its users' other fields
  const gone = await ssoSource(srv, uniq('gone-'), pid);
  const held = await createUser(srv, { provider_id: pid, sso_source: gone.name, sso_id: 'g1' });
  assert.equal((await srv.api('DELETE', `/api/v1/sso-sources/${gone.id}`)).status, 204);
  const edit = await srv.api('PATCH', `/api/v1/users/${held.user.id}`, {
    body: { first_name: 'Still editable' },
  });
  assert.equal(edit.status, 200, JSON.stringify(edit.body));
  const rename = await srv.api('PATCH', `/api/v1/users/${held.user.id}`, {
    body: { sso_id: 'g2' },
  });
  assert.equal(rename.status, 400, 'but not a change of its SSO fields');
});
