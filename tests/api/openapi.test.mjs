// The OpenAPI document (GET /api/v1/openapi.json, src/http/openapi.c): a valid OpenAPI 3.1
// document, complete (every routed operation with its parameters, request body, a success
// response with its schema and the Problem answers), whose examples (x-examples, from
// src/http/examples.c) replay in step order against a fresh server with every answer checked
// against its documented schema, and whose query parameters are exactly what the server takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHmac } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { closedPort } from './lib/smtp.mjs';
import { startServer, ROOT_PASSWORD, sessionCookie, signIn, createUser } from './lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

async function fetchDoc(srv) {
  const r = await srv.api('GET', '/api/v1/openapi.json', { token: null });
  assert.equal(r.status, 200);
  return r.body;
}

// Every operation of the document: {key "GET /path", method, pattern, op}.
function operations(doc) {
  return Object.entries(doc.paths).flatMap(([pattern, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({
      key: `${m.toUpperCase()} ${pattern}`,
      method: m.toUpperCase(),
      pattern,
      op: item[m],
    })),
  );
}

// The rows of gh_routes[] in src/http/routes.c but the console's pages (CONSOLE(...)).
function routedOperations() {
  const src = readFileSync(resolve(here, '../../src/http/routes.c'), 'utf8');
  const row = /\{\s*\.method\s*=\s*"(GET|POST|PUT|PATCH|DELETE)",\s*\.pattern\s*=\s*"([^"]+)"/g;
  return [...src.matchAll(row)].map((m) => `${m[1]} ${m[2]}`);
}

// A validator of the document's component schemas, draft 2020-12, strict (an unknown keyword
// in a schema is an error) but for the Problem's documentation keywords.
function schemaValidator(doc) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addVocabulary(['x-reasons', 'x-reason-meanings']);
  for (const [name, schema] of Object.entries(doc.components.schemas))
    ajv.addSchema({ ...rebase(schema), $id: `gatehouse:${name}` });
  const compiled = new Map();
  return (schema, value) => {
    const key = JSON.stringify(schema);
    if (!compiled.has(key)) compiled.set(key, ajv.compile(rebase(schema)));
    const v = compiled.get(key);
    return v(value) ? null : ajv.errorsText(v.errors, { dataVar: 'body' });
  };
}

// A "#/components/schemas/X" ref becomes "gatehouse:X", the id each component is added under.
function rebase(schema) {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema === null || typeof schema !== 'object') return schema;
  const prefix = '#/components/schemas/';
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith(prefix)
        ? `gatehouse:${v.slice(prefix.length)}`
        : rebase(v),
    ]),
  );
}

const successOf = (op) => Object.keys(op.responses).find((s) => /^[23]\d\d$/.test(s));

test('the document is valid OpenAPI 3.1 and describes every routed operation completely', async () => {
  const srv = await startServer();
  try {
    const doc = await fetchDoc(srv);
    const validator = new Validator();
    const res = await validator.validate(doc);
    assert.equal(res.valid, true, JSON.stringify(res.errors, null, 1));
    assert.equal(validator.version, '3.1');
    const ops = operations(doc);
    const documented = new Set(ops.map((o) => o.key));
    const routed = routedOperations();
    assert.ok(routed.length >= 60, `only ${routed.length} routes parsed from routes.c`);
    for (const key of routed) assert.ok(documented.has(key), `${key} is routed but not documented`);
    const check = schemaValidator(doc); // compiles every component: a broken one throws here
    for (const name of Object.keys(doc.components.schemas))
      check({ $ref: `#/components/schemas/${name}` }, null);
    const missing = [];
    for (const { key, op } of ops) {
      const ok = successOf(op);
      if (!ok) missing.push(`${key}: no success response`);
      const media = Object.keys(op.responses[ok]?.content ?? {});
      const bodiless = ok === '204' || ok?.startsWith('3');
      if (!bodiless && media.length === 0)
        missing.push(`${key}: no response schema (set .response in src/http/routes.c)`);
      if (media.includes('application/json')) {
        const ref = op.responses[ok].content['application/json'].schema.$ref;
        assert.ok(doc.components.schemas[ref?.split('/').pop()], `${key}: ${ref} is not a schema`);
      }
      for (const [status, r] of Object.entries(op.responses)) {
        if (/^[23]/.test(status)) continue;
        assert.deepEqual(
          r.content,
          { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          `${key} ${status}`,
        );
      }
      assert.ok(op.responses.default, `${key}: no default (Problem) response`);
      if (!op['x-examples']?.length)
        missing.push(`${key}: no example (add a step to src/http/examples.c)`);
      for (const x of op['x-examples'] ?? []) {
        assert.ok(
          op.responses[String(x.status)] || op.responses.default,
          `${key} step ${x.step}: status ${x.status} is not documented`,
        );
        for (const part of ['params', 'query', 'body'])
          assert.equal(x[part]?.['x-unreadable'], undefined, `${key} step ${x.step}: its ${part}`);
      }
      for (const p of op.parameters ?? [])
        if (p.in === 'path')
          assert.ok(
            op['x-examples']?.every((x) => x.params?.[p.name] !== undefined),
            `${key}: an example without its path parameter ${p.name}`,
          );
    }
    assert.deepEqual(missing, [], missing.join('\n'));
    // the Problem keeps its reasons, the operations their permissions and stages
    assert.ok(doc.components.schemas.Problem.properties.errors.items.properties.code['x-reasons']);
    assert.deepEqual(doc.paths['/api/v1/users'].get['x-permissions'], ['users.read']);
    assert.deepEqual(doc.paths['/api/v1/session/totp'].post['x-session-stages'], [
      'totp',
      'webauthn',
    ]);
  } finally {
    await srv.stop();
  }
});

// RFC 6238 with SHA-1, 30 s steps, 6 digits, for a base32 secret.
function totp(secret, now = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase())
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30000)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}

