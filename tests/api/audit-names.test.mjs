// The audit trail for people: each row names its actor (actor_name) and its target (target_name,
// target_visible) as the reader may see them, the snapshot's name for a target that is gone; the
// actor filter by username; GET /api/v1/audit/actions, the list of actions the server writes; and a
// scoped admin, who gets no name of a user outside its scope.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, adminWith, listAll } from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';

let srv;
let provider; // a service provider P
let other; // another provider Q
let ada; // a platform admin with every permission, named Ada Lovelace
let mei; // a user of P named Mei Chen

async function ok(pending, status = 200) {
  const r = await pending;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}

const rows = async (query, token = srv.token) =>
  (await ok(srv.api('GET', `/api/v1/audit?${query}&limit=200`, { token }))).items;

before(async () => {
  srv = await startServer();
  const perms = (await ok(srv.api('GET', '/api/v1/permissions'))).items.map((p) => p.name);
  provider = (
    await ok(
      srv.api('POST', '/api/v1/tenants', {
        body: { kind: 'service_provider', name: uniq('Names provider ') },
      }),
      201,
    )
  ).id;
  other = (
    await ok(
      srv.api('POST', '/api/v1/tenants', {
        body: { kind: 'service_provider', name: uniq('Other provider ') },
      }),
      201,
    )
  ).id;
  ada = await adminWith(srv, perms, { username: uniq('ada') });
  await ok(
    srv.api('PATCH', `/api/v1/users/${ada.user.id}`, {
      body: { first_name: 'Ada', last_name: 'Lovelace' },
    }),
  );
  mei = await ok(
    srv.api('POST', '/api/v1/users', {
      body: {
        username: uniq('mei'),
        email: `${uniq('mei')}@example.com`,
        first_name: 'Mei',
        last_name: 'Chen',
        provider_id: provider,
      },
    }),
    201,
  );
  await ok(srv.api('POST', `/api/v1/users/${mei.id}/disable`, { token: ada.token }));
});

after(async () => {
  await srv?.stop();
});

test('a row names its actor and its target: full names, a role, a group, a tenant', async () => {
  const [dis] = await rows(`action=user.disable&target_id=${mei.id}`);
  assert.equal(dis.actor, ada.user.username, 'actor stays the username');
  assert.equal(dis.actor_name, 'Ada Lovelace');
  assert.equal(dis.target_name, 'Mei Chen');
  assert.equal(dis.target_visible, true);
  const [created] = await rows(`action=user.create&target_id=${mei.id}`);
  assert.equal(created.actor_name, 'root', 'a user without a name: its username');

  const role = await ok(
    srv.api('POST', '/api/v1/roles', {
      body: { name: uniq('Named role '), kind: 'service_provider', permissions: ['users.read'] },
    }),
    201,
  );
  const group = await ok(
    srv.api('POST', '/api/v1/groups', { body: { name: uniq('Named group ') } }),
    201,
  );
  const [r] = await rows(`action=role.create&target_id=${role.id}`);
  assert.equal(r.target_name, role.name);
  assert.equal(r.target_visible, true);
  const [g] = await rows(`action=group.create&target_id=${group.id}`);
  assert.equal(g.target_name, group.name);
  const [t] = await rows(`action=tenant.create&target_id=${provider}`);
  assert.match(t.target_name, /^Names provider /);
  assert.equal(t.target_visible, true);

  const all = await listAll(srv, '/api/v1/audit');
  for (const e of all) {
    assert.ok('actor_name' in e && 'target_name' in e && 'target_visible' in e, e.action);
    if (e.target_type === 'request') assert.equal(e.target_name, null, 'a denied request');
  }
});

test('a target that is gone keeps the name its snapshot gave it, and is no longer linkable', async () => {
  const role = await ok(
    srv.api('POST', '/api/v1/roles', {
      body: { name: uniq('Doomed role '), kind: 'service_provider', permissions: [] },
    }),
    201,
  );
  const renamed = uniq('Renamed role ');
  await ok(srv.api('PATCH', `/api/v1/roles/${role.id}`, { body: { name: renamed } }));
  const live = await rows(`target_type=role&target_id=${role.id}`);
  assert.ok(live.every((e) => e.target_name === renamed && e.target_visible));
  await ok(srv.api('DELETE', `/api/v1/roles/${role.id}`), 204);
  const gone = await rows(`target_type=role&target_id=${role.id}`);
  assert.deepEqual(
    gone.map((e) => [e.action, e.target_name, e.target_visible]),
    [
      ['role.delete', renamed, false],
      ['role.update', renamed, false],
      ['role.create', role.name, false],
    ],
    'each row as its own snapshot last named it',
  );

  const group = await ok(
    srv.api('POST', '/api/v1/groups', { body: { name: uniq('Doomed group ') } }),
    201,
  );
  await ok(srv.api('DELETE', `/api/v1/groups/${group.id}`), 204);
  const [gd] = await rows(`action=group.delete&target_id=${group.id}`);
  assert.equal(gd.target_name, group.name);
  assert.equal(gd.target_visible, false);
});

