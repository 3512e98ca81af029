// SECURITY I8 with A4, A6, L1, L2: a flood from one address is throttled too. Lock-out bans one
// account after five failures; the per-address throttle allows 20 failed sign-in steps (password
// or TOTP) per client address in any minute (--signin-rate-per-minute), then answers 429 with
// Retry-After before any Argon2id work, whatever the account and whether the password is right.
// Steps that pass give their attempt back. Behind a trusted proxy the budget belongs to the
// forwarded address. The first refusal of an address in a minute is audited as login.throttled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIN,
  startServer,
  signIn,
  withCookie,
  sansRequestId,
  createUser,
  readyUser,
  testClock,
  oathtool,
  enrolTotp,
  auditRows,
  ROOT_PASSWORD,
} from './lib/server.mjs';

const RATE = 20; // the default
let srv;
let clock;

before(async () => {
  clock = testClock();
  srv = await startServer({ clock });
});
after(async () => {
  await srv?.stop();
  clock?.remove();
});

// Every test on srv starts with an empty window for 127.0.0.1, whatever ran before it.
const freshWindow = () => clock.advance(61);
const wrongPassword = (i) => `definitely not the password ${i}`;

async function fail(s, username, i, headers = {}) {
  const r = await signIn(s, username, wrongPassword(i), { headers });
  assert.equal(
    r.status,
    401,
    `failure #${i + 1} for ${username}: ${r.status} ${JSON.stringify(r.body)}`,
  );
  return r;
}

// Asserts a throttle refusal; returns its Retry-After in seconds.
function assertThrottled(r, what) {
  assert.equal(r.status, 429, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.match(r.headers.get('content-type') || '', /^application\/problem\+json/, what);
  assert.equal(r.body.status, 429, what);
  assert.match(r.body.detail, /too many failed sign-ins/, what);
  const ra = r.headers.get('retry-after');
  assert.match(ra || '', /^\d+$/, `${what}: Retry-After ${ra}`);
  assert.ok(Number(ra) >= 1 && Number(ra) <= 60, `${what}: Retry-After ${ra}`);
  assert.equal(r.headers.getSetCookie().length, 0, `${what}: a refusal sets a cookie`);
  return Number(ra);
}

async function userOf(s, id) {
  const r = await s.api('GET', `/api/v1/users/${id}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function throttledRows(s) {
  return auditRows(s, 'login.throttled');
}

// A 6-digit code that is neither the current nor the previous one.
function wrongCode(secret) {
  const near = new Set([-30, 0, 30].map((d) => oathtool(secret, clock.now() + d)));
  for (let i = 0; ; i++) {
    const c = String((Number(oathtool(secret, clock.now())) + 111111 * (i + 1)) % 1000000).padStart(
      6,
      '0',
    );
    if (!near.has(c)) return c;
  }
}

test('I8: 20 failures from one address in a minute; the 21st gets 429 with Retry-After, the right password too; a minute later it works', async () => {
  freshWindow();
  const users = [];
  for (let i = 0; i < 5; i++) users.push(await createUser(srv));
  // Four failures for each of five accounts: no account reaches its lock-out of five.
  for (let i = 0; i < RATE; i++) await fail(srv, users[i % 5].username, i);
  const rowsBefore = (await throttledRows(srv)).length;

  const wrong = await signIn(srv, users[0].username, wrongPassword(99));
  assertThrottled(wrong, 'the 21st failure');
  const right = await signIn(srv, users[1].username, users[1].password);
  assertThrottled(right, 'the right password while the budget is empty');
  const unknown = await signIn(srv, 'nobody-at-all-here', wrongPassword(98));
  assertThrottled(unknown, 'an unknown user');
  assert.equal(
    sansRequestId(right.body),
    sansRequestId(wrong.body),
    'the right password is refused like a wrong one (A6)',
  );
  assert.equal(
    sansRequestId(unknown.body),
    sansRequestId(wrong.body),
    'an unknown user is refused like a known one (A6)',
  );
  for (let i = 0; i < 3; i++)
    assertThrottled(
      await signIn(srv, users[0].username, wrongPassword(100 + i)),
      `more for ${users[0].username}`,
    );

  // The throttle bans no account: the refused attempts never reached the password check (users[0]
  // had four failures and got four more refused ones, a fifth checked failure would ban it), and
  // the API keeps answering the bearer token meanwhile.
  for (const u of users) {
    const cur = await userOf(srv, u.user.id);
    assert.equal(cur.banned_until, null, `${u.username} is banned: ${cur.banned_until}`);
    assert.equal(cur.status, 'active');
  }
  const banned = (await srv.api('GET', '/api/v1/users?status=banned&limit=200')).body.items.map(
    (x) => x.id,
  );
  assert.ok(
    users.every((u) => !banned.includes(u.user.id)),
    `listed as banned: ${banned}`,
  );

  // L1, L2: audited once for the flood (not once per refusal), with the address.
  const rows = await throttledRows(srv);
  assert.equal(
    rows.length,
    rowsBefore + 1,
    `one login.throttled row per address and minute: ${JSON.stringify(rows.slice(0, 3))}`,
  );
  const row = rows[0];
  assert.equal(row.ip, '127.0.0.1');
  assert.equal(row.outcome, 'denied');
  assert.equal(row.after?.factor, 'password', JSON.stringify(row));
  assert.equal(row.target_user_id, null, 'the password step names no account');

  clock.advance(60);
  const later = await signIn(srv, users[1].username, users[1].password);
  assert.equal(later.status, 200, `a minute later: ${JSON.stringify(later.body)}`);
  const first = await signIn(srv, users[0].username, users[0].password);
  assert.equal(
    first.status,
    200,
    `the account with four failures and four throttled attempts: ${JSON.stringify(first.body)}`,
  );
});

test('I8: Retry-After says when an attempt frees up; moving the clock by it is enough', async () => {
  freshWindow();
  const u = await createUser(srv);
  for (let i = 0; i < RATE; i++) await fail(srv, `ghost-${i}`, i);
  const wait = assertThrottled(await signIn(srv, u.username, u.password), 'budget spent');
  clock.advance(wait);
  const r = await signIn(srv, u.username, u.password);
  assert.equal(r.status, 200, `after Retry-After (${wait} s): ${JSON.stringify(r.body)}`);
});

test('I8: steps that pass give their attempt back: many sign-ins from one address are not throttled', async () => {
  freshWindow();
  const u = await createUser(srv);
  for (let i = 0; i < RATE - 1; i++) await fail(srv, `ghost-${i}`, i);
  for (let i = 0; i < 25; i++) {
    const r = await signIn(srv, 'root', ROOT_PASSWORD);
    assert.equal(
      r.status,
      200,
      `success #${i + 1} with 19 failures in the window: ${r.status} ${JSON.stringify(r.body)}`,
    );
  }
  await fail(srv, u.username, RATE - 1); // the 20th failure
  assertThrottled(await signIn(srv, 'root', ROOT_PASSWORD), 'after the 20th failure');
});

