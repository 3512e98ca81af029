// Forward-auth (issue 16): Gatehouse guards other applications behind the company's reverse
// proxy. Debian's nginx (auth_request to /auth/verify) and Caddy (forward_auth to /auth/forward)
// run on loopback in front of a tiny upstream that echoes the headers it receives:
//   - signed out: the sign-in, with the URL to come back to;
//   - signed in: the upstream gets Remote-User, -Email, -Name, -Groups, -Permissions;
//   - a client's own Remote-User never reaches the upstream;
//   - an application may need a permission or a group (403 otherwise);
//   - a host that is not protected is refused; a disabled user is refused at the next request;
//   - /auth/return sends the browser back only to a protected host (no open redirect);
//   - --cookie-domain scopes the session cookie to the parent domain; bad settings stop the start.
// One Gatehouse, one nginx, one Caddy and one upstream for the file; each test signs in users of
// its own, so each passes alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, readyUser, createUser, BIN } from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';

let srv, upstream, nginx, caddy, dir, NGINX, CADDY, EXT;
const children = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// One request through a proxy at port, for host (the Host header), with headers; the answer's
// status, headers and body (the upstream's echo parsed when it is JSON).
function through(port, host, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'GET', headers: { host, ...headers } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          let json = null;
          try {
            json = JSON.parse(body);
          } catch {
            /* not the upstream's echo */
          }
          resolve({ status: res.statusCode, headers: res.headers, body, json });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(port, host) {
  for (let i = 0; i < 200; i++) {
    try {
      await through(port, host, '/');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing answers on ${port}`);
}

function run(cmd, args, opts) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let log = '';
  p.stdout.on('data', (d) => (log += d));
  p.stderr.on('data', (d) => (log += d));
  p.log = () => log;
  children.push(p);
  return p;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-fwd-'));
  upstream = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, headers: req.headers }));
  });
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const up = upstream.address().port;
  const GH = await freePort();
  [NGINX, CADDY] = [await freePort(), await freePort()];
  EXT = `http://127.0.0.1:${GH}`; // where the browser reaches Gatehouse (--external-url)
  const apps = [
    `app.test:${NGINX}`,
    `admin.test:${NGINX}=users.read`,
    `ops.test:${NGINX}=group:Night shift`,
    `app.test:${CADDY}`,
  ].join(',');
  srv = await startServer({
    args: ['--listen', `127.0.0.1:${GH}`, '--protect', apps, '--external-url', EXT],
  });
  const gh = new URL(srv.base).port;

  // nginx: auth_request to /auth/verify; 401 becomes the sign-in (nginx cannot follow a redirect
  // of the subrequest); the identity goes upstream from the subrequest's answer only
  mkdirSync(join(dir, 'nginx'), { recursive: true });
  const set = ['User', 'Email', 'Name', 'Groups', 'Permissions'];
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/nginx/body;
  proxy_temp_path ${dir}/nginx/proxy;
  fastcgi_temp_path ${dir}/nginx/fastcgi;
  uwsgi_temp_path ${dir}/nginx/uwsgi;
  scgi_temp_path ${dir}/nginx/scgi;
  server {
    listen 127.0.0.1:${NGINX};
    location = /_gatehouse {
      internal;
      proxy_pass http://127.0.0.1:${gh}/auth/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
    }
    location / {
      auth_request /_gatehouse;
${set.map((h) => `      auth_request_set $gh_${h.toLowerCase()} $upstream_http_remote_${h.toLowerCase()};\n      proxy_set_header Remote-${h} $gh_${h.toLowerCase()};`).join('\n')}
      error_page 401 = @signin;
      proxy_pass http://127.0.0.1:${up};
    }
    location @signin {
      return 302 ${EXT}/signin?rd=$scheme://$http_host$request_uri;
    }
  }
}
`,
  );
  nginx = run('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir]);
  // Caddy: forward_auth to /auth/forward, which answers the redirect itself
  writeFileSync(
    join(dir, 'Caddyfile'),
    `{
  admin off
  auto_https off
  storage file_system ${dir}/caddy
}
http://app.test:${CADDY} {
  bind 127.0.0.1
  forward_auth 127.0.0.1:${gh} {
    uri /auth/forward
    copy_headers ${set.map((h) => `Remote-${h}`).join(' ')}
  }
  reverse_proxy 127.0.0.1:${up}
}
`,
  );
  caddy = run('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
  });
  await waitFor(NGINX, `app.test:${NGINX}`).catch((e) => {
    throw new Error(`${e.message}: ${nginx.log()}`);
  });
  await waitFor(CADDY, `app.test:${CADDY}`).catch((e) => {
    throw new Error(`${e.message}: ${caddy.log()}`);
  });
});

after(async () => {
  for (const c of children) c.kill('SIGTERM');
  upstream?.close();
  await srv?.stop();
});

test('nginx: signed out, the sign-in with the URL to come back to', async () => {
  const r = await through(NGINX, `app.test:${NGINX}`, '/reports/today?x=1');
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, `${EXT}/signin?rd=http://app.test:${NGINX}/reports/today?x=1`);
  const forged = await through(NGINX, `app.test:${NGINX}`, '/', { 'remote-user': 'root' });
  assert.equal(forged.status, 302, 'a Remote-User of its own does not sign anybody in');
});