test('actor= filters by username, beside actor_id', async () => {
  const mine = await rows(`actor=${ada.user.username}`);
  assert.ok(mine.length >= 1);
  assert.ok(mine.every((e) => e.actor === ada.user.username && e.actor_id === ada.user.id));
  const byId = await rows(`actor_id=${ada.user.id}`);
  assert.deepEqual(
    mine.map((e) => e.id),
    byId.map((e) => e.id),
  );
  assert.deepEqual(await rows('actor=nobody-at-all'), []);
  const both = await rows(`actor=root&actor_id=${ada.user.id}`);
  assert.deepEqual(both, [], 'the filters combine');
  const r = await srv.api('GET', `/api/v1/audit?actor=${'x'.repeat(65)}`);
  assert.equal(r.status, 400);
  assert.equal(r.body.errors[0].field, 'actor');
});

test('GET /api/v1/audit/actions lists every action the server writes, once', async () => {
  const { items } = await ok(srv.api('GET', '/api/v1/audit/actions'));
  const names = items.map((a) => a.name);
  assert.equal(new Set(names).size, names.length, 'no action twice');
  for (const a of ['user.create', 'user.disable', 'role.delete', 'login.failure', 'mail.sent'])
    assert.ok(names.includes(a), a);
  await srv.api('POST', '/api/v1/session', { body: { username: 'root', password: 'wrong!' } });
  const written = new Set(
    (await listAll(srv, '/api/v1/audit'))
      .filter((e) => e.target_type !== 'request')
      .map((e) => e.action),
  );
  for (const a of written) assert.ok(names.includes(a), `${a} is written but not listed`);
  const none = await adminWith(srv, ['users.read'], { username: uniq('noaudit') });
  const r = await srv.api('GET', '/api/v1/audit/actions', { token: none.token });
  assert.equal(r.status, 403);
});

test('a scoped admin gets no name from outside its scope or its permissions', async () => {
  // a provider's admin: sees P's rows; Ada (platform staff) is outside its scope
  const pa = await adminWith(srv, ['audit.read', 'users.read'], {
    provider_id: provider,
    access: { level: 'provider' },
    username: uniq('padmin'),
  });
  const seen = await rows(`target_id=${mei.id}&target_type=user`, pa.token);
  const dis = seen.find((e) => e.action === 'user.disable');
  assert.ok(dis, 'the row is in its scope');
  assert.equal(dis.actor, ada.user.username, 'the recorded username, as before');
  assert.equal(dis.actor_name, null, 'no full name of a user it may not read');
  assert.equal(dis.target_name, 'Mei Chen');
  assert.equal(dis.target_visible, true);
  // nothing of Q's reaches it
  const q = await ok(
    srv.api('POST', '/api/v1/users', {
      body: {
        username: uniq('quinn'),
        email: `${uniq('q')}@example.com`,
        first_name: 'Quinn',
        last_name: 'Outside',
        provider_id: other,
      },
    }),
    201,
  );
  const all = await listAll(srv, '/api/v1/audit', { token: pa.token });
  assert.ok(all.length > 0);
  for (const e of all) {
    assert.notEqual(e.target_id === q.id && e.target_type === 'user', true, 'no row of Q');
    assert.notEqual(e.actor_name, 'Ada Lovelace');
    assert.notEqual(e.target_name, 'Quinn Outside');
  }
  // an account's admin: the provider's admin who edited a user of its account is outside its scope
  const account = (
    await ok(
      srv.api('POST', '/api/v1/tenants', {
        body: { kind: 'platform_account', name: uniq('Names account '), parent_id: provider },
      }),
      201,
    )
  ).id;
  const inAccount = { level: 'account', account_ids: [account] };
  const sam = await ok(
    srv.api('POST', '/api/v1/users', {
      body: {
        username: uniq('sam'),
        email: `${uniq('sam')}@example.com`,
        first_name: 'Sam',
        last_name: 'Account',
        provider_id: provider,
        access: inAccount,
      },
    }),
    201,
  );
  const editor = await adminWith(srv, ['users.read', 'users.update'], {
    provider_id: provider,
    access: { level: 'provider' },
    username: uniq('editor'),
  });
  await ok(
    srv.api('PATCH', `/api/v1/users/${editor.user.id}`, {
      body: { first_name: 'Pat', last_name: 'Provider' },
    }),
  );
  await ok(
    srv.api('PATCH', `/api/v1/users/${sam.id}`, {
      body: { phone: '+442079460000' },
      token: editor.token,
    }),
  );
  const aa = await adminWith(srv, ['audit.read', 'users.read'], {
    provider_id: provider,
    access: inAccount,
    username: uniq('aadmin'),
  });
  const [edit] = await rows(`action=user.update&target_id=${sam.id}`, aa.token);
  assert.equal(edit.actor, editor.user.username);
  assert.equal(edit.actor_name, null, 'a provider admin is outside an account admin’s scope');
  assert.equal(edit.target_name, 'Sam Account');
  assert.equal(edit.target_visible, true);
  const [asRoot] = await rows(`action=user.update&target_id=${sam.id}`);
  assert.equal(asRoot.actor_name, 'Pat Provider', 'the platform reads both');

  // without users.read, no live user name at all: only what the row's own snapshot says
  const blind = await adminWith(srv, ['audit.read'], {
    provider_id: provider,
    access: { level: 'provider' },
    username: uniq('blind'),
  });
  const b = (await rows(`target_id=${mei.id}&target_type=user`, blind.token)).find(
    (e) => e.action === 'user.disable',
  );
  assert.equal(b.actor_name, null);
  assert.equal(b.target_name, 'Mei Chen', 'from the snapshot the row carries');
  assert.equal(b.target_visible, false, 'not a link it could open');
});
