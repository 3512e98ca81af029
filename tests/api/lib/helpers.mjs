// Helpers the API test files share that need no server: the problem+json assertion, a status
// check that returns the body, unique names, and seeded random numbers for what randomness drives
// (crash timing, the choice of an instance or an operation).
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';

// Asserts that res is a problem (RFC 9457 as the server writes it) with status (a number, or an
// array of the statuses allowed) and, when field is given (not null/undefined), that its first
// errors[] entry names that field. what labels the failure messages. res is what srv.api returns
// ({status, headers, body}) or a raw answer {status, ctype, text}. Returns the parsed problem.
export function assertProblem(res, status, field = null, what = '') {
  const statuses = [].concat(status);
  const label = what ? `${what}: ` : '';
  const ctype = (res.headers?.get ? res.headers.get('content-type') : res.ctype) || '';
  const p = res.body !== undefined ? res.body : JSON.parse(res.text);
  const shown = typeof p === 'string' ? p.slice(0, 300) : JSON.stringify(p);
  assert.ok(
    statuses.includes(res.status),
    `${label}expected ${statuses.join(' or ')}, got ${res.status} ${shown}`,
  );
  assert.match(ctype, /^application\/problem\+json/, `${label}content type ${ctype}`);
  assert.equal(typeof p, 'object', `${label}not a JSON object: ${shown}`);
  assert.match(p.type, /^urn:gatehouse:problem:/, `${label}type ${shown}`);
  assert.equal(typeof p.title, 'string', `${label}title ${shown}`);
  assert.equal(p.status, res.status, `${label}status in the body ${shown}`);
  assert.equal(typeof p.detail, 'string', `${label}detail ${shown}`);
  assert.ok(Array.isArray(p.errors), `${label}no errors[] in ${shown}`);
  if (field !== null && field !== undefined) {
    assert.equal(p.errors[0]?.field, field, `${label}field ${shown}`);
    assert.equal(typeof p.errors[0].message, 'string', `${label}message ${shown}`);
  }
  assert.ok(!shown.includes('$argon2'), `${label}leaks a password hash`);
  return p;
}

// Awaits a response (srv.api's), asserts its status (201 unless told) and returns its body.
// Every users.* permission: what re-sending onboarding needs, and a strong target in escalation tests.
export const USERS_ALL = [
  'users.read',
  'users.create',
  'users.update',
  'users.disable',
  'users.delete',
  'users.onboard',
  'users.mfa_reset',
  'users.unban',
  'users.force_reset',
];

export async function ok(pending, status = 201) {
  const r = await pending;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}

// A name no other call of this process gives: prefix, the time in base 36, then a counter.
let seq = 0;
export const uniq = (prefix = '') => `${prefix}${Date.now().toString(36)}${(seq++).toString(36)}`;

// ---- seeded random numbers ----
// One seed per test file (each runs in its own process): GATEHOUSE_TEST_SEED when set, else a
// fresh one, printed once on first use so a failing run can be replayed with the same choices.
const SEED =
  process.env.GATEHOUSE_TEST_SEED !== undefined && process.env.GATEHOUSE_TEST_SEED !== ''
    ? Number(process.env.GATEHOUSE_TEST_SEED) >>> 0
    : randomInt(2 ** 32);
let state = SEED;
let announced = false;

// mulberry32: a float in [0, 1) from the seeded sequence.
export function random() {
  if (!announced) {
    announced = true;
    console.log(`seed ${SEED} (replay with GATEHOUSE_TEST_SEED=${SEED})`);
  }
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

// An integer in [lo, hi] (inclusive) from the seeded sequence.
export const randomIntBetween = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
// One element of xs, chosen by the seeded sequence.
export const pick = (xs) => xs[Math.floor(random() * xs.length)];
