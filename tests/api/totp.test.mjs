// Two-factor sign-in (A9-A11, A13, S4, L1, L3): enrolment (a 160-bit base32 secret, its otpauth
// URI and a QR code as SVG, ten recovery codes), mfa_required users enrol before anything else,
// a code from the real `oathtool --totp` passes once and only for the current or the previous
// 30 s step, two parallel requests with one code pass once, recovery codes are single use and
// stored hashed, the seed is encrypted at rest, reset-MFA ends sessions and voids the old device,
// the TOTP step comes only after the password step and gives access to nothing else, it is
// rate-limited, and every failure is audited without any code or secret in audit rows or logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer,
  signIn,
  withCookie,
  createUser,
  changeForced,
  strongPassword,
  testClock,
  oathtool,
  enrolTotp,
  auditRows,
  listAll,
  dbQuery,
} from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';

let srv;
let clock;
const secs = (t) => Date.parse(t) / 1000;
const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
// Every code, secret and recovery code this file handles: none may reach audit rows or logs.
const canaries = { codes: new Set(), strings: new Set() };

before(async () => {
  clock = testClock();
  // The per-address throttle (its own test) would turn this file's many refused codes into 429s.
  srv = await startServer({
    clock,
    env: { GATEHOUSE_ACCESS_LOG: '1', GATEHOUSE_SIGNIN_RATE_PER_MINUTE: '1000' },
  });
});
after(async () => {
  await srv?.stop();
  clock?.remove();
});

// Moves the server clock to 10 s into a step at least 1 + extra steps ahead of now, so that no
// step boundary falls between computing a code and the server checking it. Returns the step.
function midStep(extra = 0) {
  const t = clock.now();
  clock.advance(30 - (t % 30) + 10 + 30 * extra);
  return Math.floor(clock.now() / 30);
}

// The code of a step (the server's clock), remembered as a canary.
function codeAt(secret, step) {
  const c = oathtool(secret, step * 30 + 5);
  canaries.codes.add(c);
  return c;
}

// A 6-digit code that belongs to none of the steps around now.
function wrongCode(secret) {
  const s = Math.floor(clock.now() / 30);
  const near = new Set([-2, -1, 0, 1, 2].map((d) => oathtool(secret, (s + d) * 30 + 5)));
  for (let i = 1; ; i++) {
    const c = String((Number(oathtool(secret, s * 30 + 5)) + 123457 * i) % 1000000).padStart(
      6,
      '0',
    );
    if (!near.has(c)) {
      canaries.codes.add(c);
      return c;
    }
  }
}

function remember({ secret, recovery_codes = [] }) {
  canaries.strings.add(secret);
  for (const c of recovery_codes) canaries.strings.add(c);
}

// A user (with a fresh role holding perms, if any) past the first forced password change.
// Returns {user, username, password, cookie, as, next}.
async function person({ perms = [], mfa_required = false } = {}) {
  const over = { mfa_required };
  if (perms.length) {
    const role = await srv.api('POST', '/api/v1/roles', {
      body: {
        name: uniq('role-'),
        kind: 'service_provider',
        provider_id: null,
        permissions: perms,
      },
    });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    over.role_ids = [role.body.id];
  }
  const { user, username, password: initial } = await createUser(srv, over);
  const s = await signIn(srv, username, initial);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.next, 'change_password', JSON.stringify(s.body));
  const password = strongPassword();
  const next = mfa_required ? 'enroll_totp' : 'done';
  await changeForced(srv, s.cookie, password, next);
  return { user, username, password, cookie: s.cookie, as: withCookie(srv, s.cookie), next };
}

// A user enrolled in TOTP (through its done session); adds {secret, recovery_codes}.
async function enrolledPerson(opts) {
  const p = await person(opts);
  const e = await enrolTotp(srv, p.as, clock);
  canaries.codes.add(e.code);
  remember(e);
  return { ...p, secret: e.secret, recovery_codes: e.recovery_codes };
}

// Signs in with the password; the answer must be next "totp". Returns {cookie, as, body}.
async function toTotpStage(u) {
  const s = await signIn(srv, u.username, u.password);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.next, 'totp', JSON.stringify(s.body));
  assert.ok(s.cookie, 'the totp stage has a session cookie');
  return { cookie: s.cookie, as: withCookie(srv, s.cookie), body: s.body };
}

const sendCode = (as, code) => as('POST', '/api/v1/session/totp', { body: { code } });

