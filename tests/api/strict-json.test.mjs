// SECURITY I2: strict JSON. Malformed bodies, duplicate keys, deep nesting, non-object bodies, NUL
// characters, huge numbers, wrong types, the wrong media type, oversized bodies (with and without
// Content-Length) and invalid UTF-8 each get a 4xx application/problem+json answer, never a 500,
// and the server keeps answering afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawHttp } from './lib/server.mjs';
import { assertProblem, uniq } from './lib/helpers.mjs';

let srv;
let userId;

before(async () => {
  srv = await startServer();
  const u = await srv.api('POST', '/api/v1/users', {
    body: { username: uniq('strict'), email: 'strict@example.com' },
  });
  assert.equal(u.status, 201, JSON.stringify(u.body));
  userId = u.body.id;
});

after(async () => {
  await srv?.stop();
});

// Sends raw bytes as the body of method path with the given content type.
async function send(method, path, raw, contentType = 'application/json') {
  const headers = { authorization: `Bearer ${srv.token}` };
  if (contentType !== null) headers['content-type'] = contentType;
  const body = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const res = await fetch(srv.base + path, { method, headers, body });
  const text = await res.text();
  return { status: res.status, ctype: res.headers.get('content-type') || '', text };
}

async function assertAlive() {
  const h = await fetch(`${srv.base}/healthz`);
  assert.equal(h.status, 200);
  assert.equal((await h.json()).status, 'ok');
  assert.equal(srv.proc.exitCode, null, 'the server exited');
}

const TENANTS = '/api/v1/tenants';
const valid = (name) => `{"kind":"service_provider","name":"${name}"}`;

test('a valid body is accepted (control), with or without a charset parameter', async () => {
  assert.equal((await send('POST', TENANTS, valid(uniq('Control ')))).status, 201);
  assert.equal(
    (await send('POST', TENANTS, valid(uniq('Charset ')), 'application/json; charset=utf-8'))
      .status,
    201,
  );
});

test('malformed JSON gives 400', async () => {
  const bodies = [
    '{',
    '}',
    '{"kind":',
    '{"kind":"service_provider","name":"x",}',
    '{kind:"service_provider"}',
    "{'kind':'service_provider'}",
    '{"kind":"service_provider" "name":"x"}',
    '{"kind":"service_provider"}}',
    '{"kind":"service_provider","name":"x"} {"a":1}',
    '{"kind":"service_provider","name":"x"}garbage',
    '{"name":"unterminated}',
    '{"name":"bad \\x escape"}',
    '{"name":"\\u12"}',
    '{"name":"\\u12G4"}',
    '{"parent_id":NaN}',
    '{"parent_id":Infinity}',
    '{"parent_id":-Infinity}',
    '{"parent_id":01}',
    '{"parent_id":+1}',
    '{"parent_id":.5}',
    '{"parent_id":1.}',
    '{"parent_id":0x10}',
    '{/*comment*/"kind":"service_provider"}',
    '{"kind":"service_provider"}//',
    '{"name":"tab\there"}',
    '{"name":"new\nline"}',
    '{"a":[1,2,]}',
    '{"a":tru}',
    '{"a":nul}',
    '{"a":undefined}',
  ];
  for (const b of bodies)
    assertProblem(await send('POST', TENANTS, b), 400, null, `body ${JSON.stringify(b)}`);
  await assertAlive();
});

test('duplicate keys give 400, at the top and nested', async () => {
  const cases = [
    ['POST', TENANTS, '{"kind":"service_provider","name":"a","name":"b"}'],
    ['POST', TENANTS, '{"kind":"service_provider","kind":"service_provider","name":"dup"}'],
    ['PATCH', `/api/v1/users/${userId}`, '{"first_name":"a","first_name":"b"}'],
    ['PATCH', `/api/v1/users/${userId}`, '{"access":{"level":"platform","level":"provider"}}'],
    ['POST', '/api/v1/users/bulk', `{"action":"disable","ids":[${userId}],"action":"delete"}`],
  ];
  for (const [m, p, b] of cases) assertProblem(await send(m, p, b), 400, null, `${m} ${p} ${b}`);
  const u = await srv.api('GET', `/api/v1/users/${userId}`);
  assert.equal(u.body.status, 'invited', 'the bulk request with a duplicate action did something');
});

