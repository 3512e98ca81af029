// Signing in and out in the browser: wrong and right passwords, the redirect after sign-in
// (only the console's own paths: I5), the forced password change, the first enrolment of TOTP
// with the QR code and the recovery codes, the TOTP step, Chinese for a user whose language is
// zh, and a page whose account is disabled meanwhile being signed out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  ROOT_PASSWORD,
  createUser,
  strongPassword,
  oathtool,
  testClock,
} from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, heading, axeCheck } from './lib/browser.mjs';

let srv, browser, clock;
before(async () => {
  clock = testClock();
  srv = await startServer({ clock });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  clock?.remove();
});

test('a wrong password is refused without saying which part was wrong; the right one opens the users list', async () => {
  const page = await openPage(browser, srv.base);
  await page.goto('/users');
  await page.waitForURL(/\/signin\?next=%2Fusers$/);
  await heading(page, 'Sign in to the Back-Office');
  await shot(page, 'signin');
  await axeCheck(page, 'sign-in page');
  await signInUI(page, 'root', 'not the password at all', { path: page.url() });
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /user name or password is not correct/);
  assert.equal(
    await page.getByLabel('Password', { exact: true }).inputValue(),
    '',
    'the password field is cleared',
  );
  await page.getByLabel('Password', { exact: true }).fill(ROOT_PASSWORD);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page.waitForURL(/\/users$/);
  await heading(page, 'Back-Office Users');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/signin$/);
  await page.getByText('You have signed out.').waitFor();
  const who = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.status));
  assert.equal(who, 401, 'the session is gone on the server too');
  page.assertClean();
  await page.context().close();
});

test("after sign-in only the console's own paths are followed (I5)", async () => {
  const page = await openPage(browser, srv.base);
  await signInUI(page, 'root', ROOT_PASSWORD, { path: '/signin?next=%2Froles' });
  await page.waitForURL(/\/roles$/);
  await page.context().close();
  for (const next of [
    '//evil.example/x',
    '/\\evil.example',
    '%2f%2fevil.example',
    'https://evil.example/',
    '/users/../../x',
    'javascript:alert(1)',
    '/%2F%2Fevil.example',
  ]) {
    const p = await openPage(browser, srv.base);
    await signInUI(p, 'root', ROOT_PASSWORD, { path: `/signin?next=${encodeURIComponent(next)}` });
    await p.waitForURL(/\/users$/);
    assert.equal(new URL(p.url()).origin, srv.base, next);
    await p.context().close();
  }
});

test('a user with an initial password must choose a new one, then lands on the console', async () => {
  const u = await createUser(srv, { first_name: 'Forced', last_name: 'Change' });
  const page = await openPage(browser, srv.base);
  await signInUI(page, u.username, u.password);
  await page.waitForURL(/\/signin\/password$/);
  await heading(page, 'Choose a new password');
  await axeCheck(page, 'forced password change');
  await shot(page, 'signin-forced-password');
  await page.getByLabel('New password', { exact: true }).fill('short');
  await page.getByLabel('New password again').fill('short');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.locator('.field-error:not([hidden])').first().waitFor();
  const pw = strongPassword();
  await page.getByLabel('New password', { exact: true }).fill(pw);
  await page.getByLabel('New password again').fill(pw + 'x');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('The two passwords are not the same.').waitFor();
  await page.getByLabel('New password again').fill(pw);
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.waitForURL(/\/profile$/); // no permissions: My profile is the start page
  await heading(page, 'My profile');
  assert.equal(
    await page.getByRole('link', { name: 'Users' }).count(),
    0,
    'no Users section without users.read',
  );
  page.assertClean();
  await page.context().close();
});

