// `make run` speaks to a person (issue 18): it builds the server target only, quietly (one
// progress line, no make or cmake chatter), then serve greets with its banner at a terminal and
// logs text; Ctrl+C stops it cleanly. It runs against the build folder of GATEHOUSE_BIN (an
// existing cmake build of this checkout: nothing is re-configured, the server target is only
// brought up to date), on a fresh database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN } from './lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const PTY_RUN = join(here, 'lib/pty-run.py');
const build = dirname(resolve(BIN));

// Why make run would not find the server up to date (it would then rebuild and relink it under
// the other test files' feet), or null: no cmake build folder, a commit other than HEAD, or a
// source newer than the binary.
function notUpToDate() {
  if (!existsSync(join(build, 'CMakeCache.txt'))) return `${build} is no cmake build folder`;
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const ours = spawnSync(BIN, ['version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  if (head.status === 0 && !ours.includes(`(commit ${head.stdout.trim()})`))
    return `${BIN} was built from another commit than HEAD; rebuild it first`;
  const bin = statSync(BIN).mtimeMs;
  const newer = ['src', 'web', 'cmake']
    .flatMap((d) => readdirSync(join(root, d), { recursive: true }).map((f) => join(root, d, f)))
    .concat([join(root, 'CMakeLists.txt')])
    .find((f) => statSync(f).mtimeMs > bin);
  return newer ? `${newer} is newer than ${BIN}; rebuild it first` : null;
}
const skip = notUpToDate() ?? false;

test('make run builds only the server, then shows the banner and text logs', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-run-'));
  try {
    const db = join(dir, 'run.db');
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !/^(GATEHOUSE_|MAKEFLAGS|MFLAGS|MAKELEVEL)/.test(k),
      ),
    );
    const r = spawnSync(
      'python3',
      [PTY_RUN, 'INT', 'make', 'run', `BUILD=${build}`, `DB=${db}`, 'LISTEN=127.0.0.1:0'],
      { encoding: 'utf8', env, cwd: root, timeout: 120000 },
    );
    const out = r.stdout;
    const lines = out.split(/\r?\n/);
    assert.ok(lines.includes('Building gatehouse... done'), out);
    assert.doesNotMatch(
      out,
      /Entering directory|Leaving directory|Scanning dependencies|\[\s*\d+%\]|Built target/,
    );
    const at = lines.indexOf('Building gatehouse... done');
    const banner = lines.findIndex((l) => /^Gatehouse \d+\.\d+\.\d+ is running\.$/.test(l));
    assert.ok(banner > at, out);
    assert.equal(lines[banner + 2], `  Database: ${db} (SQLite)`);
    assert.match(lines[banner + 3], /^ {2}Set-up: {3}http:\/\/127\.0\.0\.1:\d+\/setup\//);
    assert.equal(lines[banner + 4], 'Press Ctrl+C to stop.');
    // between the progress line and the end, only text records and the banner
    for (const l of lines.slice(at + 1)) {
      if (l === '' || (l.startsWith('make') && l.includes('Interrupt'))) continue;
      if (lines.indexOf(l) >= banner && lines.indexOf(l) <= banner + 4) continue;
      assert.match(l, /^\d\d:\d\d:\d\d (info|warn|error) [a-z0-9_]+/, l);
    }
    assert.ok(
      lines.some((l) => / info stopping signal=SIGINT$/.test(l)),
      out,
    );
    assert.ok(
      lines.some((l) => / info stopped$/.test(l)),
      out,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('make run asks cmake for the gatehouse target only', () => {
  const r = spawnSync('make', ['-n', 'run', 'BUILD=/nonexistent-build'], {
    encoding: 'utf8',
    cwd: root,
    env: { ...process.env, MAKEFLAGS: '' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /cmake --build \/nonexistent-build -j \d+ --target gatehouse /);
  assert.doesNotMatch(r.stdout, /ctest|_test\b/);
});
