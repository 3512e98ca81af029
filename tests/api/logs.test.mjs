// Logs and request ids (issue 18, SECURITY L2, L4; docs/logging.md): every record of a request
// carries the request_id of its X-Request-Id answer header and of its audit rows; an incoming
// X-Request-Id is taken only from a trusted proxy and only when safe (1-64 of [A-Za-z0-9._-]);
// --log-format text gives one "HH:MM:SS level event key=value" line per record, a newline in a
// value escaped; at a terminal serve greets with a banner (console, database, set-up link, how to
// stop) and logs text, and without one it logs JSON lines only (and the set-up block).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BIN,
  startServer,
  startEmptyServer,
  rawHttp,
  loopbackAddress,
  auditRows,
} from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';

let srv;

before(async () => {
  srv = await startServer({
    args: ['--trusted-proxy', '127.0.0.1'],
    env: { GATEHOUSE_ACCESS_LOG: '1' },
  });
});
after(async () => {
  await srv?.stop();
});

// GET path over a raw connection from a loopback address, with extra header lines; returns the
// status and the answer's X-Request-Id.
async function get(path, { from = '127.0.0.1', headers = [] } = {}) {
  const req = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headers, 'Connection: close', '', ''];
  const r = await rawHttp(srv.port, req.join('\r\n'), { from });
  const id = /\r\nX-Request-Id: ([^\r\n]*)\r\n/i.exec(r.data)?.[1] ?? null;
  return { status: r.status, id };
}

const accessLine = (id) =>
  srv.waitForLog((l) => l.includes('"event":"request"') && l.includes(`"request_id":"${id}"`), {
    what: `the access record of ${id}`,
  });

test('each request is logged with the request_id of its X-Request-Id header', async () => {
  const path = `/${uniq('no-such-')}`;
  const seen = [];
  for (let i = 0; i < 3; i++) {
    const r = await fetch(srv.base + path);
    assert.equal(r.status, 404);
    seen.push(r.headers.get('x-request-id'));
  }
  assert.equal(new Set(seen).size, 3, 'a new id per request');
  for (const id of seen) {
    assert.match(id, /^[0-9a-f]{32}$/);
    const rec = JSON.parse(await accessLine(id));
    assert.deepEqual(Object.keys(rec).slice(0, 4), ['time', 'level', 'event', 'request_id']);
    assert.equal(rec.path, path);
    assert.equal(rec.status, '404');
  }
});

test("a trusted proxy's X-Request-Id names the request, its log record and its audit rows", async () => {
  const given = `edge-${uniq()}.A_9`;
  const r = await srv.api('POST', '/api/v1/users', {
    body: { username: uniq('rid'), email: `${uniq('rid')}@example.com` },
    headers: { 'X-Request-Id': given },
  });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('x-request-id'), given);
  assert.equal(JSON.parse(await accessLine(given)).status, '201');
  const rows = await auditRows(srv, 'user.create', r.body.id);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].request_id, given);
  const max = 'x'.repeat(64);
  assert.equal((await get('/healthz', { headers: [`X-Request-Id: ${max}`] })).id, max);
});

test("an untrusted peer's X-Request-Id is not taken", async () => {
  const given = `forged-${uniq()}`;
  const r = await get('/healthz', { from: loopbackAddress(), headers: [`X-Request-Id: ${given}`] });
  assert.equal(r.status, 200);
  assert.notEqual(r.id, given);
  assert.match(r.id, /^[0-9a-f]{32}$/);
  await accessLine(r.id);
  assert.ok(!srv.logs.some((l) => l.includes(given)), 'the forged id reaches no record');
});

test('an unsafe X-Request-Id from a trusted proxy is replaced by a new one', async () => {
  const unsafe = ['y'.repeat(65), 'a b', 'a;b', 'id"quote', '<script>', 'caf\u00e9', ''];
  for (const given of unsafe) {
    const r = await get('/healthz', { headers: [`X-Request-Id: ${given}`] });
    assert.equal(r.status, 200, JSON.stringify(given));
    assert.match(r.id, /^[0-9a-f]{32}$/, JSON.stringify(given));
  }
  // a line folded into the value (a newline inside it) is refused with the connection, and the
  // refusal still carries an id of ours
  const folded = await get('/healthz', { headers: ['X-Request-Id: abc', ' def'] });
  assert.equal(folded.status, 400);
  assert.match(folded.id, /^[0-9a-f]{32}$/);
});

// Runs `gatehouse serve` on a fresh database with args and env until it logs that it listens
// (in either format), then stops it; returns what it wrote to stderr, as lines.
async function serveOnce(args, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-logs-'));
  try {
    const proc = spawn(
      BIN,
      ['serve', '--db', join(dir, 'g.db'), '--listen', '127.0.0.1:0', ...args],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, ...env },
      },
    );
    let err = '';
    const exited = new Promise((ok) => proc.on('exit', ok));
    await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no listening record:\n${err}`)), 15000);
      proc.stderr.on('data', (d) => {
        err += d;
        const m = /listening .*port=(\d+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          ok(Number(m[1]));
        }
      });
    }).then((port) => fetch(`http://127.0.0.1:${port}/nl%0Ainside%0D%1B[31m`));
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    return err.split('\n').filter((l) => l !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TEXT_LINE =
  /^\d\d:\d\d:\d\d (info|warn|error) [a-z0-9_]+( [a-z0-9_]+=("([^"\\]|\\.)*"|[^ "=]+))*$/;

