// Several instances on one PostgreSQL database (SECURITY S4, A4, A10, A8, D3, D4): two servers,
// A and B, share a database and a secret key file. A session made on one is valid on the other;
// disable, delete, force-reset and reset-MFA on A end the user's sessions on B at its next request;
// fifty parallel wrong passwords split across A and B ban once and count no further than the limit;
// one TOTP code sent to both at once passes once; an onboarding link used on both at once works
// once; each outbox e-mail and each webhook delivery is sent once although both senders run; instances killed with SIGKILL at
// random moments under load lose no acknowledged write; and when PostgreSQL itself goes away
// (crash-like immediate shutdown), requests get 503, the instances recover by themselves and no
// acknowledged change is lost. Needs GATEHOUSE_TEST_PG_URL (`make pg`); skipped without it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PG_URL,
  psql,
  startServer,
  restartServer,
  cli,
  signIn,
  withCookie,
  readyUser,
  enrolTotp,
  oathtool,
  testClock,
  auditRows,
  strongPassword,
  dbQuery,
  ROOT_PASSWORD,
  ssoSource,
  sessionCookie,
  createUser,
} from './lib/server.mjs';
import { random, randomIntBetween, uniq } from './lib/helpers.mjs';
import { startSmtp, linkToken } from './lib/smtp.mjs';
import { startRogue } from './lib/rogue-idp.mjs';
import { cookieJar } from './lib/oidc.mjs';

const SKIP = PG_URL
  ? false
  : 'multi-instance tests need PostgreSQL: set GATEHOUSE_TEST_PG_URL (make pg)';
const CLUSTER = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/pg-test-cluster');
const ARGS = [
  '--signin-rate-per-minute',
  '10000',
  '--per-ip-connection-limit',
  '512',
  '--mail-retry-seconds',
  '1',
  '--sso-allow-loopback',
  '--webhooks-allow-loopback',
];

let a, b, clock, smtp;

// A second instance on the database of first: same secret key file, same clock. Stopping it
// leaves the database and the folder to first.
async function second(first, { args = ARGS, env = {} } = {}) {
  const s = await restartServer(first, { args, env });
  s.stop = async () => {
    const { code, signal } = await s.kill('SIGTERM');
    assert.equal(signal, null, `instance died of ${signal}`);
    assert.equal(code, 0, `instance exited ${code}:\n${s.logs.join('\n')}`);
  };
  return s;
}

before(async () => {
  if (SKIP) return;
  clock = testClock();
  smtp = await startSmtp();
  const args = [...ARGS, '--smtp-url', smtp.url];
  a = await startServer({ args, clock });
  b = await second(a, { args }); // restartServer keeps a's clock
});

after(async () => {
  await b?.stop();
  await a?.stop();
  await smtp?.stop();
  clock?.remove();
});

const session = (srv, cookie) => withCookie(srv, cookie)('GET', '/api/v1/session');