// Replaces the "$name.a.b" strings of an example (see the document's info.description).
function fill(value, saved, where) {
  if (Array.isArray(value)) return value.map((v) => fill(v, saved, where));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, saved, where)]));
  const m = typeof value === 'string' && /^\$(?:(totp|tail):)?([a-z_]+)((?:\.\w+)*)$/.exec(value);
  if (!m) return value;
  let v = saved[m[2]];
  assert.ok(v !== undefined, `${where}: ${value}: nothing saved as ${m[2]} by an earlier step`);
  for (const k of m[3].split('.').slice(1)) {
    v = v?.[k];
    assert.ok(v !== undefined, `${where}: ${value}: no ${k} in what was saved`);
  }
  if (m[1] === 'totp') return totp(v);
  if (m[1] === 'tail') return String(v).split('/').pop();
  return v;
}

test('every example replays in order with the documented status and a body of its schema', async () => {
  // passkeys need an external URL (their relying party); nothing listens on it, the console's
  // requests carry its origin (S7)
  const ext = `http://localhost:${await closedPort()}`;
  const srv = await startServer({ args: ['--external-url', ext] });
  try {
    const doc = await fetchDoc(srv);
    const check = schemaValidator(doc);
    const steps = operations(doc)
      .flatMap((o) => (o.op['x-examples'] ?? []).map((x) => ({ ...o, x })))
      .sort((a, b) => a.x.step - b.x.step);
    assert.ok(steps.length >= operations(doc).length, 'an operation without an example');
    const saved = { admin: { username: 'root', password: ROOT_PASSWORD } };
    let cookie = null;
    for (const { key, method, op, x } of steps) {
      const where = `step ${x.step} ${key}`;
      const params = fill(x.params ?? {}, saved, where);
      const path = key.split(' ')[1];
      let url = path.replace(/\{(\w+)\}/g, (_, n) => encodeURIComponent(String(params[n])));
      const filledQuery = fill(x.query ?? {}, saved, where);
      for (const [name, v] of Object.entries({ ...params, ...filledQuery })) {
        const p = (op.parameters ?? []).find((q) => q.name === name);
        assert.ok(p, `${where}: ${name} is not a documented parameter`);
        const value = /^[1-9]\d*$/.test(String(v)) && !p.schema.enum ? Number(v) : v;
        const bad = x.status < 300 && check(p.schema, value);
        assert.ok(!bad, `${where}: ${name}=${v} is not of its schema: ${bad}`);
      }
      const query = new URLSearchParams(
        Object.entries(filledQuery).map(([k, v]) => [k, String(v)]),
      ).toString();
      if (query) url += `?${query}`;
      const headers = {};
      if (x.as === 'token') headers.authorization = `Bearer ${srv.token}`;
      if (x.as === 'session') {
        assert.ok(cookie, `${where}: no session: sign in first`);
        headers.cookie = cookie;
        headers.origin = ext;
      }
      let body;
      if (x.body !== undefined) {
        const consumes = Object.keys(op.requestBody?.content ?? {})[0];
        headers['content-type'] = consumes;
        const filled = consumes === 'application/json' ? fill(x.body, saved, where) : x.body;
        // a body the server takes is one its documented schema describes
        const bad = x.status < 300 && check(op.requestBody.content[consumes].schema, filled);
        assert.ok(!bad, `${where}: the example's body is not of its schema: ${bad}`);
        body = consumes === 'application/json' ? JSON.stringify(filled) : filled;
      }
      const res = await fetch(srv.base + url, { method, headers, body, redirect: 'manual' });
      const text = await res.text();
      const type = res.headers.get('content-type') ?? '';
      const shown = `${where} -> ${res.status} ${type} ${text.slice(0, 600)}`;
      assert.equal(res.status, x.status, shown);
      const c = sessionCookie(res.headers);
      if (c) cookie = c.value ? c.pair : null;
      const documented = op.responses[String(res.status)] ?? op.responses.default;
      const content = documented.content ?? {};
      if (res.status === 204 || (res.status >= 300 && res.status < 400)) {
        assert.equal(text, '', shown);
        assert.deepEqual(Object.keys(content), [], `${where}: a documented body`);
        if (res.status !== 204) assert.ok(res.headers.get('location'), `${where}: no Location`);
        continue;
      }
      const media = Object.keys(content).find((m) => type.startsWith(m));
      assert.ok(media, `${where}: ${type} is not one of ${Object.keys(content)}`);
      if (!media.includes('json')) {
        assert.equal(typeof text, 'string');
        continue;
      }
      const parsed = JSON.parse(text);
      const why = check(content[media].schema, parsed);
      assert.equal(why, null, `${shown}\n${why}`);
      if (x.save) saved[x.save] = parsed;
    }
  } finally {
    await srv.stop();
  }
});

