// The pages of e-mailed links, with a real SMTP server: forgot password → the reset e-mail →
// /reset/{token} → sign in with the new password; a used, replaced or unknown link says so; the
// pages send no Referrer (A8).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUser, strongPassword, signIn } from '../api/lib/server.mjs';
import { startSmtp, linkToken } from '../api/lib/smtp.mjs';
import { launch, openPage, shot, heading, axeCheck } from './lib/browser.mjs';

let srv, smtp, browser;
before(async () => {
  smtp = await startSmtp();
  srv = await startServer({ args: ['--smtp-url', smtp.url, '--mail-retry-seconds', '1'] });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  await smtp?.stop();
});

test('forgot password: ask by user name, follow the e-mailed link, choose a new password, sign in', async () => {
  const u = await createUser(srv, { username: 'forgetful', email: 'forgetful@example.com' });
  await signIn(srv, u.username, u.password); // not needed for a reset; the account just exists
  const page = await openPage(browser, srv.base);
  await page.goto('/signin');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await heading(page, 'Forgot your password?');
  await axeCheck(page, 'forgot password');
  await page.getByLabel('User Name or e-mail').fill('forgetful');
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page
    .getByText(/If an account matches, a link to choose a new password is on its way/)
    .waitFor();
  await shot(page, 'forgot-sent');
  const mail = await smtp.waitFor(smtp.to('forgetful@example.com'), { what: 'the reset e-mail' });
  const token = linkToken(mail, 'reset');
  const res = await fetch(`${srv.base}/reset/${token}`);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  await page.goto(`/reset/${token}`);
  await heading(page, 'Reset your password');
  await axeCheck(page, 'reset password');
  await shot(page, 'reset');
  const pw = strongPassword();
  await page.getByLabel('New password', { exact: true }).fill(pw);
  await page.getByLabel('New password again').fill(pw);
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('Your new password is set. Sign in with it now.').waitFor();
  const s = await signIn(srv, 'forgetful', pw);
  assert.equal(s.status, 200);
  // the same link again: used
  await page.goto(`/reset/${token}`);
  await page.getByText('This link was already used; each link works once.').waitFor();
  page.assertClean();
  await page.context().close();
});

test('an onboarding link replaced by a re-send, and an unknown one, say what is wrong', async () => {
  const { user } = await createUser(srv, {
    username: 'twice',
    email: 'twice@example.com',
    password: null,
  });
  const first = await smtp.waitFor(smtp.to('twice@example.com'), {
    what: 'the first onboarding e-mail',
  });
  const old = linkToken(first, 'onboarding');
  const r = await srv.api('POST', `/api/v1/users/${user.id}/resend-onboarding`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await smtp.waitFor(() => smtp.messages().filter(smtp.to('twice@example.com')).length >= 2, {
    what: 'the second onboarding e-mail',
  });
  const page = await openPage(browser, srv.base);
  await page.goto(`/onboarding/${old}`);
  await page.getByText(/replaced by a newer one/).waitFor();
  await shot(page, 'onboarding-replaced');
  await page.goto('/onboarding/gh_thisisnotatoken');
  await page.getByText('This link is not valid.', { exact: false }).waitFor();
  await axeCheck(page, 'dead link');
  const fresh = linkToken(smtp.messages().filter(smtp.to('twice@example.com'))[1], 'onboarding');
  await page.goto(`/onboarding/${fresh}`);
  await heading(page, 'Welcome to the Back-Office');
  const weak = 'twice';
  await page.getByLabel('New password', { exact: true }).fill(weak);
  await page.getByLabel('New password again').fill(weak);
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.locator('.field-error:not([hidden])').waitFor(); // the policy's reason, next to the field
  page.assertClean();
  await page.context().close();
});

test("the onboarding page opens in the invited user's language; the visitor may switch", async () => {
  const { user } = await createUser(srv, {
    username: 'wang.fang',
    email: 'wang.fang@example.com',
    first_name: '芳',
    last_name: '王',
    language: 'zh',
    password: null,
  });
  const mail = await smtp.waitFor(smtp.to('wang.fang@example.com'), {
    what: 'the onboarding e-mail',
  });
  const token = linkToken(mail, 'onboarding');
  const st = await srv.api('GET', `/api/v1/onboarding/${token}`, { token: null });
  assert.equal(st.body.language, 'zh', JSON.stringify(st.body));
  // an English-speaking browser, nothing chosen before
  const page = await openPage(browser, srv.base, { locale: 'en-GB' });
  await page.goto(`/onboarding/${token}`);
  await heading(page, '欢迎使用后台');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  await axeCheck(page, 'onboarding in Chinese');
  await shot(page, 'onboarding-zh');
  await page.getByLabel('语言').selectOption('en');
  await heading(page, 'Welcome to the Back-Office');
  assert.equal((await srv.api('GET', `/api/v1/users/${user.id}`)).body.status, 'invited');
  page.assertClean();
  await page.context().close();
});