test('I8: parallel failures cannot overrun the budget: it is taken before Argon2id runs', async () => {
  freshWindow();
  const rs = await Promise.all(
    Array.from({ length: 40 }, (_, i) => signIn(srv, `parallel-ghost-${i}`, wrongPassword(i))),
  );
  const statuses = rs.map((r) => r.status);
  assert.ok(
    statuses.every((s) => s === 401 || s === 429),
    statuses.join(','),
  );
  const checked = statuses.filter((s) => s === 401).length;
  assert.ok(
    checked <= RATE,
    `${checked} of 40 parallel failures reached the password check: ${statuses.join(',')}`,
  );
  for (const r of rs)
    if (r.status === 429) assert.match(r.headers.get('retry-after') || '', /^\d+$/);
  assertThrottled(await signIn(srv, 'root', ROOT_PASSWORD), 'after the parallel flood');
});

test('I8: the TOTP step is throttled too, and its failures count', async () => {
  freshWindow();
  const u = await readyUser(srv);
  const { secret } = await enrolTotp(srv, u.as, clock);
  clock.advance(61); // the next code, and an empty window again
  const s = await signIn(srv, u.username, u.password);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.next, 'totp');
  const as = withCookie(srv, s.cookie);
  for (let i = 0; i < 4; i++) {
    const r = await as('POST', '/api/v1/session/totp', { body: { code: wrongCode(secret) } });
    assert.equal(r.status, 401, `wrong code #${i + 1}: ${JSON.stringify(r.body)}`);
  }
  for (let i = 4; i < RATE; i++) await fail(srv, `ghost-${i}`, i);
  const rowsBefore = (await throttledRows(srv)).length;
  const right = await as('POST', '/api/v1/session/totp', {
    body: { code: oathtool(secret, clock.now()) },
  });
  assertThrottled(right, 'the right code after 4 wrong codes and 16 wrong passwords');
  assertThrottled(
    await as('POST', '/api/v1/session/totp', { body: { code: wrongCode(secret) } }),
    'a wrong code',
  );
  const rows = await throttledRows(srv);
  assert.equal(rows.length, rowsBefore + 1);
  assert.equal(rows[0].after?.factor, 'totp', JSON.stringify(rows[0]));
  assert.equal(rows[0].target_user_id, u.user.id, 'the TOTP step knows whose session it is');
  assert.equal(rows[0].ip, '127.0.0.1');
  assert.equal(
    (await userOf(srv, u.user.id)).banned_until,
    null,
    'the refused codes did not count towards the ban',
  );

  clock.advance(60);
  const done = await as('POST', '/api/v1/session/totp', {
    body: { code: oathtool(secret, clock.now()) },
  });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.next, 'done');
});