// A value of a documented query parameter's schema, for asking with it.
function sample(schema) {
  if (schema.enum) return schema.enum[0];
  if (schema.oneOf) return schema.oneOf.find((s) => s.const)?.const ?? 1;
  if (schema.type === 'integer') return schema.minimum ?? 1;
  if (schema.format === 'date-time') return '2026-01-01T00:00:00Z';
  return 'x';
}

test('every operation refuses a query parameter it does not document and takes those it does', async () => {
  const srv = await startServer();
  try {
    const doc = await fetchDoc(srv);
    const s = await signIn(srv, 'root', ROOT_PASSWORD);
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.equal(s.body.next, 'done');
    // a session at the forced password change, for the routes of that stage
    const { username, password } = await createUser(srv);
    const forced = await signIn(srv, username, password);
    assert.equal(forced.body.next, 'change_password', JSON.stringify(forced.body));
    const sessions = { done: s.cookie, change_password: forced.cookie };
    let asked = 0;
    const skipped = [];
    for (const { key, method, pattern, op } of operations(doc)) {
      const stages = op['x-session-stages'];
      const stage = stages?.find((x) => sessions[x]);
      if (stages && !stage) {
        skipped.push(key); // its stage needs an enrolled second factor
        continue;
      }
      const headers = stages ? { cookie: sessions[stage], origin: srv.base } : {};
      if (!stages && op.security?.length !== 0) headers.authorization = `Bearer ${srv.token}`;
      const path = pattern.replace(/\{(\w+)\}/g, (_, n) =>
        ['id', 'sid', 'tid'].includes(n) ? '1' : 'example',
      );
      const ask = (q) =>
        fetch(`${srv.base}${path}?${q}`, { method, headers, redirect: 'manual' }).then(
          async (r) => ({ status: r.status, text: await r.text() }),
        );
      if (!op['x-query-open']) {
        const r = await ask('undocumented_parameter=1');
        assert.equal(r.status, 400, `${key}: ${r.status} ${r.text}`);
        assert.equal(JSON.parse(r.text).errors[0].code, 'undocumented_parameter.unknown', key);
        asked++;
      }
      for (const p of op.parameters ?? []) {
        if (p.in !== 'query' || method !== 'GET') continue;
        const r = await ask(`${p.name}=${encodeURIComponent(sample(p.schema))}`);
        assert.ok(!r.text.includes(`"${p.name}.unknown"`), `${key}: ${p.name} refused: ${r.text}`);
      }
    }
    assert.ok(asked >= 60, `only ${asked} operations asked`);
    assert.deepEqual(skipped, [
      'POST /api/v1/session/totp',
      'POST /api/v1/session/webauthn/options',
      'POST /api/v1/session/webauthn',
    ]);
  } finally {
    await srv.stop();
  }
});