async function userOf(id) {
  const r = await srv.api('GET', `/api/v1/users/${id}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

function assertRefused(r, what) {
  assert.equal(r.status, 401, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(r.headers.getSetCookie().length, 0, `${what}: a refused step sets a cookie`);
}

// Decodes RFC 4648 base32 (no padding) into bytes.
function base32Bytes(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let acc = 0;
  const out = [];
  for (const ch of s) {
    const v = alphabet.indexOf(ch);
    assert.ok(v >= 0, `not base32: ${ch}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((acc >> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// Checks that an SVG document is well formed enough: one root <svg> with a square viewBox,
// balanced tags, and dark modules (a <path> of axis-aligned rectangles or <rect>s) that form a
// QR code: size 21 + 4k modules plus the quiet zone, three finder patterns and the timing rows.
function assertQrSvg(svg) {
  assert.equal(typeof svg, 'string');
  assert.ok(
    /^(<\?xml[^>]*\?>\s*)?<svg[\s>]/.test(svg),
    `starts with <?xml or <svg: ${svg.slice(0, 80)}`,
  );
  assert.ok(/<\/svg>\s*$/.test(svg), 'ends with </svg>');
  const stack = [];
  for (const m of svg
    .replace(/^<\?xml[^>]*\?>/, '')
    .matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*?)(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    if (close) assert.equal(stack.pop(), name, `unbalanced </${name}>`);
    else if (!selfClose) stack.push(name);
  }
  assert.equal(stack.length, 0, `unclosed tags: ${stack.join(',')}`);
  assert.match(svg, /<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const vb = /<svg[^>]*viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  assert.ok(vb, 'a viewBox');
  const size = Number(vb[1]);
  assert.equal(Number(vb[2]), size, 'square');

  const dark = Array.from({ length: size }, () => new Array(size).fill(false));
  const fill = (x, y, w, h) => {
    for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) dark[j][i] = true;
  };
  const paths = [...svg.matchAll(/<path[^>]*\sd="([^"]*)"/g)].map((m) => m[1]);
  const rects = [...svg.matchAll(/<rect([^>]*)>/g)].map((m) => m[1]);
  for (const d of paths) {
    const runs = [...d.matchAll(/M(\d+) (\d+)h(\d+)v1h-(\d+)z/g)];
    assert.ok(
      runs.map((r) => r[0]).join('') === d.trim(),
      `the path is rectangles only: ${d.slice(0, 80)}...`,
    );
    for (const [, x, y, w, back] of runs) {
      assert.equal(w, back);
      fill(Number(x), Number(y), Number(w), 1);
    }
  }
  for (const attrs of rects) {
    // a white background covers everything; dark rects are modules
    if (/fill="#(fff|ffffff|FFF|FFFFFF)"|fill="white"/.test(attrs)) continue;
    const n = (k) => Number((new RegExp(`\\b${k}="(\\d+)"`).exec(attrs) || [0, 0])[1]);
    fill(n('x'), n('y'), n('width'), n('height'));
  }
  // The symbol: the bounding box of the dark modules.
  let min = size;
  let max = -1;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      if (dark[y][x]) {
        min = Math.min(min, x, y);
        max = Math.max(max, x, y);
      }
    }
  const n = max - min + 1;
  assert.ok(n >= 21 && (n - 21) % 4 === 0, `QR symbol of ${n} modules`);
  assert.ok(min >= 1, 'a quiet zone');
  const at = (x, y) => dark[min + y][min + x];
  const finder = (ox, oy) => {
    for (let y = 0; y < 7; y++)
      for (let x = 0; x < 7; x++) {
        const ring = Math.max(Math.abs(x - 3), Math.abs(y - 3));
        assert.equal(at(ox + x, oy + y), ring !== 2, `finder pattern at ${ox},${oy}`);
      }
  };
  finder(0, 0);
  finder(n - 7, 0);
  finder(0, n - 7);
  for (let i = 8; i < n - 8; i++) {
    assert.equal(at(i, 6), i % 2 === 0, `timing row at ${i}`);
    assert.equal(at(6, i), i % 2 === 0, `timing column at ${i}`);
  }
}

// The bytes of the database and its WAL.
function dbBytes() {
  if (srv.db.startsWith('postgres'))
    return [execFileSync('pg_dump', [srv.db], { maxBuffer: 64 * 1024 * 1024 })];
  const dir = srv.dir;
  return readdirSync(dir)
    .filter((f) => f.startsWith('gatehouse.db'))
    .map((f) => readFileSync(join(dir, f)));
}

const sql = (query) => dbQuery(srv, query);

test('enrolment: a 160-bit secret, its otpauth URI and a QR code; confirming with oathtool gives ten recovery codes (A11)', async () => {
  const u = await person();
  assert.equal((await u.as('GET', '/api/v1/me/totp')).body.enrolled, false);
  const start = await u.as('POST', '/api/v1/me/totp');
  assert.equal(start.status, 201, JSON.stringify(start.body));
  const { secret, otpauth_uri: uri, qr_svg: svg } = start.body;
  remember({ secret });
  assert.match(secret, /^[A-Z2-7]{32,}$/, 'RFC 4648 base32 without padding');
  assert.ok(secret.length * 5 >= 160, `at least 160 bits: ${secret.length} characters`);
  assert.ok(base32Bytes(secret).length >= 20);

  assert.ok(uri.startsWith('otpauth://totp/'), uri.replace(secret, '<secret>'));
  const url = new URL(uri);
  assert.equal(url.protocol, 'otpauth:');
  assert.equal(url.host, 'totp');
  const label = decodeURIComponent(url.pathname.slice(1));
  assert.equal(label, `Gatehouse:${u.username}`);
  assert.equal(url.searchParams.get('secret'), secret);
  assert.equal(url.searchParams.get('issuer'), 'Gatehouse');
  assert.equal(url.searchParams.get('algorithm'), 'SHA1');
  assert.equal(url.searchParams.get('digits'), '6');
  assert.equal(url.searchParams.get('period'), '30');
  assertQrSvg(svg);

  const pending = await u.as('GET', '/api/v1/me/totp');
  assert.equal(pending.status, 200);
  assert.equal(pending.body.enrolled, false, 'not enrolled before the confirmation');
  assert.equal(pending.body.pending, true);
  assert.equal((await userOf(u.user.id)).mfa_enrolled, false);

  const again = await u.as('POST', '/api/v1/me/totp');
  assert.equal(again.status, 201);
  remember({ secret: again.body.secret });
  assert.notEqual(again.body.secret, secret, 'every enrolment draws a new secret');
  const current = again.body.secret;

  const bad = await u.as('POST', '/api/v1/me/totp/confirm', { body: { code: wrongCode(current) } });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  assert.ok(
    bad.body.errors?.some((e) => e.field === 'code'),
    `names the field code: ${JSON.stringify(bad.body)}`,
  );
  const stale = await u.as('POST', '/api/v1/me/totp/confirm', {
    body: { code: codeAt(secret, Math.floor(clock.now() / 30)) },
  });
  assert.equal(stale.status, 400, 'the code of a replaced pending secret does not confirm');
  assert.equal(
    (await u.as('GET', '/api/v1/me/totp')).body.enrolled,
    false,
    'a wrong code enrols nothing',
  );

  const code = codeAt(current, Math.floor(clock.now() / 30));
  const conf = await u.as('POST', '/api/v1/me/totp/confirm', { body: { code } });
  assert.equal(conf.status, 200, JSON.stringify(conf.body));
  const codes = conf.body.recovery_codes;
  remember({ secret: current, recovery_codes: codes });
  assert.ok(Array.isArray(codes), JSON.stringify(conf.body));
  assert.equal(codes.length, 10, 'exactly ten recovery codes');
  assert.equal(new Set(codes).size, 10, 'distinct');
  for (const c of codes) {
    assert.equal(typeof c, 'string');
    assert.ok(c.replace(/-/g, '').length >= 10, `a recovery code of 50+ bits: ${c}`);
  }
  assert.equal(conf.body.next, 'done');
  const state = await u.as('GET', '/api/v1/me/totp');
  assert.equal(state.status, 200);
  assert.equal(state.body.enrolled, true);
  assert.equal(state.body.pending, false);
  assert.equal((await userOf(u.user.id)).mfa_enrolled, true);
  const shown = await srv.api('GET', `/api/v1/users/${u.user.id}`);
  assert.ok(
    !JSON.stringify(shown.body).includes(current),
    'the user record does not show the secret',
  );
});

test('mfa_required and not enrolled: the sign-in answers enroll_totp; that stage can only enrol, then it is done', async () => {
  const u = await person({ perms: ['users.read'], mfa_required: true });
  assert.equal(u.next, 'enroll_totp', 'the forced password change does not skip enrolment (A9)');
  const s = await signIn(srv, u.username, u.password);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.next, 'enroll_totp');
  const as = withCookie(srv, s.cookie);
  const me = await as('GET', '/api/v1/session');
  assert.equal(me.status, 200);
  assert.equal(me.body.next, 'enroll_totp');
  for (const [method, path, body] of [
    ['GET', '/api/v1/users'],
    ['GET', `/api/v1/users/${u.user.id}`],
    ['GET', '/api/v1/me/sessions'],
    ['POST', '/api/v1/session/totp', { code: '123456' }],
    ['POST', '/api/v1/me/password', { current_password: u.password, password: strongPassword() }],
  ]) {
    const r = await as(method, path, { body });
    assert.equal(
      r.status,
      403,
      `${method} ${path} in stage enroll_totp: ${r.status} ${JSON.stringify(r.body)}`,
    );
  }
  assert.equal((await userOf(u.user.id)).last_login_at, null, 'not signed in yet');
  const state = await as('GET', '/api/v1/me/totp');
  assert.equal(state.status, 200);
  assert.deepEqual([state.body.enrolled, state.body.required], [false, true]);

  const e = await enrolTotp(srv, as, clock);
  remember(e);
  assert.equal(e.next, 'done');
  assert.equal(e.recovery_codes.length, 10);
  assert.equal((await as('GET', '/api/v1/session')).body.next, 'done');
  assert.equal((await as('GET', '/api/v1/users?limit=1')).status, 200, 'done: the role works');
  assert.match(
    (await userOf(u.user.id)).last_login_at || '',
    RFC3339_UTC,
    'enrolment completes the sign-in',
  );

  // From now on the sign-in asks for a code, not for an enrolment.
  midStep();
  const t = await toTotpStage(u);
  const ok = await sendCode(t.as, codeAt(e.secret, Math.floor(clock.now() / 30)));
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.next, 'done');
});

test('A13: a session opened before the enrolment cannot replace the enrolled device and skip the code', async () => {
  const u = await person({ perms: ['users.read'], mfa_required: true });
  // An early password-only session (say, an attacker who has the password) waits at enroll_totp.
  const early = withCookie(srv, u.cookie);
  // The user enrols from another sign-in.
  const s = await signIn(srv, u.username, u.password);
  assert.equal(s.body.next, 'enroll_totp');
  const e = await enrolTotp(srv, withCookie(srv, s.cookie), clock);
  remember(e);
  // The early session now tries to enrol a device of its own.
  const start = await early('POST', '/api/v1/me/totp');
  assert.equal(
    start.status,
    403,
    `a password-only session cannot even start a new enrolment: ${JSON.stringify(start.body)}`,
  );
  assert.equal(start.body.secret, undefined);
  const conf = await early('POST', '/api/v1/me/totp/confirm', {
    body: { code: codeAt(e.secret, Math.floor(clock.now() / 30)) },
  });
  assert.equal(conf.status, 403, `nor confirm one: ${conf.status} ${JSON.stringify(conf.body)}`);
  const me = await early('GET', '/api/v1/session');
  assert.ok(
    me.status === 401 || me.body.next !== 'done',
    `the early session got through: ${JSON.stringify(me.body)}`,
  );
  assert.notEqual((await early('GET', '/api/v1/users?limit=1')).status, 200);
  // The enrolled device still works.
  midStep();
  const t = await toTotpStage(u);
  const ok = await sendCode(t.as, codeAt(e.secret, Math.floor(clock.now() / 30)));
  assert.equal(ok.status, 200, `the user's own device: ${JSON.stringify(ok.body)}`);
});

test('A10: a code from oathtool passes once; the previous step passes; older and future steps do not', async () => {
  const u = await enrolledPerson();
  const before = (await userOf(u.user.id)).last_login_at;
  let step = midStep(2);

  const t1 = await toTotpStage(u);
  assert.equal(
    (await userOf(u.user.id)).last_login_at,
    before,
    'the password step alone is no sign-in',
  );
  assert.equal((await t1.as('GET', '/api/v1/session')).body.next, 'totp');
  const code = codeAt(u.secret, step);
  const ok = await sendCode(t1.as, code);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.next, 'done');
  assert.equal((await t1.as('GET', '/api/v1/session')).body.next, 'done');
  const last = (await userOf(u.user.id)).last_login_at;
  assert.match(last || '', RFC3339_UTC);
  assert.ok(
    Math.abs(secs(last) - clock.now()) <= 5,
    `last_login_at ${last} is the TOTP step's time, not ${before}`,
  );

  // The same code in a new sign-in, still within its step: refused.
  const t2 = await toTotpStage(u);
  assertRefused(await sendCode(t2.as, code), 'the same code again');
  assert.equal(
    (await t2.as('GET', '/api/v1/session')).body.next,
    'totp',
    'a refused code leaves the stage',
  );

  // The previous step's code (one not used yet) passes.
  step = midStep(1);
  const prev = await sendCode(t2.as, codeAt(u.secret, step - 1));
  assert.equal(prev.status, 200, `the previous step's code: ${JSON.stringify(prev.body)}`);
  assert.equal(prev.body.next, 'done');

  // Two steps old, one step ahead and two steps ahead: refused (none of them was used).
  step = midStep(3);
  const t3 = await toTotpStage(u);
  assertRefused(await sendCode(t3.as, codeAt(u.secret, step - 2)), 'a code two steps old');
  assertRefused(await sendCode(t3.as, codeAt(u.secret, step + 2)), 'a code two steps ahead');
  assertRefused(await sendCode(t3.as, codeAt(u.secret, step + 1)), 'a code one step ahead');
  assertRefused(await sendCode(t3.as, wrongCode(u.secret)), 'a wrong code');
  const cur = await sendCode(t3.as, codeAt(u.secret, step));
  assert.equal(
    cur.status,
    200,
    `the current code still passes after those refusals: ${JSON.stringify(cur.body)}`,
  );

  // Once the current step's code passed, the previous step's (never used) no longer does: the
  // accepted step only moves forward.
  step = midStep(1);
  const t4 = await toTotpStage(u);
  assert.equal((await sendCode(t4.as, codeAt(u.secret, step))).status, 200);
  const t5 = await toTotpStage(u);
  assertRefused(
    await sendCode(t5.as, codeAt(u.secret, step - 1)),
    'the previous step after the current one passed',
  );
});

