// Dormant accounts (issue 16): a service provider's rule (PATCH /api/v1/tenants/{id}
// dormant_days, dormant_warn_days) and `gatehouse dormant run` under the test clock: off by
// default, a warning e-mail once per inactivity period D days before, then the user disabled as
// the system (audit row user.dormant_disable, sessions ended, no more sign-in), never the last
// administrator, re-enabling resets the clock, another provider unaffected, two runs at once
// disable once. Runs on SQLite and, with GATEHOUSE_TEST_PG_URL, on PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  BIN,
  startServer,
  testClock,
  adminWith,
  readyUser,
  signIn,
  withCookie,
  auditRows,
  dbQuery,
} from './lib/server.mjs';
import { assertProblem, uniq, USERS_ALL } from './lib/helpers.mjs';
import { startSmtp } from './lib/smtp.mjs';

const DAY = 86400;
let smtp, srv, clock;

before(async () => {
  smtp = await startSmtp();
  clock = testClock();
  srv = await startServer({ args: ['--smtp-url', smtp.url], clock });
});

after(async () => {
  await srv?.stop();
  await smtp?.stop();
  clock?.remove();
});

async function provider(name = uniq('sp')) {
  const r = await srv.api('POST', '/api/v1/tenants', { body: { kind: 'service_provider', name } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

const setRule = (id, body) => srv.api('PATCH', `/api/v1/tenants/${id}`, { body });

// `gatehouse dormant run` once: its lines as [what, user id] pairs.
function run() {
  const out = srv.cli(['dormant', 'run']);
  const lines = out.trim().split('\n');
  assert.match(lines.at(-1), /^warned \d+, disabled \d+, kept \d+/);
  return lines.slice(0, -1).map((l) => {
    const [what, id] = l.split('\t');
    return [what, Number(id)];
  });
}

const didTo = (events, id) => events.filter(([, u]) => u === id).map(([w]) => w);

test('the rule: readable on the provider, set by PATCH, checked', async () => {
  const p = await provider();
  assert.equal(p.dormant_days, 0, 'off by default');
  assert.equal(p.dormant_warn_days, 0);
  const r = await setRule(p.id, { dormant_days: 90, dormant_warn_days: 14 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.dormant_days, 90);
  assert.equal(r.body.dormant_warn_days, 14);
  assert.equal(r.body.name, p.name, 'the name stays');
  const got = await srv.api('GET', `/api/v1/tenants/${p.id}`);
  assert.equal(got.body.dormant_days, 90);
  assertProblem(await setRule(p.id, { dormant_days: 3651 }), 400, 'dormant_days');
  assertProblem(await setRule(p.id, { dormant_days: -1 }), 400, 'dormant_days');
  assertProblem(await setRule(p.id, { dormant_days: 'x' }), 400, 'dormant_days');
  const warn = await setRule(p.id, { dormant_warn_days: 90 });
  assertProblem(warn, 400, 'dormant_warn_days');
  assert.equal(warn.body.errors[0].code, 'dormant_warn_days.out_of_range');
  const acc = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'platform_account', parent_id: p.id, name: uniq('acc') },
  });
  assert.equal(acc.status, 201, JSON.stringify(acc.body));
  assert.equal(acc.body.dormant_days, undefined, 'only providers have a rule');
  const no = await setRule(acc.body.id, { dormant_days: 30 });
  assertProblem(no, 400, 'dormant_days');
  assert.equal(no.body.errors[0].code, 'dormant_days.not_allowed');
  assertProblem(await setRule(p.id, {}), 400, 'name');
  const rows = await auditRows(srv, 'tenant.update', p.id);
  assert.ok(
    rows.some((e) => e.after?.dormant_days === 90),
    'audited',
  );
  // a provider admin without tenants.update cannot change it
  const { token } = await adminWith(srv, USERS_ALL, { provider_id: p.id });
  const denied = await srv.api('PATCH', `/api/v1/tenants/${p.id}`, {
    token,
    body: { dormant_days: 0 },
  });
  assert.equal(denied.status, 403, JSON.stringify(denied.body));
});

test('warned once D days before, disabled as the system after N days; the last admin stays; re-enabled starts again', async () => {
  const p = await provider();
  const other = await provider(); // no rule: never touched
  const admin = await adminWith(srv, USERS_ALL, { provider_id: p.id });
  const u = await readyUser(srv, { provider_id: p.id, language: 'zh' });
  const v = await readyUser(srv, { provider_id: other.id });
  const signedUp = clock.now();
  assert.ok(run().length === 0, 'no rule, nothing to do');
  assert.equal((await setRule(p.id, { dormant_days: 30, dormant_warn_days: 7 })).status, 200);

  clock.advance(22 * DAY);
  assert.deepEqual(didTo(run(), u.user.id), [], 'not yet due a warning');
  clock.advance(2 * DAY); // 24 days without a sign-in: past 30 - 7
  let ev = run();
  assert.deepEqual(didTo(ev, u.user.id), ['warned']);
  assert.deepEqual(didTo(ev, admin.user.id), ['warned'], 'the admin is warned too');
  assert.deepEqual(didTo(ev, v.user.id), [], 'another provider is unaffected');
  assert.deepEqual(didTo(run(), u.user.id), [], 'once per inactivity period');
  const mail = await smtp.waitFor(smtp.to(u.user.email), { what: 'the warning' });
  const day = new Date((signedUp + 30 * DAY) * 1000).toISOString().slice(0, 10);
  assert.match(mail.subject, /停用/);
  assert.ok(mail.subject.includes(day), `${mail.subject} names ${day}`);
  assert.ok(
    mail.parts.some((x) => x.body.includes('30 天')),
    JSON.stringify(mail.parts),
  );
  assert.equal(
    dbQuery(
      srv,
      `SELECT COUNT(*) FROM outbox WHERE kind = 'dormant_warning' AND user_id = ${u.user.id}`,
    ).trim(),
    '1',
  );
  const warned = await auditRows(srv, 'user.dormant_warn', u.user.id);
  assert.equal(warned.length, 1);
  assert.equal(warned[0].actor, 'system');

  clock.advance(7 * DAY); // 31 days
  ev = run();
  assert.deepEqual(didTo(ev, u.user.id), ['disabled']);
  assert.deepEqual(didTo(ev, admin.user.id), ['kept'], 'the last administrator stays');
  assert.deepEqual(didTo(ev, v.user.id), []);
  const got = await srv.api('GET', `/api/v1/users/${u.user.id}`);
  assert.equal(got.body.status, 'disabled');
  assert.equal((await srv.api('GET', `/api/v1/users/${admin.user.id}`)).body.status, 'active');
  assert.equal((await srv.api('GET', `/api/v1/users/${v.user.id}`)).body.status, 'active');
  const rows = await auditRows(srv, 'user.dormant_disable', u.user.id);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].actor, 'system');
  assert.equal(rows[0].before.status, 'active');
  assert.equal(rows[0].after.status, 'disabled');
  const me = await withCookie(srv, u.cookie)('GET', '/api/v1/me/sessions');
  assert.equal(me.status, 401, 'its sessions ended');
  const again = await signIn(srv, u.username, u.password);
  assert.notEqual(again.status, 200, 'it signs in no more');
  assert.deepEqual(didTo(run(), u.user.id), [], 'disabled once');

  // an administrator enables it again: the rule counts from then
  const en = await srv.api('POST', `/api/v1/users/${u.user.id}/enable`);
  assert.ok(en.status < 300, JSON.stringify(en.body));
  assert.deepEqual(didTo(run(), u.user.id), [], 'not disabled again at the next run');
  clock.advance(24 * DAY);
  assert.deepEqual(didTo(run(), u.user.id), ['warned'], 'a new period, a new warning');
  clock.advance(7 * DAY);
  assert.deepEqual(didTo(run(), u.user.id), ['disabled']);
});

