// The Add/Edit Back-Office User form in the browser: Service Provider first, role and group
// options filtered by provider, platform accounts with All, sub-accounts only for the Platform
// User role with exactly one account (and their count in the details), a generated password
// the admin may edit or the onboarding e-mail, field errors of the API next to their field,
// Save, Save and continue, Cancel, editing with If-Match, and editing several users in turn.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  ROOT_PASSWORD,
  createUser,
  signIn,
  strongPassword,
} from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, heading, confirm, axeCheck } from './lib/browser.mjs';

let srv, browser, page;
const T = {};

async function post(path, body) {
  const r = await srv.api('POST', path, { body });
  assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

before(async () => {
  srv = await startServer();
  browser = await launch();
  T.a = await post('/api/v1/tenants', { kind: 'service_provider', name: 'Acme' });
  T.b = await post('/api/v1/tenants', { kind: 'service_provider', name: 'Bolt' });
  T.a1 = await post('/api/v1/tenants', {
    kind: 'platform_account',
    parent_id: T.a.id,
    name: 'Acme Europe',
  });
  T.a2 = await post('/api/v1/tenants', {
    kind: 'platform_account',
    parent_id: T.a.id,
    name: 'Acme Asia',
  });
  for (const n of ['Berlin', 'Paris', 'Madrid'])
    T[n] = await post('/api/v1/tenants', { kind: 'sub_account', parent_id: T.a1.id, name: n });
  T.global = await post('/api/v1/roles', {
    name: 'Global Viewer',
    kind: 'service_provider',
    provider_id: null,
    permissions: ['users.read'],
  });
  T.support = await post('/api/v1/roles', {
    name: 'Acme Support',
    kind: 'platform_user',
    provider_id: T.a.id,
    permissions: ['users.read'],
  });
  T.manager = await post('/api/v1/roles', {
    name: 'Acme Manager',
    kind: 'platform_account',
    provider_id: T.a.id,
    permissions: ['users.read', 'users.update'],
  });
  T.bonly = await post('/api/v1/roles', {
    name: 'Bolt Only',
    kind: 'service_provider',
    provider_id: T.b.id,
    permissions: ['users.read'],
  });
  T.team = await post('/api/v1/groups', { name: 'Acme Team', provider_id: T.a.id });
  T.bteam = await post('/api/v1/groups', { name: 'Bolt Team', provider_id: T.b.id });
  page = await openPage(browser, srv.base);
  await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const group = (name) => page.getByRole('group', { name, exact: true });
const provider = () => page.getByLabel('Service Provider', { exact: true });
async function userByName(username) {
  const r = await srv.api('GET', `/api/v1/users?q=${encodeURIComponent(username)}`);
  const hit = r.body.items.find((u) => u.username === username);
  return hit ? (await srv.api('GET', `/api/v1/users/${hit.id}`)).body : null;
}

async function openNew() {
  await page.goto('/users');
  await page.getByRole('link', { name: 'Add new user' }).click();
  await page.waitForURL(/\/users\/new$/);
  await heading(page, 'Add new user');
}

test('Service Provider comes first; role and group options follow the provider', async () => {
  await openNew();
  const first = await page
    .locator('form.user-form')
    .locator('input, select')
    .first()
    .getAttribute('name');
  assert.equal(first, 'provider_id', 'the first field is the Service Provider');
  await provider().selectOption({ label: 'Acme' });
  const roles = group('User Role');
  await roles.getByLabel('Acme Support (Platform User)').waitFor();
  assert.deepEqual(
    (await roles.locator('.ms-list label').allTextContents()).map((s) => s.trim()).sort(),
    [
      'Acme Manager (Platform Account)',
      'Acme Support (Platform User)',
      'Global Viewer (Service Provider)',
    ],
  );
  assert.deepEqual(
    (await group('Groups').locator('.ms-list label').allTextContents()).map((s) => s.trim()),
    ['Acme Team'],
  );
  await provider().selectOption({ label: 'Bolt' });
  await roles.getByLabel('Bolt Only (Service Provider)').waitFor();
  assert.equal(await roles.getByLabel('Acme Support (Platform User)').count(), 0);
  assert.deepEqual(
    (await group('Groups').locator('.ms-list label').allTextContents()).map((s) => s.trim()),
    ['Bolt Team'],
  );
  await provider().selectOption({ label: "Platform (operator's own staff)" });
  assert.equal(
    await group('Platform Accounts').isVisible(),
    false,
    "no accounts for the platform's own staff",
  );
  await shot(page, 'user-form-new');
  await axeCheck(page, 'user form');
  page.assertClean();
});

test('Sub-Accounts: only for a Platform User role with exactly one platform account; All; the count in the details', async () => {
  await openNew();
  await provider().selectOption({ label: 'Acme' });
  const subs = group('Sub-Accounts');
  const accounts = group('Platform Accounts');
  await accounts.getByLabel('Acme Europe').waitFor();
  assert.ok(await subs.isDisabled(), 'disabled without a Platform User role');
  await subs.getByText('Enabled when a role of the Platform User kind is selected.').waitFor();
  await group('User Role').getByLabel('Acme Support (Platform User)').check();
  await subs.getByText('Select exactly one platform account first.').waitFor();
  assert.ok(await subs.isDisabled());
  await accounts.getByLabel('Acme Europe').check();
  await subs.getByLabel('Berlin').waitFor();
  assert.equal(await subs.isDisabled(), false, 'enabled: Platform User role and one account');
  assert.deepEqual(
    (await subs.locator('.ms-list label').allTextContents()).map((s) => s.trim()),
    ['Berlin', 'Paris', 'Madrid'],
  );
  await accounts.getByLabel('Acme Asia').check();
  await subs.getByText('Disabled: more than one platform account is selected.').waitFor();
  assert.ok(await subs.isDisabled());
  await accounts.getByLabel('Acme Asia').uncheck();
  await subs.getByLabel('Berlin').waitFor();
  await subs.getByLabel('All', { exact: true }).check();
  assert.ok(await subs.getByLabel('Berlin').isDisabled(), 'All covers every sub-account');
  await page.getByLabel('User Name').fill('subby');
  await page.getByLabel('Email', { exact: true }).fill('subby@example.com');
  await page.getByLabel('First Name').fill('Sub');
  await page.getByLabel('Last Name').fill('Account');
  await shot(page, 'user-form-sub-accounts');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForURL(/\/users\?status=invited$/);
  const u = await userByName('subby');
  assert.deepEqual(u.access, {
    level: 'sub_account',
    account_ids: [T.a1.id],
    sub_account_ids: 'all',
    sub_account_count: 3,
  });
  assert.deepEqual(u.role_ids, [T.support.id]);
  assert.equal(u.status, 'invited', 'no password: the onboarding e-mail');
  await page.goto(`/users/${u.id}`);
  await page.getByText('3 sub-account(s)').waitFor();
  await page.getByText('Sub-Account Access').waitFor();
  await shot(page, 'user-details-sub-accounts');
  // Platform Accounts: All
  await openNew();
  await provider().selectOption({ label: 'Acme' });
  await group('User Role').getByLabel('Acme Manager (Platform Account)').check();
  await group('Platform Accounts').getByLabel('All', { exact: true }).check();
  await group('Groups').getByLabel('Acme Team').check();
  await page.getByLabel('User Name').fill('allacc');
  await page.getByLabel('Email', { exact: true }).fill('allacc@example.com');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForURL(/\/users\?status=invited$/);
  const v = await userByName('allacc');
  assert.deepEqual(v.access, { level: 'account', account_ids: 'all' });
  assert.deepEqual(v.group_ids, [T.team.id]);
  page.assertClean();
});

test('a generated password that the admin may edit; shown once; the user signs in with it', async () => {
  await openNew();
  await page.getByRole('radio', { name: /Set a password/ }).check();
  const pw = page.getByLabel('Password', { exact: true });
  const generated = await pw.inputValue();
  assert.match(generated, /^[a-zA-Z2-9]{5}(-[a-zA-Z2-9]{5}){3}$/);
  await page.getByRole('button', { name: 'Generate' }).click();
  assert.notEqual(await pw.inputValue(), generated);
  const mine = strongPassword();
  await pw.fill(mine);
  await page.getByLabel('User Name').fill('withpw');
  await page.getByLabel('Email', { exact: true }).fill('withpw@example.com');
  await page.getByLabel('Language').selectOption('zh');
  // searchable: part of the name narrows the list, the whole name chooses
  await page.getByLabel('Timezone').fill('Asia/Shanghai');
  await page.getByLabel('Country').fill('China');
  await page.getByLabel('Phone').fill('+8613812345678');
  await page.getByLabel('Two-Factor Authentication').check();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const dlg = page.getByRole('dialog', { name: 'Initial password of withpw' });
  await dlg.waitFor();
  assert.equal(await dlg.locator('#shown-password').textContent(), mine);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: srv.base,
  });
  await dlg.getByRole('button', { name: 'Copy' }).click();
  await page.getByRole('status').getByText('Copied', { exact: true }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), mine);
  await shot(page, 'user-form-password-once');
  await dlg.getByRole('button', { name: 'Close' }).click();
  await page.waitForURL(/\/users$/);
  const s = await signIn(srv, 'withpw', mine);
  assert.equal(s.status, 200);
  assert.equal(s.body.next, 'change_password', 'an initial password is changed at first sign-in');
  const u = await userByName('withpw');
  assert.equal(u.language, 'zh');
  assert.equal(u.timezone, 'Asia/Shanghai');
  assert.equal(u.country, 'CN');
  assert.equal(u.phone, '+8613812345678');
  assert.equal(u.mfa_required, true);
  assert.equal(u.login_enabled, true);
  assert.equal(u.enforce_sso, false);
  page.assertClean();
});

