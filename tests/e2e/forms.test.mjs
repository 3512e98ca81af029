// Forms that help before they refuse: the password rules are on show before anything is typed and
// follow the typing (the server's own minimum: this server runs with --password-min-length 20),
// in English and Chinese; the timezone is a searchable list that refuses a name it does not hold.
// Screenshots: forms-password-rules-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, readyUser } from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, heading, axeCheck } from './lib/browser.mjs';

let srv, browser;
before(async () => {
  srv = await startServer({ args: ['--password-min-length', '20'] });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function signedIn(u, opts) {
  const page = await openPage(browser, srv.base, opts);
  await signInUI(page, u.username, u.password);
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  return page;
}

// The rules under the new password of My profile: [class state, text] for each line.
const rules = (page) =>
  page
    .locator('form[aria-label="Change password"] .pw-rule, form[aria-label="修改密码"] .pw-rule')
    .evaluateAll((els) => els.map((e) => [e.className.replace('pw-rule ', ''), e.textContent]));

test('the password rules: shown before typing, then met or not as one types', async () => {
  const u = await readyUser(srv, { first_name: 'Rulo', last_name: 'Passer' });
  const page = await signedIn(u);
  await page.goto('/profile');
  await heading(page, 'My profile');
  let r = await rules(page);
  assert.deepEqual(
    r.map(([c]) => c),
    ['pw-rule-todo', 'pw-rule-todo', 'pw-rule-todo', 'pw-rule-note'],
  );
  assert.match(r[0][1], /At least 20 characters$/, 'the server’s minimum, before typing');
  assert.match(r[2][1], /Not your name, user name or e-mail address/);
  const input = page.getByLabel('New password', { exact: true });
  await input.fill('aaa');
  r = await rules(page);
  assert.deepEqual(r[0], ['pw-rule-bad', '•At least 20 characters (3 now)']);
  assert.equal(r[1][0], 'pw-rule-bad', 'one different character');
  await input.fill(`my own ${u.username} is here, long`);
  r = await rules(page);
  assert.equal(r[0][0], 'pw-rule-ok');
  assert.equal(r[2][0], 'pw-rule-bad', 'the user name is in it');
  await input.fill('Passer-of-meadows and rivers');
  assert.equal((await rules(page))[2][0], 'pw-rule-bad', 'the last name, in any case');
  await input.fill('quiet meadows under copper rain');
  r = await rules(page);
  assert.deepEqual(
    r.map(([c]) => c),
    ['pw-rule-ok', 'pw-rule-ok', 'pw-rule-ok', 'pw-rule-note'],
  );
  assert.match(r[0][1], /\(31 now\)/);
  await page.locator('form[aria-label="Change password"]').scrollIntoViewIfNeeded();
  await shot(page, 'forms-password-rules-en');
  await axeCheck(page, 'password rules');
  page.assertClean();
  await page.context().close();
});

test('the rules in Chinese, at 390 px', async () => {
  const u = await readyUser(srv);
  assert.equal(
    (await u.as('PATCH', '/api/v1/me/profile', { body: { language: 'zh' } })).status,
    200,
  );
  const page = await signedIn(u, { viewport: { width: 390, height: 844 } });
  await page.goto('/profile');
  await heading(page, '我的资料');
  await page.getByLabel('新密码', { exact: true }).fill('短');
  const r = await rules(page);
  assert.deepEqual(r[0], ['pw-rule-bad', '•至少 20 个字符（当前 1 个）']);
  await page.locator('form[aria-label="修改密码"]').scrollIntoViewIfNeeded();
  await shot(page, 'forms-password-rules-zh-390');
  await axeCheck(page, 'password rules zh');
  page.assertClean();
  await page.context().close();
});

test('the timezone is chosen by typing part of its name; a name not in the list is refused', async () => {
  const u = await readyUser(srv);
  const page = await signedIn(u);
  await page.goto('/profile');
  await heading(page, 'My profile');
  const zone = page.getByLabel('Timezone', { exact: true });
  assert.equal(await zone.getAttribute('role'), null, 'a native combobox: <input list>');
  assert.equal(
    await zone.evaluate((e) => e.list?.options.length > 300),
    true,
    'the list holds every timezone',
  );
  await zone.fill('Mars/Olympus');
  await zone.press('Escape'); // closes the suggestions, which would take the click
  await page.getByRole('button', { name: 'Save' }).first().click();
  await page.getByText('Choose one of the list: no entry has this name.').waitFor();
  assert.equal((await u.as('GET', '/api/v1/session')).body.user.timezone, 'UTC');
  await zone.fill('europe/berlin'); // another case: still the one entry
  await zone.press('Escape');
  await page.getByRole('button', { name: 'Save' }).first().click();
  await page.getByRole('status').getByText(/Saved/).waitFor();
  assert.equal((await u.as('GET', '/api/v1/session')).body.user.timezone, 'Europe/Berlin');
  assert.equal(await zone.inputValue(), 'Europe/Berlin');
  page.assertClean();
  await page.context().close();
});