test('nesting deeper than 8 gives 400; brackets inside strings do not count', async () => {
  const nest = (n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  for (const n of [9, 10, 100, 8000]) {
    const p = assertProblem(await send('POST', TENANTS, nest(n)), 400, null, `depth ${n}`);
    // Refused for its depth as a whole, before any field is looked at.
    assert.match(p.detail, /nest|deep|depth/i, `depth ${n}: ${p.detail}`);
    assert.deepEqual(p.errors, [], `depth ${n}: no field is named: ${JSON.stringify(p.errors)}`);
  }
  assertProblem(await send('POST', TENANTS, '['.repeat(60000)), 400, null, '60000 open brackets');
  assertProblem(
    await send('POST', TENANTS, '['.repeat(30000) + ']'.repeat(30000)),
    400,
    null,
    '30000 nested arrays',
  );
  assertProblem(
    await send(
      'PATCH',
      `/api/v1/users/${userId}`,
      `{"role_ids":${'['.repeat(20)}1${']'.repeat(20)}}`,
    ),
    400,
    null,
    'deep role_ids',
  );
  // Deep-looking strings are fine, including escaped quotes before the brackets.
  const r1 = await send('POST', TENANTS, valid(`Brackets [[[[[[[[[[{{{{{{{{{{ ${uniq('')}`));
  assert.equal(r1.status, 201, r1.text);
  const r2 = await send('POST', TENANTS, valid(`Quote \\"[[[[[[[[[[[ ${uniq('')}`));
  assert.equal(r2.status, 201, r2.text);
  await assertAlive();
});

test('a body that is not a JSON object gives 400', async () => {
  for (const b of [
    '[]',
    `[${valid('In an array')}]`,
    '"service_provider"',
    '1',
    '-1',
    '1.5',
    'null',
    'true',
    'false',
    '',
    ' ',
    '\n\t ',
  ]) {
    assertProblem(await send('POST', TENANTS, b), 400, null, `body ${JSON.stringify(b)}`);
  }
});

test('NUL characters give 400, escaped or raw', async () => {
  const cases = [
    '{"kind":"service_provider","name":"a\\u0000b"}',
    '{"kind":"service_provider","name":"\\u0000"}',
    '{"kind":"service_provider\\u0000x","name":"nul kind"}',
    '{"kind":"service_provider","na\\u0000me":"nul key"}',
  ];
  for (const b of cases) assertProblem(await send('POST', TENANTS, b), 400, null, b);
  const raw = [
    Buffer.from('{"kind":"service_provider","name":"a\0b"}', 'latin1'),
    Buffer.from('{"kind":"service_provider","name":"raw nul after"}\0', 'latin1'),
    Buffer.from('\0{"kind":"service_provider","name":"raw nul before"}', 'latin1'),
  ];
  for (const b of raw)
    assertProblem(await send('POST', TENANTS, b), 400, null, JSON.stringify(b.toString('latin1')));
  assertProblem(
    await send('PATCH', `/api/v1/users/${userId}`, '{"first_name":"x\\u0000y"}'),
    400,
    null,
    'NUL in a user name',
  );
  const u = await srv.api('GET', `/api/v1/users/${userId}`);
  assert.equal(u.body.first_name, '');
});

test('huge, fractional, negative and zero numbers give 400', async () => {
  const values = [
    '1e400',
    '-1e400',
    '99999999999999999999999',
    '-99999999999999999999999',
    '9223372036854775808',
    '18446744073709551616',
    '1.0',
    '1e2',
    '-1',
    '0',
    '1.5',
    '1e-400',
    '123456789012345678901234567890e10',
  ];
  for (const v of values) {
    assertProblem(
      await send('POST', TENANTS, `{"kind":"platform_account","name":"n","parent_id":${v}}`),
      400,
      null,
      `parent_id ${v}`,
    );
    assertProblem(
      await send('PATCH', `/api/v1/users/${userId}`, `{"role_ids":[${v}]}`),
      400,
      null,
      `role_ids [${v}]`,
    );
    assertProblem(
      await send('POST', '/api/v1/users/bulk', `{"action":"disable","ids":[${v}]}`),
      400,
      null,
      `bulk ids [${v}]`,
    );
  }
  // The largest id is well-formed; it just names nothing.
  const max = await send('PATCH', `/api/v1/users/${userId}`, '{"role_ids":[9223372036854775807]}');
  assertProblem(max, [400, 404], null, 'role_ids [INT64_MAX]');
  await assertAlive();
});

test('wrong types, lengths and formats give 400 naming the field', async () => {
  const user = `/api/v1/users/${userId}`;
  const cases = [
    ['POST', TENANTS, { kind: 'service_provider', name: 123 }, 'name'],
    ['POST', TENANTS, { kind: null, name: 'x' }, 'kind'],
    ['POST', TENANTS, { kind: 'service_provider', name: ['x'] }, 'name'],
    ['POST', TENANTS, { kind: 'service_provider', name: {} }, 'name'],
    ['POST', TENANTS, { kind: 'service_provider', name: 'x'.repeat(101) }, 'name'],
    ['POST', TENANTS, { kind: 'service_provider', name: '漢'.repeat(101) }, 'name'],
    ['POST', TENANTS, { kind: 'service_provider', name: '' }, 'name'],
    ['POST', TENANTS, { kind: 'service_provider' }, 'name'],
    ['POST', TENANTS, { kind: 'galaxy', name: 'x' }, 'kind'],
    [
      'POST',
      '/api/v1/roles',
      { name: 'r', kind: 'service_provider', permissions: 'users.read' },
      'permissions',
    ],
    [
      'POST',
      '/api/v1/roles',
      { name: 'r', kind: 'service_provider', permissions: [1] },
      'permissions',
    ],
    [
      'POST',
      '/api/v1/roles',
      { name: 'r', kind: 'service_provider', permissions: ['users.everything'] },
      'permissions',
    ],
    ['PATCH', user, { role_ids: '1' }, 'role_ids'],
    ['PATCH', user, { role_ids: [1.5] }, 'role_ids'],
    ['PATCH', user, { role_ids: [true] }, 'role_ids'],
    ['PATCH', user, { role_ids: [null] }, 'role_ids'],
    ['PATCH', user, { role_ids: [1, 1] }, 'role_ids'],
    ['PATCH', user, { role_ids: Array.from({ length: 201 }, (_, i) => i + 1) }, 'role_ids'],
    ['PATCH', user, { login_enabled: 'true' }, 'login_enabled'],
    ['PATCH', user, { login_enabled: 1 }, 'login_enabled'],
    ['PATCH', user, { mfa_required: null }, 'mfa_required'],
    ['PATCH', user, { access: 'provider' }, 'access'],
    ['PATCH', user, { access: [] }, 'access'],
    ['PATCH', user, { access: {} }, 'access.level'],
    ['PATCH', user, { access: { level: 'galaxy' } }, 'access.level'],
    ['PATCH', user, { email: 'not an address' }, 'email'],
    ['PATCH', user, { email: 'a@b.c'.padStart(300, 'a') }, 'email'],
    ['PATCH', user, { phone: '12345' }, 'phone'],
    ['PATCH', user, { language: 'fr' }, 'language'],
    ['PATCH', user, { timezone: '../../etc/passwd' }, 'timezone'],
    ['PATCH', user, { timezone: 'Mars/Olympus' }, 'timezone'],
    ['PATCH', user, { country: 'XX' }, 'country'],
    ['PATCH', user, { first_name: 'line\u2028break\rcarriage' }, 'first_name'],
    ['POST', '/api/v1/users/bulk', { action: 'explode', ids: [userId] }, 'action'],
    ['POST', '/api/v1/users/bulk', { action: 'disable', ids: [] }, 'ids'],
    [
      'POST',
      '/api/v1/users/bulk',
      { action: 'disable', ids: Array.from({ length: 1001 }, (_, i) => i + 1) },
      'ids',
    ],
  ];
  for (const [m, p, body, field] of cases) {
    const r = await send(m, p, JSON.stringify(body));
    const prob = assertProblem(r, 400, null, `${m} ${p} ${JSON.stringify(body).slice(0, 80)}`);
    assert.equal(
      prob.errors?.[0]?.field,
      field,
      `${m} ${p} ${JSON.stringify(body).slice(0, 80)}: ${r.text}`,
    );
  }
  // Multi-byte characters count as characters: 100 of them fit.
  assert.equal((await send('POST', TENANTS, valid('漢'.repeat(100)))).status, 201);
  const u = await srv.api('GET', `/api/v1/users/${userId}`);
  assert.equal(u.body.first_name, '');
  assert.equal(u.body.email, 'strict@example.com');
});

test('the wrong media type gives 415', async () => {
  const body = valid('Wrong type');
  for (const ct of [
    'text/plain',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonx',
    'application/json-patch+json',
    'application/xml',
    'json',
    '',
    'application/javascript',
  ]) {
    assertProblem(
      await send('POST', TENANTS, body, ct),
      415,
      null,
      `content type ${JSON.stringify(ct)}`,
    );
  }
  assertProblem(await send('POST', TENANTS, body, null), 415, null, 'no content type');
  assertProblem(
    await send('PATCH', `/api/v1/users/${userId}`, '{"first_name":"x"}', 'text/plain'),
    415,
    null,
    'PATCH as text',
  );
  const list = await srv.api('GET', '/api/v1/tenants?limit=200');
  assert.ok(!list.body.items.some((t) => t.name === 'Wrong type'));
});

test('a body over 64 KiB gives 413; exactly 64 KiB is parsed', async () => {
  const pad = (n) => {
    const head = '{"kind":"service_provider","name":"';
    return head + 'x'.repeat(n - head.length - 2) + '"}';
  };
  assert.equal(pad(65536).length, 65536);
  const at = await send('POST', TENANTS, pad(65536));
  const p = assertProblem(at, 400, null, 'exactly 64 KiB');
  assert.equal(
    p.errors?.[0]?.field,
    'name',
    'a 64 KiB body is read and checked, not refused for size',
  );
  assertProblem(await send('POST', TENANTS, pad(65537)), 413, null, '64 KiB + 1');
  assertProblem(await send('POST', TENANTS, pad(1024 * 1024)), 413, null, '1 MiB');
  assertProblem(
    await send('PATCH', `/api/v1/users/${userId}`, `{"first_name":"${'y'.repeat(70000)}"}`),
    413,
    null,
    'PATCH 70 KB',
  );
  await assertAlive();
});

function rawRequest(headers, body = '') {
  return (
    `POST ${TENANTS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${srv.token}\r\n` +
    `Content-Type: application/json\r\nConnection: close\r\n${headers}\r\n${body}`
  );
}

function parseRaw(r) {
  const i = r.data.indexOf('\r\n\r\n');
  const head = r.data.slice(0, i);
  const ctype = /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1] || '';
  return { status: r.status, ctype, text: r.data.slice(i + 4) };
}

