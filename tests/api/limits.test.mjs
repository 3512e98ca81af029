// SECURITY I8 and src/http/limits.h: per-IP connection limit, slow clients, URL length and the
// number of query parameters. The server runs with --per-ip-connection-limit 4, so this file talks
// over its own sockets (fetch would keep pooled connections open and use up the limit), and each
// test that counts connections opens them from a loopback address of its own (loopbackAddress),
// so that it starts from zero whatever the sockets of other tests still hold.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, rawHttp, loopbackAddress } from './lib/server.mjs';

let srv;
let quick = null; // a server with a 1-second header deadline, made by the test that needs it
const LIMIT = 4;

before(async () => {
  srv = await startServer({ args: ['--per-ip-connection-limit', String(LIMIT)] });
});
after(async () => {
  await srv?.stop();
  await (await quick)?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A kept-alive connection that sends one request at a time and reads one response.
class Conn {
  static open(port, from) {
    return new Promise((ok, fail) => {
      const c = new Conn();
      c.sock = net.connect({ port, host: '127.0.0.1', localAddress: from }, () => ok(c));
      c.sock.once('error', fail);
    });
  }

  constructor() {
    this.buf = Buffer.alloc(0);
    this.closed = false;
    this.waiter = null;
  }

  attach() {
    this.sock.removeAllListeners('error');
    this.sock.on('error', () => {
      this.closed = true;
      this.wake();
    });
    this.sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    this.sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  wake() {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w();
    }
  }

  // Resolves {status, body} or {closed: true} when the server closes the connection first.
  async request(path, { timeoutMs = 3000, headers = '' } = {}) {
    if (!this.attached) {
      this.attach();
      this.attached = true;
    }
    if (!this.closed) {
      this.sock.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${srv.token}\r\n${headers}\r\n`,
      );
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.buf.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end >= 0) {
        const len = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
        if (this.buf.length >= end + 4 + len) {
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
          const body = this.buf.subarray(end + 4, end + 4 + len).toString('utf8');
          this.buf = this.buf.subarray(end + 4 + len);
          return { status, body };
        }
      }
      if (this.closed) return { closed: true, data: text };
      if (Date.now() > deadline) return { timeout: true, data: text };
      await new Promise((r) => {
        this.waiter = r;
        setTimeout(r, 50);
      });
    }
  }

  close() {
    this.sock.destroy();
  }
}

// One request on a fresh connection (from the address from, 127.0.0.1 by default), retried while
// the server is still releasing older ones.
async function fresh(path, { tries = 40, from } = {}) {
  let last;
  for (let i = 0; i < tries; i++) {
    last = await rawHttp(
      srv.port,
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${srv.token}\r\nConnection: close\r\n\r\n`,
      { timeoutMs: 3000, from },
    );
    if (last.status !== null) return last;
    await sleep(100);
  }
  return last;
}

test(`a 5th simultaneous connection from one IP is refused while the first ${LIMIT} keep working`, async () => {
  const from = loopbackAddress();
  const conns = [];
  for (let i = 0; i < LIMIT; i++) {
    const c = await Conn.open(srv.port, from);
    const r = await c.request('/healthz');
    assert.equal(r.status, 200, `connection ${i + 1}: ${JSON.stringify(r)}`);
    conns.push(c);
  }
  // The 5th: accepted by the kernel, then closed by the server without an answer.
  let refused;
  try {
    const extra = await Conn.open(srv.port, from);
    refused = await extra.request('/healthz', { timeoutMs: 3000 });
    extra.close();
  } catch (e) {
    refused = { closed: true, error: e.code };
  }
  assert.ok(refused.closed === true, `the 5th connection was served: ${JSON.stringify(refused)}`);
  assert.doesNotMatch(refused.data || '', /^HTTP\/1\.1 2/);

  // The first four are untouched and still answer, including an authenticated API call.
  for (const [i, c] of conns.entries()) {
    const r = await c.request('/api/v1/users?limit=1');
    assert.equal(r.status, 200, `connection ${i + 1} after the refusal: ${JSON.stringify(r)}`);
  }
  // Freeing one slot lets a new connection in.
  conns.pop().close();
  const again = await fresh('/healthz', { from });
  assert.equal(again.status, 200, `a new connection after one closed: ${again.data}`);
  for (const c of conns) c.close();
});

test('clients that send half a request and stall do not block other clients', async () => {
  const from = loopbackAddress(); // three stalled and one at a time from it: within the limit
  const stalled = [];
  // Three stalled clients: more than the server's 2 worker threads.
  const partial = [
    'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n',
    'POST /api/v1/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${srv.token}\r\nContent-Length: 100\r\n\r\n{"kind":`,
    'GE',
  ];
  for (const p of partial) {
    const s = await new Promise((ok, fail) => {
      const x = net.connect({ port: srv.port, host: '127.0.0.1', localAddress: from }, () => ok(x));
      x.on('error', fail);
    });
    s.on('error', () => {});
    await new Promise((ok) => s.write(p, ok)); // handed to the kernel: the server has it to read
    stalled.push(s);
  }
  await sleep(200); // the server reads the partial requests (a wait of the kind the test is about)
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    const r = await fresh(i % 2 ? '/healthz' : '/api/v1/users?limit=1', { from });
    assert.equal(r.status, 200, r.data);
    assert.ok(
      Date.now() - t0 < 2000,
      `request ${i} took ${Date.now() - t0} ms behind stalled clients`,
    );
  }
  for (const s of stalled) s.destroy();
});

test('a path over 2048 bytes gives 400; a 2048-byte path is routed', async () => {
  const path = (n) => '/api/v1/users/' + 'a'.repeat(n - '/api/v1/users/'.length);
  const at = await fresh(path(2048));
  assert.equal(at.status, 404, at.data.slice(0, 200));
  const over = await fresh(path(2049));
  assert.equal(over.status, 400, over.data.slice(0, 200));
  assert.match(over.data, /application\/problem\+json/);
});

test('a URL over 2048 bytes counting its query gives 4xx on every GET route', async () => {
  // The limit is on "path and query" (limits.h), whatever the route does with the query.
  const paths = [
    '/healthz',
    '/readyz',
    '/metrics',
    '/api/v1/openapi.json',
    '/api/v1/permissions',
    '/api/v1/users',
    '/api/v1/users/1',
    '/api/v1/tenants',
    '/api/v1/roles',
    '/api/v1/groups',
    '/api/v1/audit',
  ];
  const failures = [];
  for (const p of paths) {
    const url = `${p}?x=${'a'.repeat(2100)}`;
    const r = await fresh(url);
    if (!(r.status >= 400 && r.status < 500))
      failures.push(`GET ${p}?x=<2100 bytes> -> ${r.status}`);
  }
  assert.deepEqual(failures, []);
});

test('a very long URL (100 KB) gives 4xx and the server keeps answering', async () => {
  for (const url of [`/api/v1/users?q=${'a'.repeat(100000)}`, `/${'b'.repeat(100000)}`]) {
    const r = await fresh(url);
    assert.ok(
      r.status >= 400 && r.status < 500,
      `${url.slice(0, 30)}...: ${r.status} ${r.data.slice(0, 200)}`,
    );
  }
  const h = await fresh('/healthz');
  assert.equal(h.status, 200);
});

test('more than 16 query parameters give 400 on list routes; 16 are accepted', async () => {
  for (const p of [
    '/api/v1/users',
    '/api/v1/tenants',
    '/api/v1/roles',
    '/api/v1/groups',
    '/api/v1/audit',
  ]) {
    const sixteen = await fresh(`${p}?${Array(16).fill('limit=5').join('&')}`);
    assert.equal(sixteen.status, 200, `${p} with 16: ${sixteen.data.slice(0, 300)}`);
    const seventeen = await fresh(`${p}?${Array(17).fill('limit=5').join('&')}`);
    assert.equal(seventeen.status, 400, `${p} with 17: ${seventeen.data.slice(0, 300)}`);
    assert.match(seventeen.data, /application\/problem\+json/);
  }
});

test("500 query parameters (past libmicrohttpd's connection pool) get 400 or the connection closed at the header deadline", async () => {
  // A URL of ~5 KB, past the 2048-byte limit, exhausts libmicrohttpd's per-connection pool before
  // any handler runs: it refuses with 400, or it waits for more and the header deadline (I10)
  // closes the connection. A server of its own with a deadline of 1 s: the test waits for that
  // close, not for the default 10 s.
  quick ??= startServer({ args: ['--header-deadline-seconds', '1'] });
  const q = await quick;
  const query = Array.from({ length: 500 }, (_, i) => `p${i}=1`).join('&');
  const routes = [
    '/api/v1/users',
    '/api/v1/tenants',
    '/api/v1/roles',
    '/api/v1/groups',
    '/api/v1/audit',
  ];
  const t0 = Date.now();
  const answers = await Promise.all(
    routes.map((p) =>
      rawHttp(
        q.port,
        `GET ${p}?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `Authorization: Bearer ${q.token}\r\nConnection: close\r\n\r\n`,
        { timeoutMs: 8000 },
      ),
    ),
  );
  for (const [i, many] of answers.entries()) {
    assert.ok(
      many.status === 400 || (many.status === null && many.closed),
      `${routes[i]} with 500: ${many.status}, closed ${many.closed} after ${Date.now() - t0} ms`,
    );
  }
  const alive = await q.api('GET', '/healthz', { token: null });
  assert.equal(alive.status, 200);
});

test('more than 16 query parameters give 400 on every other GET route too', async () => {
  const query = Array.from({ length: 17 }, (_, i) => `p${i}=1`).join('&');
  const failures = [];
  for (const p of [
    '/healthz',
    '/readyz',
    '/metrics',
    '/api/v1/openapi.json',
    '/api/v1/permissions',
    '/api/v1/users/1',
    '/api/v1/tenants/1',
    '/api/v1/roles/1',
    '/api/v1/groups/1',
  ]) {
    const r = await fresh(`${p}?${query}`);
    if (r.status !== 400) failures.push(`GET ${p}?p0=1&...&p16=1 -> ${r.status}`);
  }
  assert.deepEqual(failures, []);
});

test('I6: a request framed by both Content-Length and Transfer-Encoding is refused, and nothing smuggled runs', async () => {
  const smuggled = `GET /api/v1/users?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${srv.token}\r\n\r\n`;
  const body = `0\r\n\r\n${smuggled}`;
  for (const method of ['POST', 'GET']) {
    const r = await rawHttp(
      srv.port,
      `${method} /api/v1/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${srv.token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
      { timeoutMs: 3000 },
    );
    assert.equal(r.status, 400, `${method}: ${r.data.slice(0, 300)}`);
    // one response only: the bytes after the first body were not taken as a second request
    assert.equal((r.data.match(/^HTTP\/1\.1 /gm) || []).length, 1, r.data);
  }
  const alive = await srv.api('GET', '/healthz', { token: null });
  assert.equal(alive.status, 200);
});

test("a provider's dormant rule takes at most 3650 days; inactive_days as much", async () => {
  const t = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: `limits-${Date.now()}` },
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  const at = (n) => srv.api('PATCH', `/api/v1/tenants/${t.body.id}`, { body: { dormant_days: n } });
  assert.equal((await at(3650)).status, 200);
  const over = await at(3651);
  assert.equal(over.status, 400);
  assert.equal(over.body.errors[0].code, 'dormant_days.out_of_range');
  assert.equal((await srv.api('GET', '/api/v1/users?inactive_days=3650')).status, 200);
  assert.equal((await srv.api('GET', '/api/v1/users?inactive_days=3651')).status, 400);
});