test('A10: two parallel requests with one valid code from two sessions of one user: exactly one passes', async () => {
  const u = await enrolledPerson();
  for (let round = 0; round < 4; round++) {
    const step = midStep(1);
    const a = await toTotpStage(u);
    const b = await toTotpStage(u);
    const code = codeAt(u.secret, step);
    const rs = await Promise.all([sendCode(a.as, code), sendCode(b.as, code)]);
    const statuses = rs.map((r) => r.status).sort();
    assert.deepEqual(
      statuses,
      [200, 401],
      `round ${round}: ${rs.map((r) => `${r.status} ${JSON.stringify(r.body)}`).join(' | ')}`,
    );
    const nexts = await Promise.all(
      [a, b].map(async (s) => (await s.as('GET', '/api/v1/session')).body.next),
    );
    assert.deepEqual(
      nexts.sort(),
      ['done', 'totp'],
      `round ${round}: one session done, the other still at totp`,
    );
  }
});

test('A11: a recovery code works once in place of a code; recovery codes and the seed are not stored in clear', async () => {
  const u = await enrolledPerson();
  const [first, second] = u.recovery_codes;
  const t1 = await toTotpStage(u);
  const ok = await sendCode(t1.as, first);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.next, 'done');
  assert.equal((await t1.as('GET', '/api/v1/session')).body.next, 'done');

  const t2 = await toTotpStage(u);
  assertRefused(await sendCode(t2.as, first), 'a used recovery code');
  assertRefused(await sendCode(t2.as, 'zzzz-zzzz-zz'), 'a made-up recovery code');
  const other = await sendCode(t2.as, second);
  assert.equal(other.status, 200, `another recovery code: ${JSON.stringify(other.body)}`);
  const t3 = await toTotpStage(u);
  assertRefused(await sendCode(t3.as, second), 'the second code used twice');
  const rows = (await auditRows(srv, 'login.failure', u.user.id)).filter(
    (r) => r.after?.factor === 'recovery_code',
  );
  assert.equal(rows.length, 3, `recovery code failures are audited: ${JSON.stringify(rows)}`);

  // At rest: ten rows of hashes, none of them a code; the seed only sealed.
  const stored = sql(`SELECT code_hash FROM recovery_codes WHERE user_id = ${Number(u.user.id)}`)
    .trim()
    .split('\n');
  assert.equal(stored.length, 10, stored.join('\n'));
  const seal = sql(`SELECT totp_secret FROM users WHERE id = ${Number(u.user.id)}`).trim();
  assert.ok(seal.length > 0, 'a sealed secret is stored');
  assert.notEqual(seal.toUpperCase(), u.secret);
  const raw = base32Bytes(u.secret);
  const needles = [
    u.secret,
    u.secret.toLowerCase(),
    raw.toString('hex'),
    raw.toString('base64'),
    raw.toString('base64url'),
  ]
    .map((s) => Buffer.from(s))
    .concat([raw]);
  for (const c of u.recovery_codes) {
    assert.ok(!stored.includes(c), c);
    for (const form of [c, c.replace(/-/g, ''), c.toUpperCase(), c.replace(/-/g, '').toUpperCase()])
      needles.push(Buffer.from(form));
  }
  const files = dbBytes();
  assert.ok(
    files.length >= 1 && files.some((f) => f.includes(Buffer.from('recovery_codes'))),
    'read the database',
  );
  for (const n of needles) {
    for (const f of files)
      assert.equal(
        f.indexOf(n),
        -1,
        `found ${n.length === raw.length ? 'the raw seed' : n.toString()} in the database files`,
      );
  }
});