test('--log-format text: one line per record, values quoted and escaped', async () => {
  const lines = await serveOnce(['--log-format', 'text'], { GATEHOUSE_ACCESS_LOG: '1' });
  const block = lines.filter((l) => l.startsWith('  ') || /administrator/.test(l));
  const logs = lines.filter((l) => !block.includes(l));
  for (const l of logs) assert.match(l, TEXT_LINE, l);
  assert.ok(logs.some((l) => / info listening host=127\.0\.0\.1 port=\d+ db=/.test(l)));
  const nl = logs.find((l) => l.includes('path="/nl'));
  assert.ok(nl, 'the request with a newline in its path is one line');
  assert.match(nl, /path="\/nl\\ninside\\r\\x1b\[31m"/);
  assert.match(nl, / request_id=[0-9a-f]{32} /);
  // the environment chooses too, and a bad name is refused
  const env = await serveOnce([], { GATEHOUSE_LOG_FORMAT: 'text' });
  assert.ok(env.some((l) => / info listening /.test(l)));
  const bad = spawnSync(BIN, ['serve', '--log-format', 'xml'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--log-format takes json or text/);
});

test('without a terminal: JSON lines only, besides the set-up block', async () => {
  const empty = await startEmptyServer();
  try {
    const link = empty.setupLink();
    assert.ok(link, 'a set-up link is printed');
    for (const l of empty.logs) {
      if (l === '' || l.startsWith('  ')) continue; // the set-up block, for a person
      const rec = JSON.parse(l);
      assert.deepEqual(Object.keys(rec).slice(0, 3), ['time', 'level', 'event']);
    }
    assert.ok(!empty.logs.some((l) => l.includes('is running')), 'no banner');
  } finally {
    await empty.stop();
  }
});

// Runs a command under a pseudo-terminal (lib/pty-run.py, python3's pty module) until it logs that
// it listens, then signals it; returns spawnSync's result.
const PTY_RUN = join(dirname(fileURLToPath(import.meta.url)), 'lib/pty-run.py');

test('at a terminal: a banner with the console, database and set-up link, then text logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pty-'));
  try {
    const db = join(dir, 'g.db');
    const r = spawnSync(
      'python3',
      [PTY_RUN, 'TERM', BIN, 'serve', '--db', db, '--listen', '127.0.0.1:0'],
      {
        encoding: 'utf8',
        env: Object.fromEntries(
          Object.entries(process.env).filter(([k]) => !/^GATEHOUSE_(LOG_FORMAT|BANNER)$/.test(k)),
        ),
        timeout: 30000,
      },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.split(/\r?\n/);
    const at = lines.findIndex((l) => /^Gatehouse \d+\.\d+\.\d+ is running\.$/.test(l));
    assert.ok(at >= 0, r.stdout);
    assert.match(lines[at + 1], /^ {2}Console: {2}http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(lines[at + 2], `  Database: ${db} (SQLite)`);
    assert.match(
      lines[at + 3],
      /^ {2}Set-up: {3}http:\/\/127\.0\.0\.1:\d+\/setup\/[A-Za-z0-9_-]+ {3}\(only while there is no administrator\)$/,
    );
    assert.equal(lines[at + 4], 'Press Ctrl+C to stop.');
    const port = /:(\d+)\//.exec(lines[at + 1])[1];
    assert.ok(lines[at + 3].includes(`:${port}/setup/`), 'the link points at the console');
    const logs = lines.filter((l) => /^\d\d:\d\d:\d\d /.test(l));
    assert.ok(logs.some((l) => l.includes(` info listening host=127.0.0.1 port=${port}`)));
    assert.ok(logs.some((l) => / info stopped$/.test(l)));
    assert.ok(!lines.some((l) => l.startsWith('{')), 'no JSON at a terminal');
    const banner = lines.slice(at, at + 5).join('\n');
    assert.ok(!/password/i.test(banner), 'the banner names no password (A7)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--banner prints the banner without a terminal; the set-up link stays parseable', async () => {
  const empty = await startEmptyServer({ args: ['--banner'] });
  try {
    assert.ok(empty.logs.some((l) => /^Gatehouse \d+\.\d+\.\d+ is running\.$/.test(l)));
    const link = empty.setupLink();
    assert.ok(link);
    const page = await fetch(link.url);
    assert.equal(page.status, 200);
  } finally {
    await empty.stop();
  }
});

test('docs/logging.md names every event the source logs', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const doc = readFileSync(join(root, 'docs/logging.md'), 'utf8');
  const files = readdirSync(join(root, 'src'), { recursive: true }).filter((f) => f.endsWith('.c'));
  const events = new Set();
  for (const f of files) {
    const text = readFileSync(join(root, 'src', f), 'utf8');
    // gh_log(level, event, ...): the event may be a conditional of two literals
    for (const m of text.matchAll(/gh_log\(\s*[^,]+,\s*([^,]+),/g))
      for (const e of m[1].matchAll(/"([a-z_]+)"/g)) events.add(e[1]);
  }
  assert.ok(events.size > 40, `${events.size} events found`);
  for (const e of events) assert.ok(doc.includes(`\`${e}\``), `docs/logging.md lists ${e}`);
});
