// Sessions: server-side records behind an opaque cookie, a tampered cookie gets 401, sign-out
// deletes the record (S1); a new session at every sign-in (S2); idle timeout and absolute lifetime
// on an injectable clock (S3); disable, delete, force-reset and reset-MFA end every session of the
// user at once (S4); users list and end their own sessions, admins only inside their scope (S5).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  userWithPerms,
  ROOT_PASSWORD,
  signIn,
  withCookie,
  readyUser,
  testClock,
} from './lib/server.mjs';

let srv;
let clock;
const secs = (t) => Date.parse(t) / 1000;

before(async () => {
  clock = testClock();
  srv = await startServer({ clock });
});
after(async () => {
  await srv?.stop();
  clock?.remove();
});

async function alive(cookie, what = '') {
  const r = await withCookie(srv, cookie)('GET', '/api/v1/session');
  assert.equal(
    r.status,
    200,
    `${what}: expected a live session, got ${r.status} ${JSON.stringify(r.body)}`,
  );
  return r.body;
}

async function dead(cookie, what = '') {
  const r = await withCookie(srv, cookie)('GET', '/api/v1/session');
  assert.equal(r.status, 401, `${what}: expected 401, got ${r.status} ${JSON.stringify(r.body)}`);
  const r2 = await withCookie(srv, cookie)('GET', '/api/v1/users?limit=1');
  assert.equal(r2.status, 401, `${what}: GET /api/v1/users: ${r2.status}`);
}

