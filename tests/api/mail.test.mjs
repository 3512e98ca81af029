// Mail delivery (DESIGN "Mail is an outbox"; SECURITY A6, A8, A9, L1, L3): a queued e-mail
// survives SIGKILL and arrives after a restart; without --smtp-url mail stays queued and the server
// says so; a permanent SMTP refusal marks the message failed with the SMTP error; the notices of
// mfa_required, force-password-reset and reset-MFA; forgot password (same 202 whether or not the
// account exists, a 1 h single-use link, every session ended, two-factor kept); SMTP AUTH; and
// `gatehouse mail test`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer,
  restartServer,
  readyUser,
  signIn,
  withCookie,
  strongPassword,
  testClock,
  auditRows,
  enrolTotp,
  cliResult,
  createUser,
  sansRequestId,
  outboxLastId,
  outboxSettled,
} from './lib/server.mjs';
import { assertProblem, uniq } from './lib/helpers.mjs';
import { startSmtp, closedPort, parts, linkToken } from './lib/smtp.mjs';

let smtp, srv, clock;
const cleanup = [];

before(async () => {
  smtp = await startSmtp();
  clock = testClock();
  srv = await startServer({ args: ['--smtp-url', smtp.url, '--mail-retry-seconds', '1'], clock });
});

after(async () => {
  for (const f of cleanup.reverse()) await f();
  await srv?.stop();
  await smtp?.stop();
  clock?.remove();
});

