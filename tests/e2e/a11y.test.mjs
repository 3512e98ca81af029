// Accessibility: axe-core finds no serious or critical violation on any page, in English and in
// Chinese, colour contrast (WCAG AA) included: every page, and every open menu and dialog (the
// Actions menu, a row's menu, the user page's menu, a confirmation), with a dangerous item or
// button at rest, hovered and focused. The console works from the keyboard alone (sign in, the
// Actions menu, a confirmation dialog, the skip link); every page loads under the CSP without a
// violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startServer, ROOT_PASSWORD, createUser, strongPassword } from '../api/lib/server.mjs';
import { startSmtp, linkToken } from '../api/lib/smtp.mjs';
import { launch, openPage, shot, signInUI, axeCheck } from './lib/browser.mjs';

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

// Every page check: axe's whole rule set (axeCheck), then its colour-contrast rule on its own,
// which must have looked at some text (so it ran) and found nothing below WCAG AA.
async function check(page, what) {
  await axeCheck(page, what);
  await page.evaluate(axeSource);
  const res = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: 'rule', values: ['color-contrast'] },
      resultTypes: ['violations', 'passes'],
    }),
  );
  const bad = res.violations.flatMap((v) =>
    v.nodes.map((n) => `${n.target.join(' ')}: ${n.any[0]?.message ?? v.help}`),
  );
  assert.deepEqual(bad, [], `${what}: text below WCAG AA contrast`);
  assert.ok(
    res.passes.some((p) => p.id === 'color-contrast' && p.nodes.length > 0),
    `${what}: color-contrast looked at no text`,
  );
}

let srv, smtp, browser, ids;
const tokens = {};
before(async () => {
  smtp = await startSmtp();
  srv = await startServer({ args: ['--smtp-url', smtp.url, '--mail-retry-seconds', '1'] });
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
  await createUser(srv, {
    first_name: 'Invited',
    last_name: 'One',
    email: 'invited@example.com',
    password: null,
  });
  const off = await createUser(srv, { first_name: 'Milton', last_name: 'Waddams' });
  const dis = await srv.api('POST', '/api/v1/users/bulk', {
    body: { action: 'disable', ids: [off.user.id] },
  });
  assert.equal(dis.status, 200, JSON.stringify(dis.body));
  // real links for the onboarding and reset pages (their forms, not only their error states)
  tokens.onboarding = linkToken(
    await smtp.waitFor(smtp.to('invited@example.com'), { what: 'the onboarding e-mail' }),
    'onboarding',
  );
  const forgot = await fetch(`${srv.base}/api/v1/password-reset`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: u.username }),
  });
  assert.ok(forgot.status < 300, `forgot: ${forgot.status}`);
  tokens.reset = linkToken(
    await smtp.waitFor(smtp.to(`${u.username}@example.com`), { what: 'the reset e-mail' }),
    'reset',
  );
  ids = {
    user: u.user.id,
    disabled: off.user.id,
    username: u.username,
    role: role.id,
    group: group.id,
    provider: p.id,
  };
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  await smtp?.stop();
});

