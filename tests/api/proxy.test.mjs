// SECURITY L2: the audit's source IP comes from X-Forwarded-For only behind a configured proxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

async function auditIpOfTenant(srv, name, headers) {
  const r = await srv.api('POST', '/api/v1/tenants', { body: { kind: 'service_provider', name }, headers });
  assert.equal(r.status, 201);
  const audit = await srv.api('GET', `/api/v1/audit?target_type=tenant&target_id=${r.body.id}`);
  assert.equal(audit.body.items.length, 1);
  return audit.body.items[0].ip;
}

test('X-Forwarded-For is ignored when no proxy is trusted', async () => {
  const srv = await startServer();
  try {
    assert.equal(await auditIpOfTenant(srv, 'A', { 'x-forwarded-for': '203.0.113.9' }), '127.0.0.1');
  } finally { await srv.stop(); }
});

test('behind a trusted proxy the address it appended is recorded', async () => {
  const srv = await startServer({ args: ['--trusted-proxy', '127.0.0.1'] });
  try {
    assert.equal(await auditIpOfTenant(srv, 'B', { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' }),
      '203.0.113.9');
    assert.equal(await auditIpOfTenant(srv, 'C', { 'x-forwarded-for': 'not-an-address' }), '127.0.0.1');
    assert.equal(await auditIpOfTenant(srv, 'D', {}), '127.0.0.1');
  } finally { await srv.stop(); }
});
