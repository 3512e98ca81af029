// Backups (issue 18): `gatehouse backup --to FILE` copies a SQLite database while the server goes
// on writing, and the copy is whole (integrity_check) and holds every user acknowledged before the
// backup began; `gatehouse restore --from FILE` refuses while a server runs on the database, and
// afterwards puts the copy back so that a server started on it serves those users. With
// PostgreSQL both commands point to pg_dump and fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, restartServer, cliResult, BIN, PG_URL } from './lib/server.mjs';
import { randomIntBetween, uniq } from './lib/helpers.mjs';

const run = promisify(execFile);
const sqlite = (file, sql) => execFileSync('sqlite3', [file, sql], { encoding: 'utf8' }).trim();

// WRITERS loops each create users one after another until stop() is called; acked holds each
// acknowledged one (201) as {id, username}, in the order of the answers.
const WRITERS = 3;
function writer(srv) {
  const acked = [];
  const waiters = new Set(); // {n, ok}: reached(n) calls not answered yet
  let stopping = false;
  const loop = async () => {
    while (!stopping) {
      const name = uniq('bk');
      const r = await srv.api('POST', '/api/v1/users', {
        body: { username: name, email: `${name}@example.com` },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      acked.push({ id: r.body.id, username: name });
      for (const w of [...waiters]) if (acked.length >= w.n) waiters.delete(w) && w.ok();
    }
  };
  const done = Promise.all(Array.from({ length: WRITERS }, loop));
  return {
    acked,
    // resolves once n writes are acknowledged
    reached: (n) => new Promise((ok) => (acked.length >= n ? ok() : waiters.add({ n, ok }))),
    stop: async () => {
      stopping = true;
      await done;
    },
  };
}

test(
  'a backup taken while users are being created holds every user acknowledged before it',
  {
    skip: PG_URL ? 'SQLite only (PostgreSQL: the next test)' : false,
  },
  async () => {
    const srv = await startServer();
    let stopped = false;
    try {
      const w = writer(srv);
      const first = randomIntBetween(30, 80); // how many writes come before the backup starts
      await w.reached(first);
      const before = w.acked.slice(); // acknowledged before the backup began
      const copy = join(srv.dir, 'copy.db');
      const { stdout } = await run(BIN, ['backup', '--db', srv.db, '--to', copy]);
      const atEnd = w.acked.length;
      await w.stop();
      assert.match(stdout, /copied .* pages, \d+ bytes, schema version \d+/);
      assert.match(stdout, /secret key .*\.key/);
      // the backup does not hold the writers up (WAL: one reader's snapshot, writers go on)
      console.log(`writes acknowledged while the backup ran: ${atEnd - before.length}`);
      assert.ok(atEnd > before.length, 'writes were acknowledged while the backup ran');

      assert.equal(sqlite(copy, 'PRAGMA integrity_check'), 'ok');
      const names = new Set(sqlite(copy, 'SELECT username FROM users').split('\n'));
      for (const u of before) assert.ok(names.has(u.username), `${u.username} is in the copy`);
      // the copy is one snapshot: nothing requested after the backup ended is in it (each writer
      // may have had one request under way then: those WRITERS answers may or may not be in it)
      for (const u of w.acked.slice(atEnd + WRITERS))
        assert.ok(!names.has(u.username), `${u.username} came after the copy`);
      assert.ok(!existsSync(copy + '-wal'), 'the copy stands alone (no -wal next to it)');

      // an existing file is not overwritten without --force
      const again = cliResult(srv.db, ['backup', '--to', copy]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /exists \(--force replaces it\)/);

      // restore refuses while the server runs on the database, even with --force
      const live = cliResult(srv.db, ['restore', '--from', copy, '--force']);
      assert.notEqual(live.code, 0);
      assert.match(live.stderr, /server is running on .*stop it before restoring/);

      const last = await srv.kill('SIGTERM'); // stop it, keep its folder
      stopped = true;
      assert.equal(last.code, 0);
      const exists = cliResult(srv.db, ['restore', '--from', copy]);
      assert.notEqual(exists.code, 0);
      assert.match(exists.stderr, /exists \(--force replaces it\)/);
      const restored = cliResult(srv.db, ['restore', '--from', copy, '--force']);
      assert.equal(restored.code, 0, restored.stderr);
      assert.match(restored.stdout, /restored .* \(integrity ok\)/);
      assert.equal(sqlite(srv.db, 'PRAGMA integrity_check'), 'ok');

      const back = await restartServer(srv);
      try {
        for (const u of before) {
          const r = await back.api('GET', `/api/v1/users/${u.id}`);
          assert.equal(r.status, 200, `user ${u.id} after the restore`);
          assert.equal(r.body.username, u.username);
        }
        // the restored database takes writes again
        const name = uniq('after');
        const r = await back.api('POST', '/api/v1/users', {
          body: { username: name, email: `${name}@example.com` },
        });
        assert.equal(r.status, 201);
      } finally {
        await back.stop();
      }
    } finally {
      if (!stopped) await srv.stop();
    }
  },
);

test(
  'restore refuses a file that is not a whole gatehouse database',
  {
    skip: PG_URL ? 'SQLite only' : false,
  },
  async () => {
    const srv = await startServer();
    try {
      const junk = join(srv.dir, 'junk.db');
      writeFileSync(junk, 'not a database at all, just text\n'.repeat(200));
      const r = cliResult(join(srv.dir, 'new.db'), ['restore', '--from', junk]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /integrity check|cannot open/);
      const other = join(srv.dir, 'other.db');
      sqlite(other, 'CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      const r2 = cliResult(join(srv.dir, 'new.db'), ['restore', '--from', other]);
      assert.notEqual(r2.code, 0);
      assert.match(r2.stderr, /not a gatehouse database/);
      assert.ok(!existsSync(join(srv.dir, 'new.db')), 'nothing was written');
    } finally {
      await srv.stop();
    }
  },
);

test('with PostgreSQL, backup and restore point to pg_dump and fail', async () => {
  const url = PG_URL || 'postgres://gatehouse@127.0.0.1:1/gatehouse';
  const b = cliResult(url, ['backup', '--to', '/nonexistent/x']);
  assert.notEqual(b.code, 0);
  assert.match(b.stderr, /pg_dump/);
  const r = cliResult(url, ['restore', '--from', '/nonexistent/x']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /pg_restore/);
});
