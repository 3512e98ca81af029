// Dormant accounts in the console: the tenants page sets a provider's rule (two numbers, a field
// error beside them), the user page counts down to the day the rule disables the user, and the
// users list filters on "Inactive for more than N days" (under the test clock); in English and
// Chinese. One server for the file; the tests run in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, testClock, ROOT_PASSWORD } from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, heading, axeCheck } from './lib/browser.mjs';

const DAY = 86400;
let srv, clock, browser, page, acme, mei;

async function user(username, first_name) {
  const r = await srv.api('POST', '/api/v1/users', {
    body: {
      username,
      first_name,
      last_name: 'Chen',
      email: `${username}@example.com`,
      provider_id: acme.id,
      password: 'a long enough password for tests',
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

before(async () => {
  clock = testClock();
  srv = await startServer({ clock });
  const t = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: 'Acme' },
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  acme = t.body;
  mei = await user('mei', 'Mei');
  browser = await launch();
  page = await openPage(browser, srv.base);
  await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  clock?.remove();
});

test('the tenants page sets a provider dormant rule', async () => {
  await page.goto('/tenants');
  await heading(page, 'Tenants');
  await page.getByRole('button', { name: 'Dormant accounts: Acme' }).click();
  const days = page.getByLabel('Disable users not signed in for (days)');
  const warn = page.getByLabel('Warn them by e-mail (days before)');
  await days.fill('30');
  await warn.fill('30'); // not fewer than the days: refused, said beside the form
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('alert').filter({ hasText: 'fewer days' }).waitFor();
  await warn.fill('7');
  await axeCheck(page, 'tenants: dormant form');
  await shot(page, 'dormant-tenants-form-en');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Disables users inactive for 30 days, warns 7 days before').waitFor();
  const got = await srv.api('GET', `/api/v1/tenants/${acme.id}`);
  assert.equal(got.body.dormant_days, 30);
  assert.equal(got.body.dormant_warn_days, 7);
  await shot(page, 'dormant-tenants-en');
  page.assertClean();
});

test('the user page counts down to the day it is disabled', async () => {
  await page.goto(`/users/${mei.id}`);
  await heading(page, 'Mei Chen');
  const row = page.locator('time.dormant');
  await row.waitFor();
  assert.equal(await row.textContent(), 'Disabled in 30 days if not used');
  await shot(page, 'dormant-user-en');
  page.assertClean();
});

test('the users list filters on inactive for more than N days', async () => {
  clock.advance(40 * DAY);
  await user('zoe', 'Zoe'); // created "today": not inactive
  await signInUI(page, 'root', ROOT_PASSWORD); // the session went idle in those 40 days
  await page.waitForURL(/\/users$/);
  await heading(page, 'Back-Office Users');
  await page.getByRole('cell', { name: 'Zoe Chen' }).waitFor();
  await page.getByLabel('Inactive for more than').selectOption({ label: '30 days' });
  await page.waitForURL(/inactive_days=30/);
  await page.getByRole('cell', { name: 'Mei Chen' }).waitFor();
  assert.equal(await page.getByRole('cell', { name: 'Zoe Chen' }).count(), 0);
  await shot(page, 'dormant-list-en');
  await page.getByLabel('Inactive for more than').selectOption({ label: '60 days' });
  await page.waitForURL(/inactive_days=60/);
  await page.getByRole('cell', { name: 'Mei Chen' }).waitFor({ state: 'detached' });
  page.assertClean();
});

test('in Chinese', async () => {
  const me = await srv.api('GET', '/api/v1/users?q=root');
  const root = me.body.items.find((u) => u.username === 'root');
  const cur = await srv.api('GET', `/api/v1/users/${root.id}`);
  const r = await srv.api('PATCH', `/api/v1/users/${root.id}`, {
    body: { language: 'zh' },
    headers: { 'If-Match': cur.headers.get('etag') },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await page.goto(`/users/${mei.id}`);
  await page.locator('time.dormant').filter({ hasText: '停用倒计时 30 天' }).waitFor();
  await shot(page, 'dormant-user-zh');
  await page.goto('/users?inactive_days=30');
  await page.getByLabel('未使用超过').waitFor();
  await shot(page, 'dormant-list-zh');
  await page.goto('/tenants');
  await page.getByText('停用 30 天未使用的用户，提前 7 天提醒').waitFor();
  await page.getByRole('button', { name: '长期未使用的账户: Acme' }).click();
  await page.getByLabel('停用多少天未登录的用户（天）').waitFor();
  await shot(page, 'dormant-tenants-zh');
  page.assertClean();
});
