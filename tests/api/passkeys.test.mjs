// Passkeys (issue 17; SECURITY A4, A5, A6, A13, S10): a software authenticator (node:crypto P-256
// keys, attestation "none": lib/webauthn.mjs) registers passkeys on My profile, signs in with the
// password and a passkey (next: webauthn, TOTP and recovery codes still accepted there) and, where
// the service provider allows it, with a discoverable passkey alone. Every refusal has its case:
// a replayed or expired challenge, another origin, type or RP ID, a counter going back (a cloned
// authenticator, audited), a removed passkey, another user's passkey, five failed assertions
// (the lock-out), a banned or disabled account, a provider that does not allow password-less
// sign-in, a missing re-authentication. Refused sign-in steps all give one answer (A6). The
// relying party is the server's --external-url, http://localhost:<port> of a port nothing
// listens on: the authenticator signs for it, and state changes carry it as their Origin.
// On PostgreSQL two instances share the database: a passkey registered on A signs in on B.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  PG_URL,
  startServer,
  restartServer,
  signIn,
  withCookie,
  createUser,
  strongPassword,
  testClock,
  oathtool,
  auditRows,
  sansRequestId,
  dbQuery,
} from './lib/server.mjs';
import { closedPort } from './lib/smtp.mjs';
import { SoftAuthenticator } from './lib/webauthn.mjs';
import { uniq } from './lib/helpers.mjs';

let srv, clock, EXT;
const RP_ID = 'localhost';

before(async () => {
  clock = testClock();
  EXT = `http://localhost:${await closedPort()}`;
  srv = await startServer({
    clock,
    args: ['--external-url', EXT],
    env: { GATEHOUSE_SIGNIN_RATE_PER_MINUTE: '1000' },
  });
});
after(async () => {
  await srv?.stop();
  clock?.remove();
});

const authenticator = () => new SoftAuthenticator({ rpId: RP_ID, origin: EXT });
// requests carried by a session cookie, with the external URL's origin (S7)
const asCookie = (s, cookie) => {
  const as = withCookie(s, cookie);
  return (method, path, opts = {}) => as(method, path, { origin: EXT, ...opts });
};

