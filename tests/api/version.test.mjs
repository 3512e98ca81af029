// `gatehouse --version` and `gatehouse version` (issue 18): the version, the commit it was built
// from and the runtime versions of the libraries it links, the same as /healthz answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { BIN, startServer } from './lib/server.mjs';

const LIBS = ['sqlite', 'libpq', 'libmicrohttpd', 'libsodium', 'libcurl', 'jansson'];

// The output of a version command as {version, commit, libraries}.
function parse(out) {
  const lines = out.trimEnd().split('\n');
  const m = /^gatehouse (\d+\.\d+\.\d+) \(commit ([0-9a-f]{7,40}|unknown)\)$/.exec(lines[0]);
  assert.ok(m, lines[0]);
  const libraries = Object.fromEntries(lines.slice(1).map((l) => l.split(/\s+/)));
  return { version: m[1], commit: m[2], libraries };
}

test('--version and version print the version, the commit and each library, alike', () => {
  const a = execFileSync(BIN, ['--version'], { encoding: 'utf8' });
  const b = execFileSync(BIN, ['version'], { encoding: 'utf8' });
  assert.equal(a, b);
  const v = parse(a);
  assert.deepEqual(Object.keys(v.libraries), LIBS);
  for (const lib of LIBS) assert.match(v.libraries[lib], /^\d+\.\d+(\.\d+)?/, lib);
  if (v.commit !== 'unknown') {
    // built from this checkout: the commit is one of its own
    const known = spawnSync('git', ['cat-file', '-e', `${v.commit}^{commit}`], {
      cwd: process.cwd(),
    });
    assert.equal(known.status, 0, `${v.commit} is a commit of this repository`);
  }
  // the library versions are the run-time ones: sqlite's as the sqlite3 shell's library says
  const shell = spawnSync('sqlite3', [':memory:', 'select sqlite_version()'], { encoding: 'utf8' });
  if (shell.status === 0) assert.equal(v.libraries.sqlite, shell.stdout.trim());
});

test('/healthz answers the same version, commit and libraries as the command', async () => {
  const v = parse(execFileSync(BIN, ['version'], { encoding: 'utf8' }));
  const srv = await startServer();
  try {
    const r = await srv.api('GET', '/healthz', { token: null });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(r.body, { status: 'ok', ...v });
  } finally {
    await srv.stop();
  }
});
