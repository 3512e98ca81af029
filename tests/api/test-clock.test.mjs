// The test clock is for tests only: it moves time only with the explicit `--test-clock FILE` flag
// (the GATEHOUSE_TEST_CLOCK_FILE variable of old does nothing), `serve` refuses it on an address
// that is not loopback, and the CLI commands a test runs honour it too.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startServer, testClock, readyUser, cliResult } from './lib/server.mjs';

const clocks = [];
after(() => {
  for (const c of clocks) c.remove();
});
const newClock = () => {
  const c = testClock();
  clocks.push(c);
  return c;
};

test('serve with --test-clock on an address that is not loopback refuses to start (exit 2, says why)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-clock-'));
  const clock = newClock();
  try {
    for (const listen of ['0.0.0.0:0', '192.0.2.10:0', '10.0.0.1:8080']) {
      const r = spawnSync(
        BIN,
        ['serve', '--db', join(dir, 'g.db'), '--listen', listen, '--test-clock', clock.file],
        { encoding: 'utf8', timeout: 10000 },
      );
      assert.equal(r.status, 2, `${listen}: exit ${r.status}, ${r.stderr}`);
      assert.match(
        r.stderr,
        /--test-clock is for tests only and needs a loopback --listen address/,
        r.stderr,
      );
      assert.doesNotMatch(r.stderr, /"listening"/, `${listen}: it listened`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the environment variable alone does not move the clock: a session outlives a moved clock file', async () => {
  const clock = newClock();
  const plain = await startServer({ env: { GATEHOUSE_TEST_CLOCK_FILE: clock.file } });
  const flagged = await startServer({ clock });
  try {
    assert.ok(
      !plain.logs.some((l) => l.includes('"test_clock"')),
      'the variable turned the test clock on',
    );
    assert.ok(
      flagged.logs.some((l) => l.includes('"test_clock"')),
      'a test clock is said in the log',
    );
    const a = await readyUser(plain);
    const b = await readyUser(flagged);
    clock.advance(13 * 3600); // past the idle timeout and the absolute lifetime
    assert.equal(
      (await a.as('GET', '/api/v1/session')).status,
      200,
      'the variable moved the clock',
    );
    assert.equal(
      (await b.as('GET', '/api/v1/session')).status,
      401,
      'the flag did not move the clock',
    );
  } finally {
    await plain.stop();
    await flagged.stop();
  }
});

test('CLI commands honour --test-clock: a token made on the moved clock works on the server that shares it', async () => {
  const clock = newClock();
  const srv = await startServer({ clock });
  try {
    clock.advance(2 * 3600);
    const moved = srv.cli(['token', 'create', '--user', 'root', '--expires-in', '3600']).trim();
    assert.equal((await srv.api('GET', '/api/v1/users?limit=1', { token: moved })).status, 200);
    const real = cliResult(
      srv.db,
      ['token', 'create', '--user', 'root', '--expires-in', '3600'],
      undefined,
    );
    assert.equal(real.code, 0, real.stderr);
    assert.equal(
      (await srv.api('GET', '/api/v1/users?limit=1', { token: real.stdout.trim() })).status,
      401,
      'a token made on the real clock had not expired on the moved one',
    );
  } finally {
    await srv.stop();
  }
});
