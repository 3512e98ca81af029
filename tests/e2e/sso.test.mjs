// Single sign-on in the browser: the sign-in page shows "Sign in with Corp" in place of the fields
// (a link reveals them for users who are not SSO-only), the button goes to a real OpenID provider
// (npm oidc-provider on loopback), the user logs in there through its development pages, and
// lands in the console signed in; a failed single sign-on comes back with a translated message;
// signing out of a source with RP logout goes through the provider's end-session page; a new
// platform user takes the platform's source with Enforce SSO login on. English and Chinese, 1280
// and 390 px wide. The Single Sign-On page itself (sources) is in sso-sources.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, adminWith, ssoSource, ROOT_PASSWORD } from '../api/lib/server.mjs';
import { uniq } from '../api/lib/helpers.mjs';
import { startProvider } from '../api/lib/oidc.mjs';
import { launch, openPage, shot, heading, axeCheck } from './lib/browser.mjs';

let srv, idp, browser;
const SECRET = 'the e2e client secret';
const accounts = {};

before(async () => {
  srv = await startServer({ args: ['--sso-allow-loopback'] });
  idp = await startProvider({
    clients: [
      {
        client_id: 'gatehouse',
        client_secret: SECRET,
        redirect_uris: [`${srv.base}/sso/corp/callback`],
        post_logout_redirect_uris: [`${srv.base}/signin`],
      },
    ],
    accounts,
  });
  await ssoSource(srv, 'corp', null, {
    display_name: 'Corp',
    issuer: idp.issuer,
    client_secret: SECRET,
    rp_logout: true,
  });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  await idp?.close();
});

// An SSO-only administrator who may read users: {user, sub}.
async function ssoAdmin() {
  const { user } = await adminWith(srv, ['users.read'], { username: uniq('sso-e2e') });
  const sub = uniq('emp-');
  accounts[sub] = { email: `${sub}@corp.example` };
  const r = await srv.api('PATCH', `/api/v1/users/${user.id}`, {
    body: { enforce_sso: true, sso_source: 'corp', sso_id: sub },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { user, sub };
}

// At the provider's development pages: log in as sub (any password), then consent.
async function atProvider(page, sub) {
  await page.waitForURL((u) => u.href.startsWith(idp.issuer));
  await page.locator('input[name="login"]').fill(sub);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  const consent = page.locator('button[type="submit"]');
  await consent.waitFor();
  if (page.url().startsWith(idp.issuer)) await consent.click();
}

// root, who is not SSO-only, through the link that reveals the fields
async function rootSignIn(page) {
  await page.goto('/signin');
  await page.getByRole('button', { name: 'Sign in with username and password' }).click();
  await page.getByLabel('User Name').fill('root');
  await page.getByLabel('Password', { exact: true }).fill(ROOT_PASSWORD);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page.waitForURL(/\/users$/);
}

test('one click: the button, the provider, and the console signed in', async () => {
  const { user, sub } = await ssoAdmin();
  const page = await openPage(browser, srv.base);
  await page.goto('/users?status=active');
  await page.waitForURL(/\/signin\?next=/);
  await heading(page, 'Sign in to the Back-Office');
  const button = page.getByRole('link', { name: 'Sign in with Corp' });
  await button.waitFor();
  assert.equal(await page.getByLabel('User Name').isVisible(), false, 'the fields are hidden');
  await shot(page, 'signin-sso');
  await axeCheck(page, 'sign-in page with an SSO button');
  const t0 = Date.now();
  await button.click();
  await atProvider(page, sub);
  await page.waitForURL(/\/users\?status=active$/);
  await heading(page, 'Back-Office Users');
  console.log(`# SSO sign-in in Chromium, click to console: ${Date.now() - t0} ms`);
  const me = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()));
  assert.equal(me.user.id, user.id);
  // signing out ends the session here and at the provider (RP logout), then back to sign-in
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((u) => u.href.startsWith(idp.issuer) || u.pathname === '/signin');
  if (page.url().startsWith(idp.issuer)) {
    const yes = page.locator('button[autofocus], button[type="submit"]').first();
    await yes.click();
  }
  await page.waitForURL(/\/signin/);
  const who = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.status));
  assert.equal(who, 401, 'the Gatehouse session is gone');
  await page.context().close();
});

test('the username and password link shows the fields for users who are not SSO-only', async () => {
  const page = await openPage(browser, srv.base);
  await rootSignIn(page);
  page.assertClean();
  await page.context().close();
});

test('a refused single sign-on comes back with a message, in English and Chinese', async () => {
  const stranger = uniq('stranger-');
  accounts[stranger] = { email: `${stranger}@corp.example` };
  for (const [locale, text] of [
    ['en-GB', /no active account here has your SSO ID/],
    ['zh-CN', /没有与您的 SSO ID 对应的有效账户/],
  ]) {
    for (const width of [1280, 390]) {
      const page = await openPage(browser, srv.base, {
        locale,
        viewport: { width, height: 860 },
      });
      await page.goto('/signin');
      if (locale === 'zh-CN') await page.locator('#lang-switch').selectOption('zh');
      await page.locator('a.sso-button').click();
      await atProvider(page, stranger);
      await page.waitForURL(/\/signin\?sso_error=refused$/);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match(await alert.textContent(), text);
      await shot(page, `signin-sso-refused-${locale.slice(0, 2)}-${width}`);
      await axeCheck(page, `sso error ${locale} ${width}`);
      await page.context().close();
    }
  }
});

test('the new-user form turns Enforce SSO login on when the provider has a source, and says why', async () => {
  const page = await openPage(browser, srv.base);
  await rootSignIn(page);
  await page.goto('/users/new');
  const enforce = page.getByLabel('Enforce SSO login');
  await page.getByText("On by default: the platform's staff sign in through Corp.").waitFor();
  assert.equal(await enforce.isChecked(), true);
  assert.equal(await page.getByLabel('SSO Source').inputValue(), 'corp');
  await shot(page, 'user-form-sso-default');
  page.assertClean();
  await page.context().close();
});

test('each sso_error code has its message above the buttons, in English and Chinese; others none', async () => {
  const codes = ['refused', 'unavailable', 'expired', 'cancelled', 'unknown_source'];
  for (const [lang, locale] of [
    ['en', 'en-GB'],
    ['zh', 'zh-CN'],
  ]) {
    const catalogue = JSON.parse(
      readFileSync(new URL(`../../web/i18n/${lang}.json`, import.meta.url), 'utf8'),
    );
    const page = await openPage(browser, srv.base, { locale });
    const seen = new Set();
    for (const code of codes) {
      await page.goto(`/signin?sso_error=${code}`);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const text = await alert.textContent();
      assert.equal(text, catalogue[`signin.sso_error.${code}`], `${lang} ${code}`);
      seen.add(text);
      assert.equal(
        await page.evaluate(() => {
          const a = document.querySelector('[role=alert]');
          const b = document.querySelector('.sso-buttons');
          return !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
        }),
        true,
        'the message comes before the buttons',
      );
    }
    assert.equal(seen.size, codes.length, 'one message per code');
    await page.goto('/signin?sso_error=%3Cscript%3E');
    await page.locator('a.sso-button').waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'an unknown code shows nothing');
    page.assertClean();
    await page.context().close();
  }
});