test('both instances serve one database: what A writes, B reads', { skip: SKIP }, async () => {
  const t = await a.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('Shared ') },
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  const r = await b.api('GET', `/api/v1/tenants/${t.body.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.name, t.body.name);
  assert.equal((await b.api('GET', '/readyz', { token: null })).status, 200);
});

test(
  'S4: a session made on A is valid on B, and signing out on B ends it on A',
  { skip: SKIP },
  async () => {
    const u = await readyUser(a);
    const onB = await session(b, u.cookie);
    assert.equal(onB.status, 200, JSON.stringify(onB.body));
    assert.equal(onB.body.user.id, u.user.id);
    assert.equal((await withCookie(b, u.cookie)('DELETE', '/api/v1/session')).status, 204);
    assert.equal((await session(a, u.cookie)).status, 401);
  },
);

test(
  'S4: disable, delete, force-reset and reset-MFA on A end the sessions on B at once',
  { skip: SKIP },
  async () => {
    const actions = {
      disable: (id) => a.api('POST', `/api/v1/users/${id}/disable`),
      delete: (id) => a.api('DELETE', `/api/v1/users/${id}`),
      'force-password-reset': (id) => a.api('POST', `/api/v1/users/${id}/force-password-reset`),
      'reset-mfa': (id) => a.api('POST', `/api/v1/users/${id}/reset-mfa`),
    };
    for (const [name, act] of Object.entries(actions)) {
      const u = await readyUser(a);
      const s = await signIn(b, u.username, u.password); // a second session, made on B
      assert.equal(s.status, 200, JSON.stringify(s.body));
      assert.equal(
        (await session(b, u.cookie)).status,
        200,
        `${name}: the session from A works on B`,
      );
      assert.equal(
        (await session(b, s.cookie)).status,
        200,
        `${name}: the session from B works on B`,
      );
      const r = await act(u.user.id);
      assert.ok(
        r.status >= 200 && r.status < 300,
        `${name}: ${r.status} ${JSON.stringify(r.body)}`,
      );
      assert.equal(
        (await session(b, u.cookie)).status,
        401,
        `${name} on A: A's session still works on B`,
      );
      assert.equal(
        (await session(b, s.cookie)).status,
        401,
        `${name} on A: B's session still works on B`,
      );
      assert.equal(
        (await session(a, s.cookie)).status,
        401,
        `${name} on A: B's session still works on A`,
      );
    }
  },
);

test(
  'A4: 50 parallel wrong passwords split across A and B ban once and count no further than the limit',
  { skip: SKIP },
  async () => {
    for (let round = 0; round < 2; round++) {
      const u = await readyUser(a);
      const rs = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          signIn(i % 2 ? b : a, u.username, `parallel wrong password ${i}`),
        ),
      );
      const statuses = rs.map((r) => r.status);
      assert.ok(
        statuses.every((s) => s === 401 || s === 429),
        `statuses: ${statuses.join(',')}`,
      );
      assert.ok(
        statuses.filter((s) => s === 401).length >= 5,
        `the threshold reached the check: ${statuses.join(',')}`,
      );
      assert.equal((await auditRows(a, 'user.ban', u.user.id)).length, 1, 'exactly one ban');
      const [failed, until] = psql(
        `SELECT failed_logins, banned_until FROM users WHERE id = ${u.user.id}`,
        a.db,
      )
        .trim()
        .split('|')
        .map(Number);
      assert.ok(until > clock.now(), 'banned');
      assert.equal(failed, 0, 'the ban restarted the count; failures while banned did not move it');
      for (const s of [a, b])
        assert.equal((await signIn(s, u.username, u.password)).status, 401, 'banned everywhere');
      clock.advance(601);
      const one = await signIn(b, u.username, 'one more wrong password');
      assert.equal(one.status, 401);
      assert.equal(
        (await auditRows(a, 'user.ban', u.user.id)).length,
        1,
        'one failure after the ban does not ban again',
      );
      assert.equal((await signIn(a, u.username, u.password)).status, 200, 'free after the ban');
    }
  },
);

test('A10: one TOTP code sent to A and B at once passes once', { skip: SKIP }, async () => {
  const u = await readyUser(a);
  const { secret } = await enrolTotp(a, u.as, clock);
  for (let round = 0; round < 8; round++) {
    clock.advance(30); // a fresh step: the previous round's code is spent
    const [s1, s2] = await Promise.all([
      signIn(a, u.username, u.password),
      signIn(b, u.username, u.password),
    ]);
    assert.equal(s1.body.next, 'totp', JSON.stringify(s1.body));
    assert.equal(s2.body.next, 'totp', JSON.stringify(s2.body));
    const code = oathtool(secret, clock.now());
    const rs = await Promise.all([
      withCookie(a, s1.cookie)('POST', '/api/v1/session/totp', { body: { code } }),
      withCookie(b, s2.cookie)('POST', '/api/v1/session/totp', { body: { code } }),
    ]);
    const statuses = rs.map((r) => r.status).sort();
    assert.deepEqual(
      statuses,
      [200, 401],
      `round ${round}: ${JSON.stringify(rs.map((r) => r.body))}`,
    );
  }
});