test('a second administrator can be disabled; the last one cannot', async () => {
  const p = await provider();
  const a1 = await adminWith(srv, USERS_ALL, { provider_id: p.id });
  const a2 = await adminWith(srv, USERS_ALL, { provider_id: p.id });
  assert.equal((await setRule(p.id, { dormant_days: 10 })).status, 200);
  clock.advance(11 * DAY);
  const ev = run();
  assert.deepEqual(didTo(ev, a1.user.id), ['disabled'], 'the first goes: another is left');
  assert.deepEqual(didTo(ev, a2.user.id), ['kept'], 'the second is the last');
});

test('two runs at once disable a user once', async () => {
  const p = await provider();
  await adminWith(srv, USERS_ALL, { provider_id: p.id }); // the last admin, kept
  const users = [];
  for (let i = 0; i < 5; i++) users.push((await readyUser(srv, { provider_id: p.id })).user);
  assert.equal((await setRule(p.id, { dormant_days: 5, dormant_warn_days: 2 })).status, 200);
  clock.advance(6 * DAY);
  const once = () =>
    new Promise((ok, fail) => {
      const c = spawn(BIN, ['dormant', 'run', '--db', srv.db, ...clock.args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (err += d));
      c.on('exit', (code) => (code === 0 ? ok(out) : fail(new Error(`${code}: ${err}`))));
    });
  const outs = await Promise.all([once(), once()]);
  const disabled = outs
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('disabled\t'));
  assert.equal(disabled.length, users.length, outs.join('\n'));
  for (const u of users) {
    const rows = await auditRows(srv, 'user.dormant_disable', u.id);
    assert.equal(rows.length, 1, `one audit row for ${u.username}`);
  }
});

