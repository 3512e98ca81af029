// Errors the console shows in the reader's language: a field error of the API is translated by
// its code (errors[].code: email.invalid, password.too_short, username.taken) in English and
// Chinese, next to its field; a request that never reaches the server (the network down) says
// so plainly, never "Failed to fetch", with a Retry button that runs the load again: the users
// list, a page the router loads (a user's details), and a form's Save.
// Screenshots: errors-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, ROOT_PASSWORD, readyUser, createUser } from '../api/lib/server.mjs';
import { USERS_ALL } from '../api/lib/helpers.mjs';
import { launch, openPage, shot, signInUI, heading, axeCheck } from './lib/browser.mjs';

const WEB = join(import.meta.dirname, '../../web');
const en = JSON.parse(readFileSync(join(WEB, 'i18n/en.json'), 'utf8'));
const zh = JSON.parse(readFileSync(join(WEB, 'i18n/zh.json'), 'utf8'));

let srv, browser, zhAdmin;
before(async () => {
  srv = await startServer();
  browser = await launch();
  zhAdmin = await readyUser(srv, { permissions: USERS_ALL });
  const r = await zhAdmin.as('PATCH', '/api/v1/me/profile', { body: { language: 'zh' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

// A signed-in page: root (English) or the Chinese admin (the sign-in page in the browser's
// English, then the console in the user's own language).
async function signedIn(lang) {
  const page = await openPage(browser, srv.base);
  if (lang === 'zh') await signInUI(page, zhAdmin.username, zhAdmin.password);
  else await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
  return page;
}

// The page's problems less the browser's own note of each request the test made fail.
const realProblems = (page) => page.problems.filter((p) => !/net::ERR_FAILED/.test(p));

// The message shown next to the field named name.
async function fieldError(page, name) {
  await page.waitForFunction(
    (n) => document.querySelector(`[name=${n}]`)?.getAttribute('aria-invalid') === 'true',
    name,
  );
  const ids = await page.locator(`[name=${name}]`).getAttribute('aria-describedby');
  return (await page.locator(`#${ids.split(' ').pop()}`).textContent()).trim();
}

for (const [lang, cat] of [
  ['en', en],
  ['zh', zh],
]) {
  test(`${lang}: field errors are translated by their code`, async () => {
    const page = await signedIn(lang);
    await page.goto('/users/new');
    await heading(page, cat['users.add']);
    const { username: taken } = await createUser(srv);
    await page.locator('input[name=username]').fill(taken);
    await page.locator('input[name=email]').fill('not-an-address');
    await page.locator('button[type=submit]').click();
    assert.equal(await fieldError(page, 'email'), cat['error.email.invalid']);
    await shot(page, `errors-field-${lang}`);
    await axeCheck(page, `${lang} field error`);

    await page.locator('input[name=email]').fill(`${taken}2@example.com`);
    await page.locator('#pw-mode-password').check();
    await page.locator('input[name=password]').fill('too short');
    await page.locator('button[type=submit]').click();
    assert.equal(await fieldError(page, 'password'), cat['error.password.too_short']);

    await page.locator('input[name=password]').fill('a long enough password for tests');
    await page.locator('button[type=submit]').click();
    assert.equal(await fieldError(page, 'username'), cat['error.username.taken']);
    const body = await page.locator('main').textContent();
    if (lang === 'zh') assert.doesNotMatch(body, /not a valid e-mail|already taken/);
    assert.deepEqual(realProblems(page), []);
    await page.context().close();
  });

  test(`${lang}: a network failure says so and offers Retry, which loads the page`, async () => {
    const page = await signedIn(lang);
    const { user } = await createUser(srv);
    const message = cat['error.network'];
    const retry = () => page.getByRole('button', { name: cat['error.retry'] });

    // the users list: its table shows the message and Retry
    await page.route('**/api/v1/users?*', (r) => r.abort('failed'));
    await page.goto('/users');
    await page.getByRole('alert').filter({ hasText: message }).waitFor();
    assert.doesNotMatch(await page.locator('main').textContent(), /Failed to fetch/);
    await shot(page, `errors-network-list-${lang}`);
    await axeCheck(page, `${lang} network failure, list`);
    await page.unroute('**/api/v1/users?*');
    await retry().click();
    await page.getByRole('link', { name: user.username }).first().waitFor();
    assert.equal(await retry().count(), 0, 'the message is gone');

    // a page the router loads: the heading says something went wrong, Retry loads the page
    await page.route(`**/api/v1/users/${user.id}`, (r) => r.abort('failed'));
    await page.goto(`/users/${user.id}`);
    await heading(page, cat['common.error']);
    await page.getByRole('alert').filter({ hasText: message }).waitFor();
    await shot(page, `errors-network-page-${lang}`);
    await axeCheck(page, `${lang} network failure, page`);
    await page.unroute(`**/api/v1/users/${user.id}`);
    await retry().click();
    await page.getByRole('heading', { level: 1, name: user.username }).waitFor();

    // a form's Save: the message and Retry, which saves once the network is back
    await page.goto('/users/new');
    await heading(page, cat['users.add']);
    const name = `net${Date.now().toString(36)}`;
    await page.locator('input[name=username]').fill(name);
    await page.locator('input[name=email]').fill(`${name}@example.com`);
    await page.route('**/api/v1/users', (r) =>
      r.request().method() === 'POST' ? r.abort('failed') : r.continue(),
    );
    await page.locator('button[type=submit]').click();
    await page.getByRole('alert').filter({ hasText: message }).waitFor();
    assert.equal(await page.locator('button[type=submit]').isEnabled(), true, 'Save stays usable');
    await shot(page, `errors-network-form-${lang}`);
    await axeCheck(page, `${lang} network failure, form`);
    await page.unroute('**/api/v1/users');
    await retry().click();
    await page.waitForURL(/\/users\?status=invited$/);
    assert.deepEqual(realProblems(page), []);
    await page.context().close();
  });
}