async function sessionIdsOf(userId, token = srv.token) {
  const r = await srv.api('GET', `/api/v1/users/${userId}/sessions`, { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items.map((s) => s.id);
}

test('S1: a tampered, truncated, extended or made-up cookie gets 401', async () => {
  const s = await signIn(srv, 'root', ROOT_PASSWORD);
  await alive(s.cookie, 'the real cookie');
  const v = s.token;
  const mid = Math.floor(v.length / 2);
  const flip = (ch) => (ch === 'A' ? 'B' : 'A');
  const variants = {
    'one character changed': v.slice(0, mid) + flip(v[mid]) + v.slice(mid + 1),
    'last character changed': v.slice(0, -1) + flip(v.at(-1)),
    truncated: v.slice(0, -1),
    extended: `${v}A`,
    'made up': `gh_${'A'.repeat(43)}`,
    empty: '',
    'upper-cased': v.toUpperCase() === v ? v.toLowerCase() : v.toUpperCase(),
    'very long': 'x'.repeat(300),
  };
  for (const [what, value] of Object.entries(variants)) {
    if (value === v) continue;
    const r = await withCookie(srv, `gh_session=${value}`)('GET', '/api/v1/session');
    assert.equal(r.status, 401, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const other = await withCookie(srv, `other_cookie=${v}`)('GET', '/api/v1/session');
  assert.equal(other.status, 401, 'the token under another cookie name');
  await alive(s.cookie, 'still fine after the attempts');
});

test('S1: sign-out deletes the session record and clears the cookie', async () => {
  const u = await readyUser(srv);
  const me = await alive(u.cookie);
  assert.ok((await sessionIdsOf(u.user.id)).includes(me.session.id));
  const out = await u.as('DELETE', '/api/v1/session');
  assert.equal(out.status, 204, JSON.stringify(out.body));
  const cleared = out.headers.getSetCookie().find((l) => l.startsWith('gh_session='));
  assert.ok(cleared, `no Set-Cookie on sign-out: ${out.headers.getSetCookie()}`);
  assert.match(cleared, /^gh_session=;/, cleared);
  assert.match(cleared, /Max-Age=0/i, cleared);
  assert.match(cleared, /Path=\//, cleared);
  await dead(u.cookie, 'after sign-out');
  assert.ok(!(await sessionIdsOf(u.user.id)).includes(me.session.id), 'the record is gone');
  const again = await u.as('DELETE', '/api/v1/session');
  assert.equal(again.status, 401, 'signing out twice');
});

test('S2: every sign-in makes a new session; a cookie sent along is never adopted', async () => {
  const u = await readyUser(srv);
  const a = await signIn(srv, u.username, u.password);
  const b = await signIn(srv, u.username, u.password);
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  assert.notEqual(a.token, b.token);
  assert.notEqual(a.body.session.id, b.body.session.id);
  // Signing in again with the current cookie in the request gives a new token.
  const c = await signIn(srv, u.username, u.password, { headers: { cookie: a.cookie } });
  assert.equal(c.status, 200);
  assert.notEqual(c.token, a.token, 'the old token was reused');
  assert.notEqual(c.body.session.id, a.body.session.id);
  // Fixation: a token chosen by an attacker and planted in the browser is not adopted.
  const planted = `gh_${'Fixat10n'.repeat(6).slice(0, 43)}`;
  const d = await signIn(srv, u.username, u.password, {
    headers: { cookie: `gh_session=${planted}` },
  });
  assert.equal(d.status, 200);
  assert.notEqual(d.token, planted);
  await dead(`gh_session=${planted}`, 'the planted token');
  for (const s of [a, b, c, d]) await alive(s.cookie, 'each sign-in has its own live session');
  const ids = await sessionIdsOf(u.user.id);
  for (const s of [a, b, c, d])
    assert.ok(ids.includes(s.body.session.id), `session ${s.body.session.id} listed`);
});

test('S3: idle timeout (30 min by default): activity keeps a session alive, 30 min of silence ends it', async () => {
  const u = await readyUser(srv);
  const quiet = await signIn(srv, u.username, u.password);
  const start = (await alive(u.cookie)).session;
  // Requests just before the idle limit, each more than a minute apart, keep it alive well past 30 min.
  for (let i = 1; i <= 3; i++) {
    clock.advance(1790);
    const me = await alive(u.cookie, `after ${i} x 1790 s of silence`);
    assert.ok(
      secs(me.session.last_seen_at) >= secs(start.last_seen_at) + 1790 * i - 5,
      `last_seen_at moves: ${me.session.last_seen_at} (start ${start.last_seen_at})`,
    );
  }
  await dead(quiet.cookie, 'a session untouched for 3 x 1790 s');
  clock.advance(1801);
  await dead(u.cookie, 'after 1801 s of silence');
});

test('S3: the absolute lifetime (12 h by default) ends a session even while it is in use', async () => {
  const u = await readyUser(srv);
  const s = await signIn(srv, u.username, u.password);
  assert.equal(secs(s.body.session.expires_at) - secs(s.body.session.created_at), 43200);
  assert.equal(s.setCookie.attrs['max-age'], '43200');
  const o0 = clock.offset;
  for (let k = 1; k <= 25; k++) {
    clock.set(o0 + 1700 * k);
    await alive(s.cookie, `active at ${1700 * k} s`);
  }
  clock.set(o0 + 43200 + 5);
  await dead(s.cookie, 'past 12 h, 705 s after the last request');
  const fresh = await signIn(srv, u.username, u.password);
  assert.equal(fresh.status, 200, 'signing in again works');
});

test('S3: --session-idle-seconds and --session-lifetime-seconds are honoured', async () => {
  const c2 = testClock();
  const s2 = await startServer({
    args: ['--session-idle-seconds', '300', '--session-lifetime-seconds', '900'],
    clock: c2,
  });
  try {
    const a = await signIn(s2, 'root', ROOT_PASSWORD);
    const b = await signIn(s2, 'root', ROOT_PASSWORD);
    assert.equal(a.status, 200);
    assert.equal(a.setCookie.attrs['max-age'], '900');
    assert.equal(secs(a.body.session.expires_at) - secs(a.body.session.created_at), 900);
    const get = (s) => withCookie(s2, s.cookie)('GET', '/api/v1/session');
    for (let i = 1; i <= 3; i++) {
      c2.advance(290);
      assert.equal((await get(a)).status, 200, `a, idle 290 s, ${290 * i} s old`);
    }
    assert.equal((await get(b)).status, 401, 'b: 870 s without a request, idle limit 300 s');
    c2.advance(40);
    assert.equal((await get(a)).status, 401, 'a: 910 s old, lifetime 900 s');
  } finally {
    await s2.stop();
    c2.remove();
  }
});

test('S4: disable, delete, force-password-reset and reset-mfa end every session of the user at once', async () => {
  for (const action of ['disable', 'delete', 'force-password-reset', 'reset-mfa']) {
    const u = await readyUser(srv, { permissions: ['users.read'] });
    const second = await signIn(srv, u.username, u.password);
    assert.equal(second.body.next, 'done');
    await alive(u.cookie, action);
    await alive(second.cookie, action);
    assert.equal(
      (await srv.api('GET', '/api/v1/users?limit=1', { token: u.token })).status,
      200,
      'bearer before',
    );
    const r =
      action === 'delete'
        ? await srv.api('DELETE', `/api/v1/users/${u.user.id}`)
        : await srv.api('POST', `/api/v1/users/${u.user.id}/${action}`);
    assert.ok(
      r.status === 200 || r.status === 204,
      `${action}: ${r.status} ${JSON.stringify(r.body)}`,
    );
    await dead(u.cookie, `${action}: first session`);
    await dead(second.cookie, `${action}: second session`);
    if (action === 'disable' || action === 'delete') {
      const bearer = await srv.api('GET', '/api/v1/users?limit=1', { token: u.token });
      assert.equal(bearer.status, 401, `${action}: the user's bearer token still works`);
    }
    if (action !== 'delete')
      assert.deepEqual(await sessionIdsOf(u.user.id), [], `${action}: records left`);
    if (action === 'disable') {
      assert.equal((await srv.api('POST', `/api/v1/users/${u.user.id}/enable`)).status, 200);
      await dead(u.cookie, 'enable does not bring old sessions back');
      assert.equal(
        (await signIn(srv, u.username, u.password)).status,
        200,
        're-enabled user signs in anew',
      );
    }
  }
});

test('S4, A5: an admin ends all sessions of a user; login_enabled=false refuses existing sessions', async () => {
  const u = await readyUser(srv);
  const second = await signIn(srv, u.username, u.password);
  const r = await srv.api('DELETE', `/api/v1/users/${u.user.id}/sessions`);
  assert.equal(r.status, 204, JSON.stringify(r.body));
  await dead(u.cookie, 'all ended: first');
  await dead(second.cookie, 'all ended: second');

  const v = await readyUser(srv);
  const p = await srv.api('PATCH', `/api/v1/users/${v.user.id}`, {
    body: { login_enabled: false },
  });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  await dead(v.cookie, 'login disabled');
});

test('S5: users list their own sessions (current flagged) and end one of them', async () => {
  const u = await readyUser(srv);
  const other = await signIn(srv, u.username, u.password, {
    headers: { 'user-agent': 'second-device/2.0' },
  });
  const mine = await alive(u.cookie);
  const list = await u.as('GET', '/api/v1/me/sessions');
  assert.equal(list.status, 200, JSON.stringify(list.body));
  const items = list.body.items;
  assert.equal(items.length, 2, JSON.stringify(items));
  assert.deepEqual(
    items.filter((s) => s.current).map((s) => s.id),
    [mine.session.id],
    'exactly the current one is flagged',
  );
  const o = items.find((s) => s.id === other.body.session.id);
  assert.ok(o, 'the other session is listed');
  assert.equal(o.current, false);
  assert.equal(o.user_agent, 'second-device/2.0');
  assert.equal(o.ip, '127.0.0.1');
  for (const s of items) {
    for (const k of ['token', 'token_hash', 'cookie']) assert.ok(!(k in s), k);
    assert.ok(
      !JSON.stringify(s).includes(u.cookie.split('=')[1]) &&
        !JSON.stringify(s).includes(other.token),
      'a token is listed',
    );
  }
  // Ending needs same-origin like every cookie-carried change.
  const csrf = await u.as('DELETE', `/api/v1/me/sessions/${o.id}`, {
    origin: 'http://evil.example',
  });
  assert.equal(csrf.status, 403);
  await alive(other.cookie, 'survives the cross-site attempt');

  const end = await u.as('DELETE', `/api/v1/me/sessions/${o.id}`);
  assert.equal(end.status, 204, JSON.stringify(end.body));
  await dead(other.cookie, 'ended from the list');
  await alive(u.cookie, 'the current one stays');
  assert.equal((await u.as('GET', '/api/v1/me/sessions')).body.items.length, 1);
  const again = await u.as('DELETE', `/api/v1/me/sessions/${o.id}`);
  assert.equal(again.status, 404, 'already ended');

  // Someone else's session id is not mine to end.
  const v = await readyUser(srv);
  const vid = (await alive(v.cookie)).session.id;
  const foreign = await u.as('DELETE', `/api/v1/me/sessions/${vid}`);
  assert.equal(foreign.status, 404, JSON.stringify(foreign.body));
  await alive(v.cookie, "another user's session survives");
  // Ending the current session from the list signs out.
  const self = await u.as('DELETE', `/api/v1/me/sessions/${mine.session.id}`);
  assert.equal(self.status, 204);
  await dead(u.cookie, 'ended the current one');
});

test("S5: admins list and end a user's sessions only inside their scope (404 outside)", async () => {
  const mkProvider = async (name) => {
    const r = await srv.api('POST', '/api/v1/tenants', {
      body: { kind: 'service_provider', name: `${name} ${Date.now().toString(36)}` },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id;
  };
  const P = await mkProvider('Sessions P');
  const Q = await mkProvider('Sessions Q');
  const admin = await userWithPerms(srv, ['users.read', 'users.update'], { provider_id: P });
  const inP = await readyUser(srv, { provider_id: P });
  const inP2 = await signIn(srv, inP.username, inP.password);
  const inQ = await readyUser(srv, { provider_id: Q });
  const sidP = (await alive(inP.cookie)).session.id;
  const sidQ = (await alive(inQ.cookie)).session.id;

  const listP = await srv.api('GET', `/api/v1/users/${inP.user.id}/sessions`, {
    token: admin.token,
  });
  assert.equal(listP.status, 200, JSON.stringify(listP.body));
  assert.deepEqual(
    listP.body.items.map((s) => s.id).sort((a, b) => a - b),
    [sidP, inP2.body.session.id].sort((a, b) => a - b),
  );
  for (const s of listP.body.items) assert.ok(!('current' in s) || s.current === false);

  const outside = [
    ['GET', `/api/v1/users/${inQ.user.id}/sessions`],
    ['DELETE', `/api/v1/users/${inQ.user.id}/sessions/${sidQ}`],
    ['DELETE', `/api/v1/users/${inQ.user.id}/sessions`],
  ];
  for (const [method, path] of outside) {
    const r = await srv.api(method, path, { token: admin.token });
    assert.equal(
      r.status,
      404,
      `${method} ${path} outside the admin's scope: ${r.status} ${JSON.stringify(r.body)}`,
    );
  }
  // A session id of an outside user under an inside user's path is not found either.
  const mixed = await srv.api('DELETE', `/api/v1/users/${inP.user.id}/sessions/${sidQ}`, {
    token: admin.token,
  });
  assert.equal(mixed.status, 404, JSON.stringify(mixed.body));
  await alive(inQ.cookie, "the outside user's session survives");

  const one = await srv.api('DELETE', `/api/v1/users/${inP.user.id}/sessions/${sidP}`, {
    token: admin.token,
  });
  assert.equal(one.status, 204, JSON.stringify(one.body));
  await dead(inP.cookie, 'ended by the admin');
  await alive(inP2.cookie, 'only that one');
  const all = await srv.api('DELETE', `/api/v1/users/${inP.user.id}/sessions`, {
    token: admin.token,
  });
  assert.equal(all.status, 204, JSON.stringify(all.body));
  await dead(inP2.cookie, 'all ended by the admin');

  // Without users.read there is no listing at all.
  const nobody = await userWithPerms(srv, []);
  const denied = await srv.api('GET', `/api/v1/users/${inQ.user.id}/sessions`, {
    token: nobody.token,
  });
  assert.equal(denied.status, 403, JSON.stringify(denied.body));
  // The platform superadmin sees the outside user's session.
  assert.ok((await sessionIdsOf(inQ.user.id)).includes(sidQ));
});
