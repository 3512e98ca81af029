// My profile's API tokens in the browser: create one (name, lifetime, the current password as
// proof), see it once with a copy button (the clipboard holds it), use it, find it listed
// without its value, revoke it (a confirmation naming it); a wrong password is shown by its
// field; the panel in Chinese and at phone width. Screenshots: profile-tokens-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, readyUser } from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, heading, confirm, axeCheck } from './lib/browser.mjs';

let srv, browser;
before(async () => {
  srv = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const works = async (token) =>
  (await srv.api('GET', '/api/v1/permissions', { token })).status === 200;

async function signedInPage(u, opts) {
  const page = await openPage(browser, srv.base, opts);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: srv.base,
  });
  await signInUI(page, u.username, u.password);
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  return page;
}

const panel = (page, name) =>
  page.locator('section.panel', { has: page.getByRole('heading', { level: 2, name }) });

test('create a token with my password, copy it once, use it, then revoke it', async () => {
  const u = await readyUser(srv, { first_name: 'Toka', last_name: 'Nakamura' });
  const page = await signedInPage(u);
  await page.goto('/profile');
  await heading(page, 'My profile');
  const box = panel(page, 'API tokens');
  await box.getByText('You have no API tokens.').waitFor();
  await box.getByRole('button', { name: 'Create a token' }).click();
  await box.getByLabel('Name').fill('nightly export');
  await box.getByLabel('Lifetime').selectOption('30');
  await box.getByLabel('Current password').fill('not my password');
  await box.getByRole('button', { name: 'Create', exact: true }).click();
  await box.getByText('the current password is wrong').waitFor();
  assert.equal((await u.as('GET', '/api/v1/me/tokens')).body.items.length, 0);

  await box.getByLabel('Current password').fill(u.password);
  await box.getByRole('button', { name: 'Create', exact: true }).click();
  const value = box.locator('input.token-value');
  await value.waitFor();
  const token = await value.inputValue();
  await box.getByText('Copy your new token now: it is not shown again.').waitFor();
  await box.getByRole('button', { name: 'Copy' }).click();
  await page.getByRole('status').getByText('Copied', { exact: true }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  assert.ok(await works(token), 'the token shown works as a bearer token');

  const row = box.locator('table.tokens tbody tr');
  assert.equal(await row.count(), 1);
  assert.match(await row.textContent(), /nightly export/);
  const [listed] = (await u.as('GET', '/api/v1/me/tokens')).body.items;
  assert.equal(
    (Date.parse(listed.expires_at) - Date.parse(listed.created_at)) / 1000,
    30 * 86400,
    'the lifetime chosen',
  );
  await shot(page, 'profile-tokens-made');
  await axeCheck(page, 'profile with a new token');

  await box.getByRole('button', { name: 'Done' }).click();
  assert.equal(await value.count(), 0, 'the value is gone once closed');
  await page.reload();
  await heading(page, 'My profile');
  assert.ok(!(await page.content()).includes(token), 'never shown again');

  await box.getByRole('button', { name: 'Revoke nightly export' }).click();
  const dlg = page.getByRole('alertdialog');
  await dlg.getByText('Revoke the token “nightly export”?').waitFor();
  await confirm(page, 'Yes, revoke it!');
  await box.getByText('You have no API tokens.').waitFor();
  assert.equal(await works(token), false, 'revoked: refused at once');
  page.assertClean();
  await page.context().close();
});

test('the tokens panel in Chinese, at 1280 and 390 px', async () => {
  const u = await readyUser(srv, { first_name: '明', last_name: '王' });
  const r = await u.as('PATCH', '/api/v1/me/profile', { body: { language: 'zh' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const name of ['部署脚本', 'backup job with a long name for the table']) {
    const made = await u.as('POST', '/api/v1/me/tokens', {
      body: { name, current_password: u.password },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
  }
  for (const width of [1280, 390]) {
    const page = await signedInPage(u, { viewport: { width, height: 844 } });
    await page.goto('/profile');
    await heading(page, '我的资料');
    const box = panel(page, 'API 令牌');
    await box.locator('table.tokens tbody tr').nth(1).waitFor();
    assert.match(await box.textContent(), /部署脚本/);
    await box.getByRole('button', { name: '创建令牌' }).click();
    await box.getByLabel('名称').waitFor();
    await box.scrollIntoViewIfNeeded();
    await shot(page, `profile-tokens-zh-${width}`);
    await axeCheck(page, `tokens panel zh ${width}`);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at ${width}`);
    page.assertClean();
    await page.context().close();
  }
});