test('field errors of the API appear next to their field', async () => {
  await createUser(srv, { username: 'taken' });
  await openNew();
  await page.getByLabel('User Name').fill('taken');
  await page.getByLabel('Email', { exact: true }).fill('fresh@example.com');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const username = page.getByLabel('User Name');
  await page.waitForFunction(
    () => document.querySelector('input[name=username]')?.getAttribute('aria-invalid') === 'true',
  );
  const errId = (await username.getAttribute('aria-describedby')).split(' ').pop();
  const msg = await page.locator(`#${errId}`).textContent();
  assert.ok(msg.length > 3, 'a message next to User Name');
  await page.getByText('Check the marked fields.').waitFor();
  await shot(page, 'user-form-field-error');
  await username.fill('fresh1');
  for (const [label, value, name] of [
    ['Email', 'not-an-email', 'email'],
    ['Phone', '12', 'phone'],
  ]) {
    await page.getByLabel(label, { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForFunction(
      (n) => document.querySelector(`[name=${n}]`)?.getAttribute('aria-invalid') === 'true',
      name,
    );
    const field = page.locator('.field.invalid');
    assert.equal(await field.count(), 1, `${label}: only the wrong field is marked`);
    assert.equal(await field.locator(`[name=${name}]`).count(), 1, label);
    await page
      .getByLabel(label, { exact: true })
      .fill(name === 'email' ? 'fresh1@example.com' : '');
  }
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForURL(/\/users\?status=invited$/);
  assert.ok(await userByName('fresh1'));
  page.assertClean();
});

test('Save and continue starts the next user (provider kept); Cancel returns to the list', async () => {
  await openNew();
  await provider().selectOption({ label: 'Bolt' });
  await page.getByLabel('User Name').fill('first1');
  await page.getByLabel('Email', { exact: true }).fill('first1@example.com');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page
    .getByRole('status')
    .getByText('User first1 created; the onboarding email is on its way.')
    .waitFor();
  await page.waitForFunction(() => document.querySelector('input[name=username]')?.value === '');
  assert.equal(await provider().inputValue(), String(T.b.id));
  // the next user starts at its first field to fill (the form is drawn once its lists are in)
  await page.waitForFunction(() => document.activeElement?.name === 'username');

  await page.getByLabel('User Name').fill('second2');
  await page.getByLabel('Email', { exact: true }).fill('second2@example.com');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page
    .getByRole('status')
    .getByText(/User second2 created/)
    .waitFor();
  assert.equal((await userByName('first1')).provider_id, T.b.id);
  assert.equal((await userByName('second2')).provider_id, T.b.id);
  await page.getByLabel('User Name').fill('never');
  await page.getByRole('link', { name: 'Cancel' }).click();
  await page.waitForURL(/\/users$/);
  assert.equal(await userByName('never'), null);
  page.assertClean();
});

test('edit: fields load and save; a concurrent change is refused (If-Match); Disable at the top', async () => {
  const { user } = await createUser(srv, {
    username: 'editme',
    first_name: 'Ed',
    last_name: 'It',
    provider_id: T.a.id,
    role_ids: [T.manager.id],
    access: { level: 'account', account_ids: [T.a2.id] },
  });
  await page.goto(`/users/${user.id}/edit`);
  await heading(page, 'Edit Back-Office User: editme');
  assert.equal(await page.getByLabel('First Name').inputValue(), 'Ed');
  assert.ok(await provider().isDisabled(), 'the provider cannot change');
  assert.ok(await group('User Role').getByLabel('Acme Manager (Platform Account)').isChecked());
  assert.ok(await group('Platform Accounts').getByLabel('Acme Asia').isChecked());
  await page.getByLabel('First Name').fill('Edna');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForURL(new RegExp(`/users/${user.id}$`));
  await heading(page, 'Edna It');
  // someone else changes the user while the form is open
  await page.goto(`/users/${user.id}/edit`);
  await page.getByLabel('First Name').waitFor();
  const other = await srv.api('PATCH', `/api/v1/users/${user.id}`, {
    body: { last_name: 'Changed' },
  });
  assert.equal(other.status, 200);
  await page.getByLabel('First Name').fill('Lost');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText(/Someone else changed this in the meantime/).waitFor();
  assert.equal((await srv.api('GET', `/api/v1/users/${user.id}`)).body.first_name, 'Edna');
  // Disable from the editor's upper right corner
  await page.getByRole('button', { name: 'Disable', exact: true }).click();
  await confirm(page, 'Yes, disable it!');
  await page.getByRole('button', { name: 'Enable', exact: true }).waitFor();
  assert.equal((await srv.api('GET', `/api/v1/users/${user.id}`)).body.status, 'disabled');
  page.assertClean();
});

test('Add/Edit with several users selected edits them one after another', async () => {
  const a = await createUser(srv, { username: 'queue1', first_name: 'Queue' });
  const b = await createUser(srv, { username: 'queue2', first_name: 'Queue' });
  await page.goto('/users?q=queue');
  await page.waitForFunction(
    () => document.querySelectorAll('.users-table tbody tr[data-id]').length === 2,
  );
  await page.getByRole('checkbox', { name: 'Select all users on this page' }).check();
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Add/Edit Back-Office User' }).click();
  await page.getByText('User 1 of 2').waitFor();
  await page.getByLabel('Last Name').fill('One');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.getByText('User 2 of 2').waitFor();
  await page.getByLabel('Last Name').fill('Two');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForURL(/\/users\/\d+$/);
  const last = [
    (await srv.api('GET', `/api/v1/users/${a.user.id}`)).body.last_name,
    (await srv.api('GET', `/api/v1/users/${b.user.id}`)).body.last_name,
  ].sort();
  assert.deepEqual(last, ['One', 'Two']);
  page.assertClean();
});
