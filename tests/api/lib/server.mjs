// Starts a Gatehouse server for one test file: a fresh SQLite database in a temporary folder,
// a platform superadmin "root" with a bearer token, and the server on 127.0.0.1 port 0.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = process.env.GATEHOUSE_BIN || join(root, 'build/gatehouse');
export const ROOT_PASSWORD = 'correct horse battery staple';

export function cli(db, args, input) {
  return execFileSync(BIN, [...args, '--db', db], {
    input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'],
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

export async function startServer({ args = [], env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const db = join(dir, 'gatehouse.db');
  cli(db, ['admin', 'create', '--username', 'root', '--email', 'root@example.com',
    '--password-stdin'], ROOT_PASSWORD + '\n');
  const token = cli(db, ['token', 'create', '--user', 'root']).trim();
  const proc = spawn(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  const logs = [];
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
        try {
          const rec = JSON.parse(line);
          if (rec.event === 'listening') { clearTimeout(timer); ok(Number(rec.port)); }
        } catch { /* sanitizer output is not JSON */ }
      }
    });
    proc.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited ${code}:\n${logs.join('\n')}${buf}`)); });
  });
  proc.stdout.resume();
  const base = `http://127.0.0.1:${port}`;
  const exited = new Promise((ok) => proc.on('exit', (code, signal) => ok({ code, signal })));

  // One request; returns {status, headers, body (parsed JSON or text)}.
  async function api(method, path, { body, token: tok = token, headers = {}, raw } = {}) {
    const h = { ...headers };
    if (tok) h.authorization = `Bearer ${tok}`;
    let payload = raw;
    if (body !== undefined) { h['content-type'] ??= 'application/json'; payload = JSON.stringify(body); }
    const res = await fetch(base + path, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed = text;
    if ((res.headers.get('content-type') || '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed };
  }

  async function stop() {
    proc.kill('SIGTERM');
    const { code, signal } = await exited;
    rmSync(dir, { recursive: true, force: true });
    assert.equal(signal, null, `server died of ${signal}:\n${logs.join('\n')}`);
    assert.equal(code, 0, `server exited ${code} (sanitizer report?):\n${logs.join('\n')}`);
  }

  return { base, port, db, dir, token, proc, logs, api, stop, cli: (a, i) => cli(db, a, i) };
}

// Creates a user with the given permissions (a fresh role) and returns {user, token}.
export async function userWithPerms(srv, permissions, { provider_id = null, access, username } = {}) {
  const name = username || `u${Math.random().toString(36).slice(2, 10)}`;
  const role = await srv.api('POST', '/api/v1/roles', {
    body: { name: `role-${name}`, kind: 'service_provider', provider_id, permissions },
  });
  assert.equal(role.status, 201, JSON.stringify(role.body));
  const body = { username: name, email: `${name}@example.com`, provider_id, role_ids: [role.body.id],
    password: 'a long enough password for tests' };
  if (access) body.access = access;
  const user = await srv.api('POST', '/api/v1/users', { body });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  const token = srv.cli(['token', 'create', '--user', name]).trim();
  return { user: user.body, role: role.body, token };
}

// Like userWithPerms, with the role's kind and an optional password; returns {user, role, token}.
export async function adminWith(srv, permissions, {
  provider_id = null, access, kind = 'service_provider', username, role_provider_id = provider_id,
  password = 'a long enough password for tests',
} = {}) {
  const name = username || `a${Math.random().toString(36).slice(2, 10)}`;
  const role = await srv.api('POST', '/api/v1/roles', {
    body: { name: `role-${name}`, kind, provider_id: role_provider_id, permissions },
  });
  assert.equal(role.status, 201, JSON.stringify(role.body));
  const body = { username: name, email: `${name}@example.com`, provider_id, role_ids: [role.body.id], password };
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
// closes it or timeoutMs passes. Returns {data (string), status (number|null), closed, error}.
export async function rawHttp(port, chunks, { timeoutMs = 3000, gapMs = 0 } = {}) {
  const { default: net } = await import('node:net');
  return new Promise((ok) => {
    const sock = net.connect(port, '127.0.0.1');
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
    sock.on('data', (d) => { data = Buffer.concat([data, d]); });
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