test('two-factor: first enrolment with the QR code and recovery codes, then the TOTP step', async () => {
  const u = await createUser(srv, { mfa_required: true });
  const page = await openPage(browser, srv.base);
  await signInUI(page, u.username, u.password);
  await page.waitForURL(/\/signin\/password$/);
  const pw = strongPassword();
  await page.getByLabel('New password', { exact: true }).fill(pw);
  await page.getByLabel('New password again').fill(pw);
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.waitForURL(/\/signin\/enroll$/);
  await heading(page, 'Set up two-factor authentication');
  const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
  await qr.waitFor();
  assert.ok((await qr.locator('path').count()) > 0, 'the QR code is drawn');
  assert.match(
    await page.getByRole('link', { name: /Open in an authenticator app/ }).getAttribute('href'),
    /^otpauth:\/\/totp\//,
  );
  const secret = (await page.locator('#totp-secret').textContent()).replace(/\s+/g, '');
  assert.match(secret, /^[A-Z2-7]{32,}$/);
  await axeCheck(page, 'TOTP enrolment');
  await shot(page, 'signin-enrol-totp');
  await page.getByLabel('Code', { exact: true }).fill('000000');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByText('That code does not match.').waitFor();
  await page.getByLabel('Code', { exact: true }).fill(oathtool(secret, clock.now()));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('heading', { name: 'Recovery codes' }).waitFor();
  assert.equal(
    await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').count(),
    10,
  );
  await shot(page, 'signin-recovery-codes');
  await page.getByRole('button', { name: 'I have saved them: continue' }).click();
  await page.waitForURL(/\/profile$/);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/signin$/);

  clock.advance(60); // a code is accepted once: the next sign-in uses a later step
  await signInUI(page, u.username, pw);
  await page.waitForURL(/\/signin\/totp$/);
  await heading(page, 'Two-Factor Authentication');
  await axeCheck(page, 'TOTP step');
  await shot(page, 'signin-totp-step');
  await page.getByLabel('Code', { exact: true }).fill('123456');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText('The code is not correct.').waitFor();
  await page.getByLabel('Code', { exact: true }).fill(oathtool(secret, clock.now()));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(/\/profile$/);
  await page.getByText('A mobile device is registered.').waitFor();
  page.assertClean();
  await page.context().close();
});

test('the console speaks Chinese to a user whose language is zh; the sign-in page can switch', async () => {
  const u = await createUser(srv, { language: 'zh', first_name: '明', last_name: '李' });
  const page = await openPage(browser, srv.base);
  await page.goto('/signin');
  await page.getByLabel('Language').selectOption('zh');
  await heading(page, '登录后台');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  await page.getByLabel('语言').selectOption('en');
  await heading(page, 'Sign in to the Back-Office');
  await signInUI(page, u.username, u.password);
  await page.waitForURL(/\/signin\/password$/);
  await heading(page, '设置新密码');
  const pw = strongPassword();
  await page.getByLabel('新密码', { exact: true }).fill(pw);
  await page.getByLabel('再次输入新密码').fill(pw);
  await page.getByRole('button', { name: '设置密码' }).click();
  await page.waitForURL(/\/profile$/);
  await heading(page, '我的资料');
  await page.getByRole('button', { name: '退出登录' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  await shot(page, 'profile-zh');
  page.assertClean();
  await page.context().close();
});

test('a page whose account is disabled meanwhile is signed out', async () => {
  const u = await createUser(srv);
  const pw = strongPassword();
  const page = await openPage(browser, srv.base);
  await signInUI(page, u.username, u.password);
  await page.waitForURL(/\/signin\/password$/);
  await page.getByLabel('New password', { exact: true }).fill(pw);
  await page.getByLabel('New password again').fill(pw);
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.waitForURL(/\/profile$/);
  const r = await srv.api('POST', `/api/v1/users/${u.user.id}/disable`);
  assert.equal(r.status, 200);
  await page.mouse.move(20, 20);
  await page.waitForURL(/\/signin\?next=%2Fprofile$/, { timeout: 15000 });
  await page.getByText('Your session has ended. Sign in again.').waitFor();
  await page.context().close();
});
