// The Provisioning (SCIM) page in the browser: the empty state, a client added with a role the
// admin may grant, its base URL and token shown once in a dialog (and working against
// /scim/v2), the list with the provider by its name, and revoke behind a confirmation, after
// which the token stops. One server for the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ROOT_PASSWORD } from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, heading, confirm, axeCheck } from './lib/browser.mjs';

let srv, browser, page, acme, role;

before(async () => {
  srv = await startServer();
  const t = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: 'Acme' },
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  acme = t.body;
  const r = await srv.api('POST', '/api/v1/roles', {
    body: {
      name: 'Acme staff',
      kind: 'service_provider',
      provider_id: acme.id,
      permissions: ['users.read'],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  role = r.body;
  browser = await launch();
  page = await openPage(browser, srv.base);
  await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('add a SCIM client, see its token once, revoke it', async () => {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Provisioning' })
    .click();
  await page.waitForURL(/\/scim-clients$/);
  await heading(page, 'Provisioning (SCIM)');
  await page.getByRole('heading', { name: 'No SCIM client yet' }).waitFor();
  await axeCheck(page, 'scim clients: empty');
  await page.getByRole('link', { name: 'Add SCIM client' }).click();
  await heading(page, 'Add SCIM client');
  // nothing typed: the name is required, nothing is sent
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');
  await page.getByLabel('Name', { exact: true }).fill('Okta');
  await page.getByLabel('Service provider', { exact: true }).selectOption({ label: 'Acme' });
  await page.getByRole('checkbox', { name: 'Acme staff' }).check();
  await axeCheck(page, 'scim client form');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByRole('heading', { name: 'Okta: SCIM connection' }).waitFor();
  const codes = await dlg.locator('code').allTextContents();
  assert.equal(codes[0], `${srv.base}/scim/v2`);
  const token = codes[1];
  assert.match(token, /^gh_/);
  await shot(page, 'scim-client-token');
  await dlg.getByRole('button', { name: 'Close' }).click();
  await page.waitForURL(/\/scim-clients$/);
  const row = page.locator('.scim-table tbody tr', { hasText: 'Okta' });
  await row.waitFor();
  assert.match(await row.textContent(), /Acme/);
  assert.match(await row.textContent(), /root/);
  assert.doesNotMatch(await page.locator('main').textContent(), new RegExp(token));
  // the token works under /scim/v2, and its client gives the chosen role
  const scim = (method, path, body) =>
    srv.api(method, `/scim/v2${path}`, {
      token,
      body,
      headers: body ? { 'content-type': 'application/scim+json' } : {},
    });
  const made = await scim('POST', '/Users', {
    userName: 'okta.user',
    emails: [{ value: 'okta.user@example.com', primary: true }],
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.deepEqual((await srv.api('GET', `/api/v1/users/${made.body.id}`)).body.role_ids, [
    role.id,
  ]);

  await row.getByRole('button', { name: 'Revoke Okta' }).click();
  await confirm(page, 'Revoke');
  await page.getByRole('heading', { name: 'No SCIM client yet' }).waitFor();
  assert.equal((await scim('GET', '/Users')).status, 401);
});
