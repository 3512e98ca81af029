// /metrics (issue 18): Prometheus text that `promtool check metrics` finds nothing in, HELP and
// TYPE for every family, request counts and latency histograms per route pattern (never the raw
// path; unknown paths under one "unmatched" label) and status, sign-in steps by factor and
// outcome, lock-outs, the mail outbox's depth and failed deliveries, connections, the Argon2id
// queue, database errors and gatehouse_build_info carrying what /healthz says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import {
  startServer,
  signIn,
  withCookie,
  createUser,
  readyUser,
  testClock,
  oathtool,
  enrolTotp,
} from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';

let srv;
let clock;

// A loopback port nothing listens on: the SMTP server that refuses every delivery.
async function closedPort() {
  const s = createServer();
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address();
  await new Promise((ok) => s.close(ok));
  return port;
}

before(async () => {
  clock = testClock();
  const smtp = await closedPort();
  srv = await startServer({
    clock,
    args: ['--smtp-url', `smtp://127.0.0.1:${smtp}`, '--mail-from', 'gatehouse@example.com'],
    env: { GATEHOUSE_SIGNIN_RATE_PER_MINUTE: '1000' },
  });
});
after(async () => {
  await srv?.stop();
  clock?.remove();
});

// The exposition text, its series (the name with its labels as printed -> value) and its
// families (name -> {type, help}).
async function scrape() {
  const r = await fetch(`${srv.base}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await r.text();
  const series = new Map();
  const families = new Map();
  for (const line of text.split('\n')) {
    let m;
    if ((m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line))) {
      const f = families.get(m[2]) ?? {};
      f[m[1].toLowerCase()] = m[3];
      families.set(m[2], f);
    } else if (line !== '') {
      const i = line.lastIndexOf(' ');
      series.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
  }
  return { text, series, families };
}

const value = (s, key) => s.series.get(key) ?? 0;

test('promtool check metrics finds nothing, and every family has HELP and TYPE', async () => {
  await fetch(`${srv.base}/no-such-page`);
  const s = await scrape();
  const p = spawnSync('promtool', ['check', 'metrics'], { input: s.text, encoding: 'utf8' });
  assert.equal(p.error, undefined, 'promtool runs (Debian package prometheus)');
  assert.equal(p.stdout + p.stderr, '', 'promtool says nothing');
  assert.equal(p.status, 0);
  for (const [name, f] of s.families) {
    assert.ok(f.help && f.type, `${name} has HELP and TYPE`);
    if (f.type === 'counter') assert.match(name, /_total$/, name);
  }
  for (const key of s.series.keys()) {
    const name = key.replace(/\{.*$/, '');
    const family = [...s.families.keys()].find(
      (f) => name === f || (s.families.get(f).type === 'histogram' && name.startsWith(f + '_')),
    );
    assert.ok(family, `${key} belongs to a family with HELP and TYPE`);
  }
});

test('requests are counted and timed by route pattern and status, unknown paths as unmatched', async () => {
  const { user } = await createUser(srv);
  const id = user.id;
  const before = await scrape();
  const got = await srv.api('GET', `/api/v1/users/${id}`);
  assert.equal(got.status, 200);
  const missing = await srv.api('GET', `/api/v1/users/${id + 100000}`);
  assert.equal(missing.status, 404);
  const nowhere = await fetch(`${srv.base}/${uniq('nowhere-')}`);
  assert.equal(nowhere.status, 404);
  const after = await scrape();

  const route = (status) => `route="/api/v1/users/{id}",method="GET",status="${status}"`;
  for (const status of [200, 404]) {
    const c = `gatehouse_http_requests_total{${route(status)}}`;
    assert.equal(value(after, c) - value(before, c), 1, c);
    const n = `gatehouse_http_request_duration_seconds_count{${route(status)}}`;
    assert.equal(value(after, n) - value(before, n), 1, n);
  }
  const un = 'gatehouse_http_requests_total{route="unmatched",method="GET",status="404"}';
  assert.equal(value(after, un) - value(before, un), 1);
  for (const key of after.series.keys())
    assert.doesNotMatch(key, new RegExp(`/users/${id}\\b|nowhere-`), `a raw path in ${key}`);

  // the buckets are cumulative, end in +Inf equal to the count, and the sum is plausible
  const prefix = `gatehouse_http_request_duration_seconds`;
  const buckets = [...after.series]
    .filter(([k]) => k.startsWith(`${prefix}_bucket{${route(200)},le=`))
    .map(([k, v]) => [k.match(/le="([^"]+)"/)[1], v]);
  assert.deepEqual(
    buckets.map(([le]) => le),
    [
      '0.001',
      '0.0025',
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
    ].concat(['10', '+Inf']),
  );
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1]);
  assert.equal(buckets.at(-1)[1], value(after, `${prefix}_count{${route(200)}}`));
  const sum = value(after, `${prefix}_sum{${route(200)}}`);
  assert.ok(sum > 0 && sum < 60, `sum ${sum}`);
});

// Moves the server clock 10 s into a step at least one step ahead, so that a code computed now
// is still the current one when the server checks it (and is not the enrolment's).
function nextStep() {
  const t = clock.now();
  clock.advance(30 - (t % 30) + 40);
  return Math.floor(clock.now() / 30);
}

const signins = (factor, outcome) =>
  `gatehouse_signin_attempts_total{factor="${factor}",outcome="${outcome}"}`;

test('sign-in steps are counted by factor and outcome, and a lock-out is counted', async () => {
  const before = await scrape();
  for (const f of ['password', 'totp', 'recovery_code', 'sso'])
    for (const o of ['success', 'failure', 'throttled'])
      assert.ok(before.series.has(signins(f, o)), `${signins(f, o)} exists before any sign-in`);

  const u = await readyUser(srv); // one password success (then the forced change)
  const wrong = await signIn(srv, u.username, 'not the password at all, sorry');
  assert.equal(wrong.status, 401);
  const { secret, recovery_codes } = await enrolTotp(srv, u.as, clock);
  const s = await signIn(srv, u.username, u.password); // a second password success
  assert.equal(s.body.next, 'totp');
  const as = withCookie(srv, s.cookie);
  const step = nextStep();
  const good = oathtool(secret, step * 30 + 5);
  const bad = String((Number(good) + 1) % 1000000).padStart(6, '0');
  assert.equal((await as('POST', '/api/v1/session/totp', { body: { code: bad } })).status, 401);
  assert.equal((await as('POST', '/api/v1/session/totp', { body: { code: good } })).status, 200);
  const again = await signIn(srv, u.username, u.password); // a third password success
  const code = recovery_codes[0];
  const rec = await withCookie(srv, again.cookie)('POST', '/api/v1/session/totp', {
    body: { code },
  });
  assert.equal(rec.status, 200);

  const victim = await createUser(srv);
  for (let i = 0; i < 5; i++)
    assert.equal((await signIn(srv, victim.username, `wrong guess number ${i}`)).status, 401);

  const after = await scrape();
  const moved = (key) => value(after, key) - value(before, key);
  assert.equal(moved(signins('password', 'success')), 3);
  assert.equal(moved(signins('recovery_code', 'success')), 1);
  assert.equal(moved(signins('password', 'failure')), 6);
  assert.equal(moved(signins('totp', 'failure')), 1);
  assert.equal(moved(signins('totp', 'success')), 1);
  assert.equal(moved(signins('sso', 'success')), 0);
  assert.equal(moved('gatehouse_lockouts_total'), 1);
  const other = [...after.series.keys()].filter((k) => k.includes('factor="other"'));
  assert.deepEqual(other, [], 'every step named a listed factor');
});

test('the outbox depth and failed mail deliveries move; gauges and build info are there', async () => {
  const before = await scrape();
  await createUser(srv, { password: null }); // invited: an onboarding e-mail is queued
  await srv.waitForLog((l) => l.includes('"mail_attempt_failed"'), { what: 'a failed delivery' });
  const after = await scrape();
  const depth = 'gatehouse_outbox_depth{queue="mail"}';
  assert.equal(value(after, depth) - value(before, depth), 1, 'the message waits for a retry');
  assert.equal(value(after, 'gatehouse_outbox_depth{queue="webhooks"}'), 0);
  const retry = 'gatehouse_delivery_failures_total{queue="mail",result="retry"}';
  assert.ok(value(after, retry) - value(before, retry) >= 1, retry);

  assert.ok(value(after, 'gatehouse_http_connections') >= 1, 'this scrape is a connection');
  assert.ok(value(after, 'gatehouse_http_requests_in_flight') >= 1, 'this scrape is in flight');
  assert.ok(value(after, 'gatehouse_argon2_queue_capacity') > 0);
  assert.equal(value(after, 'gatehouse_argon2_queue_depth'), 0, 'no sign-in is waiting');
  assert.equal(after.families.get('gatehouse_db_errors_total')?.type, 'counter');
  assert.equal(after.families.get('gatehouse_argon2_queue_depth')?.type, 'gauge');

  const health = (await srv.api('GET', '/healthz', { token: null })).body;
  const info = [...after.series].filter(([k]) => k.startsWith('gatehouse_build_info{'));
  assert.equal(info.length, 1);
  assert.equal(info[0][1], 1);
  const labels = Object.fromEntries(
    [...info[0][0].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
  );
  assert.equal(labels.version, health.version);
  assert.equal(labels.commit, health.commit);
  for (const [lib, v] of Object.entries(health.libraries)) assert.equal(labels[lib], v, lib);
});
