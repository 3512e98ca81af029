// SECURITY L2: the audit's source IP comes from X-Forwarded-For only behind a configured proxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawHttp } from './lib/server.mjs';

async function auditIpOfTenant(srv, name, headers) {
  const r = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name },
    headers,
  });
  assert.equal(r.status, 201);
  const audit = await srv.api('GET', `/api/v1/audit?target_type=tenant&target_id=${r.body.id}`);
  assert.equal(audit.body.items.length, 1);
  return audit.body.items[0].ip;
}

test('X-Forwarded-For is ignored when no proxy is trusted', async () => {
  const srv = await startServer();
  try {
    assert.equal(
      await auditIpOfTenant(srv, 'A', { 'x-forwarded-for': '203.0.113.9' }),
      '127.0.0.1',
    );
  } finally {
    await srv.stop();
  }
});

test('behind a trusted proxy the address it appended is recorded', async () => {
  const srv = await startServer({ args: ['--trusted-proxy', '127.0.0.1'] });
  try {
    assert.equal(
      await auditIpOfTenant(srv, 'B', { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' }),
      '203.0.113.9',
    );
    assert.equal(
      await auditIpOfTenant(srv, 'C', { 'x-forwarded-for': 'not-an-address' }),
      '127.0.0.1',
    );
    assert.equal(await auditIpOfTenant(srv, 'D', {}), '127.0.0.1');
  } finally {
    await srv.stop();
  }
});

// I11: several X-Forwarded-For lines are one list, joined in order (RFC 9110 section 5.3), read
// from the right: the client is the right-most address that is not a trusted proxy. fetch would
// join the lines itself, so these requests go over a raw socket.
async function auditIpOfRawTenant(srv, name, xffLines) {
  const body = JSON.stringify({ kind: 'service_provider', name });
  const head =
    'POST /api/v1/tenants HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' +
    `Authorization: Bearer ${srv.token}\r\nContent-Type: application/json\r\n` +
    xffLines.map((l) => `X-Forwarded-For: ${l}\r\n`).join('') +
    `Content-Length: ${body.length}\r\n\r\n`;
  const r = await rawHttp(srv.port, head + body);
  assert.equal(r.status, 201, r.data.slice(0, 300));
  const id = JSON.parse(r.data.slice(r.data.indexOf('\r\n\r\n') + 4)).id;
  const audit = await srv.api('GET', `/api/v1/audit?target_type=tenant&target_id=${id}`);
  assert.equal(audit.body.items.length, 1);
  return audit.body.items[0].ip;
}

test('several X-Forwarded-For lines are joined and read from the right, past every trusted proxy', async () => {
  const srv = await startServer({ args: ['--trusted-proxy', '127.0.0.1,10.0.0.5'] });
  try {
    // the client forged the first line; our proxy appended its own line with the real address
    assert.equal(
      await auditIpOfRawTenant(srv, 'E', ['198.51.100.66', '203.0.113.9']),
      '203.0.113.9',
    );
    // two trusted hops: the right-most untrusted address is the client's
    assert.equal(
      await auditIpOfRawTenant(srv, 'F', ['198.51.100.66', '203.0.113.10, 10.0.0.5']),
      '203.0.113.10',
    );
    assert.equal(await auditIpOfRawTenant(srv, 'G', ['203.0.113.11', '10.0.0.5']), '203.0.113.11');
    // a hop that is not an address stops the walk at the last trusted one
    assert.equal(
      await auditIpOfRawTenant(srv, 'H', ['203.0.113.12', 'junk', '10.0.0.5']),
      '10.0.0.5',
    );
    // only trusted hops: the left-most of them
    assert.equal(await auditIpOfRawTenant(srv, 'I', ['10.0.0.5']), '10.0.0.5');
  } finally {
    await srv.stop();
  }
});