test(
  'single sign-on started on A finishes on C, and one callback sent to both signs in once',
  { skip: SKIP },
  async () => {
    // Behind a balancer every instance has the one --external-url; A (which has none) answers
    // as its own address, so C gets that address as its external URL: both then send the
    // provider the same redirect_uri, as the provider checks.
    const rogue = await startRogue();
    const c = await second(a, { args: [...ARGS, '--external-url', a.base] });
    try {
      const name = uniq('mi-');
      await ssoSource(a, name, null, {
        issuer: rogue.issuer,
        client_id: rogue.clientId,
        client_secret: rogue.clientSecret,
      });
      const sub = uniq('mi-sub-');
      const u = await a.api('POST', '/api/v1/users', {
        body: {
          username: uniq('mi'),
          email: `${uniq('mi')}@example.com`,
          enforce_sso: true,
          sso_source: name,
          sso_id: sub,
        },
      });
      assert.equal(u.status, 201, JSON.stringify(u.body));
      // the provider's tokens on the instances' (moved) clock
      const token = () => {
        const iat = Math.floor(Date.now() / 1000) + clock.offset;
        rogue.next({ claims: { sub, iat, exp: iat + 300 } });
      };
      // the browser's way out through one instance, back through another: the callback URL
      const leave = async (srv) => {
        const jar = cookieJar();
        const res = await fetch(`${srv.base}/sso/${name}/start?next=/users`, {
          redirect: 'manual',
        });
        jar.take(res);
        const at = await fetch(res.headers.get('location'), { redirect: 'manual' });
        return { back: new URL(at.headers.get('location')), jar };
      };
      const on = (srv, url) => `${srv.base}${url.pathname}${url.search}`;
      const land = (srv, url, jar) =>
        fetch(on(srv, url), { headers: { cookie: jar.header() }, redirect: 'manual' });
      token();
      const out = await leave(a);
      const res = await land(c, out.back, out.jar);
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), '/users');
      const cookie = sessionCookie(res.headers);
      assert.ok(cookie, 'C signed in what A started');
      assert.equal((await session(a, cookie.pair)).body.user.id, u.body.id, 'and A knows it');
      // one callback to A and B at once: one wins the flow, the other finds it used
      for (let round = 0; round < 4; round++) {
        token();
        const twice = await leave(round % 2 ? a : c);
        const [r1, r2] = await Promise.all([
          land(a, twice.back, twice.jar),
          land(c, twice.back, twice.jar),
        ]);
        const won = [r1, r2].filter((r) => sessionCookie(r.headers));
        const lost = [r1, r2].filter((r) => !sessionCookie(r.headers));
        assert.equal(won.length, 1, `round ${round}: one sign-in`);
        assert.equal(lost[0].headers.get('location'), '/signin?sso_error=expired');
      }
    } finally {
      await c.stop();
      await rogue.close();
    }
  },
);

