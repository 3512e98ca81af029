// The configuration file of serve (issue 18): `name = value` lines under the flags' names, read
// from --config (or GATEHOUSE_CONFIG); flags win over GATEHOUSE_* variables, which win over the
// file; an unknown name or a bad value stops the start naming the file and line. SIGHUP reads it
// again: the sign-in settings change for the next requests (seen in /api/v1/password-policy),
// the others are logged as needing a restart, and a bad file keeps what runs. Readiness goes to
// systemd's NOTIFY_SOCKET: READY=1 once the server answers, RELOADING=1 and READY=1 around a
// reload, STOPPING=1 at SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, cliResult, testClock, adminWith } from './lib/server.mjs';
import { uniq, USERS_ALL } from './lib/helpers.mjs';

const PW22 = 'x7!kQ9#mZ2$pL4&wR8@vT3'; // 22 characters, no dictionary word

const minLength = async (srv) => {
  const r = await srv.api('GET', '/api/v1/password-policy', { token: null });
  assert.equal(r.status, 200);
  return r.body.min_length;
};

// A configuration file in a folder of its own; write(text) replaces its content.
function confFile(text) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-conf-'));
  const path = join(dir, 'gatehouse.conf');
  writeFileSync(path, text);
  return {
    path,
    write: (t) => writeFileSync(path, t),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

test('the file sets what no variable or flag sets; variables win over it, flags over both', async () => {
  const conf = confFile('# a comment\n\n  password-min-length = 20  \nlockout-threshold=7\n');
  try {
    const plain = await startServer({ args: ['--config', conf.path] });
    try {
      assert.equal(await minLength(plain), 20);
    } finally {
      await plain.stop();
    }
    const env = await startServer({ env: { GATEHOUSE_CONFIG: conf.path } });
    try {
      assert.equal(await minLength(env), 20, 'GATEHOUSE_CONFIG names the file');
    } finally {
      await env.stop();
    }
    const over = await startServer({
      args: ['--config', conf.path],
      env: { GATEHOUSE_PASSWORD_MIN_LENGTH: '22' },
    });
    try {
      assert.equal(await minLength(over), 22, 'the variable wins over the file');
    } finally {
      await over.stop();
    }
    const flag = await startServer({
      args: ['--config', conf.path, '--password-min-length', '24'],
      env: { GATEHOUSE_PASSWORD_MIN_LENGTH: '22' },
    });
    try {
      assert.equal(await minLength(flag), 24, 'the flag wins over both');
    } finally {
      await flag.stop();
    }
  } finally {
    conf.remove();
  }
});

test('an unknown name, a bad value or a line that is no setting stops the start at its line', async () => {
  const cases = [
    ['listen = 127.0.0.1:0\npasword-min-length = 20\n', /:2: unknown setting pasword-min-length/],
    ['# x\n\nlockout-threshold = many\n', /:3: bad value for lockout-threshold/],
    ['sso-allow-loopback = maybe\n', /:1: bad value for sso-allow-loopback/],
    ['just some words\n', /:1: not a `name = value` line/],
    ['config = /etc/other.conf\n', /:1: unknown setting config/],
    ['test-clock = /tmp/clock\n', /:1: unknown setting test-clock/],
  ];
  for (const [text, why] of cases) {
    const conf = confFile(text);
    try {
      const r = cliResult(join(tmpdir(), 'never-created.db'), ['serve', '--config', conf.path]);
      assert.equal(r.code, 2, text);
      assert.match(r.stderr, why);
      assert.ok(r.stderr.includes(conf.path), 'the message names the file');
    } finally {
      conf.remove();
    }
  }
  const missing = cliResult(join(tmpdir(), 'never-created.db'), [
    'serve',
    '--config',
    '/nonexistent/gatehouse.conf',
  ]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /\/nonexistent\/gatehouse.conf: cannot be read/);
});

test('SIGHUP applies a new password minimum, names what needs a restart, keeps all on a bad file', async () => {
  const conf = confFile('password-min-length = 20\n');
  const srv = await startServer({ args: ['--config', conf.path] });
  try {
    assert.equal(await minLength(srv), 20);
    const reloaded = (n) =>
      srv.waitForLog((l) => l.includes('"event":"reloaded"') && srv.logs.indexOf(l) >= n, {
        what: 'the reloaded line',
      });

    conf.write('password-min-length = 25\nmail-from = Ops <ops@example.com>\n');
    let n = srv.logs.length;
    srv.proc.kill('SIGHUP');
    const line = JSON.parse(await reloaded(n));
    assert.equal(line.applied, 'password-min-length');
    assert.equal(line.config, conf.path);
    const restart = JSON.parse(
      await srv.waitForLog((l) => l.includes('"event":"reload_needs_restart"'), {
        what: 'the restart line',
      }),
    );
    assert.equal(restart.settings, 'mail-from');
    assert.ok(!srv.logs.join('\n').includes('ops@example.com'), 'values never reach the log');
    assert.equal(await minLength(srv), 25);
    // the new minimum is the one passwords are checked against: 22 characters are too few now
    const short = await srv.api('POST', '/api/v1/users', {
      body: { username: 'shortpw', email: 'shortpw@example.com', password: PW22 },
    });
    assert.equal(short.status, 400);
    assert.equal(short.body.errors[0].field, 'password');

    conf.write('password-min-length = 30\nno-such-setting = 1\n');
    n = srv.logs.length;
    srv.proc.kill('SIGHUP');
    const failed = JSON.parse(
      await srv.waitForLog((l) => l.includes('"event":"reload_failed"'), {
        what: 'the reload_failed line',
      }),
    );
    assert.match(failed.detail, /:2: unknown setting no-such-setting/);
    assert.equal(await minLength(srv), 25, 'a bad file keeps the running configuration');

    conf.write('password-min-length = 18\n');
    n = srv.logs.length;
    srv.proc.kill('SIGHUP');
    await reloaded(n);
    assert.equal(await minLength(srv), 18);
    const fits = await srv.api('POST', '/api/v1/users', {
      body: { username: 'shortpw', email: 'shortpw@example.com', password: PW22 },
    });
    assert.equal(fits.status, 201, JSON.stringify(fits.body));

    // reloads while requests run (the swap is atomic: ThreadSanitizer builds check it); each
    // answer is one of the minimums the file held
    const seen = new Set();
    let reloading = true;
    const readers = [1, 2, 3, 4].map(async () => {
      while (reloading) seen.add(await minLength(srv));
    });
    for (const min of [16, 17, 19, 21]) {
      conf.write(`password-min-length = ${min}\n`);
      n = srv.logs.length;
      srv.proc.kill('SIGHUP');
      await reloaded(n);
      assert.equal(await minLength(srv), min);
    }
    reloading = false;
    await Promise.all(readers);
    for (const v of seen) assert.ok([18, 16, 17, 19, 21].includes(v), `min_length ${v}`);
  } finally {
    await srv.stop();
    conf.remove();
  }
});

test('SIGHUP applies a new dormant interval: the job runs on it from the reload', async () => {
  const conf = confFile('dormant-interval-seconds = 3600\n'); // no run within this test
  const c = testClock();
  const srv = await startServer({ args: ['--config', conf.path], clock: c });
  try {
    const t = await srv.api('POST', '/api/v1/tenants', {
      body: { kind: 'service_provider', name: uniq('sp') },
    });
    await adminWith(srv, USERS_ALL, { provider_id: t.body.id });
    const name = uniq('dormant');
    const u = await srv.api('POST', '/api/v1/users', {
      body: {
        username: name,
        email: `${name}@example.com`,
        provider_id: t.body.id,
        password: 'a long enough password for tests',
      },
    });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    const rule = await srv.api('PATCH', `/api/v1/tenants/${t.body.id}`, {
      body: { dormant_days: 3 },
    });
    assert.equal(rule.status, 200, JSON.stringify(rule.body));
    c.advance(4 * 86400); // dormant now, but the next run is an hour away

    conf.write('dormant-interval-seconds = 1\n');
    const n = srv.logs.length;
    srv.proc.kill('SIGHUP');
    const line = await srv.waitForLog(
      (l) => l.includes('"event":"reloaded"') && srv.logs.indexOf(l) >= n,
      { what: 'the reloaded line' },
    );
    assert.equal(JSON.parse(line).applied, 'dormant-interval-seconds');
    await srv.waitForLog((l) => l.includes('"event":"dormant_run"'), { what: 'a dormant run' });
    assert.equal((await srv.api('GET', `/api/v1/users/${u.body.id}`)).body.status, 'disabled');

    conf.write('dormant-interval-seconds = 700000\n');
    const m = srv.logs.length;
    srv.proc.kill('SIGHUP');
    const failed = await srv.waitForLog(
      (l) => l.includes('"event":"reload_failed"') && srv.logs.indexOf(l) >= m,
      { what: 'the reload_failed line' },
    );
    assert.match(JSON.parse(failed).detail, /dormant-interval-seconds takes 1 to 604800/);
  } finally {
    await srv.stop();
    c.remove();
    conf.remove();
  }
});

// A unix datagram socket (node has none) that prints each message it receives as a line.
const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    print(s.recv(4096).decode().replace("\\n", "|"), flush=True)
`;

test('systemd readiness: READY=1 once /readyz answers, RELOADING=1 around a reload, STOPPING=1 at SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-notify-'));
  const sock = join(dir, 'notify.sock');
  const py = spawn('python3', ['-c', LISTENER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages = [];
  const waiters = [];
  createInterface({ input: py.stdout }).on('line', (line) => {
    messages.push(line);
    for (const w of waiters.splice(0)) if (!w.check()) waiters.push(w);
  });
  // resolves once a message after the first `from` holds want
  const message = (want, from = 0) =>
    new Promise((ok, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`no ${want} in ${JSON.stringify(messages)}`)),
        10000,
      );
      const w = {
        check: () => {
          const i = messages.findIndex((m, k) => k >= from && m.split('|').includes(want));
          if (i < 0) return false;
          clearTimeout(timer);
          ok(i);
          return true;
        },
      };
      if (!w.check()) waiters.push(w);
    });
  try {
    await message('bound');
    const ready = message('READY=1');
    const srv = await startServer({ env: { NOTIFY_SOCKET: sock } });
    let stopped = false;
    try {
      const at = await ready;
      const r = await fetch(srv.base + '/readyz');
      assert.equal(r.status, 200, 'the server answers once it said READY=1');
      assert.ok(
        srv.logs.some((l) => l.includes('"event":"listening"')),
        'READY=1 comes after the server listens',
      );
      srv.proc.kill('SIGHUP');
      const reloading = await message('RELOADING=1', at + 1);
      assert.ok(
        messages[reloading].split('|').some((f) => /^MONOTONIC_USEC=\d+$/.test(f)),
        'RELOADING=1 carries the time',
      );
      await message('READY=1', reloading + 1);
      const stopping = message('STOPPING=1', reloading + 1);
      stopped = true;
      await srv.stop();
      await stopping;
    } finally {
      if (!stopped) await srv.stop();
    }
  } finally {
    py.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