test('nginx: signed in, the upstream gets the identity; a client Remote-User is overwritten', async () => {
  const role = await srv.api('POST', '/api/v1/roles', {
    body: {
      name: uniq('readers'),
      kind: 'service_provider',
      provider_id: null,
      permissions: ['users.read', 'roles.read'],
    },
  });
  const g = await srv.api('POST', '/api/v1/groups', {
    body: { name: uniq('Billing '), provider_id: null },
  });
  const u = await readyUser(srv, {
    first_name: 'Mei',
    last_name: 'Chen',
    role_ids: [role.body.id],
    group_ids: [g.body.id],
  });
  const r = await through(NGINX, `app.test:${NGINX}`, '/hello', {
    cookie: u.cookie,
    'remote-user': 'root',
    'remote-permissions': 'everything',
  });
  assert.equal(r.status, 200, r.body);
  const h = r.json.headers;
  assert.equal(h['remote-user'], u.username, 'the client-sent Remote-User was replaced');
  assert.equal(h['remote-email'], `${u.username}@example.com`);
  assert.equal(h['remote-name'], 'Mei Chen');
  assert.equal(h['remote-groups'], g.body.name);
  assert.equal(h['remote-permissions'], 'users.read,roles.read');
  assert.equal(r.json.path, '/hello');
});

test('an application may need a permission or a group', async () => {
  const plain = await readyUser(srv);
  const denied = await through(NGINX, `admin.test:${NGINX}`, '/', { cookie: plain.cookie });
  assert.equal(denied.status, 403, 'admin.test needs users.read');
  const reader = await readyUser(srv, { permissions: ['users.read'] });
  const ok = await through(NGINX, `admin.test:${NGINX}`, '/', { cookie: reader.cookie });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.headers['remote-user'], reader.username);

  assert.equal(
    (await through(NGINX, `ops.test:${NGINX}`, '/', { cookie: plain.cookie })).status,
    403,
  );
  const g = await srv.api('POST', '/api/v1/groups', {
    body: { name: 'Night shift', provider_id: null },
  });
  assert.equal(g.status, 201, JSON.stringify(g.body));
  const member = await readyUser(srv, { group_ids: [g.body.id] });
  const inside = await through(NGINX, `ops.test:${NGINX}`, '/', { cookie: member.cookie });
  assert.equal(inside.status, 200, inside.body);
  assert.equal(inside.json.headers['remote-groups'], 'Night shift');
});

test('a host that is not protected is refused, even signed in', async () => {
  const u = await readyUser(srv);
  const r = await through(NGINX, `other.test:${NGINX}`, '/', { cookie: u.cookie });
  assert.equal(r.status, 403);
  const direct = await srv.api('GET', '/auth/verify', {
    token: null,
    headers: { cookie: u.cookie, 'x-original-url': 'https://other.test/' },
  });
  assert.equal(direct.status, 403);
});