// A user signed all the way in (past the forced change): {user, username, password, cookie, as}.
async function ready(s = srv, over = {}) {
  const { user, username, password: initial } = await createUser(s, over);
  const first = await signIn(s, username, initial);
  assert.equal(first.body.next, 'change_password', JSON.stringify(first.body));
  const password = strongPassword();
  const r = await asCookie(s, first.cookie)('POST', '/api/v1/session/password', {
    body: { password },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { user, username, password, cookie: first.cookie, as: asCookie(s, first.cookie) };
}

// Registers a passkey of auth for u (proof: extra body fields); returns the answer.
async function register(u, auth, { name = 'Laptop', proof = {}, over = {} } = {}) {
  const opts = await u.as('POST', '/api/v1/me/passkeys/options');
  assert.equal(opts.status, 200, JSON.stringify(opts.body));
  const credential = auth.create(opts.body, over);
  return u.as('POST', '/api/v1/me/passkeys', { body: { name, credential, ...proof } });
}

async function registered(u, auth, opts) {
  const r = await register(u, auth, opts);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

// Signs in with the password: a session at the webauthn step and its options.
async function atWebauthn(s, u) {
  const r = await signIn(s, u.username, u.password);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.next, 'webauthn', JSON.stringify(r.body));
  const as = asCookie(s, r.cookie);
  const opts = await as('POST', '/api/v1/session/webauthn/options');
  assert.equal(opts.status, 200, JSON.stringify(opts.body));
  return { as, cookie: r.cookie, opts: opts.body };
}

const assertStep = (as, credential) =>
  as('POST', '/api/v1/session/webauthn', { body: { credential } });
const whoami = (as) => as('GET', '/api/v1/session');

let refusal = null; // the one body of a refused sign-in step (A6)
function assertRefused(r, what) {
  assert.equal(r.status, 401, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  const body = sansRequestId(r.body);
  refusal ??= body;
  assert.equal(body, refusal, `${what}: the one answer of a refused step`);
}

test('register a passkey, list it, sign in with password and passkey', async () => {
  const u = await ready();
  const auth = authenticator();
  const opts = await u.as('POST', '/api/v1/me/passkeys/options');
  assert.equal(opts.status, 200);
  assert.equal(opts.body.rp.id, RP_ID);
  assert.equal(opts.body.attestation, 'none');
  assert.deepEqual(
    opts.body.pubKeyCredParams.map((p) => p.alg),
    [-7, -257, -8],
  );
  assert.equal(opts.body.authenticatorSelection.residentKey, 'preferred');
  assert.match(opts.body.challenge, /^[A-Za-z0-9_-]{43}$/);
  assert.match(opts.body.user.id, /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(opts.body.excludeCredentials, []);
  const created = await u.as('POST', '/api/v1/me/passkeys', {
    body: { name: 'Work laptop', credential: auth.create(opts.body) },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.name, 'Work laptop');
  assert.equal(created.body.user_verified, true);
  assert.equal(created.body.last_used_at, null);
  const again = await u.as('POST', '/api/v1/me/passkeys/options');
  assert.equal(again.body.user.id, opts.body.user.id, 'the user handle is stable');
  assert.deepEqual(
    again.body.excludeCredentials.map((c) => c.id),
    [created.body.credential_id],
  );
  const list = await u.as('GET', '/api/v1/me/passkeys');
  assert.deepEqual(
    list.body.items.map((p) => p.id),
    [created.body.id],
  );

  const st = await atWebauthn(srv, u);
  assert.deepEqual(
    st.opts.allowCredentials.map((c) => c.id),
    [created.body.credential_id],
  );
  assert.equal(st.opts.rpId, RP_ID);
  assert.equal((await whoami(st.as)).body.user, undefined, 'S9: nothing before the step');
  const done = await assertStep(st.as, auth.get(st.opts));
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.next, 'done');
  assert.equal((await whoami(st.as)).body.user.id, u.user.id);
  const used = (await u.as('GET', '/api/v1/me/passkeys')).body.items[0];
  assert.ok(used.last_used_at, 'last_used_at is set');
  assert.equal((await auditRows(srv, 'passkey.added', u.user.id)).length, 1);
  const ok = await auditRows(srv, 'login.success', u.user.id);
  assert.ok(
    ok.some((row) => row.after?.factor === 'webauthn'),
    JSON.stringify(ok),
  );
});

test('rename and remove (with re-authentication); a removed passkey is refused', async () => {
  const u = await ready();
  const auth = authenticator();
  const pk = await registered(u, auth);
  const ren = await u.as('PATCH', `/api/v1/me/passkeys/${pk.id}`, { body: { name: 'Phone' } });
  assert.equal(ren.status, 204, JSON.stringify(ren.body));
  assert.equal((await u.as('GET', '/api/v1/me/passkeys')).body.items[0].name, 'Phone');
  assert.equal((await auditRows(srv, 'passkey.renamed', u.user.id)).length, 1);

  const st = await atWebauthn(srv, u); // a sign-in begun before the removal
  const noProof = await u.as('DELETE', `/api/v1/me/passkeys/${pk.id}`);
  assert.equal(noProof.status, 403, JSON.stringify(noProof.body));
  const wrong = await u.as('DELETE', `/api/v1/me/passkeys/${pk.id}`, {
    body: { current_password: 'not the password at all' },
  });
  assert.equal(wrong.status, 400, JSON.stringify(wrong.body));
  const del = await u.as('DELETE', `/api/v1/me/passkeys/${pk.id}`, {
    body: { current_password: u.password },
  });
  assert.equal(del.status, 204, JSON.stringify(del.body));
  assert.equal((await auditRows(srv, 'passkey.removed', u.user.id)).length, 1);
  assert.deepEqual((await u.as('GET', '/api/v1/me/passkeys')).body.items, []);
  assertRefused(await assertStep(st.as, auth.get(st.opts)), 'a removed passkey');
  // without passkeys the password is the whole sign-in again
  assert.equal((await signIn(srv, u.username, u.password)).body.next, 'done');
  const other = await u.as('PATCH', `/api/v1/me/passkeys/${pk.id}`, { body: { name: 'x' } });
  assert.equal(other.status, 404);
});

test('S10: a second factor in place, adding a passkey needs the password or a code', async () => {
  const u = await ready();
  await registered(u, authenticator());
  const auth = authenticator();
  const none = await register(u, auth);
  assert.equal(none.status, 403, JSON.stringify(none.body));
  assert.equal(none.body.errors[0].field, 'current_password');
  const bad = await register(u, auth, { proof: { current_password: 'a wrong password, long' } });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  const good = await register(u, auth, { name: 'Key 2', proof: { current_password: u.password } });
  assert.equal(good.status, 201, JSON.stringify(good.body));
  const rows = await auditRows(srv, 'passkey.added', u.user.id);
  assert.equal(rows.length, 2);
  assert.equal((await u.as('GET', '/api/v1/me/passkeys')).body.items.length, 2);
});

test('at the webauthn step a TOTP code or a recovery code is accepted instead', async () => {
  const u = await ready();
  const start = await u.as('POST', '/api/v1/me/totp');
  assert.equal(start.status, 201);
  clock.advance(60);
  const conf = await u.as('POST', '/api/v1/me/totp/confirm', {
    body: { code: oathtool(start.body.secret, clock.now()) },
  });
  assert.equal(conf.status, 200, JSON.stringify(conf.body));
  clock.advance(60);
  await registered(u, authenticator(), {
    proof: { code: oathtool(start.body.secret, clock.now()) },
  });
  clock.advance(60);
  const st = await atWebauthn(srv, u);
  const code = await st.as('POST', '/api/v1/session/totp', {
    body: { code: oathtool(start.body.secret, clock.now()) },
  });
  assert.equal(code.status, 200, JSON.stringify(code.body));
  assert.equal(code.body.next, 'done');
  const st2 = await atWebauthn(srv, u);
  const rec = await st2.as('POST', '/api/v1/session/totp', {
    body: { code: conf.body.recovery_codes[0] },
  });
  assert.equal(rec.status, 200, JSON.stringify(rec.body));
  assert.equal(rec.body.next, 'done');
});

test('the first passkey of an account without TOTP comes with ten recovery codes, each good once', async () => {
  const u = await ready();
  const first = await registered(u, authenticator(), { name: 'Phone' });
  assert.equal(first.recovery_codes?.length, 10, JSON.stringify(first));
  assert.equal(new Set(first.recovery_codes).size, 10, 'ten different codes');
  const second = await registered(u, authenticator(), {
    name: 'Key',
    proof: { current_password: u.password },
  });
  assert.equal(second.recovery_codes, undefined, 'only the first second factor brings codes');
  const list = await u.as('GET', '/api/v1/me/passkeys');
  assert.ok(
    list.body.items.every((p) => p.recovery_codes === undefined),
    'the list never shows them',
  );
  // the device lost: a recovery code passes the webauthn step, once
  const st = await atWebauthn(srv, u);
  const rec = await st.as('POST', '/api/v1/session/totp', {
    body: { code: first.recovery_codes[3] },
  });
  assert.equal(rec.status, 200, JSON.stringify(rec.body));
  assert.equal(rec.body.next, 'done');
  const st2 = await atWebauthn(srv, u);
  const again = await st2.as('POST', '/api/v1/session/totp', {
    body: { code: first.recovery_codes[3] },
  });
  assert.equal(again.status, 401, 'a recovery code is single use');
  // with TOTP first, a passkey brings none (the enrolment gave them)
  const v = await ready();
  const start = await v.as('POST', '/api/v1/me/totp');
  clock.advance(60);
  const conf = await v.as('POST', '/api/v1/me/totp/confirm', {
    body: { code: oathtool(start.body.secret, clock.now()) },
  });
  assert.equal(conf.status, 200, JSON.stringify(conf.body));
  const pk = await registered(v, authenticator(), { proof: { current_password: v.password } });
  assert.equal(pk.recovery_codes, undefined);
});

test('a user who must use two factors may enrol a passkey instead of TOTP', async () => {
  const u = await ready(srv, { mfa_required: true });
  // ready() passed the forced change; the session now stands at enroll_totp
  assert.equal((await whoami(u.as)).body.next, 'enroll_totp');
  const auth = authenticator();
  const pk = await register(u, auth);
  assert.equal(pk.status, 201, JSON.stringify(pk.body));
  assert.equal((await whoami(u.as)).body.next, 'done', 'the passkey was the factor due');
  const st = await atWebauthn(srv, u);
  assert.equal((await assertStep(st.as, auth.get(st.opts))).body.next, 'done');
  // an enrolment session opened before the passkey came cannot add another one unproven
  const v = await ready(srv, { mfa_required: true });
  const early = await signIn(srv, v.username, v.password);
  assert.equal(early.body.next, 'enroll_totp');
  await registered(v, authenticator());
  const late = await register({ as: asCookie(srv, early.cookie) }, authenticator());
  assert.equal(late.status, 403, JSON.stringify(late.body));
});

test('refused assertions: replayed, expired, origin, type, RP ID, clone, another user', async () => {
  const u = await ready();
  const auth = authenticator();
  const pk = await registered(u, auth);
  const stranger = await ready();
  const theirs = authenticator();
  await registered(stranger, theirs);
  const cases = [
    ['a wrong origin', (o) => auth.get(o, null, { origin: 'http://localhost:1' })],
    ['a wrong type', (o) => auth.get(o, null, { type: 'webauthn.create' })],
    ['a wrong RP ID hash', (o) => auth.get(o, null, { rpId: 'evil.example' })],
    ['a bad signature', (o) => auth.get(o, null, { badSignature: true })],
    ['user presence missing', (o) => auth.get(o, null, { up: false })],
    ["another user's passkey", (o) => theirs.get({ ...o, allowCredentials: [] })],
  ];
  for (const [what, make] of cases) {
    const st = await atWebauthn(srv, u);
    assertRefused(await assertStep(st.as, make(st.opts)), what);
    // the challenge served that one attempt: the right assertion with it is refused too
    assertRefused(await assertStep(st.as, auth.get(st.opts)), `${what}, then its challenge again`);
    // a passing sign-in restarts the failure count (A4), so that the cases stay below a ban
    const fine = await atWebauthn(srv, u);
    assert.equal((await assertStep(fine.as, auth.get(fine.opts))).status, 200, `after ${what}`);
  }
  // a replayed assertion: the challenge is single use
  const st = await atWebauthn(srv, u);
  const good = auth.get(st.opts);
  assert.equal((await assertStep(st.as, good)).status, 200);
  const st2 = await atWebauthn(srv, u);
  assertRefused(await assertStep(st2.as, good), 'a replayed assertion');
  // a challenge of another session
  const st3 = await atWebauthn(srv, u);
  const st4 = await atWebauthn(srv, u);
  assertRefused(await assertStep(st4.as, auth.get(st3.opts)), "another session's challenge");
  // an expired challenge (valid 300 s)
  const st5 = await atWebauthn(srv, u);
  clock.advance(301);
  assertRefused(await assertStep(st5.as, auth.get(st5.opts)), 'an expired challenge');
  // a cloned authenticator: its counter goes back
  const clone = auth.clone();
  const st6 = await atWebauthn(srv, u);
  assert.equal((await assertStep(st6.as, auth.get(st6.opts))).status, 200);
  const st7 = await atWebauthn(srv, u);
  assertRefused(await assertStep(st7.as, clone.get(st7.opts)), 'a cloned authenticator');
  const clones = await auditRows(srv, 'passkey.clone_refused', u.user.id);
  assert.equal(clones.length, 1);
  assert.equal(clones[0].after.id, pk.id);
  // the real one goes on
  const st8 = await atWebauthn(srv, u);
  assert.equal((await assertStep(st8.as, auth.get(st8.opts))).status, 200);
});

test('A4: five failed assertions ban the account; the right one is then refused', async () => {
  const u = await ready();
  const auth = authenticator();
  await registered(u, auth);
  const st = await atWebauthn(srv, u);
  for (let i = 0; i < 5; i++) {
    const bad = await atWebauthn(srv, u);
    assertRefused(
      await assertStep(bad.as, auth.get(bad.opts, null, { badSignature: true })),
      `#${i}`,
    );
  }
  const user = await srv.api('GET', `/api/v1/users/${u.user.id}`);
  assert.ok(user.body.banned_until, 'banned');
  const late = await assertStep(st.as, auth.get(st.opts));
  assert.equal(late.status, 401, 'the right passkey while banned (its session ended: A5)');
  assert.equal((await auditRows(srv, 'user.ban', u.user.id)).length, 1);
  const failures = await auditRows(srv, 'login.failure', u.user.id);
  assert.ok(failures.filter((r) => r.after?.factor === 'webauthn').length >= 5);
});

test('A5: a disabled account cannot pass the step; reset-MFA and deletion clear passkeys', async () => {
  const u = await ready();
  const auth = authenticator();
  await registered(u, auth);
  const st = await atWebauthn(srv, u);
  assert.equal((await srv.api('POST', `/api/v1/users/${u.user.id}/disable`)).status, 200);
  const r = await assertStep(st.as, auth.get(st.opts));
  assert.equal(r.status, 401, 'the session ended with the disable (S4)');
  assert.equal((await srv.api('POST', `/api/v1/users/${u.user.id}/enable`)).status, 200);

  const v = await ready();
  await registered(v, authenticator());
  assert.equal((await srv.api('POST', `/api/v1/users/${v.user.id}/reset-mfa`)).status, 200);
  const after = await signIn(srv, v.username, v.password);
  assert.equal(after.body.next, 'enroll_totp', 'a new second factor is due');
  assert.deepEqual(
    (await asCookie(srv, after.cookie)('GET', '/api/v1/session')).body.next,
    'enroll_totp',
  );
  const count = (id) => Number(dbQuery(srv, `SELECT COUNT(*) FROM passkeys WHERE user_id = ${id}`));
  assert.equal(count(v.user.id), 0, 'reset-MFA removed the passkeys');

  // deleting a user removes its passkeys: none can sign in any more
  const w = await ready();
  await registered(w, authenticator());
  assert.equal(count(w.user.id), 1);
  assert.equal((await srv.api('DELETE', `/api/v1/users/${w.user.id}`)).status, 204);
  assert.equal(count(w.user.id), 0);
});

test('registration refusals: another origin, a replayed challenge, a bad attestation', async () => {
  const u = await ready();
  const auth = authenticator();
  for (const [what, over] of [
    ['origin', { origin: 'http://evil.example' }],
    ['type', { type: 'webauthn.get' }],
    ['RP ID', { rpId: 'evil.example' }],
    ['format', { fmt: 'packed' }],
    ['UP', { up: false }],
  ]) {
    const r = await register(u, auth, { over });
    assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.errors[0].field, 'credential', what);
  }
  const opts = await u.as('POST', '/api/v1/me/passkeys/options');
  const credential = auth.create(opts.body);
  const first = await u.as('POST', '/api/v1/me/passkeys', { body: { name: 'A', credential } });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const again = await u.as('POST', '/api/v1/me/passkeys', {
    body: { name: 'A', credential, current_password: u.password },
  });
  assert.equal(again.status, 400, JSON.stringify(again.body));
  assert.equal(again.body.errors[0].code, 'credential.challenge');
  // the same credential under a fresh challenge: registered already
  const o2 = await u.as('POST', '/api/v1/me/passkeys/options');
  const dup = auth.create(o2.body);
  dup.id = dup.rawId = credential.rawId;
  const r = await u.as('POST', '/api/v1/me/passkeys', {
    body: { name: 'B', credential: dup, current_password: u.password },
  });
  assert.equal(r.status, 400, 'its attestation names another id than the body');
  const unknown = await u.as('POST', '/api/v1/me/passkeys', {
    body: { name: 'B', credential: { ...credential, extra: 1 }, current_password: u.password },
  });
  assert.equal(unknown.status, 400, 'strict JSON (I2)');
});

// ---- password-less ----

async function provider(allow) {
  const t = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('Passkey SP ') },
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  if (allow) {
    const p = await srv.api('PATCH', `/api/v1/tenants/${t.body.id}`, {
      body: { passkey_signin: true },
    });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal(p.body.passkey_signin, true);
  }
  return t.body;
}

async function passwordless(s, auth, over = {}) {
  const o = await s.api('POST', '/api/v1/session/passkey/options', { token: null });
  assert.equal(o.status, 200, JSON.stringify(o.body));
  assert.equal(o.body.userVerification, 'required');
  assert.deepEqual(o.body.allowCredentials, []);
  return s.api('POST', '/api/v1/session/passkey', {
    token: null,
    body: { credential: auth.get(o.body, null, over) },
  });
}

test('password-less sign-in where the provider allows it, refused elsewhere', async () => {
  const yes = await provider(true);
  const no = await provider(false);
  const u = await ready(srv, { provider_id: yes.id });
  const auth = authenticator();
  await registered(u, auth);
  const r = await passwordless(srv, auth);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.next, 'done');
  const cookie = r.headers.getSetCookie().find((c) => c.startsWith('gh_session='));
  const who = await asCookie(srv, cookie.split(';')[0])('GET', '/api/v1/session');
  assert.equal(who.body.user.id, u.user.id);
  const ok = await auditRows(srv, 'login.success', u.user.id);
  assert.ok(ok.some((row) => row.after?.factor === 'passkey'));

  assertRefused(await passwordless(srv, auth, { uv: false }), 'user verification missing');
  assertRefused(await passwordless(srv, auth, { userHandle: 'AAAA' }), 'another user handle');
  const stray = authenticator();
  stray.create({ challenge: 'bm90IHNlbnQ', user: { id: 'dW5rbm93bg' } }); // never registered
  assertRefused(await passwordless(srv, stray), 'unknown credential');

  const v = await ready(srv, { provider_id: no.id });
  const vAuth = authenticator();
  await registered(v, vAuth);
  assertRefused(await passwordless(srv, vAuth), 'the provider does not allow it');
  const staff = await ready(srv);
  const sAuth = authenticator();
  await registered(staff, sAuth);
  assertRefused(await passwordless(srv, sAuth), 'platform staff');

  assert.equal((await srv.api('POST', `/api/v1/users/${u.user.id}/disable`)).status, 200);
  assertRefused(await passwordless(srv, auth), 'a disabled account');
  assert.equal((await srv.api('POST', `/api/v1/users/${u.user.id}/enable`)).status, 200);
  // banned: five wrong assertions
  for (let i = 0; i < 5; i++)
    assertRefused(await passwordless(srv, auth, { badSignature: true }), `bad #${i}`);
  assertRefused(await passwordless(srv, auth), 'a banned account');
  assert.equal((await srv.api('POST', `/api/v1/users/${u.user.id}/unban`)).status, 200);
  assert.equal((await passwordless(srv, auth)).status, 200, 'unbanned');
  // a replayed password-less assertion
  const o = await srv.api('POST', '/api/v1/session/passkey/options', { token: null });
  const cred = auth.get(o.body);
  const send = () =>
    srv.api('POST', '/api/v1/session/passkey', { token: null, body: { credential: cred } });
  assert.equal((await send()).status, 200);
  assertRefused(await send(), 'a replayed password-less assertion');
});

test('tenant setting: only service providers take passkey_signin', async () => {
  const sp = await provider(false);
  const acc = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'platform_account', parent_id: sp.id, name: uniq('Acc ') },
  });
  assert.equal(acc.status, 201, JSON.stringify(acc.body));
  const r = await srv.api('PATCH', `/api/v1/tenants/${acc.body.id}`, {
    body: { passkey_signin: true },
  });
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal((await srv.api('GET', `/api/v1/tenants/${sp.id}`)).body.passkey_signin, false);
});

test(
  'two instances on PostgreSQL: register on A, sign in on B; a challenge passes once',
  { skip: PG_URL ? false : 'needs PostgreSQL: set GATEHOUSE_TEST_PG_URL (make pg)' },
  async () => {
    const b = await restartServer(srv, {
      args: ['--external-url', EXT],
      env: { GATEHOUSE_SIGNIN_RATE_PER_MINUTE: '1000' },
    });
    try {
      const u = await ready(srv);
      const auth = authenticator();
      await registered(u, auth);
      const st = await atWebauthn(b, u);
      const cred = auth.get(st.opts);
      const onA = asCookie(srv, st.cookie);
      const [x, y] = await Promise.all([assertStep(st.as, cred), assertStep(onA, cred)]);
      assert.deepEqual(
        [x.status, y.status].sort(),
        [200, 401],
        'one challenge, sent to both at once, passes once',
      );
      assert.equal((await whoami(st.as)).body.user.id, u.user.id);
    } finally {
      const { code } = await b.kill('SIGTERM');
      assert.equal(code, 0);
    }
  },
);
