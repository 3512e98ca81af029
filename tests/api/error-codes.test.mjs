// errors[].code: every field error of a problem answer carries a stable code, "<field>.<reason>",
// given where the error is raised (never worked out from its English message), that the console
// translates:
//   - representative errors across routes give the codes they should: a missing required field,
//     a bad e-mail, a too-long string, a bad choice, bad id lists, a taken username, weak and short
//     passwords (the policy's own codes), a malformed If-Match, bad query parameters;
//   - every errors[] item has field, message and a code of ^[a-z0-9_]+(\.[a-z0-9_]+)+$, even when
//     the field is a name the client chose (an unknown body key or query parameter, non-ASCII);
//   - each code's reason is one of the list the OpenAPI document gives (its Problem schema).
// (lib/server.mjs checks the shape of every problem answer of every API test too.)
// One server for the file; no test depends on another's leftovers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  createUser,
  signIn,
  withCookie,
  changeForced,
  strongPassword,
} from './lib/server.mjs';
import { assertProblem, uniq } from './lib/helpers.mjs';

const CODE = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;
let srv, provider, reasons;

before(async () => {
  srv = await startServer();
  const t = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('Codes SP ') },
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  provider = t.body.id;
  const doc = await srv.api('GET', '/api/v1/openapi.json', { token: null });
  reasons =
    doc.body.components.schemas.Problem.properties.errors.items.properties.code['x-reasons'];
});

after(async () => {
  await srv?.stop();
});

// Asserts a problem of status whose one field error is field with code; returns the problem.
function expectCode(res, status, field, code) {
  const p = assertProblem(res, status, field, code);
  assert.equal(p.errors.length, 1, JSON.stringify(p));
  const e = p.errors[0];
  assert.deepEqual(Object.keys(e).sort(), ['code', 'field', 'message']);
  assert.equal(e.code, code, JSON.stringify(p));
  assert.match(e.code, CODE);
  assert.ok(reasons.includes(e.code.split('.').pop()), `${e.code}: reason not in x-reasons`);
  assert.equal(e.message, p.detail);
  return p;
}

const newUser = (over = {}) => {
  const username = uniq('ec');
  return {
    username,
    email: `${username}@example.com`,
    password: 'a long enough password for tests',
    ...over,
  };
};

test('the OpenAPI Problem schema documents code and its reasons', async () => {
  const doc = await srv.api('GET', '/api/v1/openapi.json', { token: null });
  const item = doc.body.components.schemas.Problem.properties.errors.items;
  assert.deepEqual(item.required, ['field', 'code', 'message']);
  assert.equal(item.properties.code.pattern, CODE.source);
  for (const r of ['required', 'invalid', 'too_long', 'taken', 'too_short', 'dictionary'])
    assert.ok(reasons.includes(r), r);
  assert.ok(reasons.every((r) => /^[a-z0-9_]+$/.test(r)));
  assert.equal(new Set(reasons).size, reasons.length, 'each reason once');
  const op = doc.body.paths['/api/v1/users'].post;
  assert.equal(
    op.responses.default.content['application/problem+json'].schema.$ref,
    '#/components/schemas/Problem',
  );
});

test('user form errors: required, e-mail, too long, control characters, choices, ids', async () => {
  const post = (body) => srv.api('POST', '/api/v1/users', { body });
  const u = newUser();
  delete u.email;
  expectCode(await post(u), 400, 'email', 'email.required');
  expectCode(await post(newUser({ email: 'not-an-address' })), 400, 'email', 'email.invalid');
  expectCode(
    await post(newUser({ first_name: 'x'.repeat(101) })),
    400,
    'first_name',
    'first_name.too_long',
  );
  expectCode(
    await post(newUser({ last_name: 'a\u0007b' })),
    400,
    'last_name',
    'last_name.control_character',
  );
  expectCode(await post(newUser({ username: '-bad name' })), 400, 'username', 'username.invalid');
  expectCode(await post(newUser({ phone: '12' })), 400, 'phone', 'phone.invalid');
  expectCode(await post(newUser({ timezone: 'Mars/Base' })), 400, 'timezone', 'timezone.invalid');
  expectCode(await post(newUser({ country: 'XX' })), 400, 'country', 'country.invalid');
  expectCode(await post(newUser({ language: 'fr' })), 400, 'language', 'language.invalid');
  expectCode(await post(newUser({ first_name: 7 })), 400, 'first_name', 'first_name.wrong_type');
  expectCode(await post(newUser({ is_admin: true })), 400, 'is_admin', 'is_admin.unknown');
  expectCode(
    await post(newUser({ provider_id: provider, role_ids: [3, 3] })),
    400,
    'role_ids',
    'role_ids.duplicate',
  );
  expectCode(
    await post(newUser({ provider_id: provider, role_ids: ['x'] })),
    400,
    'role_ids',
    'role_ids.wrong_type',
  );
  expectCode(
    await post(newUser({ provider_id: provider, role_ids: [999999] })),
    400,
    'role_ids',
    'role_ids.not_found',
  );
  expectCode(
    await post(newUser({ provider_id: provider, access: { level: 'galaxy' } })),
    400,
    'access.level',
    'access.level.invalid',
  );
  expectCode(
    await post(newUser({ generate_password: true })),
    400,
    'generate_password',
    'generate_password.exclusive',
  );
});

