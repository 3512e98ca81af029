// Two-factor required by role: a user holding a role with mfa_required (directly or through a
// group) is stopped at enroll_totp / totp at sign-in, like a user whose own flag is set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  readyUser,
  signIn,
  withCookie,
  enrolTotp,
  testClock,
  oathtool,
} from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';

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

async function role(mfa) {
  const r = await srv.api('POST', '/api/v1/roles', {
    body: {
      name: uniq('MFA role '),
      kind: 'service_provider',
      permissions: ['users.read'],
      mfa_required: mfa,
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.mfa_required, mfa);
  return r.body;
}

test('a role with mfa_required makes its holders enrol at the next sign-in, then pass TOTP', async () => {
  const u = await readyUser(srv);
  const strict = await role(true);
  const add = await srv.api('PATCH', `/api/v1/users/${u.user.id}`, {
    body: { role_ids: [strict.id] },
  });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  assert.equal(add.body.mfa_required, false, "the user's own flag is untouched");

  const s = await signIn(srv, u.username, u.password);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.next, 'enroll_totp');
  const as = withCookie(srv, s.cookie);
  assert.equal(
    (await as('GET', '/api/v1/users?limit=1')).status,
    403,
    'nothing else until enrolled',
  );
  const e = await enrolTotp(srv, as, clock);
  assert.equal(e.next, 'done');

  clock.advance(60);
  const again = await signIn(srv, u.username, u.password);
  assert.equal(again.body.next, 'totp');
  const ok = await withCookie(srv, again.cookie)('POST', '/api/v1/session/totp', {
    body: { code: oathtool(e.secret, clock.now()) },
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.next, 'done');
});

test('a group role with mfa_required counts too; a role without it does not; PATCH turns it on', async () => {
  const u = await readyUser(srv);
  const lax = await role(false);
  const g = await srv.api('POST', '/api/v1/groups', {
    body: { name: uniq('MFA group '), role_ids: [lax.id] },
  });
  assert.equal(g.status, 201, JSON.stringify(g.body));
  const join = await srv.api('PATCH', `/api/v1/users/${u.user.id}`, {
    body: { group_ids: [g.body.id] },
  });
  assert.equal(join.status, 200, JSON.stringify(join.body));
  assert.equal(
    (await signIn(srv, u.username, u.password)).body.next,
    'done',
    'a lax role asks nothing',
  );

  const on = await srv.api('PATCH', `/api/v1/roles/${lax.id}`, { body: { mfa_required: true } });
  assert.equal(on.status, 200, JSON.stringify(on.body));
  assert.equal(on.body.mfa_required, true);
  assert.equal(
    (await signIn(srv, u.username, u.password)).body.next,
    'enroll_totp',
    'the group role now asks',
  );

  const bad = await srv.api('PATCH', `/api/v1/roles/${lax.id}`, { body: { mfa_required: 'yes' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.errors[0].field, 'mfa_required');
});

test('Refresh two-factor of a user who enrolled of their own accord: the next sign-in enrols a new device', async () => {
  const u = await readyUser(srv);
  const e = await enrolTotp(srv, u.as, clock); // voluntary: mfa_required is false
  assert.equal(e.next, 'done');
  const reset = await srv.api('POST', `/api/v1/users/${u.user.id}/reset-mfa`);
  assert.equal(reset.status, 200, JSON.stringify(reset.body));
  assert.equal(reset.body.mfa_enrolled, false);
  assert.equal(reset.body.mfa_required, true, 'two-factor stays on for a user who used it');
  const s = await signIn(srv, u.username, u.password);
  assert.equal(s.body.next, 'enroll_totp', 'not a silent switch to password-only sign-in');
});