test('a user disabled meanwhile is refused at the next request', async () => {
  const u = await readyUser(srv);
  assert.equal((await through(NGINX, `app.test:${NGINX}`, '/', { cookie: u.cookie })).status, 200);
  assert.equal((await srv.api('POST', `/api/v1/users/${u.user.id}/disable`)).status, 200);
  const r = await through(NGINX, `app.test:${NGINX}`, '/', { cookie: u.cookie });
  assert.equal(r.status, 302, 'back to the sign-in');
});

test('Caddy: signed out, 302 to the sign-in; signed in, the identity with the forged one replaced', async () => {
  const out = await through(CADDY, `app.test:${CADDY}`, '/a/b?c=d', { 'remote-user': 'root' });
  assert.equal(out.status, 302);
  assert.equal(
    out.headers.location,
    `${EXT}/signin?rd=${encodeURIComponent(`http://app.test:${CADDY}/a/b?c=d`)}`,
  );
  const u = await readyUser(srv, { first_name: 'Ada', last_name: 'Lovelace' });
  const r = await through(CADDY, `app.test:${CADDY}`, '/a', {
    cookie: u.cookie,
    'remote-user': 'root',
  });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.headers['remote-user'], u.username);
  assert.equal(r.json.headers['remote-name'], 'Ada Lovelace');
  assert.equal((await srv.api('POST', `/api/v1/users/${u.user.id}/disable`)).status, 200);
  assert.equal((await through(CADDY, `app.test:${CADDY}`, '/a', { cookie: u.cookie })).status, 302);
});

test('/auth/return: back to a protected host only, else the console', async () => {
  const u = await readyUser(srv);
  // fetch itself, to see the redirect rather than follow it
  const back = (rd, cookie = u.cookie) =>
    fetch(`${srv.base}/auth/return?rd=${encodeURIComponent(rd)}`, {
      headers: cookie ? { cookie } : {},
      redirect: 'manual',
    });
  const ok = await back(`http://app.test:${NGINX}/x?y=1`);
  assert.equal(ok.status, 302);
  assert.equal(ok.headers.get('location'), `http://app.test:${NGINX}/x?y=1`);
  for (const evil of [
    'http://evil.test/',
    `http://app.test:${NGINX}@evil.test/`,
    `javascript:alert(1)`,
    `//evil.test/`,
    `http://app.test:${NGINX}\\@evil.test/`,
  ]) {
    const r = await back(evil);
    assert.equal(r.headers.get('location'), '/', evil);
  }
  const out = await back(`http://app.test:${NGINX}/x`, null);
  assert.equal(
    out.headers.get('location'),
    `/signin?rd=${encodeURIComponent(`http://app.test:${NGINX}/x`)}`,
  );
});

test('--cookie-domain scopes the session cookie; bad settings stop the start', async () => {
  const s = await startServer({ args: ['--cookie-domain', 'example.test'] });
  try {
    const { username, password } = await createUser(s);
    const r = await s.api('POST', '/api/v1/session', {
      token: null,
      body: { username, password },
    });
    const line = r.headers.getSetCookie().find((x) => x.startsWith('gh_session='));
    assert.match(line, /; Domain=example\.test/);
    assert.match(line, /SameSite=Strict/);
  } finally {
    await s.stop();
  }
  for (const args of [
    ['--cookie-domain', 'bad_domain'],
    ['--cookie-domain', 'localhost'],
    ['--protect', 'app.test=no.such.permission'],
    ['--protect', 'app.test,APP.test'],
    ['--protect', 'https://app.test'],
  ]) {
    // refused at the start: it exits at once (a kill at the timeout would mean it served)
    const r = spawnSync(BIN, ['serve', '--db', srv.db, '--listen', '127.0.0.1:0', ...args], {
      timeout: 10000,
      encoding: 'utf8',
    });
    assert.equal(r.signal, null, `${args.join(' ')}: it started`);
    assert.notEqual(r.status, 0, args.join(' '));
  }
});