test('I8: X-Forwarded-For does not buy a fresh budget when no proxy is trusted', async () => {
  freshWindow();
  for (let i = 0; i < RATE; i++)
    await fail(srv, `ghost-${i}`, i, { 'x-forwarded-for': `203.0.113.${i + 1}` });
  assertThrottled(
    await signIn(srv, 'root', ROOT_PASSWORD, { headers: { 'x-forwarded-for': '203.0.113.200' } }),
    'a forged X-Forwarded-For',
  );
});

test('I8, L2: behind a trusted proxy each forwarded address has its own budget', async () => {
  const s2 = await startServer({ args: ['--trusted-proxy', '127.0.0.1'] });
  try {
    const A = '203.0.113.7';
    const B = '198.51.100.23';
    const u = await createUser(s2);
    const viaA = { 'x-forwarded-for': A };
    const viaB = { 'x-forwarded-for': B };
    for (let i = 0; i < RATE; i++) await fail(s2, `ghost-${i}`, i, viaA);
    assertThrottled(
      await signIn(s2, u.username, wrongPassword(0), { headers: viaA }),
      'A, 21st failure',
    );
    assertThrottled(
      await signIn(s2, u.username, u.password, { headers: viaA }),
      'A, right password',
    );
    // The proxy appends the address it saw; what the client put before it does not matter.
    assertThrottled(
      await signIn(s2, u.username, u.password, { headers: { 'x-forwarded-for': `${B}, ${A}` } }),
      'A behind a forged B',
    );

    await fail(s2, u.username, 0, viaB);
    const b = await signIn(s2, u.username, u.password, { headers: viaB });
    assert.equal(b.status, 200, `B has its own budget: ${JSON.stringify(b.body)}`);
    const direct = await signIn(s2, u.username, u.password);
    assert.equal(
      direct.status,
      200,
      `the proxy itself (no X-Forwarded-For) has its own budget: ${JSON.stringify(direct.body)}`,
    );
    for (let i = 1; i < RATE; i++) await fail(s2, `ghost-${i}`, i, viaB);
    assertThrottled(
      await signIn(s2, u.username, u.password, { headers: viaB }),
      'B, after its own 20 failures',
    );

    const rows = await throttledRows(s2);
    assert.deepEqual(rows.map((r) => r.ip).sort(), [B, A].sort(), JSON.stringify(rows));
    assert.equal((await userOf(s2, u.user.id)).banned_until, null, 'the account is not banned');
  } finally {
    await s2.stop();
  }
});

test('--signin-rate-per-minute and GATEHOUSE_SIGNIN_RATE_PER_MINUTE set the budget; bad values refuse to start', async () => {
  const byFlag = await startServer({ args: ['--signin-rate-per-minute', '3'] });
  try {
    for (let i = 0; i < 3; i++) await fail(byFlag, 'ghost', i);
    assertThrottled(await signIn(byFlag, 'root', ROOT_PASSWORD), 'the 4th with a budget of 3');
  } finally {
    await byFlag.stop();
  }
  const byEnv = await startServer({ env: { GATEHOUSE_SIGNIN_RATE_PER_MINUTE: '2' } });
  try {
    for (let i = 0; i < 2; i++) await fail(byEnv, 'ghost', i);
    assertThrottled(await signIn(byEnv, 'root', ROOT_PASSWORD), 'the 3rd with a budget of 2');
  } finally {
    await byEnv.stop();
  }
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-throttle-'));
  try {
    for (const v of ['-1', '10001', 'abc', '']) {
      const r = spawnSync(
        BIN,
        [
          'serve',
          '--db',
          join(dir, 'g.db'),
          '--listen',
          '127.0.0.1:0',
          '--signin-rate-per-minute',
          v,
        ],
        { encoding: 'utf8', timeout: 10000 },
      );
      assert.notEqual(
        r.status,
        0,
        `--signin-rate-per-minute ${JSON.stringify(v)} started: ${r.stderr}`,
      );
      assert.equal(r.signal, null, `--signin-rate-per-minute ${JSON.stringify(v)} kept running`);
      assert.match(r.stderr, /signin-rate-per-minute|usage/, r.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