async function userUntil(s, id, pred, what) {
  let last;
  for (let i = 0; i < 200; i++) {
    last = await s.api('GET', `/api/v1/users/${id}`);
    assert.equal(last.status, 200, JSON.stringify(last.body));
    if (pred(last.body)) return last.body;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.fail(`${what}: ${JSON.stringify(last.body.onboarding)}`);
}

const mailsTo = (sink, addr) => sink.messages().filter(sink.to(addr));

test('without --smtp-url the server warns at start and e-mails stay queued', async () => {
  const quiet = await startServer();
  cleanup.push(() => quiet.stop());
  const warn = quiet.logs.map((l) => JSON.parse(l)).find((x) => x.event === 'mail_not_configured');
  assert.ok(warn, `no warning in ${quiet.logs.join('\n')}`);
  assert.equal(warn.level, 'warn');
  assert.match(warn.detail, /stay queued/);
  const name = uniq('quiet');
  const r = await quiet.api('POST', '/api/v1/users', {
    body: { username: name, email: `${name}@example.com` },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  // no sender runs without --smtp-url (nothing to wait for): the row stays as it was written
  assert.ok(!quiet.logs.some((l) => /"mail_(sent|attempt_failed)"/.test(l)), 'a sender ran');
  const u = await quiet.api('GET', `/api/v1/users/${r.body.id}`);
  assert.deepEqual(u.body.onboarding.delivery, { state: 'queued', error: null, attempts: 0 });
  assert.equal(u.body.onboarding.state, 'pending');
  assert.equal(u.body.onboarding.sent_at, null);
  assert.equal(u.body.onboarding.expires_at, null, 'no link exists before it is sent');
});

test('crash: an e-mail queued before SIGKILL is delivered after a restart on the same database', async () => {
  // 1. the sender points at a closed port: the first attempt fails and is retried later
  const dead = await closedPort();
  const first = await startServer({
    args: ['--smtp-url', `smtp://127.0.0.1:${dead}`, '--mail-retry-seconds', '2'],
  });
  // should an assertion fail half-way, the servers still running must not keep the file alive
  const alive = (s) => s.proc.exitCode === null && s.proc.signalCode === null;
  cleanup.push(async () => {
    if (alive(first)) await first.kill();
  });
  const name = uniq('crash');
  const email = `${name}@example.com`;
  const r = await first.api('POST', '/api/v1/users', {
    body: { username: name, email, first_name: 'Crash' },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  // (the attempt is counted when the sender claims the message, the error once it failed)
  const failed = await userUntil(
    first,
    r.body.id,
    (u) => u.onboarding.delivery.attempts >= 1 && u.onboarding.delivery.error,
    'first attempt',
  );
  assert.equal(failed.onboarding.delivery.state, 'queued', 'a refused connection is retried');
  assert.match(failed.onboarding.delivery.error, /connect/i);
  const { signal } = await first.kill('SIGKILL');
  assert.equal(signal, 'SIGKILL');

  // 2. a second user created while the sender has no SMTP server at all, then killed too
  const second = await restartServer(first);
  cleanup.push(async () => {
    if (alive(second)) await second.kill();
  });
  const name2 = uniq('crash');
  const r2 = await second.api('POST', '/api/v1/users', {
    body: { username: name2, email: `${name2}@example.com` },
  });
  assert.equal(r2.status, 201, JSON.stringify(r2.body));
  await second.kill('SIGKILL');

  // 3. the SMTP server comes up; gatehouse restarts on the same database; both messages arrive
  const sink = await startSmtp();
  cleanup.push(() => sink.stop());
  const third = await restartServer(first, {
    args: ['--smtp-url', sink.url, '--mail-retry-seconds', '2'],
  });
  cleanup.push(() => third.stop());
  const m = await sink.waitFor(sink.to(email), { what: 'the message queued before the crash' });
  await sink.waitFor(sink.to(`${name2}@example.com`), { what: 'the message never attempted' });
  const u = await userUntil(
    third,
    r.body.id,
    (x) => x.onboarding.delivery.state === 'sent',
    'delivered',
  );
  assert.equal(u.onboarding.delivery.error, null);
  assert.ok(u.onboarding.delivery.attempts >= 2, JSON.stringify(u.onboarding));
  assert.equal(mailsTo(sink, email).length, 1, 'delivered once');
  // and the link in it works
  const token = linkToken(m);
  const done = await third.api('POST', `/api/v1/onboarding/${token}`, {
    token: null,
    body: { password: strongPassword() },
  });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  const rows = await third.api('GET', `/api/v1/audit?action=mail.sent&target_id=${r.body.id}`);
  assert.equal(rows.body.items.length, 1);
});

test('a permanent SMTP refusal marks the message failed with the SMTP error (audit mail.failed)', async () => {
  const name = uniq('reject');
  const r = await srv.api('POST', '/api/v1/users', {
    body: { username: name, email: `${name}@example.com` },
  });
  assert.equal(r.status, 201);
  const u = await userUntil(
    srv,
    r.body.id,
    (x) => x.onboarding.delivery.state === 'failed',
    'failed',
  );
  assert.match(u.onboarding.delivery.error, /550/);
  assert.equal(u.onboarding.delivery.attempts, 1, 'a 5xx is not retried');
  const rows = await auditRows(srv, 'mail.failed', r.body.id);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].outcome, 'failure');
  assert.match(rows[0].after.error, /550/);
  assert.equal(rows[0].after.kind, 'onboarding');
});

test('turning on mfa_required, force-password-reset and reset-MFA e-mail the user', async () => {
  const ready = await readyUser(srv, { first_name: 'Nia', language: 'en' });
  const email = ready.user.email;
  const before = mailsTo(smtp, email).length;
  const p = await srv.api('PATCH', `/api/v1/users/${ready.user.id}`, {
    body: { mfa_required: true },
  });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  const m1 = await smtp.waitFor(() => mailsTo(smtp, email).length >= before + 1, {
    what: 'the mfa notice',
  });
  const mfa = mailsTo(smtp, email)[before];
  assert.match(mfa.subject, /Two-factor authentication is now required/);
  assert.match(parts(mfa).text, /Sign in to enrol/);
  assert.ok(m1);
  // setting it again (already on) sends nothing new
  assert.equal(
    (await srv.api('PATCH', `/api/v1/users/${ready.user.id}`, { body: { first_name: 'Nia B' } }))
      .status,
    200,
  );
  const f = await srv.api('POST', `/api/v1/users/${ready.user.id}/force-password-reset`);
  assert.equal(f.status, 200, JSON.stringify(f.body));
  await smtp.waitFor(() => mailsTo(smtp, email).length >= before + 2, {
    what: 'the force-reset notice',
  });
  assert.match(mailsTo(smtp, email)[before + 1].subject, /Choose a new password/);
  const x = await srv.api('POST', `/api/v1/users/${ready.user.id}/reset-mfa`);
  assert.equal(x.status, 200, JSON.stringify(x.body));
  await smtp.waitFor(() => mailsTo(smtp, email).length >= before + 3, {
    what: 'the reset-mfa notice',
  });
  const last = mailsTo(smtp, email)[before + 2];
  assert.match(last.subject, /Two-factor authentication was reset/);
  assert.equal(mailsTo(smtp, email).length, before + 3, 'one e-mail per change');
  // notices carry no link
  assert.ok(!/\/(onboarding|reset)\//.test(parts(last).text));
  // zh users get the Chinese notice
  const zh = await readyUser(srv, { language: 'zh' });
  assert.equal(
    (await srv.api('PATCH', `/api/v1/users/${zh.user.id}`, { body: { mfa_required: true } }))
      .status,
    200,
  );
  const z = await smtp.waitFor(smtp.to(zh.user.email), { what: 'the zh notice' });
  assert.equal(z.subject, '您的 Gatehouse 账户现在需要双重身份验证');
});

test('forgot password: the same 202 whether or not the account exists; a link only to an active account', async () => {
  const { user, username, password } = await createUser(srv);
  const s = await signIn(srv, username, password);
  assert.equal(s.status, 200);
  const known = await srv.api('POST', '/api/v1/password-reset', {
    token: null,
    body: { username },
  });
  const unknown = await srv.api('POST', '/api/v1/password-reset', {
    token: null,
    body: { username: uniq('nobody') },
  });
  const byEmail = await srv.api('POST', '/api/v1/password-reset', {
    token: null,
    body: { email: `${uniq('nobody')}@example.com` },
  });
  for (const r of [known, unknown, byEmail]) {
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(sansRequestId(r.body), sansRequestId(known.body), 'the bodies are the same');
  }
  const m = await smtp.waitFor(smtp.to(user.email), { what: 'the reset e-mail' });
  assert.match(m.subject, /Reset your Gatehouse password/);
  assert.match(parts(m).text, /expires 1 hour after/);
  const token = linkToken(m, 'reset');
  assert.ok(parts(m).text.includes(`${srv.base}/reset/${token}`));
  const st = await srv.api('GET', `/api/v1/password-reset/${token}`, { token: null });
  assert.deepEqual([st.status, st.body.state, st.body.username], [200, 'pending', username]);
  assert.equal(st.headers.get('referrer-policy'), 'no-referrer');

  const weak = await srv.api('POST', `/api/v1/password-reset/${token}`, {
    token: null,
    body: { password: `x${username}x${username}` },
  });
  assertProblem(weak, 400, 'password', 'a password holding the username');
  const next = strongPassword();
  const done = await srv.api('POST', `/api/v1/password-reset/${token}`, {
    token: null,
    body: { password: next },
  });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.headers.get('referrer-policy'), 'no-referrer');
  // every session ended; the old password is gone; the new one signs in
  const me = await withCookie(srv, s.cookie)('GET', '/api/v1/session');
  assert.equal(me.status, 401, 'the old session still works');
  assert.equal((await signIn(srv, username, password)).status, 401);
  const fresh = await signIn(srv, username, next);
  assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
  assert.equal(fresh.body.next, 'done', 'the password chosen from the link needs no forced change');
  // single use
  const again = await srv.api('POST', `/api/v1/password-reset/${token}`, {
    token: null,
    body: { password: strongPassword() },
  });
  assertProblem(again, 410, 'token', 'a used reset link');
  // L1
  assert.equal((await auditRows(srv, 'password_reset.requested', user.id)).length, 1);
  assert.equal((await auditRows(srv, 'password_reset.completed', user.id)).length, 1);
  const unknownRows = (await auditRows(srv, 'password_reset.requested')).filter(
    (x) => x.target_id === null,
  );
  assert.ok(unknownRows.length >= 2, 'unknown accounts are recorded too');
  // the body is strict: exactly one of username and email
  assertProblem(
    await srv.api('POST', '/api/v1/password-reset', { token: null, body: {} }),
    400,
    null,
    'neither',
  );
  assertProblem(
    await srv.api('POST', '/api/v1/password-reset', {
      token: null,
      body: { username, email: user.email },
    }),
    400,
    null,
    'both',
  );
});

test('a reset never skips two-factor (A9), expires after 1 hour, and a new request voids the old link', async () => {
  const ready = await readyUser(srv);
  await enrolTotp(srv, ready.as, clock);
  const ask = () =>
    srv.api('POST', '/api/v1/password-reset', { token: null, body: { email: ready.user.email } });
  assert.equal((await ask()).status, 202);
  const t1 = linkToken(await smtp.waitFor(smtp.to(ready.user.email), { what: 'reset 1' }), 'reset');
  assert.equal((await ask()).status, 202);
  await smtp.waitFor(() => mailsTo(smtp, ready.user.email).length >= 2, { what: 'reset 2' });
  const t2 = linkToken(mailsTo(smtp, ready.user.email)[1], 'reset');
  const old = await srv.api('POST', `/api/v1/password-reset/${t1}`, {
    token: null,
    body: { password: strongPassword() },
  });
  assertProblem(old, 410, 'token', 'the older reset link');
  const password = strongPassword();
  assert.equal(
    (await srv.api('POST', `/api/v1/password-reset/${t2}`, { token: null, body: { password } }))
      .status,
    200,
  );
  const s = await signIn(srv, ready.username, password);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.next, 'totp', 'the enrolled device is still asked for');

  const before3 = outboxLastId(srv);
  assert.equal((await ask()).status, 202);
  await smtp.waitFor(() => mailsTo(smtp, ready.user.email).length >= 3, { what: 'reset 3' });
  const t3 = linkToken(mailsTo(smtp, ready.user.email)[2], 'reset');
  // the link's hour runs from its delivery, which the sender records just after the sink has the
  // message: move the clock only once that is recorded
  await outboxSettled(srv, before3);
  clock.advance(3600 + 60);
  const st = await srv.api('GET', `/api/v1/password-reset/${t3}`, { token: null });
  assert.equal(st.body.state, 'expired');
  const r = await srv.api('POST', `/api/v1/password-reset/${t3}`, {
    token: null,
    body: { password: strongPassword() },
  });
  assertProblem(r, 410, 'token', 'an expired reset link');
  assert.match(r.body.detail, /expired/);
});

test('no reset link for invited, disabled or login-disabled accounts; at most 5 an hour per account', async () => {
  const since = outboxLastId(srv);
  const inv = await createUser(srv, { password: null });
  await smtp.waitFor(smtp.to(inv.user.email), { what: 'the onboarding e-mail' });
  const dis = await createUser(srv);
  assert.equal((await srv.api('POST', `/api/v1/users/${dis.user.id}/disable`)).status, 200);
  const nologin = await createUser(srv, { login_enabled: false });
  for (const u of [inv, dis, nologin]) {
    const r = await srv.api('POST', '/api/v1/password-reset', {
      token: null,
      body: { username: u.username },
    });
    assert.equal(r.status, 202);
    const rows = await auditRows(srv, 'password_reset.requested', u.user.id);
    assert.equal(rows[0].after.sent, false, `${u.username}: ${JSON.stringify(rows[0])}`);
  }
  const busy = await createUser(srv);
  for (let i = 0; i < 7; i++) {
    const r = await srv.api('POST', '/api/v1/password-reset', {
      token: null,
      body: { username: busy.username },
    });
    assert.equal(r.status, 202, 'the answer never changes');
  }
  const rows = await auditRows(srv, 'password_reset.requested', busy.user.id);
  assert.equal(rows.filter((x) => x.after.sent).length, 5);
  assert.equal(rows.filter((x) => x.after.reason === 'rate').length, 2);
  // each request voids the link before it: only the newest unsent ones go out, never more than 5
  await smtp.waitFor(smtp.to(busy.user.email), { what: 'a reset' });
  await outboxSettled(srv, since); // whatever was to be sent is in the sink now
  assert.ok(mailsTo(smtp, busy.user.email).length <= 5);
  assert.equal(
    mailsTo(smtp, inv.user.email).length,
    1,
    'the invited user got only its onboarding e-mail',
  );
  assert.equal(mailsTo(smtp, dis.user.email).length, 0);
});

test("gatehouse mail test prints the SMTP outcome; exit 0 on success, non-zero with curl's error", async () => {
  const to = `${uniq('probe')}@example.com`;
  const ok = cliResult(srv.db, ['mail', 'test', '--to', to, '--smtp-url', smtp.url]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /accepted: 250/);
  const m = await smtp.waitFor(smtp.to(to), { what: 'the test message' });
  assert.equal(m.subject, 'Gatehouse test message');
  assert.equal(m.content_type, 'multipart/alternative');

  const dead = await closedPort();
  const bad = cliResult(srv.db, [
    'mail',
    'test',
    '--to',
    to,
    '--smtp-url',
    `smtp://127.0.0.1:${dead}`,
  ]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Couldn't connect to server/);
  const refused = cliResult(srv.db, [
    'mail',
    'test',
    '--to',
    `reject-${to}`,
    '--smtp-url',
    smtp.url,
  ]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /550/);
  const inj = cliResult(srv.db, [
    'mail',
    'test',
    '--to',
    `${to}\r\nBcc: evil@example.com`,
    '--smtp-url',
    smtp.url,
  ]);
  assert.notEqual(inj.code, 0, 'a CR/LF address is refused before sending');
  assert.equal(cliResult(srv.db, ['mail', 'test', '--to', to]).code, 2, '--smtp-url is needed');
  assert.equal(
    cliResult(srv.db, ['mail', 'test', '--to', to, '--smtp-url', 'http://example.com']).code,
    1,
  );
});

test('SMTP AUTH with --smtp-user and --smtp-password-file', async () => {
  const sink = await startSmtp({ auth: 'mailer:s3cret-pass' });
  cleanup.push(() => sink.stop());
  const file = join(srv.dir, 'smtp-password');
  writeFileSync(file, 's3cret-pass\n');
  const to = `${uniq('auth')}@example.com`;
  const ok = cliResult(srv.db, [
    'mail',
    'test',
    '--to',
    to,
    '--smtp-url',
    sink.url,
    '--smtp-user',
    'mailer',
    '--smtp-password-file',
    file,
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  const m = await sink.waitFor(sink.to(to));
  assert.equal(m.auth_user, 'mailer');
  writeFileSync(file, 'wrong\n');
  const bad = cliResult(srv.db, [
    'mail',
    'test',
    '--to',
    to,
    '--smtp-url',
    sink.url,
    '--smtp-user',
    'mailer',
    '--smtp-password-file',
    file,
  ]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /535|Login denied/i);
  const none = cliResult(srv.db, ['mail', 'test', '--to', to, '--smtp-url', sink.url]);
  assert.notEqual(none.code, 0, 'the server requires AUTH');

  // the server's sender authenticates too
  writeFileSync(file, 's3cret-pass\n');
  const authed = await startServer({
    args: ['--smtp-url', sink.url, '--smtp-user', 'mailer', '--smtp-password-file', file],
  });
  cleanup.push(() => authed.stop());
  const name = uniq('authsrv');
  assert.equal(
    (
      await authed.api('POST', '/api/v1/users', {
        body: { username: name, email: `${name}@example.com` },
      })
    ).status,
    201,
  );
  const got = await sink.waitFor(sink.to(`${name}@example.com`));
  assert.equal(got.auth_user, 'mailer');
  assert.ok(!authed.logs.join('\n').includes('s3cret-pass'), 'the SMTP password is in the log');
});

test('bad mail settings stop the server at start', async () => {
  await assert.rejects(startServer({ args: ['--smtp-url', 'http://127.0.0.1:25'] }), /exited 1/);
  await assert.rejects(
    startServer({
      args: ['--smtp-url', smtp.url, '--mail-from', 'Evil\r\nBcc: x@example.com <a@example.com>'],
    }),
    /exited 1/,
  );
  const named = await startServer({
    args: ['--smtp-url', smtp.url, '--mail-from', 'Back Office <noreply@example.org>'],
  });
  cleanup.push(() => named.stop());
  const to = `${uniq('from')}@example.com`;
  const name = to.split('@')[0];
  assert.equal(
    (await named.api('POST', '/api/v1/users', { body: { username: name, email: to } })).status,
    201,
  );
  const m = await smtp.waitFor(smtp.to(to));
  assert.equal(m.headers.From[0], 'Back Office <noreply@example.org>');
  assert.equal(m.mail_from, 'noreply@example.org');
  assert.match(m.headers['Message-ID'][0], /@example\.org>$/);
});
