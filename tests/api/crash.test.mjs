// SECURITY D3: no acknowledged write is lost. Clients create tenants and users and edit users
// while the server is killed with SIGKILL at random moments; after each restart every change
// that got a 2xx is there (an edit in flight at the kill may or may not be), and the database
// passes its integrity check. Runs on SQLite, and on PostgreSQL when GATEHOUSE_TEST_PG_URL is set.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, restartServer, dbQuery } from './lib/server.mjs';
import { randomIntBetween } from './lib/helpers.mjs';

const ROUNDS = 8;
const CLIENTS = 6;
let srv;
after(async () => {
  await srv?.stop();
});

// One client's loop until the server goes away: create a tenant, create a user, edit the user a
// few times. Records what was acknowledged in acked, and the edit in flight when it failed.
async function client(s, n, round, acked) {
  let seq = 0;
  for (;;) {
    const tag = `r${round}c${n}s${seq++}`;
    try {
      const t = await s.api('POST', '/api/v1/tenants', {
        body: { kind: 'service_provider', name: `Crash ${tag}` },
      });
      if (t.status !== 201) throw new Error(`tenant: ${t.status} ${JSON.stringify(t.body)}`);
      acked.tenants.set(t.body.id, t.body.name);
      const u = await s.api('POST', '/api/v1/users', {
        body: { username: `crash${tag}`, email: `crash${tag}@example.com` },
      });
      if (u.status !== 201) throw new Error(`user: ${u.status} ${JSON.stringify(u.body)}`);
      const user = { id: u.body.id, first_name: '', inflight: null };
      acked.users.set(user.id, user);
      for (let e = 0; e < 3; e++) {
        user.inflight = `Edit${e}${tag}`.slice(0, 40);
        const p = await s.api('PATCH', `/api/v1/users/${user.id}`, {
          body: { first_name: user.inflight },
        });
        if (p.status !== 200) throw new Error(`patch: ${p.status} ${JSON.stringify(p.body)}`);
        user.first_name = user.inflight;
        user.inflight = null;
      }
    } catch (e) {
      if (e.cause || /fetch failed|ECONNRESET|socket/i.test(String(e))) return; // the kill
      throw e;
    }
  }
}

test('D3: every acknowledged write survives SIGKILL at random moments; the database stays intact', async () => {
  srv = await startServer({ args: ['--threads', '2'] });
  const acked = { tenants: new Map(), users: new Map() };
  for (let round = 0; round < ROUNDS; round++) {
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(srv, n, round, acked));
    await new Promise((ok) => setTimeout(ok, randomIntBetween(150, 600))); // the kill's moment: seeded
    await srv.kill('SIGKILL');
    await Promise.all(clients);
    srv = await restartServer(srv);
  }
  assert.ok(acked.tenants.size >= ROUNDS, `only ${acked.tenants.size} tenants were acknowledged`);
  for (const [id, name] of acked.tenants) {
    const r = await srv.api('GET', `/api/v1/tenants/${id}`);
    assert.equal(r.status, 200, `acknowledged tenant ${id} is gone`);
    assert.equal(r.body.name, name);
  }
  let edits = 0;
  for (const u of acked.users.values()) {
    const r = await srv.api('GET', `/api/v1/users/${u.id}`);
    assert.equal(r.status, 200, `acknowledged user ${u.id} is gone`);
    const allowed = [u.first_name, u.inflight].filter((x) => x !== null);
    assert.ok(
      allowed.includes(r.body.first_name),
      `user ${u.id}: ${r.body.first_name}, acknowledged ${u.first_name}`,
    );
    if (u.first_name) edits++;
  }
  assert.ok(edits > 0, 'some edits were acknowledged');
  if (!srv.db.startsWith('postgres')) {
    assert.equal(dbQuery(srv, 'PRAGMA integrity_check').trim(), 'ok');
    assert.equal(dbQuery(srv, 'PRAGMA foreign_key_check').trim(), '');
  }
});
