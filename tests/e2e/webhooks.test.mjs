// The Webhooks page in the browser: the empty state, a webhook added for a provider with two
// events (none chosen: refused before sending), its secret shown once in a dialog and verifying
// the signature of what a real receiver on loopback gets, the deliveries with their response
// code, Resend, and delete behind a confirmation. One server for the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { startServer, ROOT_PASSWORD, createUser } from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, heading, confirm, axeCheck } from './lib/browser.mjs';

let srv, browser, page, acme, rx, got;

before(async () => {
  got = [];
  rx = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise((ok) => rx.listen(0, '127.0.0.1', ok));
  srv = await startServer({ args: ['--webhooks-allow-loopback'] });
  const t = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: 'Acme' },
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  acme = t.body;
  browser = await launch();
  page = await openPage(browser, srv.base);
  await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  await new Promise((ok) => rx?.close(ok));
});

test('add a webhook, see its secret once, its deliveries, resend, delete', async () => {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Webhooks' })
    .click();
  await page.waitForURL(/\/webhooks$/);
  await heading(page, 'Webhooks');
  await page.getByRole('heading', { name: 'No webhook yet' }).waitFor();
  await axeCheck(page, 'webhooks: empty');
  await page.getByRole('link', { name: 'Add webhook' }).click();
  await heading(page, 'Add webhook');
  const url = `http://127.0.0.1:${rx.address().port}/in`;
  await page.getByLabel('URL', { exact: true }).fill(url);
  await page.getByLabel('Service provider', { exact: true }).selectOption({ label: 'Acme' });
  // no event chosen: refused here, nothing sent
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByText('Select at least one event.').waitFor();
  assert.equal((await srv.api('GET', '/api/v1/webhooks')).body.items.length, 0);
  await page.getByRole('checkbox', { name: 'user.created' }).check();
  await page.getByRole('checkbox', { name: 'user.disabled' }).check();
  await axeCheck(page, 'webhook form');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByRole('heading', { name: 'Signing secret' }).waitFor();
  const secret = (await dlg.locator('code').allTextContents())[0];
  assert.match(secret, /^whsec_/);
  await shot(page, 'webhook-secret');
  await dlg.getByRole('button', { name: 'Close' }).click();
  await page.waitForURL(/\/webhooks\/\d+$/);
  await heading(page, url);
  assert.doesNotMatch(await page.locator('main').textContent(), new RegExp(secret.slice(6, 20)));
  await page.getByText('Nothing was sent yet.').waitFor();

  // a user of Acme: the receiver gets it, signed with that secret
  await createUser(srv, { provider_id: acme.id });
  const until = Date.now() + 10000;
  while (!got.length && Date.now() < until) await new Promise((ok) => setTimeout(ok, 50));
  assert.equal(got.length, 1);
  const r = got[0];
  const key = Buffer.from(secret.slice(6), 'base64');
  const sig = createHmac('sha256', key)
    .update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`)
    .digest('base64');
  assert.equal(r.headers['webhook-signature'], `v1,${sig}`);

  await page.reload();
  const row = page.locator('.deliveries-table tbody tr', { hasText: 'user.created' });
  await row.waitFor();
  assert.match(await row.textContent(), /Sent/);
  assert.match(await row.textContent(), /200/);
  await axeCheck(page, 'webhook deliveries');
  await row.getByRole('button', { name: /^Resend user\.created/ }).click();
  await page.getByText('Queued to be sent again').waitFor();
  const again = Date.now() + 10000;
  while (got.length < 2 && Date.now() < again) await new Promise((ok) => setTimeout(ok, 50));
  assert.equal(got.length, 2);
  assert.equal(got[1].headers['webhook-id'], got[0].headers['webhook-id']);

  await page.getByRole('button', { name: 'Disable', exact: true }).click();
  await page.getByText('Webhook disabled').waitFor();
  await page.getByText('No (disabled)').waitFor();
  assert.equal((await srv.api('GET', '/api/v1/webhooks')).body.items[0].enabled, false);
  await page.getByRole('button', { name: 'Enable', exact: true }).click();
  await page.getByText('Webhook enabled').waitFor();

  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await confirm(page, 'Delete');
  await page.waitForURL(/\/webhooks$/);
  await page.getByRole('heading', { name: 'No webhook yet' }).waitFor();
});
