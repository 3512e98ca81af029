// Webhooks (issue 16, SECURITY C10, I13): subscriptions bound to one service provider, deliveries
// written with the change and sent by the server's webhook sender to a real receiver on loopback,
// signed as Standard Webhooks say (checked here with node:crypto), retried after a 500 (the test
// clock moves time), a redirect never followed, resend, the secret shown once; and, on a server
// without --webhooks-allow-loopback, plain http and loopback or private targets refused. Runs on
// SQLite, and on PostgreSQL with GATEHOUSE_TEST_PG_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { join } from 'node:path';
import { startServer, testClock, createUser, readyUser, signIn, adminWith } from './lib/server.mjs';
import { uniq } from './lib/helpers.mjs';

let srv, strict, clock, rx;

// A receiver on 127.0.0.1: records every request; answers what next() says (200 by default).
async function receiver() {
  const got = [];
  const plan = []; // answers for the coming requests: {status, headers}
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      got.push({ method: req.method, path: req.url, headers: req.headers, body });
      const a = plan.shift() || { status: 200 };
      res.writeHead(a.status, a.headers || {});
      res.end('ok');
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const port = server.address().port;
  return {
    port,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    got,
    answer: (status, headers) => plan.push({ status, headers }),
    stop: () => new Promise((ok) => server.close(ok)),
  };
}

before(async () => {
  clock = testClock();
  rx = await receiver();
  srv = await startServer({ args: ['--webhooks-allow-loopback'], clock });
  strict = await startServer(); // production policy: https and public addresses only
});

after(async () => {
  await srv?.stop();
  await strict?.stop();
  await rx?.stop();
  clock?.remove();
});

async function provider(s = srv) {
  const t = await s.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: uniq('Hooked ') },
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  return t.body.id;
}

