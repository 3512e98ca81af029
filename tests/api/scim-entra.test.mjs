// SCIM 2.0 as Microsoft Entra ID sends it without its compliance flag (issue 15): the requests
// of Microsoft's published examples (tests/api/fixtures/scim/entra.mjs names the documents),
// replayed in the order the provisioning service sends them: look up by userName, create (the
// enterprise extension included), look up by externalId, PATCH with PascalCase ops, value-path
// filters (emails[type eq "work"].value; an Add that creates the missing phone), colon paths of
// the enterprise extension, "False" and "True" as strings, a rename Gatehouse refuses, DELETE.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';
import * as entra from './fixtures/scim/entra.mjs';

const SCIM = 'application/scim+json';
let srv;
let token;

before(async () => {
  srv = await startServer();
  const p = await srv.api('POST', '/api/v1/tenants', {
    body: { name: uniq('Contoso '), kind: 'service_provider' },
  });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  const c = await srv.api('POST', '/api/v1/scim-clients', {
    body: { name: 'Entra', provider_id: p.body.id },
  });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  token = c.body.token;
});

after(async () => {
  await srv?.stop();
});

async function scim(method, path, body) {
  const r = await srv.api(method, `/scim/v2${path}`, {
    token,
    body,
    headers: body !== undefined ? { 'content-type': SCIM } : {},
  });
  if (r.status !== 204)
    assert.match(r.headers.get('content-type') || '', /^application\/scim\+json/);
  return r;
}

const apiUser = async (id) => (await srv.api('GET', `/api/v1/users/${id}`)).body;

