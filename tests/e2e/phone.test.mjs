// The console at phone width (390×844, Chromium), in English and Chinese: on every page the body
// never scrolls sideways and nothing sticks out of the screen except inside a box that scrolls on
// its own (a wide table's wrapper); the page's main buttons (primary buttons and links, menu
// buttons) lie on the screen and take a click; the navigation folds behind a Menu button that
// opens it, reaches every section and closes on the way; an open menu and a confirmation fit on
// the screen with their buttons reachable. Screenshots tests/e2e/artifacts/phone-{lang}-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ROOT_PASSWORD, createUser } from '../api/lib/server.mjs';
import { startSmtp, linkToken } from '../api/lib/smtp.mjs';
import { join } from 'node:path';
import { launch, openPage, shot, signInUI, ARTIFACTS } from './lib/browser.mjs';

const PHONE = { width: 390, height: 844 };
let srv, smtp, browser, ids;
const tokens = {};
before(async () => {
  smtp = await startSmtp();
  srv = await startServer({ args: ['--smtp-url', smtp.url, '--mail-retry-seconds', '1'] });
  browser = await launch();
  const p = (
    await srv.api('POST', '/api/v1/tenants', {
      body: { kind: 'service_provider', name: 'Initech Corporation International' },
    })
  ).body;
  const role = (
    await srv.api('POST', '/api/v1/roles', {
      body: {
        name: 'Operations and customer support',
        kind: 'service_provider',
        provider_id: p.id,
        permissions: ['users.read', 'users.update'],
      },
    })
  ).body;
  const group = (
    await srv.api('POST', '/api/v1/groups', {
      body: { name: 'Operations team', provider_id: p.id, role_ids: [role.id] },
    })
  ).body;
  const u = await createUser(srv, {
    username: 'peter.gibbons.with.a.long.user.name',
    email: 'peter.gibbons.with.a.long.address@initech-corporation.example',
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
  tokens.onboarding = linkToken(
    await smtp.waitFor(smtp.to('invited@example.com'), { what: 'the onboarding e-mail' }),
    'onboarding',
  );
  const sso = await srv.api('POST', '/api/v1/sso-sources', {
    body: {
      name: 'initech',
      display_name: 'Initech SSO',
      issuer: 'https://login.initech-corporation.example/realms/back-office',
      client_id: 'gatehouse',
      client_secret: 'a client secret',
      provider_id: p.id,
    },
  });
  assert.equal(sso.status, 201, JSON.stringify(sso.body));
  ids = { user: u.user.id, role: role.id, group: group.id, sso: sso.body.id };
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  await smtp?.stop();
});

// What sticks out of the screen sideways, outside boxes that scroll on their own: the page's
// scroll width, and the elements (as selectors) whose right edge passes the screen's.
function overflow(page) {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const scrollsInside = (el) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const o = getComputedStyle(a).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
      }
      return false;
    };
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      if (r.right > vw + 1 || r.left < -1) {
        if (scrollsInside(el) || el.closest('.skip, .visually-hidden')) continue;
        out.push(
          `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} ${Math.round(r.left)}..${Math.round(r.right)}`,
        );
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, vw, out: out.slice(0, 8) };
  });
}

async function assertFits(page, what) {
  const o = await overflow(page);
  assert.ok(o.scrollWidth <= PHONE.width, `${what}: the page is ${o.scrollWidth} px wide`);
  assert.deepEqual(o.out, [], `${what}: sticks out of the screen`);
}

// The page's main actions: each visible primary button or link and menu button in main lies on
// the screen, and takes a click (nothing covers it) unless it is disabled for now.
async function assertActions(page, what) {
  const actions = page.locator('main :is(.primary, .menu-button):visible');
  const n = await actions.count();
  for (let i = 0; i < n; i++) {
    const a = actions.nth(i);
    await a.scrollIntoViewIfNeeded();
    const box = await a.boundingBox();
    const label = await a.textContent();
    assert.ok(
      box.x >= 0 && box.x + box.width <= PHONE.width,
      `${what}: "${label}" lies off the screen (${box.x}..${box.x + box.width})`,
    );
    if (await a.isEnabled()) await a.click({ trial: true, timeout: 3000 });
  }
  return n;
}

// The screen as it is (a full-page shot resizes the window, which closes an open menu).
const screen = (page, file) => page.screenshot({ path: join(ARTIFACTS, `${file}.png`) });