test('S4: reset-MFA by an admin ends the sessions, the next sign-in enrols a new secret, the old device is void', async () => {
  const u = await person({ mfa_required: true });
  const e = await enrolTotp(srv, u.as, clock);
  remember(e);
  assert.equal(e.next, 'done');
  midStep();
  const pendingTotp = await toTotpStage(u); // a sign-in half way through
  const done = u.as;
  assert.equal((await done('GET', '/api/v1/session')).status, 200);

  const r = await srv.api('POST', `/api/v1/users/${u.user.id}/reset-mfa`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.mfa_enrolled, false);
  assert.equal((await done('GET', '/api/v1/session')).status, 401, 'the done session ended');
  assert.equal(
    (await pendingTotp.as('GET', '/api/v1/session')).status,
    401,
    'the totp-stage session ended',
  );
  assert.equal((await auditRows(srv, 'user.reset_mfa', u.user.id)).length, 1);

  // Old codes, recovery codes included, do not get a new sign-in anywhere.
  let step = midStep(1);
  const s = await signIn(srv, u.username, u.password);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.next, 'enroll_totp', 'must enrol a new device');
  const as = withCookie(srv, s.cookie);
  assert.equal(
    (await sendCode(as, codeAt(e.secret, step))).status,
    403,
    'no totp step in stage enroll_totp',
  );
  assert.equal((await sendCode(as, e.recovery_codes[0])).status, 403);
  const start = await as('POST', '/api/v1/me/totp');
  assert.equal(start.status, 201, JSON.stringify(start.body));
  remember({ secret: start.body.secret });
  assert.notEqual(start.body.secret, e.secret, 'a new secret');
  const oldAtConfirm = await as('POST', '/api/v1/me/totp/confirm', {
    body: { code: codeAt(e.secret, step) },
  });
  assert.equal(oldAtConfirm.status, 400, 'the old device cannot confirm the new enrolment');
  const conf = await as('POST', '/api/v1/me/totp/confirm', {
    body: { code: codeAt(start.body.secret, step) },
  });
  assert.equal(conf.status, 200, JSON.stringify(conf.body));
  remember({ secret: start.body.secret, recovery_codes: conf.body.recovery_codes });
  assert.equal(conf.body.next, 'done');

  step = midStep(1);
  const t = await toTotpStage(u);
  assertRefused(await sendCode(t.as, codeAt(e.secret, step)), "the old device's current code");
  assertRefused(await sendCode(t.as, e.recovery_codes[1]), 'an old recovery code');
  const ok = await sendCode(t.as, codeAt(start.body.secret, step));
  assert.equal(ok.status, 200, `the new device: ${JSON.stringify(ok.body)}`);
});

