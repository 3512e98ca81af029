// Confirmations of actions on users: a one-user dialog names the user (display name and user
// name, never an id); a several-user dialog lists the first ten and "and N more", in English and
// Chinese; the focus starts on Cancel; Enter right after the dialog opens, and a held (repeating)
// Enter, confirm nothing; Enter on the focused confirm button does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ROOT_PASSWORD, createUser } from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI } from './lib/browser.mjs';

let srv, browser;
const people = [];
before(async () => {
  srv = await startServer();
  browser = await launch();
  for (let i = 0; i < 13; i++)
    people.push(
      await createUser(srv, {
        username: `conf${String(i).padStart(2, '0')}`,
        first_name: 'Conf',
        last_name: String(i).padStart(2, '0'),
      }),
    );
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const status = async (u) => (await srv.api('GET', `/api/v1/users/${u.user.id}`)).body.status;
const focused = (page) => page.evaluate(() => document.activeElement?.textContent);

async function signedIn(lang) {
  const r = await srv.api('PATCH', '/api/v1/users/1', { body: { language: lang } });
  assert.equal(r.status, 200);
  const page = await openPage(browser, srv.base);
  await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
  return page;
}

test('one user: the dialog names the user, Cancel has the focus, Enter right away disables nobody', async () => {
  const page = await signedIn('en');
  const u = people[0];
  await page.getByRole('button', { name: `Actions for ${u.username}`, exact: true }).click();
  await page.getByRole('menuitem', { name: /^Disable/ }).click();
  const dlg = page.getByRole('alertdialog');
  await dlg.waitFor();
  const text = await dlg.textContent();
  assert.match(text, /Conf 00 \(conf00\) will be signed out/);
  assert.doesNotMatch(text, new RegExp(`#${u.user.id}\\b`), 'no id in the dialog');
  assert.equal(await dlg.locator('li').count(), 0, 'one user: no list');
  assert.equal(await focused(page), 'Cancel');
  await shot(page, 'confirm-one-en');
  await page.keyboard.press('Enter');
  await dlg.waitFor({ state: 'detached' });
  assert.equal(await status(u), 'active', 'Enter right after the dialog opened disabled nobody');

  // the user page's Delete: the same, then Tab to the confirm button and Enter there deletes
  await page.goto(`/users/${u.user.id}`);
  await page.getByRole('heading', { level: 1, name: 'Conf 00' }).waitFor();
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: /^Delete/ }).click();
  await dlg.waitFor();
  assert.match(await dlg.textContent(), /Conf 00 \(conf00\) will be deleted/);
  assert.equal(await focused(page), 'Cancel');
  await page.keyboard.press('Enter');
  await dlg.waitFor({ state: 'detached' });
  assert.equal(await status(u), 'active', 'Enter right after the dialog opened deleted nobody');
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: /^Delete/ }).click();
  await dlg.waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'Yes, delete it!');
  await page.keyboard.press('Enter');
  await dlg.waitFor({ state: 'detached' });
  await page.locator('.toast').filter({ hasText: 'conf00' }).waitFor(); // the server answered
  assert.equal(
    (await srv.api('GET', `/api/v1/users/${u.user.id}`)).body.status,
    'deleted',
    'Enter on the focused confirm button deleted the user',
  );
  page.assertClean();
  await page.context().close();
});

test('a held Enter from the menu opens the dialog and confirms nothing', async () => {
  const page = await signedIn('en');
  const u = people[1];
  await page.getByRole('button', { name: `Actions for ${u.username}`, exact: true }).click();
  await page.getByRole('menuitem', { name: /^Delete/ }).focus();
  await page.keyboard.down('Enter'); // opens the dialog
  const dlg = page.getByRole('alertdialog');
  await dlg.waitFor();
  await page.keyboard.down('Enter'); // the key held: a repeat, on the dialog
  await page.keyboard.down('Enter');
  await page.keyboard.up('Enter');
  assert.ok(await dlg.isVisible(), 'the dialog stays open: a held Enter presses nothing');
  assert.equal(await focused(page), 'Cancel');
  assert.equal(await status(u), 'active');
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
  assert.equal(await status(u), 'active');
  page.assertClean();
  await page.context().close();
});

const LANGS = {
  en: {
    select: (n) => `Select ${n}`,
    actions: 'Actions',
    disable: /^Disable/,
    text: '12 user(s) will be signed out',
    more: 'and 2 more',
    cancel: 'Cancel',
    yes: 'Yes, disable it!',
  },
  zh: {
    select: (n) => `选择 ${n}`,
    actions: '操作',
    disable: /^停用/,
    text: '12 个用户将被退出登录',
    more: '以及另外 2 项',
    cancel: '取消',
    yes: '是的，停用！',
  },
};

for (const lang of ['en', 'zh']) {
  test(`several users (${lang}): the first ten listed by name, then "and 2 more"; Enter confirms only on the button`, async () => {
    const l = LANGS[lang];
    const page = await signedIn(lang);
    const chosen = people.slice(1, 13); // conf00 was deleted by the first test
    for (const u of chosen)
      await page.getByRole('checkbox', { name: l.select(u.username), exact: true }).check();
    await page.getByRole('button', { name: l.actions, exact: true }).click();
    await page.getByRole('menuitem', { name: l.disable }).click();
    const dlg = page.getByRole('alertdialog');
    await dlg.waitFor();
    assert.ok((await dlg.textContent()).includes(l.text));
    const items = await dlg.locator('li').allTextContents();
    assert.equal(items.length, 11, 'ten names and "and 2 more"');
    const sep = lang === 'zh' ? ['（', '）'] : [' (', ')'];
    assert.deepEqual(
      items.slice(0, 10),
      chosen.slice(0, 10).map((u) => `Conf ${u.username.slice(4)}${sep[0]}${u.username}${sep[1]}`),
    );
    assert.equal(items[10], l.more);
    assert.equal(await focused(page), l.cancel);
    await shot(page, `confirm-many-${lang}`);
    await page.keyboard.press('Enter');
    await dlg.waitFor({ state: 'detached' });
    for (const u of chosen) assert.equal(await status(u), 'active', `${u.username} untouched`);
    if (lang === 'zh') {
      // and now on purpose: Tab to the confirm button, Enter
      await page.getByRole('button', { name: l.actions, exact: true }).click();
      await page.getByRole('menuitem', { name: l.disable }).click();
      await dlg.waitFor();
      await page.keyboard.press('Tab');
      assert.equal(await focused(page), l.yes);
      await page.keyboard.press('Enter');
      // the results dialog comes once the server has answered for each user
      await page.getByRole('dialog').waitFor();
      await shot(page, `confirm-results-${lang}`);
      for (const u of chosen) assert.equal(await status(u), 'disabled', `${u.username} disabled`);
    }
    page.assertClean();
    await page.context().close();
  });
}
