// Starts a Gatehouse server for one test file: a fresh SQLite database in a temporary folder (or,
// when GATEHOUSE_TEST_PG_URL is set, a fresh PostgreSQL database in that cluster: see the end of
// this file), a platform superadmin "root" with a bearer token, and the server on 127.0.0.1 port 0.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { uniq } from './helpers.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = process.env.GATEHOUSE_BIN || join(root, 'build/gatehouse');
export const ROOT_PASSWORD = 'correct horse battery staple';
// No configuration file unless a test names one: on a machine with the Debian package installed,
// serve and the commands would otherwise read /etc/gatehouse/gatehouse.conf (an empty file is
// no setting).
process.env.GATEHOUSE_CONFIG ??= '/dev/null';

export function cli(db, args, input) {
  return execFileSync(BIN, [...args, '--db', db], {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

// Runs the CLI and returns {code, stdout, stderr} without throwing.
export function cliResult(db, args, input) {
  try {
    return { code: 0, stdout: cli(db, args, input), stderr: '' };
  } catch (e) {
    return { code: e.status, stdout: String(e.stdout), stderr: String(e.stderr) };
  }
}

// clock (a testClock()) moves the server's time: serve and the CLI commands of the returned
// object get --test-clock.
export async function startServer({ args = [], env = {}, clock = null } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const db = PG_URL ? pgCreateDatabase() : join(dir, 'gatehouse.db');
  const clockArgs = clock ? clock.args : [];
  cli(
    db,
    [
      'admin',
      'create',
      '--username',
      'root',
      '--email',
      'root@example.com',
      '--password-stdin',
      ...clockArgs,
    ],
    ROOT_PASSWORD + '\n',
  );
  // root's token outlives any test clock (tokens live 90 days by default)
  const token = cli(db, [
    'token',
    'create',
    '--user',
    'root',
    '--expires-in',
    'never',
    ...clockArgs,
  ]).trim();
  return spawnServer({ db, dir, token, clock }, { args, env });
}

// Like startServer on an empty database: no `admin create`, no token (token is null). serve then
// prints a set-up link (setupLink() reads the latest from its stderr).
export async function startEmptyServer({ args = [], env = {}, clock = null } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const db = PG_URL ? pgCreateDatabase() : join(dir, 'gatehouse.db');
  return spawnServer({ db, dir, token: null, clock }, { args, env });
}

// Starts a server again on the database of a previous one (killed or stopped without removing
// its folder), with new args and env (and the previous one's clock unless clock is given);
// returns the same kind of object as startServer, with the same root token. Its stop() removes
// the folder.
export async function restartServer(prev, { args = [], env = {}, clock = prev.clock } = {}) {
  return spawnServer({ ...prev, clock }, { args, env });
}

// `gatehouse serve` on db (a SQLite file in dir, or a PostgreSQL URL) on port 0, once it logs that
// it listens. The object: {base, port, db, dir, token, clock, proc, logs, api, stop, kill, cli,
// setupLink, waitForLog}.
async function spawnServer({ db, dir, token, clock = null }, { args, env }) {
  const clockArgs = clock ? clock.args : [];
  const proc = spawn(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', ...clockArgs, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...engineEnv(dir), ...env },
  });
  const logs = [];
  const logWaiters = new Set(); // {pred, ok}: waitForLog calls not yet answered
  const port = await new Promise((ok, fail) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error('server did not start:\n' + buf)), 15000);
    proc.stderr.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        for (const w of logWaiters)
          if (w.pred(line)) {
            logWaiters.delete(w);
            w.ok(line);
          }
        try {
          const rec = JSON.parse(line);
          if (rec.event === 'listening') {
            clearTimeout(timer);
            ok(Number(rec.port));
          }
        } catch {
          /* sanitizer output is not JSON */
        }
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited ${code}:\n${logs.join('\n')}${buf}`));
    });
  });
  proc.stdout.resume();
  const base = `http://127.0.0.1:${port}`;
  const exited = new Promise((ok) => proc.on('exit', (code, signal) => ok({ code, signal })));

  // One request; returns {status, headers, body (parsed JSON or text)}.
  async function api(method, path, { body, token: tok = token, headers = {}, raw } = {}) {
    const h = { ...headers };
    if (tok) h.authorization = `Bearer ${tok}`;
    let payload = raw;
    if (body !== undefined) {
      h['content-type'] ??= 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(base + path, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed = text;
    if ((res.headers.get('content-type') || '').includes('json') && text) parsed = JSON.parse(text);
    if ((res.headers.get('content-type') || '').startsWith('application/problem+json'))
      checkFieldErrors(parsed, `${method} ${path}`);
    return { status: res.status, headers: res.headers, body: parsed };
  }

  async function stop() {
    proc.kill('SIGTERM');
    const { code, signal } = await exited;
    rmSync(dir, { recursive: true, force: true });
    pgDropDatabase(db);
    assert.equal(signal, null, `server died of ${signal}:\n${logs.join('\n')}`);
    assert.equal(code, 0, `server exited ${code} (sanitizer report?):\n${logs.join('\n')}`);
  }

  // Ends the server at once (SIGKILL by default, no clean-up): for crash tests. The database and
  // its folder stay, for restartServer.
  async function kill(signal = 'SIGKILL') {
    proc.kill(signal);
    return exited;
  }

  // The first line of stderr (logged so far or to come) for which pred holds; fails after
  // timeoutMs. An event, not a poll: lines are checked as they arrive.
  function waitForLog(pred, { timeoutMs = 10000, what = 'a log line' } = {}) {
    const seen = logs.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((ok, fail) => {
      const w = {
        pred,
        ok: (line) => {
          clearTimeout(timer);
          ok(line);
        },
      };
      const timer = setTimeout(() => {
        logWaiters.delete(w);
        fail(
          new Error(
            `no ${what} in the server log within ${timeoutMs} ms:\n${logs.slice(-20).join('\n')}`,
          ),
        );
      }, timeoutMs);
      logWaiters.add(w);
    });
  }

  // The set-up link of the latest plain (not JSON) line of stderr that holds one, or null.
  function setupLink() {
    for (let i = logs.length - 1; i >= 0; i--) {
      const m = /(https?:\/\/\S+\/setup\/([A-Za-z0-9_-]+))/.exec(logs[i]);
      if (m && !logs[i].startsWith('{'))
        return { url: m[1], token: m[2], path: new URL(m[1]).pathname };
    }
    return null;
  }

  return {
    base,
    port,
    db,
    dir,
    token,
    clock,
    proc,
    logs,
    api,
    stop,
    kill,
    setupLink,
    waitForLog,
    cli: (a, i) => cli(db, [...a, ...clockArgs], i),
  };
}

// Every field error of every problem answer of every API test has a field, a message and a code
// "<field>.<reason>" (errors[].code) in [a-z0-9_.], which clients translate.
const ERROR_CODE = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;
function checkFieldErrors(p, what) {
  for (const e of p.errors ?? []) {
    const shown = `${what}: ${JSON.stringify(e)}`;
    assert.equal(typeof e.field, 'string', shown);
    assert.equal(typeof e.message, 'string', shown);
    assert.match(e.code, ERROR_CODE, shown);
  }
}

// Creates a user with the given permissions (a fresh role) and returns {user, role, token}.
export async function userWithPerms(
  srv,
  permissions,
  { provider_id = null, access, username } = {},
) {
  return adminWith(srv, permissions, { provider_id, access, username: username || uniq('u') });
}

// Like userWithPerms, with the role's kind and an optional password; returns {user, role, token}.
export async function adminWith(
  srv,
  permissions,
  {
    provider_id = null,
    access,
    kind = 'service_provider',
    username,
    role_provider_id = provider_id,
    password = 'a long enough password for tests',
  } = {},
) {
  const name = username || uniq('a');
  const role = await srv.api('POST', '/api/v1/roles', {
    body: { name: `role-${name}`, kind, provider_id: role_provider_id, permissions },
  });
  assert.equal(role.status, 201, JSON.stringify(role.body));
  const body = {
    username: name,
    email: `${name}@example.com`,
    provider_id,
    role_ids: [role.body.id],
    password,
  };
  if (access) body.access = access;
  const user = await srv.api('POST', '/api/v1/users', { body });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  const token = srv.cli(['token', 'create', '--user', name]).trim();
  return { user: user.body, role: role.body, token };
}

// Follows next_cursor through every page of a list endpoint; returns all items.
export async function listAll(srv, path, { token = srv.token, limit = 200 } = {}) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < 1000; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const url = `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await srv.api('GET', url, { token });
    assert.equal(r.status, 200, `${url}: ${JSON.stringify(r.body)}`);
    items.push(...r.body.items);
    cursor = r.body.next_cursor;
    if (!cursor) return items;
  }
  throw new Error(`${path}: more than 1000 pages`);
}

// Sends raw bytes over one TCP connection and collects what comes back until the server
// closes it or timeoutMs passes. from is the loopback source address (127.0.0.1 unless given: a
// test counting connections per address takes one of its own, see loopbackAddress). Returns
// {data (string), status (number|null), closed, error}.
export async function rawHttp(port, chunks, { timeoutMs = 3000, gapMs = 0, from } = {}) {
  const { default: net } = await import('node:net');
  return new Promise((ok) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let data = Buffer.alloc(0);
    let done = false;
    const finish = (closed, error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const text = data.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      ok({ data: text, status: m ? Number(m[1]) : null, closed, error });
    };
    const timer = setTimeout(() => finish(false, null), timeoutMs);
    sock.on('data', (d) => {
      data = Buffer.concat([data, d]);
    });
    sock.on('close', () => finish(true, null));
    sock.on('error', (e) => finish(true, e));
    sock.on('connect', async () => {
      for (const c of [].concat(chunks)) {
        if (done) return;
        sock.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

// A loopback source address no other call of this process gave (127.0.0.2, 127.0.0.3, ...): the
// server counts connections per address, so a test with its own starts from zero whatever the
// connections of the tests before it still hold.
let loopbackSeq = 1;
export function loopbackAddress() {
  loopbackSeq++;
  return `127.0.${loopbackSeq >> 8}.${loopbackSeq & 255}`;
}

// ---- Sign-in helpers: cookie sessions, the test clock, TOTP codes from oathtool ----
import { writeFileSync, renameSync } from 'node:fs';

// A password the policy accepts (long, not a dictionary word, no user facts); tag keeps them apart.
export function strongPassword() {
  return `Qpw7-zorbel-${uniq()}-fentrax`;
}

// The session cookie a response sets: {name, value, pair ("name=value" for a Cookie header),
// raw (the whole Set-Cookie line), attrs (lower-cased attribute names -> value or true)}, or null.
export function sessionCookie(headers) {
  for (const line of headers.getSetCookie?.() ?? []) {
    const m = /^((?:__Host-|__Secure-)?gh_session)=([^;]*)/.exec(line);
    if (!m) continue;
    const attrs = {};
    for (const part of line.split(';').slice(1)) {
      const [k, ...v] = part.trim().split('=');
      attrs[k.toLowerCase()] = v.length ? v.join('=') : true;
    }
    return { name: m[1], value: m[2], pair: `${m[1]}=${m[2]}`, raw: line, attrs };
  }
  return null;
}

// POST /api/v1/session without a bearer token; adds cookie (the "name=value" pair) and token.
export async function signIn(srv, username, password, { headers = {} } = {}) {
  const r = await srv.api('POST', '/api/v1/session', {
    token: null,
    body: { username, password },
    headers,
  });
  const c = sessionCookie(r.headers);
  return { ...r, cookie: c?.pair ?? null, token: c?.value ?? null, setCookie: c };
}

// A request function carried by a session cookie. State changes send a same-origin Origin header
// unless origin is false (omit it) or another string.
export function withCookie(srv, cookie) {
  return (method, path, { body, headers = {}, origin = srv.base, raw } = {}) => {
    const h = { cookie, ...headers };
    if (origin) h.origin = origin;
    return srv.api(method, path, { body, token: null, headers: h, raw });
  };
}

// The body of a problem without its request_id, for byte-for-byte comparisons (A6).
export function sansRequestId(body) {
  const copy = typeof body === 'string' ? JSON.parse(body) : { ...body };
  delete copy.request_id;
  return JSON.stringify(copy);
}

// Creates a user through the API (root's bearer token) with an initial password; returns
// {user, username, password}. over adds or replaces fields of the body.
export async function createUser(srv, over = {}) {
  const username = over.username || uniq('s');
  const password = over.password === undefined ? 'a long enough password for tests' : over.password;
  const body = { username, email: `${username}@example.com`, ...over, password };
  if (password === null) delete body.password;
  const r = await srv.api('POST', '/api/v1/users', { body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { user: r.body, username, password };
}

// Passes the forced password change of a session in stage change_password.
export async function changeForced(srv, cookie, password, expectNext = 'done') {
  const r = await withCookie(srv, cookie)('POST', '/api/v1/session/password', {
    body: { password },
  });
  assert.equal(r.status, 200, `forced change: ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(r.body.next, expectNext, JSON.stringify(r.body));
  return r;
}

// A user signed all the way in: created (with a role holding permissions when given, through
// userWithPerms, which also makes a bearer token), signed in, past the forced password change.
// Returns {user, token, username, password (the current one), cookie, as (withCookie), next}.
export async function readyUser(
  srv,
  { permissions, provider_id = null, expectNext = 'done', ...over } = {},
) {
  let user, token, username, initial;
  if (permissions) {
    ({ user, token } = await userWithPerms(srv, permissions, { provider_id }));
    username = user.username;
    initial = 'a long enough password for tests';
  } else {
    ({ user, username, password: initial } = await createUser(srv, { provider_id, ...over }));
  }
  const s = await signIn(srv, username, initial);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.next, 'change_password', JSON.stringify(s.body));
  const password = strongPassword();
  await changeForced(srv, s.cookie, password, expectNext);
  // the change ended every API token of the user (S11): a new one for the caller
  if (token) token = srv.cli(['token', 'create', '--user', username]).trim();
  return {
    user,
    token,
    username,
    password,
    cookie: s.cookie,
    as: withCookie(srv, s.cookie),
    next: expectNext,
  };
}

// An SSO source (POST /api/v1/sso-sources as root) named name for provider_id (null: the
// platform's staff), pointing at issuer (by default one that is never called); returns it.
export async function ssoSource(srv, name, provider_id = null, over = {}) {
  const r = await srv.api('POST', '/api/v1/sso-sources', {
    body: {
      name,
      display_name: `${name} IdP`,
      issuer: 'https://login.example.com',
      client_id: 'gatehouse',
      client_secret: 'a client secret',
      provider_id,
      ...over,
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

// A clock file for `--test-clock FILE` (pass the clock to startServer, or its args to a command):
// the server adds its number of seconds to its clock and re-reads it on every use. Only the flag
// sets it (the environment does not), and serve takes it only on a loopback address. Only ever
// moved forward; written atomically (rename).
export function testClock() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-clock-'));
  const file = join(dir, 'offset');
  let offset = 0;
  const write = (s) => {
    writeFileSync(`${file}.tmp`, String(s));
    renameSync(`${file}.tmp`, file);
  };
  write(0);
  return {
    file,
    args: ['--test-clock', file],
    // the GATEHOUSE_TEST_CLOCK_FILE of old moves nothing: fail loudly rather than silently
    get env() {
      throw new Error('the test clock needs --test-clock: startServer({ clock }) or clock.args');
    },
    get offset() {
      return offset;
    },
    set(s) {
      offset = s;
      write(s);
    },
    advance(s) {
      offset += s;
      write(offset);
    },
    // The server's idea of now, in Unix seconds.
    now() {
      return Math.floor(Date.now() / 1000) + offset;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The TOTP code for a base32 secret at a Unix time, from the real oathtool.
export function oathtool(secret, at = Math.floor(Date.now() / 1000)) {
  return execFileSync('oathtool', ['--totp', '--base32', secret, '-N', `@${at}`], {
    encoding: 'utf8',
  }).trim();
}

// Enrols TOTP for a session that may (stage enroll_totp or done): start, then confirm with the
// code of now on the server's (possibly moved) clock. Returns {secret, recovery_codes, next, start}.
export async function enrolTotp(srv, as, clock) {
  const start = await as('POST', '/api/v1/me/totp');
  assert.equal(start.status, 201, `enrol start: ${JSON.stringify(start.body)}`);
  const secret = start.body.secret;
  const code = oathtool(secret, clock ? clock.now() : undefined);
  const conf = await as('POST', '/api/v1/me/totp/confirm', { body: { code } });
  assert.equal(conf.status, 200, `enrol confirm: ${JSON.stringify(conf.body)}`);
  return {
    secret,
    recovery_codes: conf.body.recovery_codes,
    next: conf.body.next,
    start: start.body,
    code,
  };
}

// The audit rows with an action about a target, newest first.
export async function auditRows(srv, action, targetId) {
  const q = `/api/v1/audit?action=${encodeURIComponent(action)}${targetId ? `&target_id=${targetId}` : ''}&limit=200`;
  const r = await srv.api('GET', q);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

// The id of the newest outbox row (0 when there is none): pass it to outboxSettled as since.
export function outboxLastId(srv) {
  return Number(dbQuery(srv, 'SELECT COALESCE(MAX(id), 0) FROM outbox').trim());
}

// Waits until no outbox row newer than since is still queued: each was sent (the SMTP sink
// stores a message before it answers, so it is in the sink by then), failed, or dropped by the
// sender; none of them can be sent later. The event to wait for before counting the e-mails that
// did not come. Polls the database until timeoutMs.
export async function outboxSettled(srv, since = 0, { timeoutMs = 15000 } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const queued = dbQuery(
      srv,
      `SELECT COUNT(*) FROM outbox WHERE id > ${Number(since)} AND state = 'queued'`,
    ).trim();
    if (queued === '0') return;
    if (Date.now() > end)
      throw new Error(`outbox: ${queued} rows after ${since} still queued after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---- PostgreSQL: with GATEHOUSE_TEST_PG_URL (a cluster's URL, set by `make pg` through
// scripts/pg-test-cluster), every startServer gets a database of its own, CREATE DATABASE gh_<random>,
// dropped by stop(); the server's secret key file lives in the test's folder. ----
export const PG_URL = process.env.GATEHOUSE_TEST_PG_URL || '';

// The cluster URL with another database name (libpq URL: scheme://authority/dbname?query).
export function pgDatabaseUrl(name) {
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

// Runs SQL with psql on a database URL (the cluster's by default); returns psql -At output.
export function psql(sql, url = PG_URL) {
  return execFileSync('psql', [url, '-qAtX', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function pgCreateDatabase() {
  // random, not a counter: test files running at once share the cluster
  const name = `gh_${randomBytes(6).toString('hex')}`;
  psql(`CREATE DATABASE ${name}`);
  return pgDatabaseUrl(name);
}

function pgDropDatabase(db) {
  if (!PG_URL || !db.startsWith('postgres')) return;
  psql(`DROP DATABASE IF EXISTS ${new URL(db).pathname.slice(1)} WITH (FORCE)`);
}

function engineEnv(dir) {
  return PG_URL ? { GATEHOUSE_SECRET_KEY_FILE: join(dir, 'secret.key') } : {};
}

// One statement that writes to a test server's database behind the API's back (for tests of what
// the API refuses to write), whichever the engine.
export function dbExec(srv, sql) {
  if (srv.db.startsWith('postgres')) return psql(sql, srv.db);
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', srv.db, sql], { encoding: 'utf8' });
}

// One query on a test server's database, whichever the engine; returns the rows as text, one per
// line, columns separated by | (the format of sqlite3 and of psql -At).
export function dbQuery(srv, sql) {
  if (srv.db.startsWith('postgres')) return psql(sql, srv.db);
  return execFileSync('sqlite3', ['-readonly', srv.db, sql], { encoding: 'utf8' });
}