// Creates an invited user through srv and returns {user, email}.
async function invite(srv) {
  const username = uniq('inv');
  const email = `${username}@example.com`;
  const r = await srv.api('POST', '/api/v1/users', { body: { username, email } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { user: r.body, email };
}

test('A8: an onboarding link used on A and B at once works once', { skip: SKIP }, async () => {
  for (let round = 0; round < 5; round++) {
    const { user, email } = await invite(round % 2 ? b : a);
    const m = await smtp.waitFor(smtp.to(email), { what: `the onboarding e-mail to ${email}` });
    const token = linkToken(m);
    const password = strongPassword();
    const rs = await Promise.all(
      [a, b].map((s) =>
        s.api('POST', `/api/v1/onboarding/${token}`, { token: null, body: { password } }),
      ),
    );
    const ok = rs.filter((r) => r.status === 200);
    assert.equal(
      ok.length,
      1,
      `round ${round}: ${rs.map((r) => `${r.status} ${JSON.stringify(r.body)}`).join(' | ')}`,
    );
    assert.ok(
      rs.every((r) => r.status < 500),
      rs.map((r) => r.status).join(','),
    );
    const done = await b.api('GET', `/api/v1/users/${user.id}`);
    assert.equal(done.body.status, 'active');
  }
});

test(
  'D4: each outbox e-mail is sent once although the senders of A and B both run',
  { skip: SKIP },
  async () => {
    const invited = await Promise.all(Array.from({ length: 30 }, (_, i) => invite(i % 2 ? b : a)));
    for (const { email } of invited)
      await smtp.waitFor(smtp.to(email), { what: `the e-mail to ${email}` });
    // Every claim of a row counts an attempt and logs its outcome before it is recorded: once no row
    // is queued and the outcome lines of both instances match the attempts, no sending is still in
    // flight and the sink holds every message there will be (it stores one before it answers).
    const inList = invited.map(({ email }) => `'${email}'`).join(',');
    const outcome = (l) => {
      try {
        const r = JSON.parse(l);
        return /^mail_(sent|attempt_failed)$/.test(r.event) ? r.message_id : null;
      } catch {
        return null;
      }
    };
    for (const end = Date.now() + 15000; ;) {
      const rows = dbQuery(a, `SELECT id, attempts, state FROM outbox WHERE to_addr IN (${inList})`)
        .trim()
        .split('\n')
        .map((l) => l.split('|'));
      const ids = new Set(rows.map(([id]) => id));
      const attempts = rows.reduce((n, [, k]) => n + Number(k), 0);
      const logged = [a, b]
        .flatMap((s) => s.logs)
        .map(outcome)
        .filter((id) => ids.has(id)).length;
      if (
        rows.length === invited.length &&
        rows.every(([, , st]) => st !== 'queued') &&
        logged === attempts
      )
        break;
      assert.ok(
        Date.now() < end,
        `the outbox did not settle: ${attempts} attempts, ${logged} outcomes logged`,
      );
      await new Promise((ok) => setTimeout(ok, 50));
    }
    for (const { email } of invited) {
      const n = smtp.messages().filter(smtp.to(email)).length;
      assert.equal(n, 1, `${email} got ${n} messages`);
    }
    const sentBy = new Set();
    for (const s of [a, b]) if (s.logs.some((l) => l.includes('"mail_sent"'))) sentBy.add(s.port);
    console.log(`# senders that delivered: ${sentBy.size} of 2`);
  },
);

// ---- crashes ------------------------------------------------------------------------------------

// A client writing until told to stop: creates tenants on whichever instance pick() gives and
// records those acknowledged (2xx). Failures (a killed instance, a database away) are counted by
// status; nothing but 2xx, 503 and a refused or broken connection may happen.
async function writer(pick, tag, acked, seen, running) {
  let seq = 0;
  while (running()) {
    const name = `Crash ${tag} ${seq++}`;
    try {
      const r = await pick().api('POST', '/api/v1/tenants', {
        body: { kind: 'service_provider', name },
      });
      seen[r.status] = (seen[r.status] || 0) + 1;
      if (r.status === 201) acked.set(r.body.id, name);
      else if (r.status !== 503) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
      else await new Promise((ok) => setTimeout(ok, 20));
    } catch (e) {
      if (!(e.cause || /fetch failed|ECONNRESET|socket/i.test(String(e)))) throw e;
      seen.connection = (seen.connection || 0) + 1;
      await new Promise((ok) => setTimeout(ok, 20));
    }
  }
}

test(
  'each webhook delivery is sent once although the webhook senders of A and B both run',
  { skip: SKIP },
  async () => {
    const got = [];
    const rx = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        got.push({ id: req.headers['webhook-id'], body });
        setTimeout(() => res.end('ok'), 20); // slow enough for the senders to overlap
      });
    });
    await new Promise((ok) => rx.listen(0, '127.0.0.1', ok));
    try {
      const t = await a.api('POST', '/api/v1/tenants', {
        body: { kind: 'service_provider', name: uniq('Hooked ') },
      });
      assert.equal(t.status, 201, JSON.stringify(t.body));
      const hook = await a.api('POST', '/api/v1/webhooks', {
        body: {
          url: `http://127.0.0.1:${rx.address().port}/in`,
          events: ['user.created'],
          provider_id: t.body.id,
        },
      });
      assert.equal(hook.status, 201, JSON.stringify(hook.body));
      const n = 30;
      const users = await Promise.all(
        Array.from({ length: n }, (_, i) => createUser(i % 2 ? b : a, { provider_id: t.body.id })),
      );
      const until = Date.now() + 20000;
      let items;
      for (;;) {
        const r = await b.api('GET', `/api/v1/webhooks/${hook.body.id}/deliveries`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        items = r.body.items;
        if (items.length === n && items.every((d) => d.state === 'sent')) break;
        if (Date.now() > until) throw new Error(JSON.stringify(items));
        await new Promise((ok) => setTimeout(ok, 100));
      }
      await new Promise((ok) => setTimeout(ok, 1500)); // a second copy would arrive meanwhile
      assert.ok(
        items.every((d) => d.attempts === 1),
        'each claimed once',
      );
      assert.equal(got.length, n, 'one request per event');
      assert.equal(new Set(got.map((g) => g.id)).size, n, 'no webhook-id twice');
      const ids = got.map((g) => JSON.parse(g.body).data.id).sort((x, y) => x - y);
      assert.deepEqual(
        ids,
        users.map((u) => u.user.id).sort((x, y) => x - y),
      );
      assert.equal((await a.api('DELETE', `/api/v1/webhooks/${hook.body.id}`)).status, 204);
    } finally {
      await new Promise((ok) => rx.close(ok));
    }
  },
);

