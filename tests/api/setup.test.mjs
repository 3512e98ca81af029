// The first administrator (SECURITY A7, L3): `serve` on an empty database prints a one-time set-up
// link on stderr (a plain line, not a log record); at /api/v1/setup/{token} the operator chooses the
// first administrator's username, e-mail and password. The link works once, within 1 hour, only
// while no account exists, and a later start voids it; nobody is signed in by it; neither the
// token nor the password reaches a log record or an audit row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startEmptyServer,
  startServer,
  restartServer,
  testClock,
  signIn,
  withCookie,
  dbQuery,
  cliResult,
} from './lib/server.mjs';
import { assertProblem } from './lib/helpers.mjs';

const PASSWORD = 'Qpw7-zorbel-first-admin-fentrax';

async function emptyServer(opts) {
  const srv = await startEmptyServer(opts);
  const link = srv.setupLink();
  assert.ok(link, `no set-up link on stderr:\n${srv.logs.join('\n')}`);
  return { srv, link };
}

const setup = (srv, token, body) =>
  srv.api('POST', `/api/v1/setup/${token}`, { token: null, body });
const status = (srv, token) => srv.api('GET', `/api/v1/setup/${token}`, { token: null });
const accounts = (srv) => Number(dbQuery(srv, 'SELECT COUNT(*) FROM users').trim());

test('A7: the printed link is valid, creates the first administrator once, who then signs in normally', async () => {
  const { srv, link } = await emptyServer();
  try {
    // a plain line on stderr, pointing at this server; the JSON log only says that one was printed
    assert.equal(new URL(link.url).origin, srv.base);
    assert.match(link.token, /^[A-Za-z0-9_-]{43,}$/);
    assert.ok(
      srv.logs.some((l) => l.startsWith('{') && JSON.parse(l).event === 'setup_link_printed'),
    );
    assert.equal(accounts(srv), 0, 'no account was invented');

    const st = await status(srv, link.token);
    assert.equal(st.status, 200, JSON.stringify(st.body));
    assert.equal(st.body.state, 'pending');
    const left = Date.parse(st.body.expires_at) / 1000 - Date.now() / 1000;
    assert.ok(left > 3500 && left <= 3601, `expires in ${left} s, not 1 h`);
    assert.equal(st.headers.get('referrer-policy'), 'no-referrer');
    const page = await fetch(`${srv.base}${link.path}`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.match(page.headers.get('content-type'), /text\/html/);

    const r = await setup(srv, link.token, {
      username: 'owner',
      email: 'owner@example.com',
      password: PASSWORD,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.username, 'owner');
    assert.equal(r.body.next, 'sign_in');
    assert.equal(r.headers.getSetCookie().length, 0, 'the set-up link signs nobody in');
    assert.equal(accounts(srv), 1);

    const s = await signIn(srv, 'owner', PASSWORD);
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.equal(s.body.next, 'done');
    const as = withCookie(srv, s.cookie);
    const me = await as('GET', '/api/v1/session');
    assert.equal(me.body.user.username, 'owner');
    assert.equal(me.body.user.email, 'owner@example.com');
    assert.ok(
      me.body.permissions.includes('users.create') &&
        me.body.permissions.includes('settings.update'),
      `not a superadmin: ${JSON.stringify(me.body.permissions)}`,
    );
    // audited: who (the link, from where) and what
    const created = await as('GET', '/api/v1/audit?action=admin.create');
    assert.equal(created.body.items.length, 1, JSON.stringify(created.body));
    assert.equal(created.body.items[0].actor, 'setup-link');
    assert.equal(created.body.items[0].target_id, r.body.id);
    const done = await as('GET', '/api/v1/audit?action=setup.completed');
    assert.equal(done.body.items.length, 1, JSON.stringify(done.body));
    assert.equal(done.body.items[0].ip, '127.0.0.1');

    // the link works once: used, and a second POST is refused
    const again = await setup(srv, link.token, {
      username: 'second',
      email: 'second@example.com',
      password: PASSWORD,
    });
    assertProblem(again, 410, 'token');
    assert.equal((await status(srv, link.token)).body.state, 'used');
    assert.equal(accounts(srv), 1, 'a second administrator was created');
    // an unknown token is 404
    assertProblem(await status(srv, 'gh_thisisnotatoken'), 404, 'token');
    assertProblem(
      await setup(srv, 'gh_thisisnotatoken', {
        username: 'x',
        email: 'x@example.com',
        password: PASSWORD,
      }),
      404,
      'token',
    );
  } finally {
    await srv.stop();
  }
});

test('A7: bad input names the field and leaves the link usable; the password policy applies', async () => {
  const { srv, link } = await emptyServer();
  try {
    const ok = { username: 'boss', email: 'boss@example.com', password: PASSWORD };
    const cases = [
      [{ ...ok, password: 'short' }, 'password'],
      [{ ...ok, password: 'responsibilities!' }, 'password'], // a dictionary word
      [{ ...ok, password: 'boss@example.com-boss' }, 'password'], // the user's own facts
      [{ ...ok, password: 'x'.repeat(2000) }, 'password'], // refused before hashing (A1)
      [{ ...ok, username: 'has space' }, 'username'],
      [{ ...ok, email: 'not-an-email' }, 'email'],
    ];
    for (const [body, field] of cases) {
      const r = await setup(srv, link.token, body);
      assert.equal(
        r.status,
        400,
        `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(r.body)}`,
      );
      assertProblem(r, 400, field);
    }
    const missing = await setup(srv, link.token, { username: 'boss', email: 'boss@example.com' });
    assertProblem(missing, 400, 'password');
    assertProblem(await setup(srv, link.token, { ...ok, role: 'x' }), 400);
    assert.equal(accounts(srv), 0);
    assert.equal((await status(srv, link.token)).body.state, 'pending', 'a refusal used the link');
    assert.equal((await setup(srv, link.token, ok)).status, 201);
  } finally {
    await srv.stop();
  }
});

test('A7: the link expires 1 hour after it was printed (test clock)', async () => {
  const clock = testClock();
  const { srv, link } = await emptyServer({ clock });
  try {
    clock.advance(3600 - 60);
    assert.equal((await status(srv, link.token)).body.state, 'pending');
    clock.advance(120);
    const st = await status(srv, link.token);
    assert.equal(st.status, 200);
    assert.equal(st.body.state, 'expired');
    assertProblem(
      await setup(srv, link.token, {
        username: 'late',
        email: 'late@example.com',
        password: PASSWORD,
      }),
      410,
      'token',
    );
    assert.equal(accounts(srv), 0);
  } finally {
    await srv.stop();
    clock.remove();
  }
});

test('A7: every start prints a new link and voids the earlier ones; a database with an account gets none', async () => {
  const { srv: first, link: old } = await emptyServer();
  await first.kill('SIGTERM');
  const srv = await restartServer(first);
  try {
    const link = srv.setupLink();
    assert.ok(link, `no set-up link at the second start:\n${srv.logs.join('\n')}`);
    assert.notEqual(link.token, old.token);
    assert.equal((await status(srv, old.token)).body.state, 'void');
    assertProblem(
      await setup(srv, old.token, {
        username: 'old',
        email: 'old@example.com',
        password: PASSWORD,
      }),
      410,
      'token',
    );
    assert.equal((await status(srv, link.token)).body.state, 'pending');
    assert.equal(
      (
        await setup(srv, link.token, {
          username: 'new',
          email: 'new@example.com',
          password: PASSWORD,
        })
      ).status,
      201,
    );
  } finally {
    await srv.kill('SIGTERM');
  }
  // with an administrator, a start prints no link
  const third = await restartServer(srv);
  try {
    assert.equal(third.setupLink(), null, 'a link was printed although an administrator exists');
    assert.ok(!third.logs.some((l) => /setup/.test(l)), third.logs.join('\n'));
  } finally {
    await third.stop();
  }
  const normal = await startServer(); // `admin create` made root first
  try {
    assert.equal(normal.setupLink(), null);
  } finally {
    await normal.stop();
  }
});

test('A7: an administrator made by `admin create` voids an outstanding link', async () => {
  const { srv, link } = await emptyServer();
  try {
    const c = cliResult(
      srv.db,
      [
        'admin',
        'create',
        '--username',
        'scripted',
        '--email',
        'scripted@example.com',
        '--password-stdin',
      ],
      `${PASSWORD}\n`,
    );
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await status(srv, link.token)).body.state, 'void');
    assertProblem(
      await setup(srv, link.token, {
        username: 'late',
        email: 'late@example.com',
        password: PASSWORD,
      }),
      410,
      'token',
    );
    assert.equal(accounts(srv), 1);
  } finally {
    await srv.stop();
  }
});