test('a taken username: 409 username.taken', async () => {
  const { username } = await createUser(srv);
  expectCode(
    await srv.api('POST', '/api/v1/users', { body: newUser({ username }) }),
    409,
    'username',
    'username.taken',
  );
});

test('passwords: the policy names why (too_short, dictionary, sequence, contains_username)', async () => {
  const post = (password, over = {}) =>
    srv.api('POST', '/api/v1/users', { body: newUser({ password, ...over }) });
  expectCode(await post('short pass'), 400, 'password', 'password.too_short');
  expectCode(await post('Responsibilities'), 400, 'password', 'password.dictionary');
  expectCode(await post('qwertyuiopasdfgh'), 400, 'password', 'password.sequence');
  expectCode(await post('               '), 400, 'password', 'password.too_few_distinct');
  const username = uniq('zq');
  expectCode(
    await post(`blue ${username} river lamp`, { username }),
    400,
    'password',
    'password.contains_username',
  );
  expectCode(await post('x'.repeat(257)), 400, 'password', 'password.too_long');
});

test('tenants and roles: a missing name, a bad kind, a taken name, an unknown permission', async () => {
  expectCode(
    await srv.api('POST', '/api/v1/tenants', { body: { kind: 'service_provider' } }),
    400,
    'name',
    'name.required',
  );
  expectCode(
    await srv.api('POST', '/api/v1/tenants', { body: { kind: 'galaxy', name: uniq('T ') } }),
    400,
    'kind',
    'kind.invalid',
  );
  const name = uniq('Taken SP ');
  const first = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name },
  });
  assert.equal(first.status, 201);
  expectCode(
    await srv.api('POST', '/api/v1/tenants', { body: { kind: 'service_provider', name } }),
    409,
    'name',
    'name.taken',
  );
  expectCode(
    await srv.api('POST', '/api/v1/roles', {
      body: { name: uniq('R '), kind: 'service_provider', permissions: ['users.fly'] },
    }),
    400,
    'permissions',
    'permissions.unknown',
  );
});

test('a malformed If-Match: 412 if_match.invalid', async () => {
  const { user } = await createUser(srv);
  expectCode(
    await srv.api('PATCH', `/api/v1/users/${user.id}`, {
      body: { first_name: 'Ann' },
      headers: { 'if-match': 'not-an-etag' },
    }),
    412,
    'If-Match',
    'if_match.invalid',
  );
});

test('query parameters: a bad choice, a bad id, a bad limit, unknown names of any bytes', async () => {
  const get = (q) => srv.api('GET', `/api/v1/users?${q}`);
  expectCode(await get('status=sleeping'), 400, 'status', 'status.invalid');
  expectCode(await get('role_id=abc'), 400, 'role_id', 'role_id.invalid');
  expectCode(await get('limit=0'), 400, 'limit', 'limit.out_of_range');
  expectCode(await get('sort=shoe_size'), 400, 'sort', 'sort.invalid');
  expectCode(await get('cursor=zzz'), 400, 'cursor', 'cursor.invalid');
  expectCode(await get(`q=${'x'.repeat(101)}`), 400, 'q', 'q.too_long');
  expectCode(await get('Shoe-Size=9'), 400, 'Shoe-Size', 'shoe_size.unknown');
  expectCode(await get('%C3%A9t%C3%A9=1'), 400, 'été', '_t_.unknown');
  expectCode(await get('a..b.=1'), 400, 'a..b.', 'a.b.unknown');
  // a name that is not UTF-8 cannot be echoed in JSON: no field error, still a problem
  const raw = await get('%FF%FE=1');
  const p = assertProblem(raw, 400);
  for (const e of p.errors) assert.match(e.code, CODE);
  expectCode(await srv.api('GET', '/api/v1/audit?since=yesterday'), 400, 'since', 'since.invalid');
});

test('my own account: a wrong current password, the same password, a bad language', async () => {
  const { username, password } = await createUser(srv);
  const s = await signIn(srv, username, password);
  const next = strongPassword();
  await changeForced(srv, s.cookie, next);
  const as = withCookie(srv, s.cookie);
  const headers = { origin: srv.base };
  expectCode(
    await as('POST', '/api/v1/me/password', {
      body: { current_password: 'not the password at all', password: strongPassword() },
      headers,
    }),
    400,
    'current_password',
    'current_password.wrong',
  );
  expectCode(
    await as('POST', '/api/v1/me/password', {
      body: { current_password: next, password: next },
      headers,
    }),
    400,
    'password',
    'password.same',
  );
  expectCode(
    await as('PATCH', '/api/v1/me/profile', { body: { language: 'fr' }, headers }),
    400,
    'language',
    'language.invalid',
  );
});

test('problems without a field have no errors[]; with one, exactly one item', async () => {
  const notFound = assertProblem(await srv.api('GET', '/api/v1/users/999999'), 404);
  assert.deepEqual(notFound.errors, []);
  const malformed = assertProblem(
    await srv.api('POST', '/api/v1/users', {
      raw: '{"username":',
      headers: { 'content-type': 'application/json' },
    }),
    400,
  );
  assert.deepEqual(malformed.errors, []);
});