const name = (path) => path.replace(/^\//, '').replace(/[/?=]/g, '_') || 'home';

const PUBLIC = () => [
  '/signin',
  '/signin?username=root',
  '/forgot',
  `/onboarding/${tokens.onboarding}`,
];
const PAGES = () => [
  '/users',
  '/users?status=invited',
  `/users/${ids.user}`,
  `/users/${ids.user}/edit`,
  '/users/new',
  '/roles',
  `/roles/${ids.role}`,
  '/roles/new',
  '/groups',
  `/groups/${ids.group}`,
  '/tenants',
  '/audit',
  '/profile',
  '/sso-sources',
  `/sso-sources/${ids.sso}`,
  '/sso-sources/new',
];

const L = {
  en: { locale: 'en-GB', menu: 'Menu', roles: 'Roles', actions: 'Actions', disable: /^Disable/ },
  zh: { locale: 'zh-CN', menu: '菜单', roles: '角色', actions: '操作', disable: /^停用/ },
};

for (const lang of ['en', 'zh']) {
  test(`every page at 390×844 in ${lang === 'en' ? 'English' : 'Chinese'}`, async () => {
    const l = L[lang];
    const pub = await openPage(browser, srv.base, { locale: l.locale, viewport: PHONE });
    for (const path of PUBLIC()) {
      await pub.goto(path);
      await pub.locator('h1').waitFor();
      await pub.waitForFunction(() => !document.querySelector('.loading'));
      await assertFits(pub, `${lang} ${path}`);
      await assertActions(pub, `${lang} ${path}`);
      await shot(pub, `phone-${lang}-${name(path.replace(/\/gh_.*/, ''))}`);
    }
    pub.assertClean();
    await pub.context().close();

    assert.equal(
      (await srv.api('PATCH', '/api/v1/users/1', { body: { language: lang } })).status,
      200,
    );
    const page = await openPage(browser, srv.base, { viewport: PHONE });
    await signInUI(page, 'root', ROOT_PASSWORD, { path: '/signin?username=root' });
    await page.waitForURL(/\/users$/);
    let actions = 0;
    for (const path of PAGES()) {
      await page.goto(path);
      await page.locator('main h1').first().waitFor();
      await page.waitForFunction(() => !document.querySelector('.loading'));
      await assertFits(page, `${lang} ${path}`);
      actions += await assertActions(page, `${lang} ${path}`);
      await shot(page, `phone-${lang}-${name(path)}`);
    }
    assert.ok(actions >= PAGES().length, `${lang}: the pages showed ${actions} main actions`);
    page.assertClean();
    await page.context().close();
  });

  test(`navigation, a menu and a confirmation at 390×844 in ${lang === 'en' ? 'English' : 'Chinese'}`, async () => {
    const l = L[lang];
    assert.equal(
      (await srv.api('PATCH', '/api/v1/users/1', { body: { language: lang } })).status,
      200,
    );
    const page = await openPage(browser, srv.base, { viewport: PHONE });
    await signInUI(page, 'root', ROOT_PASSWORD, { path: '/signin?username=root' });
    await page.waitForURL(/\/users$/);
    // the navigation is folded: its links are hidden until the Menu button opens it
    const toggle = page.getByRole('button', { name: l.menu, exact: true });
    const roles = page.getByRole('navigation').getByRole('link', { name: l.roles });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await roles.isVisible(), false, 'folded behind Menu');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const links = page.locator('.topbar a.nav-link:visible, .topbar .signout:visible');
    assert.ok((await links.count()) >= 7, 'every section, My profile and Sign out');
    for (let i = 0; i < (await links.count()); i++) await links.nth(i).click({ trial: true });
    await assertFits(page, `${lang} navigation open`);
    await screen(page, `phone-${lang}-nav-open`);
    await roles.click();
    await page.waitForURL(/\/roles$/);
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false', 'it folds on the way');
    assert.equal(await roles.isVisible(), false);
    // Escape folds it too, and gives the focus back to Menu
    await toggle.click();
    await page.keyboard.press('Escape');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'nav-toggle');

    // the user page's Actions menu and a confirmation fit on the screen
    await page.goto(`/users/${ids.user}`);
    await page.locator('main h1').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('.loading'));
    await page.getByRole('button', { name: l.actions, exact: true }).click();
    const menu = page.getByRole('menu');
    await menu.waitFor();
    const mb = await menu.boundingBox();
    assert.ok(mb.x >= 0 && mb.x + mb.width <= PHONE.width, `the menu fits (${mb.x}+${mb.width})`);
    await assertFits(page, `${lang} menu open`);
    await screen(page, `phone-${lang}-menu`);
    await menu.getByRole('menuitem', { name: l.disable }).click();
    const dlg = page.getByRole('alertdialog');
    await dlg.waitFor();
    const db = await dlg.boundingBox();
    assert.ok(
      db.x >= 0 && db.x + db.width <= PHONE.width && db.y >= 0 && db.y + db.height <= PHONE.height,
      `the dialog fits on the screen (${JSON.stringify(db)})`,
    );
    for (const b of await dlg.getByRole('button').all()) await b.click({ trial: true });
    await assertFits(page, `${lang} dialog open`);
    await screen(page, `phone-${lang}-dialog`);
    await page.keyboard.press('Escape');
    await dlg.waitFor({ state: 'detached' });
    page.assertClean();
    await page.context().close();
  });
}