const pages = () => [
  '/users',
  '/users?status=invited',
  '/users?status=disabled',
  `/users/${ids.disabled}`,
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
    // the pages before sign-in speak the browser's language
    const pub = await openPage(browser, srv.base, { locale: lang === 'zh' ? 'zh-CN' : 'en-GB' });
    for (const path of [
      '/signin',
      '/forgot',
      `/onboarding/${tokens.onboarding}`,
      `/reset/${tokens.reset}`,
      '/onboarding/gh_unknown',
      '/setup/gh_unknown',
    ]) {
      await pub.goto(path);
      await pub.locator('h1').waitFor();
      await pub.waitForFunction(() => !document.querySelector('.loading'));
      await check(pub, `${lang} ${path}`);
      // a live link's page speaks its user's language (these users were made in English)
      const live = path.includes(tokens.onboarding) || path.includes(tokens.reset);
      if (lang === 'zh')
        assert.equal(
          await pub.evaluate(() => document.documentElement.lang),
          live ? 'en' : 'zh-CN',
          path,
        );
    }
    // the sign-in steps, in the signing-in user's language: the forced password change, then
    // the two-factor enrolment
    const step = await createUser(srv, { mfa_required: true, language: lang });
    await pub.goto('/signin');
    await pub.locator('input[name=username]').fill(step.username);
    await pub.locator('input[name=password]').fill(step.password);
    await pub.locator('button[type=submit]').click();
    await pub.waitForURL(/\/signin\/password$/);
    await pub.locator('h1').waitFor();
    await check(pub, `${lang} /signin/password`);
    const pw = strongPassword();
    await pub.locator('input[type=password]').nth(0).fill(pw);
    await pub.locator('input[type=password]').nth(1).fill(pw);
    await pub.locator('button[type=submit]').click();
    await pub.waitForURL(/\/signin\/enroll$/);
    await pub.locator('#totp-secret').waitFor();
    await check(pub, `${lang} /signin/enroll`);
    pub.assertClean();
    await pub.context().close();
    const page = await openPage(browser, srv.base);
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
      await check(page, `${lang} ${path}`);
      await shot(page, `${lang}${path.replace(/[/?=]/g, '_')}`);
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

const L = {
  en: {
    actions: 'Actions',
    rowActions: (n) => `Actions for ${n}`,
    select: (n) => `Select ${n}`,
    disable: /^Disable/,
    del: /^Delete/,
    delYes: 'Yes, delete it!',
    cancel: 'Cancel',
  },
  zh: {
    actions: '操作',
    rowActions: (n) => `${n} 的操作`,
    select: (n) => `选择 ${n}`,
    disable: /^停用/,
    del: /^删除/,
    delYes: '是的，删除！',
    cancel: '取消',
  },
};

// A menu open: checked at rest (the first item focused), with its Delete item hovered, and with
// Delete focused: red on white, white on dark red, never red on red.
async function checkMenu(page, what, l) {
  const menu = page.getByRole('menu');
  await menu.waitFor();
  await check(page, `${what}: menu open`);
  const del = menu.getByRole('menuitem', { name: l.del });
  await del.hover();
  await check(page, `${what}: Delete hovered`);
  await page.mouse.move(0, 0);
  await menu.getByRole('menuitem', { name: l.disable }).focus();
  await check(page, `${what}: Disable focused`);
  const colours = await menu
    .getByRole('menuitem', { name: l.disable })
    .evaluate((el) => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]);
  assert.notEqual(colours[0], colours[1], `${what}: the text is not the colour of its bar`);
}

// A confirmation open: at rest (Cancel focused), its danger button hovered, then focused.
async function checkDialog(page, what, l) {
  const dlg = page.getByRole('alertdialog');
  await dlg.waitFor();
  await check(page, `${what}: dialog open`);
  await dlg.getByRole('button', { name: l.delYes }).hover();
  await check(page, `${what}: danger button hovered`);
  await dlg.getByRole('button', { name: l.delYes }).focus();
  await check(page, `${what}: danger button focused`);
  await dlg.getByRole('button', { name: l.cancel }).click();
  await dlg.waitFor({ state: 'detached' });
}

for (const lang of ['en', 'zh']) {
  test(`axe: open menus and dialogs in ${lang === 'en' ? 'English' : 'Chinese'}`, async () => {
    const l = L[lang];
    assert.equal(
      (await srv.api('PATCH', '/api/v1/users/1', { body: { language: lang } })).status,
      200,
    );
    const page = await openPage(browser, srv.base);
    await signInUI(page, 'root', ROOT_PASSWORD);
    await page.waitForURL(/\/users$/);
    const name = ids.username;
    // the list's Actions menu over a selection, and its Delete confirmation
    await page.getByRole('checkbox', { name: l.select(name), exact: true }).check();
    await page.getByRole('button', { name: l.actions, exact: true }).click();
    await checkMenu(page, `${lang} Actions menu`, l);
    await shot(page, `a11y-menu-${lang}`);
    await page.getByRole('menuitem', { name: l.del }).click();
    await shot(page, `a11y-dialog-${lang}`);
    await checkDialog(page, `${lang} Delete confirmation`, l);
    // a row's menu
    await page.getByRole('button', { name: l.rowActions(name), exact: true }).click();
    await checkMenu(page, `${lang} row menu`, l);
    await page.keyboard.press('Escape');
    // the user page's Actions menu and its confirmation
    await page.goto(`/users/${ids.user}`);
    await page.locator('main h1').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('.loading'));
    await page.getByRole('button', { name: l.actions, exact: true }).click();
    await checkMenu(page, `${lang} user page menu`, l);
    await page.getByRole('menuitem', { name: l.del }).click();
    await checkDialog(page, `${lang} user page Delete confirmation`, l);
    assert.equal(
      (await srv.api('GET', `/api/v1/users/${ids.user}`)).body.status,
      'active',
      'nothing was deleted',
    );
    page.assertClean();
    await page.context().close();
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
    'Cancel',
    'the dialog takes the focus, on Cancel',
  );
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
  assert.equal(
    await page.evaluate(() => document.activeElement.textContent),
    'Actions',
    'focus goes back to Actions',
  );
  assert.deepEqual(
    (await srv.api('GET', `/api/v1/users?status=disabled`)).body.items.map((u) => u.id),
    [ids.disabled],
    'Escape disabled nobody (but the one disabled from the start)',
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
