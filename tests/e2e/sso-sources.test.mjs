// The Single Sign-On page in the browser: the honest empty state, a source created after the
// form showed its errors next to the fields, the list with the provider's name (not its id),
// editing that keeps the write-only secret, the Test action against a real OpenID provider
// (npm oidc-provider on loopback) and against an address nobody answers, delete behind a
// confirmation that names the source with the focus on Cancel; and the user form, whose SSO
// Source lists the provider's sources and whose Enforce SSO login is on by default when there is
// one. English and Chinese, 1280 and 390 px wide. One server for the file. Signing in through a
// source (the button, the provider, sso_error, RP logout) is in sso.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, readyUser, ROOT_PASSWORD } from '../api/lib/server.mjs';
import { startProvider } from '../api/lib/oidc.mjs';
import { launch, openPage, shot, signInUI, heading, confirm, axeCheck } from './lib/browser.mjs';

let srv, idp, browser, page;
const T = {};
const SECRET = 'the e2e client secret';

before(async () => {
  // --sso-allow-loopback: the server may call the provider on this machine (the Test action)
  srv = await startServer({ args: ['--sso-allow-loopback'] });
  idp = await startProvider({
    clients: [
      {
        client_id: 'gatehouse',
        client_secret: SECRET,
        redirect_uris: [`${srv.base}/sso/corp/callback`],
      },
    ],
  });
  for (const name of ['Acme', 'Bolt']) {
    const r = await srv.api('POST', '/api/v1/tenants', {
      body: { kind: 'service_provider', name },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    T[name] = r.body;
  }
  browser = await launch();
  page = await openPage(browser, srv.base);
  await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  await idp?.close();
});

// The page from the navigation, as a person reaches it.
async function openSources(p = page) {
  await p
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Single Sign-On' })
    .click();
  await p.waitForURL(/\/sso-sources$/);
  await heading(p, 'Single Sign-On');
  await p.waitForFunction(() => !document.querySelector('.loading'));
}

const row = (name) => page.locator('.sso-table tbody tr', { hasText: name });
const fieldOf = (label) => page.locator('.field', { has: page.getByLabel(label, { exact: true }) });

async function sourceNamed(name) {
  const r = await srv.api('GET', '/api/v1/sso-sources?limit=200');
  return r.body.items.find((s) => s.name === name);
}

test('the empty state, then a source made after the form showed its errors', async () => {
  await openSources();
  await page.getByRole('heading', { name: 'No SSO source yet' }).waitFor();
  await axeCheck(page, 'sso sources: empty');
  await shot(page, 'sso-sources-empty');
  await page.getByRole('link', { name: 'Add SSO source' }).click();
  await heading(page, 'Add SSO source');
  assert.equal(
    await page.getByLabel('Scopes', { exact: true }).inputValue(),
    'openid email profile',
  );
  assert.equal(await page.getByLabel('Claim', { exact: true }).inputValue(), 'sub');
  assert.match(await fieldOf('Claim').textContent(), /sub .*email.*preferred_username/);
  assert.equal(
    await page.getByLabel('Client secret', { exact: true }).getAttribute('type'),
    'password',
  );
  assert.equal(
    await page
      .getByLabel('Service Provider', { exact: true })
      .locator('option:checked')
      .textContent(),
    'Platform staff',
  );
  assert.match(
    await page.locator('.sso-form').textContent(),
    new RegExp(`${srv.base}/sso/\\{name\\}/callback`),
    'the redirect URI to register, before a name is typed',
  );
  // nothing filled: the required fields say so, nothing is sent
  await page.getByRole('button', { name: 'Save' }).click();
  for (const label of ['Name', 'Display name', 'Issuer', 'Client ID', 'Client secret'])
    assert.match(await fieldOf(label).locator('.field-error').textContent(), /required/i, label);
  assert.equal(
    await page.getByLabel('Name', { exact: true }).evaluate((el) => el === document.activeElement),
    true,
    'the first field in error has the focus',
  );
  // the server's errors, one field at a time, next to the field
  await page.getByLabel('Name', { exact: true }).fill('Corp Main');
  await page.getByLabel('Display name', { exact: true }).fill('Corp');
  await page.getByLabel('Issuer', { exact: true }).fill('http://login.example.com');
  await page.getByLabel('Client ID', { exact: true }).fill('gatehouse');
  await page.getByLabel('Client secret', { exact: true }).fill(SECRET);
  await page.getByLabel('Service Provider', { exact: true }).selectOption({ label: 'Acme' });
  await page.getByRole('button', { name: 'Save' }).click();
  await fieldOf('Name')
    .locator('.field-error')
    .getByText(/lower-case letters/)
    .waitFor();
  assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');
  await shot(page, 'sso-source-errors');
  await axeCheck(page, 'sso source form with errors');
  await page.getByLabel('Name', { exact: true }).fill('corp');
  assert.match(
    await page.locator('.sso-form').textContent(),
    new RegExp(`${srv.base}/sso/corp/callback`),
  );
  await page.getByRole('button', { name: 'Save' }).click();
  await fieldOf('Issuer')
    .locator('.field-error')
    .getByText(/https URL/)
    .waitFor();
  assert.equal(
    await fieldOf('Name').locator('.field-error').isVisible(),
    false,
    'the fixed field lost its error',
  );
  await page.getByLabel('Issuer', { exact: true }).fill(idp.issuer);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(/\/sso-sources$/);
  await page.getByRole('status').getByText('SSO source Corp saved.').waitFor();
  // the list: display name, name, issuer and the provider by its name
  await row('Corp').waitFor();
  const cells = await row('Corp').locator('td').allTextContents();
  assert.deepEqual(cells.slice(0, 4), ['Corp', 'corp', idp.issuer, 'Acme']);
  const s = await sourceNamed('corp');
  assert.equal(s.provider_id, T.Acme.id);
  assert.equal(s.client_secret_set, true);
  assert.equal(s.scopes, 'openid email profile');
  assert.equal(s.claim, 'sub');
  assert.equal(s.trust_idp_mfa, false);
  assert.equal(s.rp_logout, false);
  page.assertClean();
});

test('edit: the name and provider are fixed, an empty secret keeps the stored one', async () => {
  await openSources();
  const before = await sourceNamed('corp');
  await row('Corp').getByRole('link', { name: 'Edit Corp' }).click();
  await heading(page, 'Edit SSO source: Corp');
  assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('readonly'), '');
  assert.equal(await page.getByLabel('Service Provider', { exact: true }).isDisabled(), true);
  assert.equal(
    await page.getByLabel('Client secret', { exact: true }).inputValue(),
    '',
    'the secret never comes back',
  );
  await fieldOf('Client secret').getByText('Leave empty to keep the current secret.').waitFor();
  await page.getByLabel('Display name', { exact: true }).fill('Corp SSO');
  await page.getByLabel('Claim', { exact: true }).fill('email');
  await page.getByLabel('Sign out at the provider too', { exact: true }).check();
  await page.getByLabel("Trust the provider's two-factor check", { exact: true }).check();
  assert.match(
    await page.locator('.field.check', { hasText: 'two-factor' }).textContent(),
    /skip Gatehouse's own code when the provider says it checked a second factor/i,
  );
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(/\/sso-sources$/);
  await row('Corp SSO').waitFor();
  const after = await sourceNamed('corp');
  assert.equal(after.display_name, 'Corp SSO');
  assert.equal(after.claim, 'email');
  assert.equal(after.rp_logout, true);
  assert.equal(after.trust_idp_mfa, true);
  assert.equal(after.client_secret_set, true);
  assert.equal(after.issuer, before.issuer);
  // a stale form: someone else saved in between (If-Match), the form says so
  await row('Corp SSO').getByRole('link', { name: 'Edit Corp SSO' }).click();
  await heading(page, 'Edit SSO source: Corp SSO');
  const etag = (await srv.api('GET', `/api/v1/sso-sources/${after.id}`)).headers.get('etag');
  const other = await srv.api('PATCH', `/api/v1/sso-sources/${after.id}`, {
    body: { claim: 'sub' },
    headers: { 'if-match': etag },
  });
  assert.equal(other.status, 200, JSON.stringify(other.body));
  await page.getByLabel('Display name', { exact: true }).fill('Corp SSO 2');
  await page.getByRole('button', { name: 'Save' }).click();
  await page
    .getByRole('alert')
    .getByText(/Someone else changed this/)
    .waitFor();
  await page.getByRole('link', { name: 'Cancel' }).click();
  await page.waitForURL(/\/sso-sources$/);
  page.assertClean();
});

test('Test shows what the provider offers: endpoints, methods, algorithms, keys', async () => {
  await openSources();
  await row('Corp SSO').getByRole('button', { name: 'Test Corp SSO' }).click();
  const dlg = page.getByRole('dialog', { name: 'Test of Corp SSO' });
  await dlg.waitFor();
  await dlg.getByText('its discovery document and signing keys are usable').waitFor();
  const text = await dlg.textContent();
  for (const s of [
    idp.issuer,
    'Authorization endpoint',
    'Token endpoint',
    'Keys (JWKS)',
    'End-session endpoint',
    'client_secret_basic',
    'RS256',
    'ES256',
  ])
    assert.ok(text.includes(s), `${s} in: ${text}`);
  const keys = dlg
    .locator('dt', { hasText: 'Usable signing keys' })
    .locator('xpath=following-sibling::dd[1]');
  assert.equal(await keys.textContent(), '2');
  await shot(page, 'sso-test-ok');
  await axeCheck(page, 'sso test result');
  await dlg.getByRole('button', { name: 'Close' }).click();
  await dlg.waitFor({ state: 'detached' });
  await page
    .waitForFunction(() => document.activeElement?.textContent === 'Test', null, { timeout: 3000 })
    .catch(async () =>
      assert.fail(
        `the focus goes back to Test, not ${await page.evaluate(() => document.activeElement?.outerHTML)}`,
      ),
    );
  page.assertClean();
});

test('Test of an issuer nobody answers names the stage and the reason', async () => {
  const r = await srv.api('POST', '/api/v1/sso-sources', {
    body: {
      name: 'down',
      display_name: 'Down',
      issuer: 'http://127.0.0.1:9',
      client_id: 'gatehouse',
      client_secret: 'a client secret',
      provider_id: null,
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await openSources();
  // The page may already show the list from the test before: wait for the new row.
  await row('Down').waitFor();
  assert.equal(
    (await row('Down').locator('td').allTextContents())[3],
    'Platform staff',
    'a source of the platform',
  );
  await row('Down').getByRole('button', { name: 'Test Down' }).click();
  const dlg = page.getByRole('dialog', { name: 'Test of Down' });
  await dlg.waitFor({ timeout: 15000 });
  await dlg.getByText('The test failed at discovery.').waitFor();
  const reason = dlg.locator('dt', { hasText: 'Reason' }).locator('xpath=following-sibling::dd[1]');
  assert.ok((await reason.textContent()).length > 3, 'a reason is given');
  await shot(page, 'sso-test-failed');
  await axeCheck(page, 'sso test failed');
  await dlg.getByRole('button', { name: 'Close' }).click();
  page.assertClean();
});

test('delete asks first, naming the source, with the focus on Cancel', async () => {
  await openSources();
  await row('Down').getByRole('button', { name: 'Delete Down' }).click();
  const dlg = page.getByRole('alertdialog', { name: 'Delete the SSO source Down?' });
  await dlg.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Cancel');
  await page.keyboard.press('Enter'); // Enter on the focused Cancel deletes nothing
  await dlg.waitFor({ state: 'detached' });
  assert.ok(await sourceNamed('down'), 'still there');
  await row('Down').getByRole('button', { name: 'Delete Down' }).click();
  await confirm(page, 'Yes, delete it!');
  await page.getByRole('status').getByText('SSO source Down deleted.').waitFor();
  await row('Down').waitFor({ state: 'detached' });
  assert.equal(await sourceNamed('down'), undefined);
  page.assertClean();
});

test("user form: SSO Source offers the provider's sources, Enforce SSO login on by default", async () => {
  await page.goto('/users/new');
  await heading(page, 'Add new user');
  const source = page.getByLabel('SSO Source', { exact: true });
  const enforce = page.getByLabel('Enforce SSO login', { exact: true });
  const enforceField = page.locator('.field.check', { has: enforce });
  // the platform has no source now: nothing to choose, off, and the hint says why
  assert.deepEqual(await source.locator('option').allTextContents(), ['None']);
  assert.equal(await enforce.isChecked(), false);
  await enforceField.getByText('No SSO source for this service provider.').waitFor();
  // Acme has Corp SSO: chosen, on, and the hint names both
  await page.getByLabel('Service Provider', { exact: true }).selectOption({ label: 'Acme' });
  await enforceField.getByText('On by default: users of Acme sign in through Corp SSO.').waitFor();
  assert.deepEqual(await source.locator('option').allTextContents(), ['None', 'Corp SSO (corp)']);
  assert.equal(await source.inputValue(), 'corp');
  assert.equal(await enforce.isChecked(), true);
  await shot(page, 'user-form-sso-provider');
  // Bolt has none
  await page.getByLabel('Service Provider', { exact: true }).selectOption({ label: 'Bolt' });
  await enforceField.getByText('No SSO source for this service provider.').waitFor();
  assert.equal(await enforce.isChecked(), false);
  assert.deepEqual(await source.locator('option').allTextContents(), ['None']);
  // back to Acme; the claim is sub, so the SSO ID must be given: the server says so there
  await page.getByLabel('Service Provider', { exact: true }).selectOption({ label: 'Acme' });
  await enforceField.getByText(/On by default/).waitFor();
  assert.equal(await enforce.isChecked(), true);
  await page.getByLabel('User Name', { exact: true }).fill('sso-e2e-user');
  await page.getByLabel('Email', { exact: true }).fill('sso-e2e-user@acme.example');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await fieldOf('SSO ID')
    .locator('.field-error')
    .getByText(/SSO ID/)
    .waitFor();
  await axeCheck(page, 'user form with an SSO error');
  await page.getByLabel('SSO ID', { exact: true }).fill('emp-1001');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForURL(/\/users\?status=invited$/);
  const list = await srv.api('GET', '/api/v1/users?q=sso-e2e-user');
  const u = list.body.items.find((x) => x.username === 'sso-e2e-user');
  assert.ok(u, JSON.stringify(list.body));
  assert.equal(u.enforce_sso, true);
  assert.equal(u.sso_source, 'corp');
  assert.equal(u.sso_id, 'emp-1001');
  // editing: the user's source is selected, the standard hint
  await page.goto(`/users/${u.id}/edit`);
  await heading(page, 'Edit Back-Office User: sso-e2e-user');
  await page.waitForFunction(
    () => document.querySelector('select[name=sso_source]').value === 'corp',
  );
  assert.equal(await page.getByLabel('Enforce SSO login', { exact: true }).isChecked(), true);
  page.assertClean();
});

test('screenshots: the sign-in page with its button and the page with one source, en and zh, 1280 and 390 px', async () => {
  if (!(await sourceNamed('corp'))) {
    // run alone (--test-name-pattern): the source the first tests make
    const r = await srv.api('POST', '/api/v1/sso-sources', {
      body: {
        name: 'corp',
        display_name: 'Corp SSO',
        issuer: idp.issuer,
        client_id: 'gatehouse',
        client_secret: SECRET,
        provider_id: T.Acme.id,
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const words = {
    en: { button: 'Sign in with Corp SSO', password: 'Sign in with username and password' },
    zh: { button: '使用 Corp SSO 登录', password: '使用用户名和密码登录' },
  };
  for (const lang of ['en', 'zh']) {
    const r = await srv.api('PATCH', '/api/v1/users/1', { body: { language: lang } });
    assert.equal(r.status, 200);
    for (const width of [1280, 390]) {
      const p = await openPage(browser, srv.base, {
        locale: lang === 'zh' ? 'zh-CN' : 'en-GB',
        viewport: { width, height: 860 },
      });
      // the sign-in page: the source's button in place of the fields
      await p.goto('/signin');
      await p.getByRole('link', { name: words[lang].button }).waitFor();
      assert.equal(await p.locator('input[name=username]').isVisible(), false);
      await axeCheck(p, `sign-in with a button ${lang} ${width}`);
      await shot(p, `signin-sso-button-${lang}-${width}`);
      await p.getByRole('button', { name: words[lang].password }).click();
      await p.locator('input[name=username]').fill('root');
      await p.locator('input[name=password]').fill(ROOT_PASSWORD);
      await p.locator('button[type=submit]').click();
      await p.waitForURL(/\/users$/);
      // the sources page, reached from the navigation
      const title = lang === 'en' ? 'Single Sign-On' : '单点登录';
      // at phone width the navigation folds behind the Menu button
      if (width === 390)
        await p.getByRole('button', { name: lang === 'en' ? 'Menu' : '菜单', exact: true }).click();
      await p.getByRole('navigation').getByRole('link', { name: title }).click();
      await p.getByRole('heading', { level: 1, name: title }).waitFor();
      await p.locator('.sso-table tbody tr').first().waitFor();
      const cells = await p.locator('.sso-table tbody tr').first().locator('td').allTextContents();
      assert.ok(cells[3].endsWith('Acme'), `the provider by its name: ${cells[3]}`);
      await axeCheck(p, `sso sources ${lang} ${width}`);
      await shot(p, `sso-sources-${lang}-${width}`);
      p.assertClean();
      await p.context().close();
    }
  }
  await srv.api('PATCH', '/api/v1/users/1', { body: { language: 'en' } });
});

// Signs in with a password while sources exist: their buttons first, the link reveals the fields.
async function passwordSignIn(p, username, password) {
  await p.goto('/signin');
  await p.getByRole('button', { name: 'Sign in with username and password' }).click();
  await p.getByLabel('User Name', { exact: true }).fill(username);
  await p.getByLabel('Password', { exact: true }).fill(password);
  await p.getByRole('button', { name: 'Sign In' }).click();
  await p.waitForURL(/\/users$/);
}

test("a reader sees the sources without actions; a provider's admin manages its own only", async () => {
  const reader = await readyUser(srv, { permissions: ['settings.read', 'users.read'] });
  let p = await openPage(browser, srv.base);
  await passwordSignIn(p, reader.username, reader.password);
  await openSources(p);
  await p.locator('.sso-table tbody tr', { hasText: 'Corp SSO' }).waitFor();
  assert.equal(await p.getByRole('link', { name: 'Add SSO source' }).count(), 0);
  assert.equal(await p.getByRole('button', { name: /^(Test|Delete) / }).count(), 0);
  await p.getByRole('link', { name: 'Corp SSO' }).click();
  await heading(p, 'Edit SSO source: Corp SSO');
  assert.equal(await p.getByLabel('Display name', { exact: true }).isDisabled(), true);
  assert.equal(await p.getByRole('button', { name: 'Save' }).count(), 0);
  assert.equal(await p.getByRole('button', { name: 'Test' }).count(), 0);
  p.assertClean();
  await p.context().close();

  // Bolt's admin: Acme's source is not there (an honest empty state), and a new source is
  // Bolt's, the only provider it may choose
  const admin = await readyUser(srv, {
    permissions: ['settings.read', 'settings.update', 'tenants.read', 'users.read'],
    provider_id: T.Bolt.id,
  });
  p = await openPage(browser, srv.base);
  await passwordSignIn(p, admin.username, admin.password);
  await openSources(p);
  await p.getByRole('heading', { name: 'No SSO source yet' }).waitFor();
  await p.getByRole('link', { name: 'Add SSO source' }).click();
  await heading(p, 'Add SSO source');
  assert.deepEqual(
    await p.getByLabel('Service Provider', { exact: true }).locator('option').allTextContents(),
    ['Bolt'],
  );
  await p.getByLabel('Name', { exact: true }).fill('bolt');
  await p.getByLabel('Display name', { exact: true }).fill('Bolt Login');
  await p.getByLabel('Issuer', { exact: true }).fill('https://login.bolt.example');
  await p.getByLabel('Client ID', { exact: true }).fill('gatehouse');
  await p.getByLabel('Client secret', { exact: true }).fill('bolt secret');
  await p.getByRole('button', { name: 'Save' }).click();
  await p.waitForURL(/\/sso-sources$/);
  const boltRow = p.locator('.sso-table tbody tr', { hasText: 'Bolt Login' });
  await boltRow.waitFor();
  const cells = await boltRow.locator('td').allTextContents();
  assert.deepEqual(cells.slice(0, 4), ['Bolt Login', 'bolt', 'https://login.bolt.example', 'Bolt']);
  assert.equal(await p.locator('.sso-table tbody tr').count(), 1, "Acme's source stays hidden");
  p.assertClean();
  await p.context().close();
  const bolt = await sourceNamed('bolt');
  assert.equal(bolt.provider_id, T.Bolt.id);
  assert.equal((await srv.api('DELETE', `/api/v1/sso-sources/${bolt.id}`)).status, 204);
});
