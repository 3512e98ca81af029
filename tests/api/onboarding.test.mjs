// Onboarding by e-mail (SECURITY A5, A8, A9, I4, L1, L3): an invited user gets a real e-mail
// (a real SMTP server: python3-aiosmtpd), follows its link's token through the API, chooses a
// password and signs in; the link works once, expires 24 h after sending (moved clock), is voided
// by a re-send; re-sending is limited (429) and reserved to admins holding every users.* permission
// (403); zh users get the Chinese template; CR/LF in addresses and names are refused at input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  adminWith,
  signIn,
  strongPassword,
  testClock,
  auditRows,
  listAll,
} from './lib/server.mjs';
import { assertProblem, uniq, USERS_ALL } from './lib/helpers.mjs';
import { startSmtp, parts, linkToken } from './lib/smtp.mjs';

let srv, smtp, clock;
const seenTokens = [];

before(async () => {
  smtp = await startSmtp();
  clock = testClock();
  srv = await startServer({ args: ['--smtp-url', smtp.url, '--mail-retry-seconds', '1'], clock });
});

after(async () => {
  await srv?.stop();
  await smtp?.stop();
  clock?.remove();
});

// Creates an invited user (no password); returns {user, username, email}.
async function invite(over = {}) {
  const username = over.username || uniq('inv');
  const email = over.email || `${username}@example.com`;
  const r = await srv.api('POST', '/api/v1/users', { body: { username, email, ...over } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.status, 'invited');
  return { user: r.body, username, email };
}

// Waits for the n-th message (1-based) to addr and returns it with its token.
async function mailTo(addr, n = 1) {
  await smtp.waitFor(() => smtp.messages().filter(smtp.to(addr)).length >= n, {
    what: `message ${n} to ${addr}`,
  });
  const m = smtp.messages().filter(smtp.to(addr))[n - 1];
  const token = linkToken(m);
  seenTokens.push(token);
  return { m, token };
}

// Polls the user record until pred(onboarding) holds.
async function onboardingUntil(id, pred, what) {
  for (let i = 0; i < 150; i++) {
    const r = await srv.api('GET', `/api/v1/users/${id}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    if (pred(r.body.onboarding)) return r.body.onboarding;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  const r = await srv.api('GET', `/api/v1/users/${id}`);
  assert.fail(`${what}: onboarding is ${JSON.stringify(r.body.onboarding)}`);
}

const complete = (token, password) =>
  srv.api('POST', `/api/v1/onboarding/${token}`, { token: null, body: { password } });
const status = (token) => srv.api('GET', `/api/v1/onboarding/${token}`, { token: null });

test('an invited user gets the e-mail, follows its link, chooses a password and signs in', async () => {
  const { user, username, email } = await invite({ first_name: 'Ada', last_name: 'Lovelace' });
  assert.equal(user.onboarding.state, 'pending');
  assert.ok(
    ['queued', 'sent'].includes(user.onboarding.delivery.state),
    JSON.stringify(user.onboarding),
  );

  const { m, token } = await mailTo(email);
  // envelope and headers
  assert.deepEqual(m.rcpt_tos, [email]);
  assert.equal(m.mail_from, 'gatehouse@localhost.localdomain');
  for (const h of ['Date', 'Message-ID', 'From', 'To', 'Subject', 'MIME-Version', 'Content-Type']) {
    assert.equal(m.headers[h]?.length, 1, `exactly one ${h} header: ${JSON.stringify(m.headers)}`);
  }
  assert.match(
    m.headers.Date[0],
    /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000$/,
  );
  assert.match(m.headers['Message-ID'][0], /^<[0-9a-f]{32}@localhost\.localdomain>$/);
  assert.equal(m.headers.To[0], `Ada Lovelace <${email}>`);
  assert.equal(m.content_type, 'multipart/alternative');
  assert.match(m.subject, /choose a password/);
  // the two alternatives, UTF-8
  assert.deepEqual(
    m.parts.map((p) => [p.content_type, p.charset]),
    [
      ['text/plain', 'utf-8'],
      ['text/html', 'utf-8'],
    ],
  );
  const { text, html } = parts(m);
  assert.match(text, /Hello Ada Lovelace,/);
  assert.ok(text.includes(`Username: ${username}`));
  assert.ok(text.includes(`${srv.base}/onboarding/${token}`), text);
  assert.match(text, /expires 24 hours after/);
  assert.ok(html.includes(`href="${srv.base}/onboarding/${token}"`), html);
  assert.match(token, /^gh_[A-Za-z0-9_-]{43}$/, '256 random bits, base64url');

  // the user record shows the delivery
  const ob = await onboardingUntil(user.id, (o) => o.delivery.state === 'sent', 'delivered');
  assert.equal(ob.state, 'pending');
  assert.equal(ob.delivery.attempts, 1);
  assert.equal(ob.delivery.error, null);
  const sent = Date.parse(ob.sent_at) / 1000;
  assert.equal(Date.parse(ob.expires_at) / 1000 - sent, 24 * 3600, 'expires 24 h after sending');

  // GET tells the state without using the link; the page must not leak the token (A8)
  const s = await status(token);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.deepEqual([s.body.state, s.body.username], ['pending', username]);
  assert.equal(s.headers.get('referrer-policy'), 'no-referrer');

  // the password policy of every set-password path applies, with the user's own facts (A2)
  const weak = await complete(token, `${username}${username}1234567`);
  assertProblem(weak, 400, 'password', 'a password holding the username');
  const short = await complete(token, 'short');
  assertProblem(short, 400, 'password', 'a short password');
  assert.equal(
    (await status(token)).body.state,
    'pending',
    'a refused password does not use the link',
  );

  const password = strongPassword();
  const done = await complete(token, password);
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.headers.get('referrer-policy'), 'no-referrer');
  assert.deepEqual(
    [done.body.state, done.body.username, done.body.next],
    ['completed', username, 'sign_in'],
  );
  assert.equal(done.headers.get('set-cookie'), null, 'completing onboarding signs nobody in');

  const after = await srv.api('GET', `/api/v1/users/${user.id}`);
  assert.equal(after.body.status, 'active');
  assert.equal(after.body.onboarding.state, 'completed');

  // single use
  const again = await complete(token, strongPassword());
  assertProblem(again, 410, 'token', 'the used link');
  assert.match(again.body.detail, /already used/);
  assert.equal((await status(token)).body.state, 'used');

  const si = await signIn(srv, username, password);
  assert.equal(si.status, 200, JSON.stringify(si.body));
  assert.equal(si.body.next, 'done', 'a chosen password need not be changed again');

  // L1: the trail of it (the sender writes onboarding.sent when the e-mail goes out)
  const sentRows = await auditRows(srv, 'onboarding.sent', user.id);
  assert.equal(sentRows.length, 1);
  assert.equal(sentRows[0].actor, 'system');
  assert.equal((await auditRows(srv, 'mail.sent', user.id)).length, 1);
  const completed = await auditRows(srv, 'onboarding.completed', user.id);
  assert.equal(completed.length, 1);
  assert.equal(completed[0].actor_id, user.id);
});

test('completing onboarding never skips two-factor: mfa_required still enrols at sign-in (A9)', async () => {
  const { user, username, email } = await invite({ mfa_required: true });
  const { token } = await mailTo(email);
  const password = strongPassword();
  const r = await complete(token, password);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const si = await signIn(srv, username, password);
  assert.equal(si.status, 200, JSON.stringify(si.body));
  assert.equal(si.body.next, 'enroll_totp');
  const u = await srv.api('GET', `/api/v1/users/${user.id}`);
  assert.equal(u.body.mfa_required, true);
});

test('unknown, malformed and other-purpose tokens: 404; nothing but a real link works (A13)', async () => {
  for (const bad of [`gh_${'A'.repeat(43)}`, 'x', `gh_${'b'.repeat(60)}`]) {
    assertProblem(await status(bad), 404, null, `GET ${bad}`);
    const r = await complete(bad, strongPassword());
    assertProblem(r, 404, 'token', `POST ${bad}`);
    assert.match(r.body.detail, /not valid/);
  }
  for (const shape of ['gh_ab.cd', 'a%2Fb', `gh_${'c'.repeat(80)}`]) {
    const r = await srv.api('POST', `/api/v1/onboarding/${shape}`, {
      token: null,
      body: { password: strongPassword() },
    });
    assert.equal(r.status, 404, shape);
  }
  // an onboarding token is not a password-reset token
  const { email } = await invite();
  const { token } = await mailTo(email);
  assertProblem(
    await srv.api('GET', `/api/v1/password-reset/${token}`, { token: null }),
    404,
    null,
    'as a reset token',
  );
  assert.equal((await status(token)).body.state, 'pending');
  // strict JSON: no other field
  const extra = await srv.api('POST', `/api/v1/onboarding/${token}`, {
    token: null,
    body: { password: strongPassword(), status: 'active' },
  });
  assert.equal(extra.status, 400);
});

test('a disabled or login-disabled invited user cannot complete onboarding (A5)', async () => {
  const a = await invite();
  const { token: ta } = await mailTo(a.email);
  assert.equal((await srv.api('POST', `/api/v1/users/${a.user.id}/disable`)).status, 200);
  const r1 = await complete(ta, strongPassword());
  assertProblem(r1, 403, null, 'disabled');
  assert.match(r1.body.detail, /disabled/);
  assert.equal((await srv.api('GET', `/api/v1/users/${a.user.id}`)).body.status, 'disabled');

  const b = await invite({ login_enabled: false });
  const { token: tb } = await mailTo(b.email);
  const r2 = await complete(tb, strongPassword());
  assertProblem(r2, 403, null, 'login disabled');
  const u = await srv.api('GET', `/api/v1/users/${b.user.id}`);
  assert.equal(u.body.status, 'invited');
  assert.equal(u.body.onboarding.state, 'pending', 'the refused attempt did not use the link');
});

test('of parallel completions with one link exactly one wins (single use under concurrency)', async () => {
  const { user, email } = await invite();
  const { token } = await mailTo(email);
  const results = await Promise.all(
    Array.from({ length: 6 }, () => complete(token, strongPassword())),
  );
  const codes = results.map((r) => r.status).sort();
  assert.deepEqual(
    codes,
    [200, 410, 410, 410, 410, 410],
    JSON.stringify(results.map((r) => r.body)),
  );
  assert.equal((await auditRows(srv, 'onboarding.completed', user.id)).length, 1);
});

test('re-sending issues a new link and voids the old one', async () => {
  const { user, email } = await invite();
  const { token: first } = await mailTo(email, 1);
  const r = await srv.api('POST', `/api/v1/users/${user.id}/resend-onboarding`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.onboarding.state, 'pending');
  const { token: second } = await mailTo(email, 2);
  assert.notEqual(first, second);
  const old = await complete(first, strongPassword());
  assertProblem(old, 410, 'token', 'the voided link');
  assert.match(old.body.detail, /replaced by a newer one/);
  assert.equal((await status(first)).body.state, 'void');
  const ok = await complete(second, strongPassword());
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal((await auditRows(srv, 'onboarding.resend', user.id)).length, 1);
  await onboardingUntil(user.id, (o) => o.delivery.state === 'sent', 'the second e-mail recorded');
  assert.equal((await auditRows(srv, 'onboarding.sent', user.id)).length, 2);
  // only invited users: 409
  const again = await srv.api('POST', `/api/v1/users/${user.id}/resend-onboarding`);
  assertProblem(again, 409, null, 'resend to an active user');
});

test('re-sending is limited per user: 429 with Retry-After beyond 5 an hour', async () => {
  const { user } = await invite();
  for (let i = 0; i < 5; i++) {
    const r = await srv.api('POST', `/api/v1/users/${user.id}/resend-onboarding`);
    assert.equal(r.status, 200, `resend ${i + 1}: ${JSON.stringify(r.body)}`);
  }
  const r = await srv.api('POST', `/api/v1/users/${user.id}/resend-onboarding`);
  assertProblem(r, 429, null, 'the sixth resend');
  const wait = Number(r.headers.get('retry-after'));
  assert.ok(wait > 0 && wait <= 3600, `Retry-After ${r.headers.get('retry-after')}`);
  // another user is not affected
  const other = await invite();
  assert.equal(
    (await srv.api('POST', `/api/v1/users/${other.user.id}/resend-onboarding`)).status,
    200,
  );
});

test('re-sending needs every users.* permission, checked in core (403), not just users.onboard', async () => {
  const { user } = await invite();
  const partial = await adminWith(
    srv,
    USERS_ALL.filter((p) => p !== 'users.delete'),
  );
  const r = await srv.api('POST', `/api/v1/users/${user.id}/resend-onboarding`, {
    token: partial.token,
  });
  assertProblem(r, 403, null, 'an admin without users.delete');
  assert.match(r.body.detail, /every users\.\* permission/);
  const denied = await auditRows(srv, 'POST /api/v1/users/{id}/resend-onboarding');
  assert.ok(denied.some((x) => x.actor_id === partial.user.id && x.outcome === 'denied'));
  const noOnboard = await adminWith(
    srv,
    USERS_ALL.filter((p) => p !== 'users.onboard'),
  );
  assertProblem(
    await srv.api('POST', `/api/v1/users/${user.id}/resend-onboarding`, { token: noOnboard.token }),
    403,
    null,
    'without users.onboard',
  );
  const full = await adminWith(srv, USERS_ALL);
  const ok = await srv.api('POST', `/api/v1/users/${user.id}/resend-onboarding`, {
    token: full.token,
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assertProblem(
    await srv.api('POST', '/api/v1/users/999999/resend-onboarding', { token: full.token }),
    404,
    null,
    'no such user',
  );
});

test('zh users get the Chinese template, with an RFC 2047 subject', async () => {
  const { email, username } = await invite({ language: 'zh', first_name: '伟', last_name: '张' });
  const { m, token } = await mailTo(email);
  assert.match(
    m.headers.Subject[0],
    /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=(\s+=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=)*$/,
    m.headers.Subject[0],
  );
  assert.equal(m.subject, '您的 Gatehouse 账户：请设置密码');
  assert.match(m.headers.To[0], /^=\?UTF-8\?B\?.+\?= <.+>$/);
  assert.ok(
    // eslint-disable-next-line no-control-regex -- the range of 7-bit bytes starts at \x00
    !/[^\x00-\x7f]/.test(m.raw),
    'the raw message is 7-bit: every non-ASCII byte is encoded',
  );
  const { text, html } = parts(m);
  assert.match(text, /张伟，您好/); // family name first, as the name is written
  assert.match(text, /24 小时后失效/);
  assert.ok(text.includes(`用户名：${username}`));
  assert.ok(text.includes(`/onboarding/${token}`));
  assert.match(html, /<html lang="zh">/);
});

test('the link expires 24 h after sending (moved clock): 410, and the record says expired', async () => {
  const { user, email } = await invite();
  const { token } = await mailTo(email);
  await onboardingUntil(user.id, (o) => o.delivery.state === 'sent', 'delivered');
  clock.advance(24 * 3600 - 120);
  assert.equal((await status(token)).body.state, 'pending', 'still valid just before 24 h');
  clock.advance(240);
  const s = await status(token);
  assert.equal(s.status, 200);
  assert.equal(s.body.state, 'expired');
  const r = await complete(token, strongPassword());
  assertProblem(r, 410, 'token', 'the expired link');
  assert.match(r.body.detail, /expired/);
  const u = await srv.api('GET', `/api/v1/users/${user.id}`);
  assert.equal(u.body.onboarding.state, 'expired');
  assert.equal(u.body.status, 'invited');
  // a re-send gives a fresh 24 h
  assert.equal((await srv.api('POST', `/api/v1/users/${user.id}/resend-onboarding`)).status, 200);
  const { token: fresh } = await mailTo(email, 2);
  assert.equal((await complete(fresh, strongPassword())).status, 200);
});

test('CR/LF and header injection in e-mail addresses and names are refused with 400 naming the field (I4)', async () => {
  const cases = [
    ['email', { email: 'victim@example.com\r\nBcc: evil@example.com' }],
    ['email', { email: 'victim@example.com\nBcc: evil@example.com' }],
    ['email', { email: 'Victim <victim@example.com>' }],
    ['email', { email: 'a@example.com, evil@example.com' }],
    ['first_name', { first_name: 'Bob\r\nBcc: evil@example.com' }],
    ['last_name', { last_name: 'Smith\nSubject: hijacked' }],
    ['first_name', { first_name: 'Eve\rX' }],
  ];
  for (const [field, over] of cases) {
    const username = uniq('inj');
    const r = await srv.api('POST', '/api/v1/users', {
      body: { username, email: `${username}@example.com`, ...over },
    });
    assertProblem(r, 400, field, `create with ${JSON.stringify(over)}`);
  }
  const { user } = await invite();
  for (const [field, over] of cases) {
    const r = await srv.api('PATCH', `/api/v1/users/${user.id}`, { body: over });
    assertProblem(r, 400, field, `patch with ${JSON.stringify(over)}`);
  }
  for (const email of ['x@example.com\r\nBcc: evil@example.com', 'x@example.com\n']) {
    const r = await srv.api('POST', '/api/v1/password-reset', { token: null, body: { email } });
    assertProblem(r, 400, 'email', `reset request for ${JSON.stringify(email)}`);
  }
  assert.ok(
    !smtp
      .messages()
      .some((m) => m.rcpt_tos.includes('evil@example.com') || /hijacked|Bcc:/i.test(m.raw)),
  );
});

test('no token in any audit row, log line or user record (L3)', async () => {
  // tokens of its own through every path that takes one (the earlier tests' are in seenTokens too)
  const before = seenTokens.length;
  const a = await invite();
  const { token: first } = await mailTo(a.email);
  assert.equal((await srv.api('POST', `/api/v1/users/${a.user.id}/resend-onboarding`)).status, 200);
  const { token: second } = await mailTo(a.email, 2);
  assert.ok((await status(first)).status < 500, 'the voided link');
  assert.equal((await complete(first, strongPassword())).status, 410);
  assert.equal((await complete(second, 'short')).status, 400);
  assert.equal((await status(second)).status, 200);
  assert.equal((await complete(second, strongPassword())).status, 200);
  assert.equal((await complete(second, strongPassword())).status, 410, 'the used link');
  const b = await invite();
  const { token: third } = await mailTo(b.email);
  assert.equal((await status(third)).status, 200);
  assert.ok(seenTokens.length - before >= 3 && seenTokens.length >= 3);
  const rows = JSON.stringify(await listAll(srv, '/api/v1/audit'));
  const logs = srv.logs.join('\n');
  const users = JSON.stringify(await listAll(srv, '/api/v1/users'));
  for (const t of seenTokens) {
    assert.ok(!rows.includes(t), 'a link token is in the audit trail');
    assert.ok(!logs.includes(t), 'a link token is in the log');
    assert.ok(!users.includes(t), 'a link token is in the users list');
  }
  assert.ok(!rows.includes('gh_'), 'the audit trail holds something token-shaped');
});
