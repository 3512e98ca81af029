// SIGTERM: the server stops accepting, lets a request already in flight finish and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, dbQuery } from './lib/server.mjs';

function connect(port) {
  return new Promise((ok, fail) => {
    const s = net.connect(port, '127.0.0.1', () => ok(s));
    s.on('error', fail);
  });
}

test('an in-flight request finishes after SIGTERM and new connections are refused', async () => {
  const srv = await startServer();
  const body = JSON.stringify({ kind: 'service_provider', name: 'Finished after SIGTERM' });
  const sock = await connect(srv.port);
  let response = '';
  sock.on('data', (d) => {
    response += d;
  });
  const closed = new Promise((ok) => sock.on('close', ok));
  sock.write(
    `POST /api/v1/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${srv.token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  sock.write(body.slice(0, 10));
  // no event says that the server has read the headers (the request is in flight from then on)
  await new Promise((r) => setTimeout(r, 300));

  srv.proc.kill('SIGTERM');
  await srv.waitForLog((l) => l.includes('"stopping"'), { what: 'the stopping line' });
  // the listening socket closes right after that line: new connections are refused from then on
  const end = Date.now() + 5000;
  let refused = null;
  while (!refused && Date.now() < end) {
    refused = await connect(srv.port).then(
      (s) => {
        s.destroy();
        return null;
      },
      (e) => e,
    );
  }
  assert.match(String(refused), /ECONNREFUSED/);

  sock.write(body.slice(10));
  await closed;
  assert.match(response, /^HTTP\/1\.1 201/);
  await srv.stop();
});

test('the change acknowledged during shutdown is in the database', async () => {
  const srv = await startServer();
  const created = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: 'Durable' },
  });
  assert.equal(created.status, 201);
  const db = srv.db;
  srv.proc.kill('SIGTERM');
  await new Promise((ok) => srv.proc.on('exit', ok));
  const names = dbQuery({ db }, 'SELECT name FROM tenants');
  assert.match(names, /Durable/);
  await srv.stop();
});
