// Runs every top-level API test alone, one `node --test --test-name-pattern='^<name>$' <file>`
// each, to prove that no test depends on what another one left behind (STYLE §11). Usage:
//   GATEHOUSE_BIN=build/gatehouse node tests/api/lib/each-alone.mjs [file.test.mjs ...] [-j N]
// (all of tests/api/ by default, 2 at a time). Prints each failure's output and exits 1 if any.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const apiDir = resolve(here, '..');
const argv = process.argv.slice(2);
let jobs = 2;
const files = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '-j') jobs = Number(argv[++i]);
  else files.push(resolve(argv[i]));
}
if (!files.length) {
  for (const f of readdirSync(apiDir).sort())
    if (f.endsWith('.test.mjs')) files.push(join(apiDir, f));
}

function run(args) {
  return new Promise((ok) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.stderr.on('data', (d) => {
      out += d;
    });
    p.on('exit', (code) => ok({ code, out }));
  });
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

// The names: the whole set with a pattern that matches nothing (every test is skipped).
const listing = await run([
  '--test',
  `--test-concurrency=${jobs}`,
  `--test-reporter=${join(here, 'names-reporter.mjs')}`,
  '--test-name-pattern=^\\b$',
  ...files,
]);
const tests = listing.out
  .split('\n')
  .filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l));
if (!tests.length) {
  console.error(listing.out);
  process.exit(2);
}
console.log(
  `${tests.length} tests in ${new Set(tests.map((t) => t.file)).size} files, ${jobs} at a time`,
);

const failed = [];
let next = 0;
async function worker() {
  while (next < tests.length) {
    const t = tests[next++];
    const started = Date.now();
    const r = await run([
      '--test',
      '--test-reporter=tap',
      `--test-name-pattern=^${escape(t.name)}$`,
      t.file,
    ]);
    const count = (what) => Number(new RegExp(`^# ${what} (\\d+)`, 'm').exec(r.out)?.[1] ?? -1);
    // pass 0 and fail 0: the test skips itself (multi-instance without PostgreSQL)
    const verdict =
      r.code !== 0 || count('fail') !== 0
        ? 'FAIL'
        : ({ 1: 'ok  ', 0: 'skip' }[count('pass')] ?? 'FAIL');
    const where = `${relative(process.cwd(), t.file)}: ${t.name}`;
    console.log(`${verdict} ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${where}`);
    if (verdict === 'FAIL') failed.push({ where, out: r.out });
  }
}
await Promise.all(Array.from({ length: jobs }, worker));
for (const f of failed) console.log(`\n==== ${f.where}\n${f.out}`);
console.log(`\n${tests.length - failed.length} passed alone, ${failed.length} failed`);
for (const f of failed) console.log(`  FAIL ${f.where}`);
process.exit(failed.length ? 1 : 0);
