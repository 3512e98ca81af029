// POST /api/v1/me/tokens: a user's own API token, created from the console (SECURITY S11, S10):
//   - only from a signed-in session (a bearer token does not mint tokens), same-origin (S7);
//   - with a fresh proof: the current password, or a current code of the two-factor device
//     (used up: the same code twice is refused, A10); no proof 403, a wrong one 400, each naming
//     current_password (or code);
//   - a name (blank refused) and a lifetime of 1 to 365 days (90 by default);
//   - the token is in the 201 answer only: the list shows id, name and times, the audit row
//     (token.create) the id, the expiry and the proof, never the token (L3);
//   - it works as a bearer token, and DELETE /api/v1/me/tokens/{id} ends it at once.
// One server for the file; every test signs in a user of its own, so each passes alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  readyUser,
  enrolTotp,
  oathtool,
  auditRows,
  testClock,
} from './lib/server.mjs';
import { assertProblem } from './lib/helpers.mjs';

let srv, clock;
const DAY = 86400;

before(async () => {
  clock = testClock();
  srv = await startServer({ clock });
});

after(async () => {
  await srv?.stop();
  clock?.remove();
});

const works = async (token) =>
  (await srv.api('GET', '/api/v1/permissions', { token })).status === 200;

test('a token made with the current password: shown once, listed without it, works, revocable', async () => {
  const u = await readyUser(srv);
  const made = await u.as('POST', '/api/v1/me/tokens', {
    body: { name: 'deploy script', current_password: u.password },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const { id, token, name, expires_at, created_at, user_id } = made.body;
  assert.equal(name, 'deploy script');
  assert.equal(user_id, u.user.id);
  assert.match(token, /^\S{20,}$/);
  const created = Date.parse(created_at) / 1000;
  assert.equal(
    Date.parse(expires_at) / 1000 - created,
    90 * DAY,
    'the default lifetime is 90 days',
  );
  assert.ok(await works(token), 'the new token authenticates');

  const list = await u.as('GET', '/api/v1/me/tokens');
  assert.equal(list.status, 200);
  const item = list.body.items.find((t) => t.id === id);
  assert.deepEqual(Object.keys(item).sort(), ['created_at', 'expires_at', 'id', 'name', 'user_id']);
  assert.ok(!JSON.stringify(list.body).includes(token), 'the list never holds the token');

  const rows = await auditRows(srv, 'token.create', u.user.id);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].after.id, id);
  assert.equal(rows[0].after.proof, 'password');
  assert.ok(!JSON.stringify(rows).includes(token), 'the audit row never holds the token');

  const del = await u.as('DELETE', `/api/v1/me/tokens/${id}`);
  assert.equal(del.status, 204);
  assert.equal(await works(token), false, 'revoked: refused at the next request');
});

test('a lifetime of 1 to 365 days; a name is needed', async () => {
  const u = await readyUser(srv);
  const make = (body) =>
    u.as('POST', '/api/v1/me/tokens', { body: { current_password: u.password, ...body } });
  const week = await make({ name: 'a week', expires_in_days: 7 });
  assert.equal(week.status, 201, JSON.stringify(week.body));
  assert.equal(
    (Date.parse(week.body.expires_at) - Date.parse(week.body.created_at)) / 1000,
    7 * DAY,
  );
  for (const bad of [0, 366, -1, 1.5, '7', null]) {
    assertProblem(
      await make({ name: 'bad', expires_in_days: bad }),
      400,
      'expires_in_days',
      `expires_in_days ${JSON.stringify(bad)}`,
    );
  }
  for (const name of ['', '   '])
    assertProblem(await make({ name }), 400, 'name', `name "${name}"`);
  assertProblem(await make({}), 400, 'name', 'no name');
  assertProblem(await make({ name: 'x'.repeat(101) }), 400, 'name', 'a name of 101 characters');
});

test('no proof is 403, a wrong password 400, both naming current_password; nothing is made', async () => {
  const u = await readyUser(srv);
  assertProblem(
    await u.as('POST', '/api/v1/me/tokens', { body: { name: 'no proof' } }),
    403,
    'current_password',
  );
  assertProblem(
    await u.as('POST', '/api/v1/me/tokens', {
      body: { name: 'wrong', current_password: 'not the password at all' },
    }),
    400,
    'current_password',
  );
  assert.equal((await u.as('GET', '/api/v1/me/tokens')).body.items.length, 0);
  assert.equal((await auditRows(srv, 'token.create', u.user.id)).length, 0);
});

test('a current two-factor code is proof too, once: the same code again is refused', async () => {
  const u = await readyUser(srv);
  const { secret } = await enrolTotp(srv, u.as, clock);
  clock.advance(60); // past the step the enrolment used
  const code = oathtool(secret, clock.now());
  const made = await u.as('POST', '/api/v1/me/tokens', { body: { name: 'by code', code } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal((await auditRows(srv, 'token.create', u.user.id))[0].after.proof, 'code');
  assertProblem(
    await u.as('POST', '/api/v1/me/tokens', { body: { name: 'again', code } }),
    400,
    'code',
    'a used code',
  );
  assertProblem(
    await u.as('POST', '/api/v1/me/tokens', { body: { name: 'wrong', code: '000000' } }),
    400,
    'code',
  );
});

test('a bearer token cannot mint a token, and a cross-site request is refused', async () => {
  const u = await readyUser(srv);
  const made = await u.as('POST', '/api/v1/me/tokens', {
    body: { name: 'first', current_password: u.password },
  });
  assert.equal(made.status, 201);
  const r = await srv.api('POST', '/api/v1/me/tokens', {
    token: made.body.token,
    body: { name: 'second', current_password: u.password },
  });
  assertProblem(r, 403, null, 'a bearer token');
  const cross = await u.as('POST', '/api/v1/me/tokens', {
    body: { name: 'cross', current_password: u.password },
    origin: 'https://evil.example',
  });
  assertProblem(cross, 403, null, 'another origin');
  assert.equal((await u.as('GET', '/api/v1/me/tokens')).body.items.length, 1);
});
