// The whole story in one browser, as two people live it: the first administrator signs in,
// builds a service provider with a platform account and sub-accounts, a role and a user; the
// user onboards from the e-mail a real SMTP server received (python3-aiosmtpd), enrols TOTP
// with the QR code's secret and signs in; the admin disables them and their open page is
// signed out; the admin enables them; five wrong passwords put them on the Banned tab; Unban
// brings them back. A screenshot of every step is kept in tests/e2e/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  ROOT_PASSWORD,
  strongPassword,
  oathtool,
  testClock,
} from '../api/lib/server.mjs';
import { startSmtp, parts } from '../api/lib/smtp.mjs';
import { launch, openPage, shot, signInUI, heading, confirm, axeCheck } from './lib/browser.mjs';

let srv, smtp, clock, browser;
before(async () => {
  smtp = await startSmtp();
  clock = testClock();
  srv = await startServer({ args: ['--smtp-url', smtp.url, '--mail-retry-seconds', '1'], clock });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  await smtp?.stop();
  clock?.remove();
});

test('first admin → tenants, role and user → onboarding by e-mail → TOTP → disable → ban → unban', async () => {
  const admin = await openPage(browser, srv.base);
  // 1. the first administrator signs in
  await signInUI(admin, 'root', ROOT_PASSWORD);
  await admin.waitForURL(/\/users$/);
  await heading(admin, 'Back-Office Users');
  await shot(admin, 'journey-01-admin-users');

  // 2. a service provider with a platform account and two sub-accounts
  await admin.getByRole('link', { name: 'Tenants' }).click();
  await admin.getByRole('button', { name: 'Add service provider' }).click();
  await admin.getByLabel('Name of the new Service Provider').fill('Northwind');
  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.getByRole('button', { name: 'Add platform account: Northwind' }).click();
  await admin.getByLabel('Name of the new Platform Account').fill('Northwind Shops');
  await admin.getByRole('button', { name: 'Save' }).click();
  for (const shop of ['Harbour Street', 'Market Square']) {
    await admin.getByRole('button', { name: 'Add sub-account: Northwind Shops' }).click();
    await admin.getByLabel('Name of the new Sub-Account').fill(shop);
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.locator('li[data-kind=sub_account]', { hasText: shop }).waitFor();
  }
  await shot(admin, 'journey-02-tenants');

  // 3. a role of the Platform User kind for that provider
  await admin.getByRole('link', { name: 'Roles' }).click();
  await admin.getByRole('link', { name: 'Add role' }).click();
  await admin.getByLabel('Name', { exact: true }).fill('Shop Support');
  await admin.getByLabel('Service Provider').selectOption({ label: 'Northwind' });
  await admin.getByLabel('Kind').selectOption('platform_user');
  await admin.getByRole('checkbox', { name: /\(users\.read\)/ }).check();
  await shot(admin, 'journey-03-role');
  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.locator('tr', { hasText: 'Shop Support' }).waitFor();

  // 4. the user: provider first, the role, one platform account, its sub-accounts, two-factor,
  //    and the onboarding e-mail
  await admin.getByRole('link', { name: 'Users' }).click();
  await admin.getByRole('link', { name: 'Add new user' }).click();
  await heading(admin, 'Add new user');
  await admin.getByLabel('Service Provider', { exact: true }).selectOption({ label: 'Northwind' });
  await admin
    .getByRole('group', { name: 'User Role' })
    .getByLabel('Shop Support (Platform User)')
    .check();
  await admin
    .getByRole('group', { name: 'Platform Accounts' })
    .getByLabel('Northwind Shops')
    .check();
  const subs = admin.getByRole('group', { name: 'Sub-Accounts' });
  await subs.getByLabel('Harbour Street').check();
  await subs.getByLabel('Market Square').check();
  await admin.getByLabel('User Name').fill('mia');
  await admin.getByLabel('First Name').fill('Mia');
  await admin.getByLabel('Last Name').fill('Wong');
  await admin.getByLabel('Email', { exact: true }).fill('mia@example.com');
  await admin.getByLabel('Two-Factor Authentication').check();
  await shot(admin, 'journey-04-user-form');
  await admin.getByRole('button', { name: 'Save', exact: true }).click();
  await admin.waitForURL(/\/users\?status=invited$/);
  await admin.locator('tr[data-username=mia]').waitFor();
  await shot(admin, 'journey-05-invited');

  // 5. the onboarding e-mail, received by the SMTP server; its link opens in the user's browser
  const mail = await smtp.waitFor(smtp.to('mia@example.com'), { what: 'the onboarding e-mail' });
  const link = /https?:\/\/\S+\/onboarding\/[A-Za-z0-9_-]+/.exec(parts(mail).text)?.[0];
  assert.ok(link, parts(mail).text);
  assert.ok(link.startsWith(srv.base), `the link points at this server: ${link}`);
  const user = await openPage(browser, srv.base);
  await user.goto(link);
  await heading(user, 'Welcome to the Back-Office');
  assert.equal(await user.getByLabel('User Name').inputValue(), 'mia');
  await axeCheck(user, 'onboarding page');
  await shot(user, 'journey-06-onboarding');
  const password = strongPassword();
  await user.getByLabel('New password', { exact: true }).fill(password);
  await user.getByLabel('New password again').fill(password);
  await user.getByRole('button', { name: 'Set password' }).click();
  await user.getByText('Your password is set and your account is ready.').waitFor();
  await user.getByRole('link', { name: 'Sign In' }).click();

  // 6. sign in: the user name is filled in; two-factor enrolment with the QR code's secret
  await user.waitForURL(/\/signin\?username=mia$/);
  assert.equal(await user.getByLabel('User Name').inputValue(), 'mia');
  await user.getByLabel('Password', { exact: true }).fill(password);
  await user.getByRole('button', { name: 'Sign In' }).click();
  await user.waitForURL(/\/signin\/enroll$/);
  await user.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  await shot(user, 'journey-07-enrol');
  const secret = (await user.locator('#totp-secret').textContent()).replace(/\s+/g, '');
  await user.getByLabel('Code', { exact: true }).fill(oathtool(secret, clock.now()));
  await user.getByRole('button', { name: 'Confirm' }).click();
  await user.getByRole('button', { name: 'I have saved them: continue' }).click();
  await user.waitForURL(/\/users$/);
  await heading(user, 'Back-Office Users');
  await shot(user, 'journey-08-user-signed-in');
  const me = (await srv.api('GET', '/api/v1/users?q=mia')).body.items[0];
  assert.equal(me.status, 'active');

  // 7. the admin sees the sub-account count, then disables the user: the user's page signs out
  await admin.goto(`/users/${me.id}`);
  await admin.getByText('2 sub-account(s)').waitFor();
  await shot(admin, 'journey-09-user-details');
  await admin.goto('/users');
  await admin.getByLabel('Search users').fill('mia');
  await admin.waitForFunction(
    () => document.querySelectorAll('.users-table tbody tr[data-id]').length === 1,
  );
  await admin.getByRole('checkbox', { name: 'Select mia' }).check();
  await admin.getByRole('button', { name: 'Actions', exact: true }).click();
  await admin.getByRole('menuitem', { name: 'Disable Back-Office User' }).click();
  await confirm(admin, 'Yes, disable it!');
  await admin.getByRole('status').getByText('mia: Disabled').waitFor();
  await user.mouse.move(200, 200);
  await user.waitForURL(/\/signin\?next=%2Fusers$/, { timeout: 15000 });
  await user.getByText('Your session has ended. Sign in again.').waitFor();
  await shot(user, 'journey-10-user-signed-out');

  // 8. enabled again, five wrong passwords put the user on the Banned tab
  await admin.goto('/users?status=disabled');
  await admin.locator('tr[data-username=mia]').locator('td.email').click({ button: 'right' });
  await admin.getByRole('menuitem', { name: 'Enable', exact: true }).click();
  await confirm(admin, 'Yes, enable it!');
  await admin.getByRole('status').getByText('mia: Enabled').waitFor();
  for (let i = 0; i < 5; i++) {
    await user.getByLabel('User Name').fill('mia');
    await user.getByLabel('Password', { exact: true }).fill(`wrong password number ${i}`);
    await user.getByRole('button', { name: 'Sign In' }).click();
    await user
      .getByRole('alert')
      .getByText(/not correct/)
      .waitFor();
  }
  await user.getByLabel('Password', { exact: true }).fill(password);
  await user.getByRole('button', { name: 'Sign In' }).click();
  await user
    .getByRole('alert')
    .getByText(/not correct/)
    .waitFor(); // banned: the right password is refused too
  await admin.getByRole('tab', { name: 'Banned' }).click();
  const banned = admin.locator('tr[data-username=mia]');
  await banned.waitFor();
  await banned.locator('td.banned-until time').waitFor();
  await shot(admin, 'journey-11-banned');

  // 9. Unban brings the user back
  await banned.getByRole('button', { name: 'Unban' }).click();
  await admin.getByRole('status').getByText('mia: Unbanned').waitFor();
  await banned.waitFor({ state: 'detached' });
  clock.advance(60); // the next TOTP step
  await user.getByLabel('Password', { exact: true }).fill(password);
  await user.getByRole('button', { name: 'Sign In' }).click();
  await user.waitForURL(/\/signin\/totp$/);
  await user.getByLabel('Code', { exact: true }).fill(oathtool(secret, clock.now()));
  await user.getByRole('button', { name: 'Verify' }).click();
  await user.waitForURL(/\/users$/);
  await shot(user, 'journey-12-back-in');
  admin.assertClean();
  user.assertClean();
});
