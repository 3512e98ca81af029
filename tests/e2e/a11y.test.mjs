// Accessibility: axe-core finds no serious or critical violation on any page, in English and in
// Chinese; the console works from the keyboard alone (sign in, the Actions menu, a confirmation
// dialog, the skip link); every page loads under the CSP without a violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ROOT_PASSWORD, createUser } from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, axeCheck } from './lib/browser.mjs';

let srv, browser, ids;
before(async () => {
  srv = await startServer();
  browser = await launch();
  const p = (
    await srv.api('POST', '/api/v1/tenants', {
      body: { kind: 'service_provider', name: 'Initech' },
    })
  ).body;
  const role = (
    await srv.api('POST', '/api/v1/roles', {
      body: {
        name: 'Ops',
        kind: 'service_provider',
        provider_id: p.id,
        permissions: ['users.read'],
      },
    })
  ).body;
  const group = (
    await srv.api('POST', '/api/v1/groups', {
      body: { name: 'Ops team', provider_id: p.id, role_ids: [role.id] },
    })
  ).body;
  const u = await createUser(srv, {
    first_name: 'Peter',
    last_name: 'Gibbons',
    provider_id: p.id,
    role_ids: [role.id],
    group_ids: [group.id],
  });
  await createUser(srv, { first_name: 'Invited', last_name: 'One', password: null });
  ids = { user: u.user.id, role: role.id, group: group.id, provider: p.id };
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const pages = () => [
  '/users',
  '/users?status=invited',
  '/users/new',
  `/users/${ids.user}`,
  `/users/${ids.user}/edit`,
  '/roles',
  `/roles/${ids.role}`,
  '/roles/new',
  '/groups',
  `/groups/${ids.group}`,
  '/tenants',
  '/audit',
  '/profile',
  '/sso-sources',
  '/sso-sources/new',
  `/sso-sources/${ids.sso}`,
];

for (const lang of ['en', 'zh']) {
  test(`axe: every page in ${lang === 'en' ? 'English' : 'Chinese'}`, async () => {
    const r = await srv.api('PATCH', '/api/v1/users/1', { body: { language: lang } });
    assert.equal(r.status, 200);
    const page = await openPage(browser, srv.base);
    for (const path of ['/signin', '/forgot', '/onboarding/gh_unknown']) {
      await page.goto(path);
      await page.locator('h1').waitFor();
      await axeCheck(page, `${lang} ${path}`);
    }
    await signInUI(page, 'root', ROOT_PASSWORD, { path: '/signin' }).catch(async () => {
      // the sign-in page speaks the browser's language (en) until the user is known
      throw new Error('sign-in failed');
    });
    await page.waitForURL(/\/users$/);
    // an SSO source for the Single Sign-On pages, made after the password sign-in (with one,
    // the sign-in page shows its button in place of the fields) and removed at the end
    const sso = await srv.api('POST', '/api/v1/sso-sources', {
      body: {
        name: `a11y-${lang}`,
        display_name: 'Initech SSO',
        issuer: 'https://login.initech.example',
        client_id: 'gatehouse',
        client_secret: 'a client secret',
        provider_id: ids.provider,
      },
    });
    assert.equal(sso.status, 201, JSON.stringify(sso.body));
    ids.sso = sso.body.id;
    for (const path of pages()) {
      await page.goto(path);
      await page.locator('main h1').first().waitFor();
      await page.waitForFunction(() => !document.querySelector('.loading'));
      await axeCheck(page, `${lang} ${path}`);
      if (lang === 'zh') await shot(page, `zh${path.replace(/[/?=]/g, '_')}`);
    }
    assert.equal(
      await page.evaluate(() => document.documentElement.lang),
      lang === 'zh' ? 'zh-CN' : 'en',
    );
    page.assertClean();
    await page.context().close();
    assert.equal((await srv.api('DELETE', `/api/v1/sso-sources/${ids.sso}`)).status, 204);
  });
}

test('the keyboard alone: sign in, open the Actions menu, cancel a confirmation, skip link', async () => {
  await srv.api('PATCH', '/api/v1/users/1', { body: { language: 'en' } });
  const page = await openPage(browser, srv.base);
  await page.goto('/signin');
  await page.locator('h1').waitFor();
  assert.equal(
    await page.evaluate(() => document.activeElement.name),
    'username',
    'the user name has the focus',
  );
  await page.keyboard.type('root');
  await page.keyboard.press('Tab');
  await page.keyboard.type(ROOT_PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/users$/);
  await page.locator('.users-table tbody tr[data-id]').first().waitFor();
  // on a fresh load the skip link is the first stop and leads to main
  await page.reload();
  await page.locator('.users-table tbody tr[data-id]').first().waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  // select a user with the keyboard, open Actions with Enter, move with the arrows
  await page
    .getByRole('checkbox', { name: /^Select s/ })
    .first()
    .focus();
  await page.keyboard.press('Space');
  await page.getByRole('button', { name: 'Actions', exact: true }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('menu').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('role')), 'menuitem');
  await page.keyboard.press('ArrowDown');
  assert.equal(
    await page.evaluate(() => document.activeElement.textContent),
    'Disable Back-Office User',
  );
  await page.keyboard.press('Enter');
  const dlg = page.getByRole('alertdialog');
  await dlg.waitFor();
  assert.equal(
    await page.evaluate(() => document.activeElement.textContent),
    'Yes, disable it!',
    'the dialog takes the focus',
  );
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
  assert.equal(
    await page.evaluate(() => document.activeElement.textContent),
    'Actions',
    'focus goes back to Actions',
  );
  assert.equal(
    (await srv.api('GET', `/api/v1/users?status=disabled`)).body.items.length,
    0,
    'Escape disabled nobody',
  );
  // the tabs with the arrow keys, the navigation with Tab and Enter
  await page.getByRole('tab', { name: 'Active' }).focus();
  await page.keyboard.press('ArrowRight');
  await page.waitForURL(/status=invited/);
  await page.getByRole('link', { name: 'Roles' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/roles$/);
  await page
    .waitForFunction(
      () =>
        document.activeElement.tagName === 'H1' && document.activeElement.textContent === 'Roles',
      null,
      { timeout: 5000 },
    )
    .catch(() => assert.fail('after navigation the focus is on the heading'));
  await shot(page, 'keyboard-roles');
  page.assertClean();
  await page.context().close();
});