test('A13: the TOTP step needs a passed password step and a session at stage totp; stage totp opens nothing else', async () => {
  const u = await enrolledPerson({
    perms: [
      'users.read',
      'users.update',
      'users.mfa_reset',
      'audit.read',
      'tenants.read',
      'roles.read',
    ],
  });
  const step = midStep(1);
  const code = codeAt(u.secret, step);

  // No password step passed: a refused password gives no session, and without one the step is 401.
  const failed = await signIn(srv, u.username, `${u.password} but wrong`);
  assertRefused(failed, 'wrong password');
  assert.equal(failed.cookie, null);
  const none = await srv.api('POST', '/api/v1/session/totp', {
    token: null,
    body: { code },
    headers: { origin: srv.base },
  });
  assert.equal(none.status, 401, JSON.stringify(none.body));
  const madeUp = await withCookie(srv, 'gh_session=gh_' + 'A'.repeat(43))(
    'POST',
    '/api/v1/session/totp',
    { body: { code } },
  );
  assert.equal(madeUp.status, 401, JSON.stringify(madeUp.body));
  const bearer = await srv.api('POST', '/api/v1/session/totp', { body: { code } });
  assert.equal(bearer.status, 403, `a bearer token is no sign-in: ${JSON.stringify(bearer.body)}`);

  // A done session cannot pass the step again; the refusal does not spend the code.
  assert.equal((await u.as('GET', '/api/v1/session')).body.next, 'done');
  const again = await sendCode(u.as, code);
  assert.equal(again.status, 403, `the step in a done session: ${JSON.stringify(again.body)}`);

  // Stage totp: only the /api/v1/session routes answer.
  const t = await toTotpStage(u);
  const denied = [
    ['GET', '/api/v1/users'],
    ['GET', `/api/v1/users/${u.user.id}`],
    ['GET', '/api/v1/permissions'],
    ['GET', '/api/v1/audit'],
    ['GET', '/api/v1/tenants'],
    ['GET', '/api/v1/roles'],
    ['GET', '/api/v1/me/sessions'],
    ['GET', '/api/v1/me/totp'],
    ['POST', '/api/v1/me/totp'],
    ['POST', '/api/v1/me/totp/confirm', { code }],
    ['POST', '/api/v1/me/password', { current_password: u.password, password: strongPassword() }],
    ['POST', `/api/v1/users/${u.user.id}/reset-mfa`],
    ['DELETE', `/api/v1/users/${u.user.id}/sessions`],
    ['POST', '/api/v1/session/password', { password: strongPassword() }],
  ];
  for (const [method, path, body] of denied) {
    const r = await t.as(method, path, { body });
    assert.equal(
      r.status,
      403,
      `${method} ${path} in stage totp: ${r.status} ${JSON.stringify(r.body)}`,
    );
  }
  assert.equal((await userOf(u.user.id)).mfa_enrolled, true, 'nothing was changed from stage totp');
  const who = await t.as('GET', '/api/v1/session');
  assert.equal(who.status, 200);
  assert.equal(who.body.next, 'totp');
  const ok = await sendCode(t.as, code);
  assert.equal(
    ok.status,
    200,
    `the code the done session could not use still works: ${JSON.stringify(ok.body)}`,
  );

  // Steps in order: an enrolled user made to change the password passes the code first.
  assert.equal(
    (await srv.api('POST', `/api/v1/users/${u.user.id}/force-password-reset`)).status,
    200,
  );
  midStep(1);
  const f = await toTotpStage(u);
  assert.equal(
    (await f.as('POST', '/api/v1/session/password', { body: { password: strongPassword() } }))
      .status,
    403,
    'no password change before the code',
  );
  const passed = await sendCode(f.as, codeAt(u.secret, Math.floor(clock.now() / 30)));
  assert.equal(passed.status, 200, JSON.stringify(passed.body));
  assert.equal(passed.body.next, 'change_password');
  const twice = await sendCode(f.as, codeAt(u.secret, Math.floor(clock.now() / 30) - 1));
  assert.equal(
    twice.status,
    403,
    `the step once passed (stage change_password): ${JSON.stringify(twice.body)}`,
  );
  const pw = strongPassword();
  await changeForced(srv, f.cookie, pw, 'done');

  const signOut = await withCookie(srv, f.cookie)('DELETE', '/api/v1/session');
  assert.equal(signOut.status, 204);
});