test('a Content-Length over 64 KiB is refused with 413 before the body is sent', async () => {
  const r = await rawHttp(srv.port, rawRequest('Content-Length: 10000000\r\n', '{"kind":'), {
    timeoutMs: 5000,
  });
  assert.equal(r.status, 413, r.data.slice(0, 300));
  assertProblem(parseRaw(r), 413, null, 'announced 10 MB');
  await assertAlive();
});

test('a chunked body over 64 KiB without Content-Length gives 413', async () => {
  const chunk = 'x'.repeat(8192);
  const chunks = [
    rawRequest('Transfer-Encoding: chunked\r\n'),
    `23\r\n{"kind":"service_provider","name":"\r\n`,
  ];
  for (let i = 0; i < 10; i++) chunks.push(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
  chunks.push('2\r\n"}\r\n', '0\r\n\r\n');
  const r = await rawHttp(srv.port, chunks, { timeoutMs: 5000, gapMs: 5 });
  assert.equal(r.status, 413, r.data.slice(0, 300));
  assertProblem(parseRaw(r), 413, null, 'chunked 80 KiB');
  // A small chunked body is fine.
  const name = uniq('Chunked ');
  const small = valid(name);
  const ok = await rawHttp(
    srv.port,
    [
      rawRequest('Transfer-Encoding: chunked\r\n'),
      `${small.length.toString(16)}\r\n${small}\r\n`,
      '0\r\n\r\n',
    ],
    { timeoutMs: 5000 },
  );
  assert.equal(ok.status, 201, ok.data.slice(0, 300));
  await assertAlive();
});

test('invalid UTF-8 gives 400', async () => {
  const bad = [
    [0xff],
    [0xfe],
    [0xc0, 0xaf],
    [0xe0, 0x80, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xed, 0xbf, 0xbf],
    [0xf4, 0x90, 0x80, 0x80],
    [0xf5, 0x80, 0x80, 0x80],
    [0x80],
    [0xe6, 0x97],
    [0xc3],
  ];
  for (const bytes of bad) {
    const inValue = Buffer.concat([
      Buffer.from('{"kind":"service_provider","name":"a'),
      Buffer.from(bytes),
      Buffer.from('b"}'),
    ]);
    assertProblem(
      await send('POST', TENANTS, inValue),
      400,
      null,
      `bytes ${bytes.map((b) => b.toString(16))} in a value`,
    );
    const inKey = Buffer.concat([
      Buffer.from('{"kind":"service_provider","name":"k","'),
      Buffer.from(bytes),
      Buffer.from('":1}'),
    ]);
    assertProblem(
      await send('POST', TENANTS, inKey),
      400,
      null,
      `bytes ${bytes.map((b) => b.toString(16))} in a key`,
    );
  }
  for (const esc of ['\\ud800', '\\udc00', '\\ud800\\u0041', '\\udbff']) {
    assertProblem(
      await send('POST', TENANTS, `{"kind":"service_provider","name":"x${esc}"}`),
      400,
      null,
      `escape ${esc}`,
    );
  }
  // A proper surrogate pair and raw multi-byte text are accepted.
  assert.equal(
    (await send('POST', TENANTS, valid(`Emoji \\ud83d\\ude00 ${uniq('')}`))).status,
    201,
  );
  assert.equal((await send('POST', TENANTS, valid(`Grüße 漢字 😀 ${uniq('')}`))).status, 201);
  await assertAlive();
});

test('a body sent to a route that takes none gives 400', async () => {
  assertProblem(
    await send('POST', `/api/v1/users/${userId}/disable`, '{}'),
    400,
    null,
    'disable with a body',
  );
  assertProblem(
    await send('DELETE', `/api/v1/users/${userId}`, '{"force":true}'),
    400,
    null,
    'delete with a body',
  );
  const u = await srv.api('GET', `/api/v1/users/${userId}`);
  assert.equal(u.status, 200);
  assert.equal(u.body.status, 'invited');
});

test('after all of that the server still answers and counted no 5xx', async () => {
  await assertAlive();
  const m = await fetch(`${srv.base}/metrics`);
  const text = await m.text();
  assert.match(text, /gatehouse_http_responses_total\{class="5xx"\} 0\n/);
  const r = await send('POST', TENANTS, valid(uniq('Still works ')));
  assert.equal(r.status, 201);
});
