// Issue 14, points 2 and 3, in the browser, signed in as a limited administrator (an account
// admin of one platform account, who may not read groups): the user page, the user form, Roles
// and Tenants show names where they showed "#id"; the form's pickers offer only what the admin
// may grant (GET /api/v1/me/grantable) and say so when there is nothing; the user page offers
// no Disable or Delete on oneself. Screenshots in en and zh at 1280 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  adminWith,
  signIn,
  changeForced,
  strongPassword,
} from '../api/lib/server.mjs';
import { USERS_ALL } from '../api/lib/helpers.mjs';
import { join } from 'node:path';
import { launch, openPage, shot, signInUI, heading, axeCheck, ARTIFACTS } from './lib/browser.mjs';

let srv, browser, admin, password, target, sub;
const T = {};

async function post(path, body) {
  const r = await srv.api('POST', path, { body });
  assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

before(async () => {
  srv = await startServer();
  browser = await launch();
  T.acme = await post('/api/v1/tenants', { kind: 'service_provider', name: 'Acme' });
  await post('/api/v1/tenants', { kind: 'service_provider', name: 'Bolt' });
  T.north = await post('/api/v1/tenants', {
    kind: 'platform_account',
    parent_id: T.acme.id,
    name: 'Acme North',
  });
  T.south = await post('/api/v1/tenants', {
    kind: 'platform_account',
    parent_id: T.acme.id,
    name: 'Acme South',
  });
  T.reader = await post('/api/v1/roles', {
    name: 'Acme Reader',
    kind: 'service_provider',
    provider_id: T.acme.id,
    permissions: ['users.read'],
  });
  T.big = await post('/api/v1/roles', {
    name: 'Acme Role Admin',
    kind: 'service_provider',
    provider_id: T.acme.id,
    permissions: [...USERS_ALL, 'roles.create'],
  });
  T.readers = await post('/api/v1/groups', {
    name: 'Acme Readers',
    provider_id: T.acme.id,
    role_ids: [T.reader.id],
  });
  T.bigs = await post('/api/v1/groups', {
    name: 'Acme Role Admins',
    provider_id: T.acme.id,
    role_ids: [T.big.id],
  });
  T.n1 = await post('/api/v1/tenants', {
    kind: 'sub_account',
    parent_id: T.north.id,
    name: 'North One',
  });
  await post('/api/v1/tenants', { kind: 'sub_account', parent_id: T.north.id, name: 'North Two' });
  T.pu = await post('/api/v1/roles', {
    name: 'Acme Clerk',
    kind: 'platform_user',
    provider_id: T.acme.id,
    permissions: ['users.read'],
  });
  // a sub-account admin of North One
  sub = await adminWith(srv, [...USERS_ALL, 'roles.read', 'tenants.read'], {
    provider_id: T.acme.id,
    kind: 'platform_user',
    access: { level: 'sub_account', account_ids: [T.north.id], sub_account_ids: [T.n1.id] },
    username: 'n1.admin',
  });
  const s1 = await signIn(srv, 'n1.admin', 'a long enough password for tests');
  sub.password = strongPassword();
  await changeForced(srv, s1.cookie, sub.password);
  // the limited admin: every users.* permission, roles and tenants to read, no groups.read
  admin = await adminWith(srv, [...USERS_ALL, 'roles.read', 'tenants.read'], {
    provider_id: T.acme.id,
    kind: 'platform_account',
    access: { level: 'account', account_ids: [T.north.id] },
    username: 'north.admin',
  });
  const s = await signIn(srv, 'north.admin', 'a long enough password for tests');
  password = strongPassword();
  await changeForced(srv, s.cookie, password);
  target = await post('/api/v1/users', {
    username: 'mei.chen',
    email: 'mei@example.com',
    first_name: 'Mei',
    last_name: 'Chen',
    provider_id: T.acme.id,
    role_ids: [T.reader.id],
    group_ids: [T.readers.id],
    access: { level: 'account', account_ids: [T.north.id] },
  });
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function signedIn(language = 'en', who = { ...admin, password }) {
  const r = await srv.api('PATCH', `/api/v1/users/${who.user.id}`, { body: { language } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  // the sign-in page speaks the browser's language (en); the console then the admin's
  const page = await openPage(browser, srv.base);
  await signInUI(page, who.user.username, who.password);
  await page.waitForURL(/\/users$/);
  return page;
}

const noRawIds = async (page, what) => {
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /#\d+/, `${what} shows a raw id:\n${text}`);
};
const options = (page, legend) =>
  page
    .getByRole('group', { name: legend, exact: true })
    .locator('label.check-label:not(.ms-all-label)')
    .allInnerTexts();

test('the user page names provider, roles, groups and accounts', async () => {
  const page = await signedIn();
  await page.goto(`/users/${target.id}`);
  await heading(page, 'Mei Chen');
  const access = page.locator('section', { has: page.getByRole('heading', { name: 'Access' }) });
  await access.getByText('Acme Reader', { exact: true }).waitFor();
  for (const name of ['Acme', 'Acme Readers', 'Acme North'])
    assert.equal(await access.getByText(name, { exact: true }).count(), 1, name);
  await noRawIds(page, 'the user page');
  await axeCheck(page, 'user page as an account admin');
  await shot(page, 'rights-user-page-en');
  page.assertClean();
  await page.context().close();
});

test('the user form offers only what the admin may grant, by name', async () => {
  const page = await signedIn();
  await page.goto(`/users/${target.id}/edit`);
  await heading(page, 'Edit Back-Office User: mei.chen');
  const provider = page.getByLabel('Service Provider', { exact: true });
  assert.equal(await provider.locator('option:checked').innerText(), 'Acme');
  await page
    .getByRole('group', { name: 'User Role', exact: true })
    .getByText('Acme Reader')
    .waitFor();
  const roles = await options(page, 'User Role');
  assert.ok(
    roles.some((x) => x.includes('Acme Reader')),
    roles.join(),
  );
  assert.ok(!roles.some((x) => x.includes('Acme Role Admin')), 'a role it may not grant');
  // groups without groups.read: the grantable one by name, not "none yet"
  assert.deepEqual(
    (await options(page, 'Groups')).map((x) => x.trim()),
    ['Acme Readers'],
  );
  // only its own account, and no "All": it does not hold every account
  assert.deepEqual(
    (await options(page, 'Platform Accounts')).map((x) => x.trim()),
    ['Acme North'],
  );
  assert.equal(
    await page
      .getByRole('group', { name: 'Platform Accounts', exact: true })
      .locator('.ms-all-label')
      .isVisible(),
    false,
  );
  await page.getByText('you can grant access only within your own platform accounts').waitFor();
  await noRawIds(page, 'the user form');
  await axeCheck(page, 'user form as an account admin');
  await shot(page, 'rights-user-form-en');

  // a new user: the same pickers; a form without a group to give says so truthfully
  await srv.api('PATCH', `/api/v1/groups/${T.readers.id}`, { body: { role_ids: [T.big.id] } });
  await page.goto('/users/new');
  await heading(page, 'Add new user');
  const groups = page.getByRole('group', { name: 'Groups', exact: true });
  await groups.getByText('No group you can assign.').waitFor();
  assert.equal(await groups.getByText('No group for this service provider yet.').count(), 0);
  await srv.api('PATCH', `/api/v1/groups/${T.readers.id}`, { body: { role_ids: [T.reader.id] } });
  page.assertClean();
  await page.context().close();
});

test('Roles and Tenants name the provider; Tenants shows what the admin may read', async () => {
  const page = await signedIn();
  await page.goto('/roles');
  await heading(page, 'Roles');
  const row = page.getByRole('row', { name: /Acme Reader/ });
  await row.waitFor();
  assert.match(await row.innerText(), /Acme/);
  await noRawIds(page, 'Roles');
  await axeCheck(page, 'roles as an account admin');
  await shot(page, 'rights-roles-en');

  await page.goto('/tenants');
  await heading(page, 'Tenants');
  const tree = page.getByRole('list', { name: 'Tenants' });
  await tree.getByText('Acme North', { exact: true }).waitFor();
  assert.equal(await tree.getByText('Acme', { exact: true }).count(), 1);
  assert.equal(await tree.getByText('Acme South', { exact: true }).count(), 0);
  assert.equal(await page.getByText('No service providers yet.').count(), 0);
  // it may not rename its provider or add accounts to it
  assert.equal(await page.getByRole('button', { name: 'Rename Acme', exact: true }).count(), 0);
  await axeCheck(page, 'tenants as an account admin');
  await shot(page, 'rights-tenants-en');
  page.assertClean();
  await page.context().close();
});

test('no Disable or Delete on oneself; both on another user', async () => {
  const page = await signedIn();
  await page.goto(`/users/${admin.user.id}`);
  await heading(page, 'north.admin');
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Refresh two-factor' }).waitFor();
  for (const name of ['Disable', 'Delete'])
    assert.equal(await page.getByRole('menuitem', { name, exact: true }).count(), 0, name);
  // the open menu as it shows (a full-page shot would lay the page out again and close it)
  await page.screenshot({ path: join(ARTIFACTS, 'rights-self-menu-en.png') });
  await page.keyboard.press('Escape');
  await page.goto(`/users/${target.id}`);
  await heading(page, 'Mei Chen');
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  for (const name of ['Disable', 'Delete'])
    await page.getByRole('menuitem', { name, exact: true }).waitFor();
  page.assertClean();
  await page.context().close();
});

test('zh: names on the user page, the form and Tenants', async () => {
  const page = await signedIn('zh');
  await page.goto(`/users/${target.id}`);
  await page.getByText('Acme Reader', { exact: true }).waitFor();
  await noRawIds(page, 'the user page (zh)');
  await axeCheck(page, 'user page zh');
  await shot(page, 'rights-user-page-zh');
  await page.goto(`/users/${target.id}/edit`);
  await page.getByText('你只能在自己的平台账户范围内授予访问权限', { exact: false }).waitFor();
  await noRawIds(page, 'the user form (zh)');
  await axeCheck(page, 'user form zh');
  await shot(page, 'rights-user-form-zh');
  await page.goto('/tenants');
  await page.getByText('Acme North', { exact: true }).waitFor();
  await shot(page, 'rights-tenants-zh');
  page.assertClean();
  await page.context().close();
});

test('a sub-account admin: Tenants starts at its account; the form offers its sub-account only', async () => {
  const page = await signedIn('en', sub);
  await page.goto('/tenants');
  await heading(page, 'Tenants');
  const tree = page.getByRole('list', { name: 'Tenants' });
  await tree.getByText('North One', { exact: true }).waitFor();
  assert.equal(await tree.getByText('Acme North', { exact: true }).count(), 1);
  assert.equal(await tree.getByText('North Two', { exact: true }).count(), 0);
  await shot(page, 'rights-tenants-sub-en');

  await page.goto('/users/new');
  await heading(page, 'Add new user');
  await page.getByText('You can grant sub-accounts only').waitFor();
  assert.deepEqual(
    (await options(page, 'Platform Accounts')).map((x) => x.trim()),
    ['Acme North'],
  );
  await page.getByRole('group', { name: 'User Role', exact: true }).getByText('Acme Clerk').click();
  await page
    .getByRole('group', { name: 'Platform Accounts', exact: true })
    .getByText('Acme North')
    .click();
  const subs = page.getByRole('group', { name: 'Sub-Accounts', exact: true });
  await subs.getByText('North One').waitFor();
  assert.deepEqual(
    (await options(page, 'Sub-Accounts')).map((x) => x.trim()),
    ['North One'],
  );
  assert.equal(await subs.locator('.ms-all-label').isVisible(), false, 'no "All" it does not hold');
  await axeCheck(page, 'user form as a sub-account admin');
  await shot(page, 'rights-user-form-sub-en');
  page.assertClean();
  await page.context().close();
});

test('390 px: the user page and the form as a limited admin (en, zh)', async () => {
  for (const lang of ['en', 'zh']) {
    const page = await signedIn(lang);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`/users/${target.id}`);
    await page.getByText('Acme Reader', { exact: true }).waitFor();
    await shot(page, `rights-user-page-390-${lang}`);
    await page.goto(`/users/${target.id}/edit`);
    await page.getByText('Acme Readers', { exact: true }).waitFor();
    await shot(page, `rights-user-form-390-${lang}`);
    page.assertClean();
    await page.context().close();
  }
});