// amcheck over every B-tree index of the database (SECURITY D3: the database passes its check).
function integrity(db) {
  psql('CREATE EXTENSION IF NOT EXISTS amcheck', db);
  psql(
    `SELECT bt_index_check(c.oid, true) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE am.amname = 'btree' AND n.nspname = 'public'`,
    db,
  );
}

async function assertAcked(srv, acked) {
  for (const [id, name] of acked) {
    const r = await srv.api('GET', `/api/v1/tenants/${id}`);
    assert.equal(r.status, 200, `acknowledged tenant ${id} is gone`);
    assert.equal(r.body.name, name);
  }
}

test(
  'D3: instances killed with SIGKILL at random moments under load lose no acknowledged write',
  { skip: SKIP },
  async () => {
    const first = await startServer({ args: ARGS });
    const inst = [first, await second(first)];
    const acked = new Map();
    const seen = {};
    let going = true;
    const pick = () => inst[randomIntBetween(0, 1)]; // seeded, as the kills below
    const writers = Array.from({ length: 8 }, (_, n) =>
      writer(pick, `w${n}`, acked, seen, () => going),
    );
    try {
      for (let round = 0; round < 8; round++) {
        await new Promise((ok) => setTimeout(ok, randomIntBetween(150, 600)));
        const k = randomIntBetween(0, 1);
        await inst[k].kill('SIGKILL');
        inst[k] = await second(first); // same database, key file and folder; a new port
      }
    } finally {
      going = false;
      await Promise.allSettled(writers);
    }
    await Promise.all(writers); // a writer that saw anything but 2xx/503/refused fails the test
    console.log(`# ${acked.size} acknowledged tenants; answers: ${JSON.stringify(seen)}`);
    assert.ok(acked.size >= 16, `only ${acked.size} writes were acknowledged`);
    await assertAcked(inst[0], acked);
    integrity(first.db);
    await inst[1].stop();
    await inst[0].stop();
    await first.kill('SIGTERM').catch(() => {});
    rmSync(first.dir, { recursive: true, force: true });
    psql(`DROP DATABASE IF EXISTS ${new URL(first.db).pathname.slice(1)} WITH (FORCE)`);
  },
);