test('A10, A4: the TOTP step is rate-limited, also against a parallel burst; no code passes once the ban is in place', async () => {
  const u = await enrolledPerson();
  const step = midStep(1);
  const t = await toTotpStage(u);
  const right = codeAt(u.secret, step);
  const burst = [];
  for (let i = 0; i < 24; i++) burst.push(i === 8 ? right : wrongCode(u.secret));
  const rs = await Promise.all(burst.map((c) => sendCode(t.as, c)));
  // once the right code passed, the session is signed in: a code still arriving for it finds no
  // TOTP step to pass (403, S9/A13) rather than another try
  const passed = rs.some((r) => r.status === 200);
  for (const r of rs)
    assert.ok(
      r.status === 200 ||
        r.status === 401 ||
        r.status === 429 ||
        (passed && r.status === 403 && /finish signing in first/.test(r.body.detail)),
      `${r.status} ${JSON.stringify(r.body)}`,
    );
  const bans = await auditRows(srv, 'user.ban', u.user.id);
  const successes = (await auditRows(srv, 'login.success', u.user.id)).filter(
    (r) => r.after?.factor === 'totp',
  );
  assert.ok(bans.length <= 1, `at most one ban: ${bans.length}`);
  if (rs[8].status !== 200) assert.equal(bans.length, 1, 'the burst of wrong codes banned');
  for (const b of bans) {
    for (const s of successes)
      assert.ok(s.id < b.id, `a code passed after the ban: success ${s.id}, ban ${b.id}`);
  }
  // Whatever the burst did: five wrong codes in a row ban, and then the right code is refused.
  let stage = rs[8].status === 200 ? null : t;
  if (!(await userOf(u.user.id)).banned_until || !stage) {
    if ((await userOf(u.user.id)).banned_until) {
      assert.equal((await srv.api('POST', `/api/v1/users/${u.user.id}/unban`)).status, 200);
    }
    stage = await toTotpStage(u);
    for (let i = 0; i < 5; i++)
      assertRefused(await sendCode(stage.as, wrongCode(u.secret)), `wrong code ${i + 1}`);
  }
  assert.ok((await userOf(u.user.id)).banned_until, 'banned');
  const later = midStep(0);
  assert.ok(stage, 'a session at stage totp to try the right code with');
  assertRefused(await sendCode(stage.as, codeAt(u.secret, later)), 'the right code while banned');
  assert.equal((await signIn(srv, u.username, u.password)).status, 401, 'the password step too');
  assert.equal((await srv.api('POST', `/api/v1/users/${u.user.id}/unban`)).status, 200);
});