async function subscribe(s, body) {
  const r = await s.api('POST', '/api/v1/webhooks', { body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

// Polls the deliveries of hook until pred holds for the list; returns it.
async function deliveriesUntil(s, hook, pred, what = 'deliveries') {
  const until = Date.now() + 15000;
  for (;;) {
    const r = await s.api('GET', `/api/v1/webhooks/${hook}/deliveries`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    if (pred(r.body.items)) return r.body.items;
    if (Date.now() > until) throw new Error(`${what}: ${JSON.stringify(r.body.items)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

async function receivedUntil(pred, what) {
  const until = Date.now() + 15000;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`${what}: ${JSON.stringify(rx.got, null, 1)}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

// The Standard Webhooks check: HMAC-SHA256 with the base64-decoded secret (after "whsec_") over
// "{webhook-id}.{webhook-timestamp}.{body}", base64, among the space-separated "v1,..." values.
function verify(secret, req) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const id = req.headers['webhook-id'];
  const ts = req.headers['webhook-timestamp'];
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${req.body}`).digest();
  return req.headers['webhook-signature'].split(' ').some((sig) => {
    const [v, b64] = sig.split(',');
    const got = Buffer.from(b64 || '', 'base64');
    return v === 'v1' && got.length === expected.length && timingSafeEqual(got, expected);
  });
}

const forHook = (path) => rx.got.filter((g) => g.path === path);

test('a created user reaches the receiver, signed per Standard Webhooks; the secret is shown once', async () => {
  const p = await provider();
  const path = `/signed-${uniq()}`;
  const hook = await subscribe(srv, {
    url: rx.url(path),
    events: ['user.created', 'user.disabled'],
    provider_id: p,
  });
  assert.match(hook.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
  assert.deepEqual(hook.events, ['user.created', 'user.disabled']);
  assert.equal(hook.provider_id, p);
  const read = await srv.api('GET', `/api/v1/webhooks/${hook.id}`);
  assert.equal(read.status, 200);
  assert.equal(read.body.secret, undefined, 'write-only after the create');
  const list = await srv.api('GET', '/api/v1/webhooks');
  assert.ok(!JSON.stringify(list.body).includes(hook.secret));

  const { user } = await createUser(srv, { provider_id: p });
  await receivedUntil(() => forHook(path).length >= 1, 'the user.created delivery');
  const req = forHook(path)[0];
  assert.equal(req.method, 'POST');
  assert.equal(req.headers['content-type'], 'application/json');
  assert.match(req.headers['webhook-id'], /^msg_\d+$/);
  assert.ok(Math.abs(Number(req.headers['webhook-timestamp']) - clock.now()) < 60);
  assert.ok(verify(hook.secret, req), 'the signature verifies');
  assert.ok(!verify(`whsec_${Buffer.alloc(24).toString('base64')}`, req), 'not with another key');
  const body = JSON.parse(req.body);
  assert.equal(body.type, 'user.created');
  assert.match(body.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(body.data.id, user.id);
  assert.equal(body.data.username, user.username);
  assert.ok(!/password|hash|secret/i.test(Object.keys(body.data).join(' ')), req.body);

  // an event it does not take goes nowhere; one it takes does
  await srv.api('PATCH', `/api/v1/users/${user.id}`, { body: { first_name: 'Changed' } });
  assert.equal((await srv.api('POST', `/api/v1/users/${user.id}/disable`)).status, 200);
  await receivedUntil(() => forHook(path).length >= 2, 'the user.disabled delivery');
  assert.equal(JSON.parse(forHook(path)[1].body).type, 'user.disabled');
  assert.equal(forHook(path).length, 2, 'no user.updated: not subscribed');
  const items = await deliveriesUntil(srv, hook.id, (xs) => xs.every((d) => d.state === 'sent'));
  assert.equal(items.length, 2);
  assert.equal(items[0].event, 'user.disabled');
  assert.equal(items[0].response_code, 200);
  assert.equal(items[0].attempts, 1);
  assert.ok(items[0].sent_at);
});

test('a 500 is retried after the backoff (test clock); resend sends the same message again', async () => {
  const p = await provider();
  const path = `/retry-${uniq()}`;
  const hook = await subscribe(srv, {
    url: rx.url(path),
    events: ['user.created'],
    provider_id: p,
  });
  rx.answer(500);
  await createUser(srv, { provider_id: p });
  let [d] = await deliveriesUntil(srv, hook.id, (xs) => xs[0]?.attempts === 1 && xs[0].error);
  assert.equal(d.state, 'queued');
  assert.equal(d.response_code, 500);
  assert.equal(d.error, 'HTTP 500');
  assert.ok(d.next_attempt_at);
  await new Promise((ok) => setTimeout(ok, 1500));
  assert.equal(forHook(path).length, 1, 'not again before the backoff');
  clock.advance(31);
  [d] = await deliveriesUntil(srv, hook.id, (xs) => xs[0]?.state === 'sent');
  assert.equal(d.attempts, 2);
  assert.equal(d.response_code, 200);
  assert.equal(d.error, null);
  const [first, second] = forHook(path);
  assert.equal(first.headers['webhook-id'], second.headers['webhook-id'], 'one message id');

  const r = await srv.api('POST', `/api/v1/webhooks/${hook.id}/deliveries/${d.id}/resend`);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await receivedUntil(() => forHook(path).length === 3, 'the resent delivery');
  assert.equal(forHook(path)[2].headers['webhook-id'], first.headers['webhook-id']);
  [d] = await deliveriesUntil(srv, hook.id, (xs) => xs[0]?.state === 'sent');
  assert.equal(d.attempts, 1, 'attempts counted afresh');
  const other = await subscribe(srv, { url: rx.url('/x'), events: ['user.created'] });
  const wrong = await srv.api('POST', `/api/v1/webhooks/${other.id}/deliveries/${d.id}/resend`);
  assert.equal(wrong.status, 404, 'a delivery of another subscription');
});

test('a redirect is not followed: the attempt fails with its status', async () => {
  const p = await provider();
  const path = `/moved-${uniq()}`;
  const hook = await subscribe(srv, {
    url: rx.url(path),
    events: ['user.created'],
    provider_id: p,
  });
  rx.answer(302, { location: rx.url(`${path}-elsewhere`) });
  await createUser(srv, { provider_id: p });
  const [d] = await deliveriesUntil(srv, hook.id, (xs) => xs[0]?.attempts === 1 && xs[0].error);
  assert.equal(d.response_code, 302);
  assert.equal(d.error, 'redirect (HTTP 302) not followed');
  assert.equal(d.state, 'queued');
  await new Promise((ok) => setTimeout(ok, 500));
  assert.equal(forHook(`${path}-elsewhere`).length, 0, 'the Location was never requested');
});

test('C10: a subscription receives only its own provider’s events, and only its provider’s admins see it', async () => {
  const pa = await provider();
  const pb = await provider();
  const pathA = `/a-${uniq()}`;
  const hookA = await subscribe(srv, {
    url: rx.url(pathA),
    events: ['user.created', 'user.signed_in'],
    provider_id: pa,
  });
  const onB = await readyUser(srv, { provider_id: pb });
  assert.equal((await signIn(srv, onB.username, onB.password)).body.next, 'done');
  const onA = await readyUser(srv, { provider_id: pa });
  assert.equal((await signIn(srv, onA.username, onA.password)).body.next, 'done');
  // onA signed in twice: past the forced password change (readyUser), then again
  await deliveriesUntil(
    srv,
    hookA.id,
    (xs) => xs.length >= 3 && xs.every((d) => d.state === 'sent'),
  );
  await new Promise((ok) => setTimeout(ok, 500));
  const all = (await srv.api('GET', `/api/v1/webhooks/${hookA.id}/deliveries`)).body.items;
  assert.deepEqual(all.map((d) => d.event).sort(), [
    'user.created',
    'user.signed_in',
    'user.signed_in',
  ]);
  for (const req of forHook(pathA)) assert.equal(JSON.parse(req.body).data.id, onA.user.id);
  const platform = await srv.api('GET', `/api/v1/webhooks/${hookA.id}/deliveries`);
  assert.equal(platform.status, 200);

  // B's administrator neither sees A's subscription nor makes one for A
  const adminB = await adminWith(srv, ['settings.read', 'settings.update'], {
    provider_id: pb,
    access: { level: 'provider' },
  });
  const seen = await srv.api('GET', `/api/v1/webhooks/${hookA.id}`, { token: adminB.token });
  assert.equal(seen.status, 404);
  const listed = await srv.api('GET', '/api/v1/webhooks', { token: adminB.token });
  assert.equal(listed.status, 200);
  assert.ok(!listed.body.items.some((h) => h.id === hookA.id));
  const forA = await srv.api('POST', '/api/v1/webhooks', {
    token: adminB.token,
    body: { url: rx.url('/nope'), events: ['user.created'], provider_id: pa },
  });
  assert.equal(forA.status, 403, JSON.stringify(forA.body));
  const own = await srv.api('POST', '/api/v1/webhooks', {
    token: adminB.token,
    body: { url: rx.url('/own'), events: ['user.created'] },
  });
  assert.equal(own.status, 201, JSON.stringify(own.body));
  assert.equal(own.body.provider_id, pb, 'the admin’s own provider by default');
  const del = await srv.api('DELETE', `/api/v1/webhooks/${hookA.id}`, { token: adminB.token });
  assert.equal(del.status, 404);
  assert.equal((await srv.api('DELETE', `/api/v1/webhooks/${hookA.id}`)).status, 204);
  assert.equal((await srv.api('GET', `/api/v1/webhooks/${hookA.id}`)).status, 404);
});

test('input: URL and events are checked', async () => {
  const cases = [
    [{ url: 'ftp://example.com/x', events: ['user.created'] }, 'url'],
    [{ url: 'http://example.com/x', events: ['user.created'] }, 'url'],
    [{ url: 'https://user:pw@example.com/x', events: ['user.created'] }, 'url'],
    [{ url: 'https://example.com/x#frag', events: ['user.created'] }, 'url'],
    [{ url: 'https://example.com/x', events: [] }, 'events'],
    [{ url: 'https://example.com/x', events: ['user.exploded'] }, 'events'],
  ];
  for (const [body, field] of cases) {
    const r = await srv.api('POST', '/api/v1/webhooks', { body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.errors[0].field, field, JSON.stringify(r.body));
  }
  const dup = await subscribe(srv, {
    url: 'https://example.com/x?tenant=1',
    events: ['user.deleted', 'user.created', 'user.deleted'],
  });
  assert.deepEqual(dup.events, ['user.created', 'user.deleted']);
});

test('I13: without --webhooks-allow-loopback, plain http and loopback or private targets are refused', async () => {
  const p = await provider(strict);
  const plain = await subscribe(strict, {
    url: rx.url('/strict-http'),
    events: ['user.created'],
    provider_id: p,
  });
  const loop = await subscribe(strict, {
    url: `https://127.0.0.1:${rx.port}/strict-https`,
    events: ['user.created'],
    provider_id: p,
  });
  const priv = await subscribe(strict, {
    url: 'https://10.255.255.1/private',
    events: ['user.created'],
    provider_id: p,
  });
  await createUser(strict, { provider_id: p });
  const [h] = await deliveriesUntil(strict, plain.id, (xs) => xs[0]?.error, 'plain http');
  assert.equal(h.state, 'failed', 'a URL the policy refuses is not retried');
  assert.equal(h.error, 'not https');
  assert.equal(h.response_code, null);
  for (const hook of [loop, priv]) {
    const [d] = await deliveriesUntil(strict, hook.id, (xs) => xs[0]?.error, hook.url);
    assert.equal(d.error, 'target address not allowed', hook.url);
    assert.equal(d.response_code, null);
  }
  assert.equal(rx.got.filter((g) => g.path.startsWith('/strict')).length, 0);
});

test('CLI: webhook add prints the secret once; list and delete', async () => {
  const p = await provider();
  const path = `/cli-${uniq()}`;
  const out = srv.cli([
    'webhook',
    'add',
    '--url',
    rx.url(path),
    '--events',
    'user.created,user.deleted',
    '--provider-id',
    String(p),
    // the server's secret key file: next to a SQLite database, in the test's folder with PostgreSQL
    '--secret-key-file',
    srv.db.startsWith('postgres') ? join(srv.dir, 'secret.key') : `${srv.db}.key`,
  ]);
  const secret = out.match(/whsec_[A-Za-z0-9+/]{32}/)?.[0];
  assert.ok(secret, out);
  const id = Number(out.match(/webhook (\d+) created/)[1]);
  const listed = srv.cli(['webhook', 'list']);
  assert.match(
    listed,
    new RegExp(`^${id}\\t${p}\\t${rx.url(path)}\\tuser.created,user.deleted\\t`, 'm'),
  );
  assert.ok(!listed.includes(secret));
  await createUser(srv, { provider_id: p });
  await receivedUntil(() => forHook(path).length === 1, 'the delivery of the CLI’s webhook');
  assert.ok(verify(secret, forHook(path)[0]));
  assert.match(srv.cli(['webhook', 'delete', String(id)]), /deleted/);
  assert.equal((await srv.api('GET', `/api/v1/webhooks/${id}`)).status, 404);
});

test('PATCH: a disabled subscription receives nothing; URL and events change; the provider does not', async () => {
  const p = await provider();
  const path = `/patched-${uniq()}`;
  const hook = await subscribe(srv, {
    url: rx.url('/old'),
    events: ['user.deleted'],
    provider_id: p,
  });
  const patch = (body) => srv.api('PATCH', `/api/v1/webhooks/${hook.id}`, { body });
  let r = await patch({ url: rx.url(path), events: ['user.created'], enabled: false });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.url, rx.url(path));
  assert.deepEqual(r.body.events, ['user.created']);
  assert.equal(r.body.enabled, false);
  assert.equal(r.body.secret, undefined);
  await createUser(srv, { provider_id: p });
  await new Promise((ok) => setTimeout(ok, 300));
  assert.equal(
    (await srv.api('GET', `/api/v1/webhooks/${hook.id}/deliveries`)).body.items.length,
    0,
  );
  r = await patch({ enabled: true });
  assert.equal(r.body.enabled, true);
  await createUser(srv, { provider_id: p });
  await receivedUntil(() => forHook(path).length === 1, 'the delivery once enabled');
  r = await patch({ provider_id: await provider() });
  assert.equal(r.status, 400);
  assert.equal(r.body.errors[0].field, 'provider_id');
  r = await patch({ events: [] });
  assert.equal(r.status, 400);
  assert.equal(r.body.errors[0].field, 'events');
});