test("Entra's sequence, replayed in order", async () => {
  // Get User by query: none yet
  const none = await scim('GET', `/Users?${entra.byUserName}`);
  assert.equal(none.status, 200);
  assert.equal(none.body.totalResults, 0);
  assert.equal((await scim('GET', `/Users?${entra.byUserNameNone}`)).body.totalResults, 0);

  // Create User
  const made = await scim('POST', '/Users', entra.createUser);
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const id = made.body.id;
  assert.equal(made.body.userName, 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1');
  assert.equal(made.body.externalId, '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef');
  assert.equal(made.body.name.givenName, 'givenName');
  assert.equal(made.body.name.familyName, 'familyName');
  assert.equal(made.body.active, true);
  // Entra retries a create it lost the answer to: the same userName is a conflict
  const dup = await scim('POST', '/Users', entra.createUser);
  assert.equal(dup.status, 409);
  assert.equal(dup.body.scimType, 'uniqueness');

  // Get User by query: by userName (any case) and by externalId
  const byName = await scim('GET', `/Users?${entra.byUserName}`);
  assert.equal(byName.body.totalResults, 1);
  assert.equal(byName.body.Resources[0].id, id);
  const byExt = await scim('GET', `/Users?${entra.byExternalId}`);
  assert.deepEqual(
    byExt.body.Resources.map((r) => r.id),
    [id],
  );

  // Update User [Multi-valued properties]: PascalCase Replace, a value-path filter
  const multi = await scim('PATCH', `/Users/${id}`, entra.updateMultiValued);
  assert.equal(multi.status, 200, JSON.stringify(multi.body));
  assert.deepEqual(multi.body.emails, [
    { value: 'updatedEmail@microsoft.com', type: 'work', primary: true },
  ]);
  assert.equal(multi.body.name.familyName, 'updatedFamilyName');
  assert.equal((await apiUser(id)).email, 'updatedEmail@microsoft.com');

  // Update User [Single-valued properties]: a new userName is refused (unique for ever)
  const rename = await scim('PATCH', `/Users/${id}`, entra.updateSingleValued);
  assert.equal(rename.status, 400);
  assert.equal(rename.body.scimType, 'mutability');
  assert.equal((await apiUser(id)).username, 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1');

  // an Add to phoneNumbers[type eq "work"].value creates the phone the user lacked
  const phone = await scim('PATCH', `/Users/${id}`, entra.addPhone);
  assert.equal(phone.status, 200, JSON.stringify(phone.body));
  assert.deepEqual(phone.body.phoneNumbers, [
    { value: '+14255550100', type: 'work', primary: true },
  ]);

  // the enterprise extension's colon paths: accepted (Gatehouse keeps none of them)
  const ent = await scim('PATCH', `/Users/${id}`, entra.enterprisePaths);
  assert.equal(ent.status, 200, JSON.stringify(ent.body));

  // an Add without a path, its attributes (a dotted one too) in the value
  const nopath = await scim('PATCH', `/Users/${id}`, entra.addWithoutPath);
  assert.equal(nopath.status, 200, JSON.stringify(nopath.body));
  assert.equal(nopath.body.name.givenName, 'Barbara');

  // Disable User: "Replace" with "False" as a string; then "True" in the value form
  const off = await scim('PATCH', `/Users/${id}`, entra.disableUser);
  assert.equal(off.status, 200, JSON.stringify(off.body));
  assert.equal(off.body.active, false);
  assert.equal((await apiUser(id)).status, 'disabled');
  const disabledList = await scim(
    'GET',
    `/Users?filter=${encodeURIComponent(`active eq false and externalId eq "${made.body.externalId}"`)}`,
  );
  assert.equal(disabledList.body.totalResults, 1);
  const on = await scim('PATCH', `/Users/${id}`, entra.enableUser);
  assert.equal(on.status, 200, JSON.stringify(on.body));
  assert.equal(on.body.active, true);
  assert.equal((await apiUser(id)).status, 'invited');

  // Delete User: a tombstone; the userName stays taken
  assert.equal((await scim('DELETE', `/Users/${id}`)).status, 204);
  assert.equal((await scim('GET', `/Users/${id}`)).status, 404);
  assert.equal((await apiUser(id)).status, 'deleted');
  assert.equal((await scim('POST', '/Users', entra.createUser)).status, 409);
});

test('Create User with the enterprise extension (employeeNumber, department, manager)', async () => {
  const made = await scim('POST', '/Users', entra.createWithEnterprise);
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal(made.body.name.givenName, 'Barbara');
  assert.equal(made.body.name.familyName, 'Jensen');
  assert.equal(made.body.externalId, '6c5bb468-14b2-4183-baf2-06d523e03bd3');
  const u = await apiUser(made.body.id);
  assert.equal(u.first_name, 'Barbara');
  assert.equal(u.email, 'Test_User_7a0f4c8d@testuser.com');
});

test("Entra's group operations: create, get without members, by name, rename, add, both removes, delete", async () => {
  const users = [];
  for (let i = 0; i < 3; i++) {
    const r = await scim('POST', '/Users', {
      ...entra.createUser,
      userName: uniq('Test_User_'),
      externalId: uniq('ext-'),
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    users.push(r.body.id);
  }
  const made = await scim('POST', '/Groups', entra.createGroup);
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const gid = made.body.id;
  const got = await scim('GET', `/Groups/${gid}?excludedAttributes=members`);
  assert.equal(got.status, 200);
  assert.equal('members' in got.body, false);
  const byName = await scim('GET', `/Groups?${entra.groupByName}`);
  assert.deepEqual(
    byName.body.Resources.map((g) => g.id),
    [gid],
  );
  assert.equal('members' in byName.body.Resources[0], false);

  const renamed = await scim('PATCH', `/Groups/${gid}`, entra.renameGroup);
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  assert.equal(renamed.body.displayName, '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName');

  const added = await scim('PATCH', `/Groups/${gid}`, entra.addMembers(...users));
  assert.equal(added.status, 200, JSON.stringify(added.body));
  assert.deepEqual(added.body.members.map((m) => m.value).sort(), [...users].sort());
  // Entra's remove: the members in the value
  const rm1 = await scim('PATCH', `/Groups/${gid}`, entra.removeMembers(users[0]));
  assert.equal(rm1.status, 200, JSON.stringify(rm1.body));
  // the other form: a filter in the path
  const rm2 = await scim('PATCH', `/Groups/${gid}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'Remove', path: `members[value eq "${users[1]}"]` }],
  });
  assert.equal(rm2.status, 200, JSON.stringify(rm2.body));
  assert.deepEqual(
    rm2.body.members.map((m) => m.value),
    [users[2]],
  );
  assert.deepEqual((await apiUser(users[0])).group_ids, []);
  assert.deepEqual((await apiUser(users[2])).group_ids, [Number(gid)]);

  assert.equal((await scim('DELETE', `/Groups/${gid}`)).status, 204);
  assert.equal((await scim('GET', `/Groups/${gid}`)).status, 404);
});
