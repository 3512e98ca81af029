// The command line: admin create, token create, user list|show|disable|enable|unban against the database
// of a running server, migrate, and the set-up link that `serve` prints on an empty database instead
// of inventing an administrator (tests/api/setup.test.mjs follows the link).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, cliResult, BIN } from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';

let srv;
const PASSWORD = 'a long enough password for cli tests';
const tmpDirs = [];

before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

const run = (args, input) => cliResult(srv.db, args, input);

function freshDb() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  tmpDirs.push(dir);
  return join(dir, 'gatehouse.db');
}

async function asToken(token, path = '/api/v1/users?limit=1') {
  return srv.api('GET', path, { token });
}

test('admin create --password-stdin creates a working administrator', async () => {
  const name = uniq('cliadmin');
  const r = run(
    ['admin', 'create', '--username', name, '--email', `${name}@example.com`, '--password-stdin'],
    `${PASSWORD}\n`,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Created administrator ${name}`));
  assert.ok(!r.stdout.includes(PASSWORD), 'the password is echoed');
  const tok = run(['token', 'create', '--user', name]);
  assert.equal(tok.code, 0, tok.stderr);
  const token = tok.stdout.trim();
  assert.match(token, /^\S{20,}$/);
  const me = await asToken(token);
  assert.equal(me.status, 200, JSON.stringify(me.body));
  // It holds every permission: it can create a tenant and read the audit trail.
  const t = await srv.api('POST', '/api/v1/tenants', {
    token,
    body: { kind: 'service_provider', name: uniq('CLI admin SP ') },
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  assert.equal((await asToken(token, '/api/v1/audit?limit=1')).status, 200);
  const list = await srv.api('GET', `/api/v1/users?q=${name}`);
  const u = list.body.items.find((x) => x.username === name);
  assert.equal(u.status, 'active');
  assert.equal(u.email, `${name}@example.com`);
});

test('admin create without --password-stdin succeeds and shows its secret once', async () => {
  const name = uniq('cligen');
  const r = run(['admin', 'create', '--username', name, '--email', `${name}@example.com`]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.trim().length > 0, 'nothing printed');
  assert.equal(r.stderr, '');
});

test('admin create refuses a duplicate username (case-insensitively) with a non-zero exit', async () => {
  for (const username of ['root', 'ROOT', 'Root']) {
    const r = run(
      ['admin', 'create', '--username', username, '--email', 'dup@example.com', '--password-stdin'],
      `${PASSWORD}\n`,
    );
    assert.notEqual(r.code, 0, `${username}: ${r.stdout}`);
    assert.match(r.stderr, /username/i, r.stderr);
  }
  // A username taken by an API-created (even deleted) user is refused too.
  const name = uniq('apiuser');
  const u = await srv.api('POST', '/api/v1/users', {
    body: { username: name, email: `${name}@example.com` },
  });
  assert.equal(u.status, 201);
  assert.equal((await srv.api('DELETE', `/api/v1/users/${u.body.id}`)).status, 204);
  const r = run(
    ['admin', 'create', '--username', name, '--email', 'x@example.com', '--password-stdin'],
    `${PASSWORD}\n`,
  );
  assert.notEqual(r.code, 0);
});

test('admin create refuses a too-short password, saying why', async () => {
  const name = uniq('clishort');
  const r = run(
    ['admin', 'create', '--username', name, '--email', `${name}@example.com`, '--password-stdin'],
    'short\n',
  );
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /password/i);
  assert.match(r.stderr, /15 characters/, r.stderr);
  assert.ok(!r.stderr.includes('short\n') || r.stderr.includes('15'), r.stderr);
  const again = run(
    ['admin', 'create', '--username', name, '--email', `${name}@example.com`, '--password-stdin'],
    `${PASSWORD}\n`,
  );
  assert.equal(again.code, 0, `the refused create reserved the username: ${again.stderr}`);
});

test('admin create refuses a bad username or e-mail and missing options', async () => {
  const bad = run(
    ['admin', 'create', '--username', 'has space', '--email', 'a@example.com', '--password-stdin'],
    `${PASSWORD}\n`,
  );
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /username/);
  const mail = run(
    [
      'admin',
      'create',
      '--username',
      uniq('climail'),
      '--email',
      'not-an-email',
      '--password-stdin',
    ],
    `${PASSWORD}\n`,
  );
  assert.notEqual(mail.code, 0);
  assert.match(mail.stderr, /email/);
  const missing = run(['admin', 'create', '--username', uniq('clinomail')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /usage/);
  const empty = run(
    [
      'admin',
      'create',
      '--username',
      uniq('cliempty'),
      '--email',
      'a@example.com',
      '--password-stdin',
    ],
    '',
  );
  assert.notEqual(empty.code, 0);
});

test('token create: the token works as Bearer, --expires-in 1h is accepted, an unknown user fails', async () => {
  const t1 = run(['token', 'create', '--user', 'root', '--name', 'ci']);
  assert.equal(t1.code, 0, t1.stderr);
  assert.equal((await asToken(t1.stdout.trim())).status, 200);
  const t2 = run(['token', 'create', '--user', 'root', '--expires-in', '1h']);
  assert.equal(t2.code, 0, t2.stderr);
  assert.equal((await asToken(t2.stdout.trim())).status, 200);
  for (const e of ['30d', '45m', '3600']) {
    const t = run(['token', 'create', '--user', 'root', '--expires-in', e]);
    assert.equal(t.code, 0, `${e}: ${t.stderr}`);
  }
  assert.notEqual(t1.stdout.trim(), t2.stdout.trim(), 'two tokens are equal');
  const byCase = run(['token', 'create', '--user', 'ROOT']);
  assert.equal(byCase.code, 0, 'usernames are case-insensitive');
  for (const e of ['1y', 'abc', '0', '-1h', '1hh', '']) {
    const t = run(['token', 'create', '--user', 'root', '--expires-in', e]);
    assert.notEqual(t.code, 0, `--expires-in ${e} accepted`);
    assert.equal(t.stdout, '', `--expires-in ${e} printed a token`);
  }
  const unknown = run(['token', 'create', '--user', 'nobody-here']);
  assert.notEqual(unknown.code, 0);
  assert.equal(unknown.stdout.trim(), '');
  assert.match(unknown.stderr, /no such user/);
  const noUser = run(['token', 'create']);
  assert.notEqual(noUser.code, 0);
  assert.equal((await asToken('not-a-real-token')).status, 401);
});

test('token create refuses a user that is not active', async () => {
  const name = uniq('invitedtok');
  const u = await srv.api('POST', '/api/v1/users', {
    body: { username: name, email: `${name}@example.com` },
  });
  assert.equal(u.body.status, 'invited');
  const t = run(['token', 'create', '--user', name]);
  assert.notEqual(t.code, 0);
  assert.equal(t.stdout.trim(), '');
});

test('user list, show, disable and enable work on the database of a running server', async () => {
  const name = uniq('cliuser');
  const role = await srv.api('POST', '/api/v1/roles', {
    body: { name: uniq('CLI reader '), kind: 'service_provider', permissions: ['users.read'] },
  });
  const u = await srv.api('POST', '/api/v1/users', {
    body: {
      username: name,
      email: `${name}@example.com`,
      first_name: 'Clara',
      last_name: 'Person',
      role_ids: [role.body.id],
      password: PASSWORD,
    },
  });
  assert.equal(u.status, 201, JSON.stringify(u.body));
  const tok = run(['token', 'create', '--user', name]);
  assert.equal(tok.code, 0, tok.stderr);
  const token = tok.stdout.trim();
  assert.equal((await asToken(token)).status, 200);

  const list = run(['user', 'list', '--limit', '1000']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(
    list.stdout,
    new RegExp(`^${u.body.id}\\t${name}\\tClara Person\\t${name}@example.com\\tactive$`, 'm'),
  );
  assert.match(list.stdout, /\troot\t/);
  const q = run(['user', 'list', '--q', name]);
  assert.equal(q.code, 0, q.stderr);
  assert.equal(q.stdout.trim().split('\n').length, 1, q.stdout);
  assert.match(q.stdout, new RegExp(name));

  const show = run(['user', 'show', name]);
  assert.equal(show.code, 0, show.stderr);
  const shown = JSON.parse(show.stdout);
  assert.equal(shown.id, u.body.id);
  assert.equal(shown.username, name);
  assert.equal(shown.status, 'active');
  assert.ok(!show.stdout.includes('$argon2'));
  const byId = run(['user', 'show', String(u.body.id)]);
  assert.equal(byId.code, 0, byId.stderr);
  assert.equal(JSON.parse(byId.stdout).username, name);

  const dis = run(['user', 'disable', name]);
  assert.equal(dis.code, 0, dis.stderr);
  assert.match(dis.stdout, /disabled/);
  assert.equal((await asToken(token)).status, 401, "a disabled user's token still works");
  assert.equal(
    (await srv.api('GET', `/api/v1/users/${u.body.id}`)).body.status,
    'disabled',
    'the server does not see the CLI change',
  );
  const disabledList = run(['user', 'list', '--status', 'disabled']);
  assert.match(disabledList.stdout, new RegExp(`\\t${name}\\t`));
  const activeList = run(['user', 'list', '--status', 'active', '--limit', '1000']);
  assert.doesNotMatch(activeList.stdout, new RegExp(`\\t${name}\\t`));

  const en = run(['user', 'enable', name]);
  assert.equal(en.code, 0, en.stderr);
  assert.match(en.stdout, /enabled/);
  assert.equal((await srv.api('GET', `/api/v1/users/${u.body.id}`)).body.status, 'active');
  // disabling ended the user's tokens for good (S11); a new one works again
  assert.equal((await asToken(token)).status, 401, 'the token of a re-enabled user came back');
  assert.equal((await asToken(run(['token', 'create', '--user', name]).stdout.trim())).status, 200);

  const audit = await srv.api('GET', `/api/v1/audit?target_id=${u.body.id}&action=user.disable`);
  assert.equal(audit.status, 200);
  assert.ok(
    audit.body.items.some((e) => e.action === 'user.disable'),
    'the CLI disable is not audited',
  );
});

test('user commands fail cleanly for unknown users and verbs', async () => {
  for (const args of [
    ['user', 'show', 'nobody-here'],
    ['user', 'disable', 'nobody-here'],
    ['user', 'enable', '999999'],
    ['user', 'show'],
    ['user', 'explode', 'root'],
  ]) {
    const r = run(args);
    assert.notEqual(r.code, 0, `${args.join(' ')}: ${r.stdout}`);
    assert.ok(r.stderr.length > 0, `${args.join(' ')}: no reason given`);
  }
  const self = await srv.api('GET', '/api/v1/users?q=root');
  assert.equal(self.status, 200, 'root was harmed');
});

test('user list refuses an unknown --status instead of listing everyone', async () => {
  for (const status of ['bogus', 'disabld', 'Disabled']) {
    const r = run(['user', 'list', '--status', status]);
    assert.notEqual(
      r.code,
      0,
      `--status ${status} listed: ${JSON.stringify(r.stdout.slice(0, 200))}`,
    );
    assert.equal(r.stdout, '', `--status ${status} printed users`);
    assert.match(r.stderr, /status/, r.stderr);
  }
});

test('a user deleted through the API is not shown or enabled by the CLI', async () => {
  const name = uniq('clidel');
  const u = await srv.api('POST', '/api/v1/users', {
    body: { username: name, email: `${name}@example.com`, password: PASSWORD },
  });
  assert.equal((await srv.api('DELETE', `/api/v1/users/${u.body.id}`)).status, 204);
  assert.notEqual(run(['user', 'show', name]).code, 0);
  assert.notEqual(run(['user', 'enable', name]).code, 0);
  assertDeleted(await srv.api('GET', `/api/v1/users/${u.body.id}`));
});

function assertDeleted(r) {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.status, 'deleted', 'a tombstone');
}

test('migrate prints the schema version, on the live database and a fresh one', async () => {
  const live = run(['migrate']);
  assert.equal(live.code, 0, live.stderr);
  const m = /schema version (\d+)/.exec(live.stdout);
  assert.ok(m, live.stdout);
  assert.ok(Number(m[1]) >= 1);
  const db = freshDb();
  const fresh = cliResult(db, ['migrate']);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.equal(
    /schema version (\d+)/.exec(fresh.stdout)?.[1],
    m[1],
    'a fresh database is at another version',
  );
  const again = cliResult(db, ['migrate']);
  assert.equal(again.code, 0, 'migrate is not idempotent');
  assert.equal(again.stdout, fresh.stdout);
});

test('an unknown command or option prints usage and exits non-zero', async () => {
  for (const args of [
    ['frobnicate'],
    ['admin', 'delete'],
    ['token', 'revoke'],
    ['migrate', '--bogus'],
  ]) {
    const r = run(args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, /usage|unknown/i);
  }
});

// Starts `gatehouse serve` on db; resolves once it is listening.
function serve(db) {
  const proc = spawn(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '', proc };
  out.exited = new Promise((ok) => proc.on('exit', (code, signal) => ok({ code, signal })));
  out.ready = new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start:\n${out.stderr}`)), 15000);
    proc.stdout.on('data', (d) => {
      out.stdout += d;
    });
    proc.stderr.on('data', (d) => {
      out.stderr += d;
      for (const line of out.stderr.split('\n')) {
        try {
          const rec = JSON.parse(line);
          if (rec.event === 'listening') {
            clearTimeout(timer);
            out.port = Number(rec.port);
            ok(out);
          }
        } catch {
          /* not JSON */
        }
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`serve exited ${code}:\n${out.stderr}`));
    });
  });
  out.stop = async () => {
    proc.kill('SIGTERM');
    const r = await out.exited;
    assert.equal(r.signal, null, out.stderr);
    assert.equal(r.code, 0, out.stderr);
  };
  return out;
}