test('A7: two parallel POSTs create exactly one administrator', async () => {
  const { srv, link } = await emptyServer();
  try {
    const rs = await Promise.all(
      ['alpha', 'bravo', 'charlie', 'delta'].map((u) =>
        setup(srv, link.token, { username: u, email: `${u}@example.com`, password: PASSWORD }),
      ),
    );
    const codes = rs.map((r) => r.status).sort();
    assert.deepEqual(codes, [201, 410, 410, 410], JSON.stringify(rs.map((r) => r.body)));
    assert.equal(accounts(srv), 1);
    const winner = rs.find((r) => r.status === 201).body.username;
    assert.equal((await signIn(srv, winner, PASSWORD)).status, 200);
  } finally {
    await srv.stop();
  }
});

test('L3: neither the token nor the password is in any JSON log record or audit row (canary)', async () => {
  const canary = 'Canary-7f3k-zorbel-setup-pass';
  const { srv, link } = await emptyServer({ env: { GATEHOUSE_ACCESS_LOG: '1' } });
  try {
    await status(srv, link.token);
    await setup(srv, link.token, {
      username: 'keeper',
      email: 'keeper@example.com',
      password: 'short',
    });
    const r = await setup(srv, link.token, {
      username: 'keeper',
      email: 'keeper@example.com',
      password: canary,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await setup(srv, link.token, {
      username: 'keeper2',
      email: 'keeper2@example.com',
      password: canary,
    });
    await signIn(srv, 'keeper', canary);
    await fetch(`${srv.base}${link.path}`);
    const records = srv.logs.filter((l) => l.startsWith('{'));
    assert.ok(
      records.some((l) => JSON.parse(l).event === 'request'),
      'the access log is on',
    );
    assert.ok(
      records.some((l) => l.includes('/api/v1/setup/{token}')),
      'setup requests are logged, token redacted',
    );
    for (const line of records) {
      assert.ok(!line.includes(link.token), `the token is in a log record: ${line}`);
      assert.ok(!line.includes(canary), `the password is in a log record: ${line}`);
    }
    const audit = dbQuery(srv, 'SELECT * FROM audit');
    assert.ok(audit.includes('setup.completed'));
    assert.ok(
      !audit.includes(link.token) && !audit.includes(canary),
      'a secret is in an audit row',
    );
    const stored = dbQuery(srv, 'SELECT token_hash FROM setup_links');
    assert.ok(!stored.includes(link.token), 'the token itself is stored');
  } finally {
    await srv.stop();
  }
});
