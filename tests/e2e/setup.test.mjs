// The first administrator in the browser (SECURITY A7): `serve` on an empty database prints a
// set-up link; the operator opens it, sees the form in English and Chinese at desktop and phone
// widths, is told why a weak password is refused, creates the administrator, and signs in with it
// on the ordinary sign-in page. The used link then says so. Screenshots in tests/e2e/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmptyServer, strongPassword } from '../api/lib/server.mjs';
import { launch, openPage, shot, heading, axeCheck } from './lib/browser.mjs';

const WIDTHS = { 1280: { width: 1280, height: 860 }, 390: { width: 390, height: 844 } };
const LANGS = {
  en: {
    locale: 'en-GB',
    title: 'Set up the Back-Office',
    used: 'This set-up link was already used.',
  },
  zh: { locale: 'zh-CN', title: '设置后台', used: '此设置链接已被使用。' },
};

let srv, browser, link;
before(async () => {
  srv = await startEmptyServer();
  link = srv.setupLink();
  assert.ok(link, `no set-up link on stderr:\n${srv.logs.join('\n')}`);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const open = (lang, width) =>
  openPage(browser, srv.base, { locale: LANGS[lang].locale, viewport: WIDTHS[width] });

test('the set-up page in English and Chinese, at 1280 and 390 px', async () => {
  for (const lang of ['en', 'zh']) {
    for (const width of [1280, 390]) {
      const page = await open(lang, width);
      await page.goto(link.path);
      await heading(page, LANGS[lang].title);
      await shot(page, `setup-${lang}-${width}`);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      assert.ok(overflow <= 0, `${lang} ${width}: the page scrolls sideways by ${overflow} px`);
      if (width === 1280) await axeCheck(page, `set-up page (${lang})`);
      page.assertClean();
      await page.context().close();
    }
  }
});

test('journey: a weak password is refused next to its field, the administrator is created and signs in', async () => {
  const page = await open('en', 1280);
  await page.goto(link.path);
  await heading(page, 'Set up the Back-Office');
  await page.getByLabel('User Name').fill('owner');
  await page.getByLabel('Email').fill('owner@example.com');
  await page.getByLabel('Password', { exact: true }).fill('owner-owner-owner');
  await page.getByLabel('Password again').fill('owner-owner-owner');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  const err = page.locator('.field-error:not([hidden])');
  await err.waitFor();
  assert.match(await err.textContent(), /username/i);
  await shot(page, 'setup-en-1280-refused');

  const password = strongPassword();
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password again').fill(password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await page.getByText('The administrator owner is created. Sign in with it now.').waitFor();
  await shot(page, 'setup-en-1280-done');
  await page.getByRole('link', { name: 'Sign In' }).click();
  await heading(page, 'Sign In');
  assert.equal(
    await page.getByLabel('User Name').inputValue(),
    'owner',
    'the user name is filled in',
  );
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page.waitForURL(/\/users$/);
  await heading(page, 'Back-Office Users');
  await shot(page, 'setup-en-1280-signed-in');
  page.assertClean();
  await page.context().close();
});

test('the used link says so, in both languages', async () => {
  for (const [lang, width] of [
    ['en', 1280],
    ['zh', 390],
  ]) {
    const page = await open(lang, width);
    await page.goto(link.path);
    await page.getByText(LANGS[lang].used).waitFor();
    await shot(page, `setup-${lang}-${width}-used`);
    page.assertClean();
    await page.context().close();
  }
});
