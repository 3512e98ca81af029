// The other sections in the browser: Roles (the permission mask editor), Groups, Tenants (the
// provider → account → sub-account tree), Audit (filter, Export CSV) and My profile (language,
// timezone, password, two-factor).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  startServer,
  ROOT_PASSWORD,
  readyUser,
  strongPassword,
  signIn,
  oathtool,
} from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, heading, confirm, axeCheck } from './lib/browser.mjs';

let srv, browser, page;
before(async () => {
  srv = await startServer();
  browser = await launch();
  page = await openPage(browser, srv.base);
  await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('tenants: build a provider with an account and sub-accounts; rename; delete an empty one', async () => {
  await page.getByRole('link', { name: 'Tenants' }).click();
  await heading(page, 'Tenants');
  await page.getByText('No service providers yet.').waitFor();
  await page.getByRole('button', { name: 'Add service provider' }).click();
  await page.getByLabel('Name of the new Service Provider').fill('Globex');
  await page.getByRole('button', { name: 'Save' }).click();
  const provider = page.locator('li[data-kind=service_provider]', { hasText: 'Globex' });
  await provider.waitFor();
  await provider.getByRole('button', { name: 'Add platform account: Globex' }).click();
  await page.getByLabel('Name of the new Platform Account').fill('Globex Retail');
  await page.getByRole('button', { name: 'Save' }).click();
  const account = page.locator('li[data-kind=platform_account]', { hasText: 'Globex Retail' });
  await account.waitFor();
  for (const name of ['Store North', 'Store South']) {
    await account.getByRole('button', { name: 'Add sub-account: Globex Retail' }).click();
    await page.getByLabel('Name of the new Sub-Account').fill(name);
    await page.getByRole('button', { name: 'Save' }).click();
    await account.locator('li[data-kind=sub_account]', { hasText: name }).waitFor();
  }
  await account.getByRole('button', { name: 'Rename Globex Retail' }).click();
  await page.getByLabel('New name of Globex Retail').fill('Globex Stores');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').getByText('Renamed to Globex Stores.').waitFor();
  await shot(page, 'tenants-tree');
  await axeCheck(page, 'tenants');
  const south = page.locator('li[data-kind=sub_account]', { hasText: 'Store South' });
  await south.getByRole('button', { name: 'Delete Store South' }).click();
  await confirm(page, 'Yes, delete it!');
  await south.waitFor({ state: 'detached' });
  // the tree as stored, and after a reload (lazy levels)
  const tenants = (await srv.api('GET', '/api/v1/tenants?limit=200')).body.items
    .map((x) => `${x.kind}:${x.name}`)
    .sort();
  assert.deepEqual(tenants, [
    'platform_account:Globex Stores',
    'service_provider:Globex',
    'sub_account:Store North',
  ]);
  await page.reload();
  await page.getByRole('button', { name: 'Show what Globex holds' }).click();
  await page.getByRole('button', { name: 'Show what Globex Stores holds' }).click();
  await page.locator('li[data-kind=sub_account]', { hasText: 'Store North' }).waitFor();
  page.assertClean();
});

test('roles: the permission mask editor, All per resource; edit; delete', async () => {
  await page.getByRole('link', { name: 'Roles' }).click();
  await heading(page, 'Roles');
  await page.getByRole('link', { name: 'Add role' }).click();
  await heading(page, 'Add role');
  await page.getByLabel('Name', { exact: true }).fill('Helpdesk');
  await page.getByLabel('Kind').selectOption('platform_user');
  await page.getByLabel('All users', { exact: true }).check();
  await page.getByRole('checkbox', { name: /\(audit\.read\)/ }).check();
  await shot(page, 'role-form');
  await axeCheck(page, 'role form');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(/\/roles$/);
  const row = page.locator('tr', { hasText: 'Helpdesk' });
  await row.waitFor();
  assert.match(await row.textContent(), /Platform User.*10 permission\(s\)/);
  const role = (await srv.api('GET', '/api/v1/roles')).body.items.find(
    (r) => r.name === 'Helpdesk',
  );
  assert.deepEqual(role.permissions.sort(), [
    'audit.read',
    'users.create',
    'users.delete',
    'users.disable',
    'users.force_reset',
    'users.mfa_reset',
    'users.onboard',
    'users.read',
    'users.unban',
    'users.update',
  ]);
  await row.getByRole('link', { name: 'Edit Helpdesk' }).click();
  await heading(page, 'Edit role: Helpdesk');
  assert.equal(await page.getByLabel('All users', { exact: true }).isChecked(), true);
  await page.getByRole('checkbox', { name: /\(users\.delete\)/ }).uncheck();
  assert.equal(await page.getByLabel('All users', { exact: true }).isChecked(), false);
  await page.getByLabel('Two-Factor Authentication required for its holders').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(/\/roles$/);
  const again = (await srv.api('GET', `/api/v1/roles/${role.id}`)).body;
  assert.equal(again.permissions.includes('users.delete'), false);
  assert.equal(again.mfa_required, true);
  await page
    .locator('tr', { hasText: 'Helpdesk' })
    .getByRole('button', { name: 'Delete Helpdesk' })
    .click();
  await confirm(page, 'Yes, delete it!');
  await page.getByText('No roles yet.').waitFor();
  page.assertClean();
});

test('groups: a group with a role; its members come from the user form', async () => {
  const role = (
    await srv.api('POST', '/api/v1/roles', {
      body: {
        name: 'Readers',
        kind: 'service_provider',
        provider_id: null,
        permissions: ['users.read'],
      },
    })
  ).body;
  await page.getByRole('link', { name: 'Groups' }).click();
  await heading(page, 'Groups');
  await page.getByRole('link', { name: 'Add group' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Night shift');
  await page.getByLabel('Description').fill('Weekends too');
  await page
    .getByRole('group', { name: 'Roles of its members' })
    .getByLabel('Readers (Service Provider)')
    .check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(/\/groups$/);
  const row = page.locator('tr', { hasText: 'Night shift' });
  await row.waitFor();
  assert.match(await row.textContent(), /Readers.*0 member\(s\)/);
  const g = (await srv.api('GET', '/api/v1/groups')).body.items.find(
    (x) => x.name === 'Night shift',
  );
  assert.deepEqual(g.role_ids, [role.id]);
  const u = await srv.api('POST', '/api/v1/users', {
    body: { username: 'nightowl', email: 'owl@example.com', group_ids: [g.id] },
  });
  assert.equal(u.status, 201);
  await row.getByRole('link', { name: 'Night shift', exact: true }).click();
  await heading(page, 'Edit group: Night shift');
  await page.getByRole('link', { name: 'nightowl' }).waitFor();
  await shot(page, 'group-form');
  await axeCheck(page, 'group form');
  page.assertClean();
});

test('audit: filter by action, then Export CSV of what matches', async () => {
  const ready = await readyUser(srv);
  await signIn(srv, ready.username, 'wrong password here, twice over');
  await page.getByRole('link', { name: 'Audit' }).click();
  await heading(page, 'Audit');
  await page.locator('table.audit tbody tr').first().waitFor();
  await shot(page, 'audit');
  await axeCheck(page, 'audit');
  await page.getByLabel('Action', { exact: true }).selectOption('user.create');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/action=user\.create/);
  await page.waitForFunction(() => {
    const trs = [...document.querySelectorAll('table.audit > tbody > tr')];
    return trs.length > 0 && trs.every((tr) => tr.dataset.action === 'user.create');
  });
  const actions = await page
    .locator('table.audit > tbody > tr')
    .evaluateAll((trs) => trs.map((tr) => tr.dataset.action));
  assert.ok(actions.length >= 2 && actions.every((a) => a === 'user.create'), actions.join(' '));
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^audit-.*\.csv$/);
  const csv = readFileSync(await download.path(), 'utf8').replace(/^\ufeff/, '');
  const lines = csv.trim().split('\r\n');
  assert.equal(
    lines[0],
    'id,at,actor_id,actor,action,target_type,target_id,target_user_id,provider_id,outcome,ip,request_id,before,after,actor_name,target_name',
  );
  assert.equal(lines.length - 1, actions.length, 'one line per matching row');
  assert.ok(lines.slice(1).every((l) => l.includes('"user.create"')));
  await page.getByText(`Exported ${actions.length} rows.`).waitFor();
  page.assertClean();
});

test('my profile: language and timezone, password, two-factor device', async () => {
  const u = await readyUser(srv);
  const p = await openPage(browser, srv.base);
  await signInUI(p, u.username, u.password);
  await p.waitForURL(/\/profile$/);
  await heading(p, 'My profile');
  await axeCheck(p, 'my profile');
  // password: the current one is needed
  const next = strongPassword();
  await p.getByLabel('Current password').fill('not my password at all');
  await p.getByLabel('New password', { exact: true }).fill(next);
  await p.getByLabel('New password again').fill(next);
  await p.getByRole('button', { name: 'Change password' }).click();
  await p.locator('.field-error:not([hidden])').first().waitFor();
  await p.getByLabel('Current password').fill(u.password);
  await p.getByRole('button', { name: 'Change password' }).click();
  await p.getByRole('status').getByText('Your password is changed.').waitFor();
  assert.equal((await signIn(srv, u.username, next)).status, 200);
  // two-factor: register a device from the profile
  await p.getByRole('button', { name: 'Register a mobile device' }).click();
  const secret = (await p.locator('#totp-secret').textContent()).replace(/\s+/g, '');
  await p.getByLabel('Code', { exact: true }).fill(oathtool(secret));
  await p.getByRole('button', { name: 'Confirm' }).click();
  await p.getByRole('button', { name: 'I have saved them: continue' }).click();
  await p.getByText('A mobile device is registered.').waitFor();
  // replacing it needs the current password first (S10), then the new device's code
  const mfa = p.locator('.mfa-box');
  await p.getByRole('button', { name: 'Register a new mobile device' }).click();
  await mfa.getByLabel('Current password').fill('not my password at all');
  await mfa.getByRole('button', { name: 'Continue' }).click();
  await p
    .locator('.mfa-box .field-error:not([hidden])')
    .getByText('the current password is wrong')
    .waitFor();
  await axeCheck(p, 'replace device: re-authentication');
  await shot(p, 'profile-mfa-reauth-en');
  await p.getByRole('button', { name: 'Use a code instead' }).click();
  await mfa.getByLabel('Code', { exact: true }).waitFor();
  await p.getByRole('button', { name: 'Use my password instead' }).click();
  await mfa.getByLabel('Current password').fill(next);
  await mfa.getByRole('button', { name: 'Continue' }).click();
  const secret2 = (await p.locator('#totp-secret').textContent()).replace(/\s+/g, '');
  assert.notEqual(secret2, secret);
  await p.getByLabel('Code', { exact: true }).fill(oathtool(secret2));
  await p.getByRole('button', { name: 'Confirm' }).click();
  await p.getByRole('button', { name: 'I have saved them: continue' }).click();
  await p.getByText('A mobile device is registered.').waitFor();
  // language and timezone: the console switches to Chinese at once
  await p.getByLabel('Timezone', { exact: true }).fill('Asia/Shanghai');
  await p.getByLabel('Language', { exact: true }).selectOption('zh');
  await p.getByRole('button', { name: 'Save' }).first().click();
  await heading(p, '我的资料');
  const me = (await srv.api('GET', `/api/v1/users/${u.user.id}`)).body;
  assert.equal(me.language, 'zh');
  assert.equal(me.timezone, 'Asia/Shanghai');
  await shot(p, 'profile-zh-saved');
  await p.getByRole('button', { name: '登记新的移动设备' }).click();
  await p.getByText('注册新设备前').waitFor();
  await shot(p, 'profile-mfa-reauth-zh');
  await p.setViewportSize({ width: 390, height: 844 });
  await shot(p, 'profile-mfa-reauth-zh-390');
  p.assertClean();
  await p.context().close();
});