test('dormant_at on the user and the list; the inactive_days filter', async () => {
  const p = await provider();
  await adminWith(srv, USERS_ALL, { provider_id: p.id });
  const fresh = (await readyUser(srv, { provider_id: p.id })).user;
  const one = async (id) => (await srv.api('GET', `/api/v1/users/${id}`)).body;
  assert.equal((await one(fresh.id)).dormant_at, null, 'no rule: null');
  assert.equal((await setRule(p.id, { dormant_days: 100 })).status, 200);
  const at = Date.parse((await one(fresh.id)).dormant_at) / 1000;
  const expect = Date.parse((await one(fresh.id)).last_login_at) / 1000 + 100 * DAY;
  assert.equal(at, expect, 'the last sign-in + 100 days');
  const list = await srv.api('GET', `/api/v1/users?tenant_id=${p.id}&limit=200`);
  assert.equal(list.status, 200, JSON.stringify(list.body));
  const row = list.body.items.find((x) => x.id === fresh.id);
  assert.equal(Date.parse(row.dormant_at) / 1000, at);

  clock.advance(40 * DAY);
  const newer = (await readyUser(srv, { provider_id: p.id })).user;
  const ids = async (q) => {
    const r = await srv.api('GET', `/api/v1/users?tenant_id=${p.id}&limit=200&${q}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items.map((x) => x.id);
  };
  const old = await ids('inactive_days=30');
  assert.ok(old.includes(fresh.id), 'inactive for 40 days');
  assert.ok(!old.includes(newer.id), 'signed in today');
  assert.ok(!(await ids('inactive_days=60')).includes(fresh.id));
  const counts = await srv.api('GET', `/api/v1/users/counts?tenant_id=${p.id}&inactive_days=30`);
  assert.equal(counts.status, 200, JSON.stringify(counts.body));
  for (const bad of ['0', '3651', 'x', '1.5']) {
    const r = await srv.api('GET', `/api/v1/users?inactive_days=${bad}`);
    assertProblem(r, 400, 'inactive_days');
  }
  // disabled: no date
  const dis = await srv.api('POST', `/api/v1/users/${fresh.id}/disable`);
  assert.ok(dis.status < 300, JSON.stringify(dis.body));
  assert.equal((await one(fresh.id)).dormant_at, null);
});

test('the server runs the rules every --dormant-interval-seconds, on its clock', async () => {
  const c = testClock();
  const s = await startServer({ args: ['--dormant-interval-seconds', '1'], clock: c });
  try {
    const t = await s.api('POST', '/api/v1/tenants', {
      body: { kind: 'service_provider', name: uniq('sp') },
    });
    await adminWith(s, USERS_ALL, { provider_id: t.body.id });
    const u = await s.api('POST', '/api/v1/users', {
      body: {
        username: uniq('d'),
        email: `${uniq('d')}@example.com`,
        provider_id: t.body.id,
        password: 'a long enough password for tests',
      },
    });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    const rule = await s.api('PATCH', `/api/v1/tenants/${t.body.id}`, {
      body: { dormant_days: 3 },
    });
    assert.equal(rule.status, 200, JSON.stringify(rule.body));
    c.advance(4 * DAY);
    let status;
    for (let i = 0; i < 100 && status !== 'disabled'; i++) {
      await new Promise((ok) => setTimeout(ok, 100));
      status = (await s.api('GET', `/api/v1/users/${u.body.id}`)).body.status;
    }
    assert.equal(status, 'disabled', 'the job disabled it');
    const rows = await auditRows(s, 'user.dormant_disable', u.body.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].actor, 'system');
  } finally {
    await s.stop();
    c.remove();
  }
});