test('serve on an empty database invents no administrator: it prints a set-up link on stderr, no password', async () => {
  const db = freshDb();
  const link = (text) => /http:\/\/127\.0\.0\.1:\d+\/setup\/([A-Za-z0-9_-]+)/.exec(text)?.[1];
  const s = serve(db);
  let first;
  try {
    await s.ready;
    first = link(s.stderr);
    assert.ok(first, `no set-up link on stderr: ${s.stderr}`);
    assert.ok(
      s.stderr.includes(`http://127.0.0.1:${s.port}/setup/${first}`),
      'the link points elsewhere',
    );
    assert.equal(s.stdout, '', 'serve wrote to stdout');
    assert.doesNotMatch(s.stderr, /password:/i);
    for (const line of s.stderr.split('\n').filter((l) => l.startsWith('{'))) {
      assert.ok(!line.includes(first), `the token is in a log record: ${line}`);
    }
    const h = await fetch(`http://127.0.0.1:${s.port}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(cliResult(db, ['user', 'list']).stdout, '', 'an account was created');
    assert.notEqual(cliResult(db, ['user', 'show', 'admin']).code, 0, '"admin" was invented');
    await s.stop();
  } finally {
    if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGTERM');
  }
  // A second start on the same, still empty, database prints a new link.
  const s2 = serve(db);
  try {
    await s2.ready;
    await s2.stop();
    const second = link(s2.stderr);
    assert.ok(second && second !== first, `no new link at the second start: ${s2.stderr}`);
  } finally {
    if (s2.proc.exitCode === null && s2.proc.signalCode === null) s2.proc.kill('SIGTERM');
  }
});

test('serve on a database that already has users prints no set-up link and creates no admin', async () => {
  const db = freshDb();
  const c = cliResult(
    db,
    ['admin', 'create', '--username', 'owner', '--email', 'owner@example.com', '--password-stdin'],
    `${PASSWORD}\n`,
  );
  assert.equal(c.code, 0, c.stderr);
  const s = serve(db);
  try {
    await s.ready;
    await s.stop();
  } finally {
    if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGTERM');
  }
  assert.doesNotMatch(s.stdout, /password/i);
  assert.doesNotMatch(
    s.stderr,
    /\/setup\//,
    'a set-up link was printed although an administrator exists',
  );
  assert.notEqual(
    cliResult(db, ['user', 'show', 'admin']).code,
    0,
    '"admin" was created on a non-empty database',
  );
});

test('user unban lifts a lock-out ban and says what it did; an unknown user fails with a reason', async () => {
  const name = uniq('cliban');
  const u = await srv.api('POST', '/api/v1/users', {
    body: { username: name, email: `${name}@example.com`, password: PASSWORD },
  });
  assert.equal(u.status, 201, JSON.stringify(u.body));
  const signIn = (password) =>
    srv.api('POST', '/api/v1/session', { token: null, body: { username: name, password } });
  for (let i = 0; i < 5; i++)
    assert.equal((await signIn(`not the password, try ${i}`)).status, 401);
  const banned = await srv.api('GET', `/api/v1/users/${u.body.id}`);
  assert.ok(
    banned.body.banned_until,
    `five wrong sign-ins did not ban: ${JSON.stringify(banned.body)}`,
  );
  assert.equal((await signIn(PASSWORD)).status, 401, 'banned: the right password is refused');
  assert.match(
    run(['user', 'list', '--status', 'banned', '--limit', '1000']).stdout,
    new RegExp(`\\t${name}\\t`),
  );

  const r = run(['user', 'unban', name]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(`^${name} unbanned \\(was banned until ${banned.body.banned_until}\\)$`, 'm'),
    r.stdout,
  );
  assert.equal(
    (await srv.api('GET', `/api/v1/users/${u.body.id}`)).body.banned_until,
    null,
    'the server does not see the CLI unban',
  );
  const ok = await signIn(PASSWORD);
  assert.equal(ok.status, 200, `the right password after the unban: ${JSON.stringify(ok.body)}`);
  const audit = await srv.api('GET', `/api/v1/audit?target_id=${u.body.id}&action=user.unban`);
  assert.equal(audit.body.items.length, 1, JSON.stringify(audit.body));
  assert.equal(audit.body.items[0].actor, 'system');

  const again = run(['user', 'unban', String(u.body.id)]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /not banned; nothing changed/, again.stdout);
  assert.equal(
    (await srv.api('GET', `/api/v1/audit?target_id=${u.body.id}&action=user.unban`)).body.items
      .length,
    1,
    'a no-op unban is not audited',
  );

  for (const args of [
    ['user', 'unban', 'nobody-here'],
    ['user', 'unban', '999999'],
  ]) {
    const bad = run(args);
    assert.notEqual(bad.code, 0, `${args.join(' ')}: ${bad.stdout}`);
    assert.equal(bad.stdout, '', `${args.join(' ')} printed: ${bad.stdout}`);
    assert.match(bad.stderr, /not found|no such user/, bad.stderr);
  }
  const missing = run(['user', 'unban']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /user show\|disable\|enable\|unban/, 'the usage text lists unban');
});