test('L1, L3: every TOTP failure is audited as login.failure with factor totp; no code or secret in audit rows or logs', async () => {
  const u = await enrolledPerson();
  const step = midStep(1);
  const t = await toTotpStage(u);
  const beforeRows = (await auditRows(srv, 'login.failure', u.user.id)).length;
  const good = codeAt(u.secret, step);
  const fails = [wrongCode(u.secret), codeAt(u.secret, step - 2), codeAt(u.secret, step + 2)];
  for (const c of fails) assertRefused(await sendCode(t.as, c), `code ${c}`);
  assert.equal((await sendCode(t.as, good)).status, 200);
  const t2 = await toTotpStage(u);
  assertRefused(await sendCode(t2.as, good), 'replayed code');
  assert.equal((await sendCode(t2.as, u.recovery_codes[0])).status, 200);

  const rows = await auditRows(srv, 'login.failure', u.user.id);
  const totpRows = rows.filter((r) => r.after?.factor === 'totp');
  assert.equal(rows.length - beforeRows, 4, `four failures, four rows: ${JSON.stringify(rows)}`);
  assert.equal(totpRows.length, 4, `factor totp on each: ${JSON.stringify(rows)}`);
  for (const r of totpRows) {
    assert.equal(r.target_id, u.user.id);
    assert.equal(r.actor_id, u.user.id);
    assert.ok(r.ip && r.request_id, JSON.stringify(r));
  }
  const successes = await auditRows(srv, 'login.success', u.user.id);
  const success = successes.filter((r) => r.after?.factor === 'totp');
  assert.ok(success.length >= 1, 'successes are audited with factor totp');
  const recovered = successes.filter((r) => r.after?.factor === 'recovery_code');
  assert.equal(recovered.length, 1, 'a recovery code passes the step as factor recovery_code');

  // The canaries: every code, secret and recovery code this file used, in no audit row and no log.
  const all = JSON.stringify(await listAll(srv, '/api/v1/audit'));
  const logs = srv.logs.join('\n');
  assert.ok(logs.includes('/api/v1/session/totp'), 'the access log is on');
  for (const c of canaries.codes) {
    const re = new RegExp(`(?<![0-9A-Za-z])${c}(?![0-9A-Za-z])`);
    assert.ok(!re.test(all), `a code (${c}) in the audit trail`);
    assert.ok(!re.test(logs), `a code (${c}) in the logs`);
  }
  for (const s of canaries.strings) {
    for (const form of new Set([s, s.toLowerCase(), s.replace(/-/g, '')])) {
      assert.ok(!all.includes(form), `a secret or recovery code in the audit trail: ${form}`);
      assert.ok(!logs.includes(form), `a secret or recovery code in the logs: ${form}`);
    }
  }
});