test(
  'PostgreSQL goes away: 503 meanwhile, both instances recover by themselves, nothing acknowledged is lost',
  { skip: SKIP },
  async () => {
    // a private cluster: the shared one serves the other test files meanwhile
    const url = execFileSync(CLUSTER, ['start'], { encoding: 'utf8' }).trim();
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pgdown-'));
    let one, two;
    try {
      const name = uniq('gh_');
      psql(`CREATE DATABASE ${name}`, url);
      const db = new URL(url);
      db.pathname = `/${name}`;
      cli(
        db.toString(),
        [
          'admin',
          'create',
          '--username',
          'root',
          '--email',
          'root@example.com',
          '--password-stdin',
        ],
        ROOT_PASSWORD + '\n',
      );
      const token = cli(db.toString(), ['token', 'create', '--user', 'root']).trim();
      one = await restartServer({ db: db.toString(), dir, token }, { args: ARGS });
      two = await second(one);
      const acked = new Map();
      const seen = {};
      let going = true;
      const pick = () => (random() < 0.5 ? one : two);
      const writers = Array.from({ length: 6 }, (_, n) =>
        writer(pick, `p${n}`, acked, seen, () => going),
      );
      try {
        await new Promise((ok) => setTimeout(ok, 700));
        execFileSync(CLUSTER, ['down', url]);
        const before = acked.size;
        await new Promise((ok) => setTimeout(ok, 1500));
        for (const s of [one, two]) {
          const r = await s.api('GET', '/api/v1/tenants?limit=1');
          assert.equal(
            r.status,
            503,
            `while PostgreSQL is away: ${r.status} ${JSON.stringify(r.body)}`,
          );
          assert.doesNotMatch(
            JSON.stringify(r.body),
            /SELECT|FROM|postgres/i,
            'no SQL or driver text (L5)',
          );
          assert.equal((await s.api('GET', '/readyz', { token: null })).status, 503);
          assert.equal(
            (await signIn(s, 'root', ROOT_PASSWORD)).status,
            503,
            'sign-in answers 503 (L5)',
          );
        }
        assert.ok(acked.size <= before + 6, 'no write is acknowledged while the database is away');
        execFileSync(CLUSTER, ['up', url]);
        for (const s of [one, two]) {
          let r;
          for (let i = 0; i < 150; i++) {
            // 15 s: slow under the sanitizers
            r = await s.api('GET', '/api/v1/tenants?limit=1');
            if (r.status === 200) break;
            await new Promise((ok) => setTimeout(ok, 100));
          }
          assert.equal(r.status, 200, `recovered: ${r.status} ${JSON.stringify(r.body)}`);
          // what the outage cost shows in the metrics: database errors, by operation
          const metrics = await (await fetch(`${s.base}/metrics`)).text();
          const errors = [...metrics.matchAll(/^gatehouse_db_errors_total\{op="\w+"\} (\d+)$/gm)];
          const total = errors.reduce((n, m) => n + Number(m[1]), 0);
          assert.ok(total > 0, `gatehouse_db_errors_total moved during the outage:\n${metrics}`);
        }
        await new Promise((ok) => setTimeout(ok, 700));
      } finally {
        going = false;
        await Promise.allSettled(writers);
      }
      await Promise.all(writers);
      console.log(`# ${acked.size} acknowledged tenants; answers: ${JSON.stringify(seen)}`);
      assert.ok(seen[503] > 0, 'some writes met the database away');
      await assertAcked(one, acked);
      await assertAcked(two, acked);
      integrity(db.toString());
      await two.stop();
      const { code } = await one.kill('SIGTERM');
      assert.equal(code, 0, `exited ${code}:\n${one.logs.join('\n')}`);
    } finally {
      await one?.kill('SIGKILL');
      await two?.kill('SIGKILL');
      execFileSync(CLUSTER, ['stop', url]);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
