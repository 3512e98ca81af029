// Passkeys in Chromium with its virtual authenticator (CDP WebAuthn domain; internal transport,
// resident keys, user verification): add a passkey on My profile, sign out, sign in with the
// password and the passkey step; password-less sign-in where the provider allows it; remove the
// passkey and see password-less sign-in refuse it; a cloned authenticator (the credential copied
// with a lower signCount into a second authenticator) refused. The console is served at
// http://localhost:PORT with --external-url http://localhost:PORT (WebAuthn needs a secure
// context and a host name: localhost is both). Screenshots passkeys-*.png (en and zh, 1280 and
// 390 px wide) of the profile's Passkeys section and of the sign-in passkey step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  createUser,
  strongPassword,
  signIn,
  withCookie,
  auditRows,
} from '../api/lib/server.mjs';
import { closedPort } from '../api/lib/smtp.mjs';
import { launch, openPage, shot, signInUI, heading, axeCheck } from './lib/browser.mjs';

let srv, browser, EXT;
before(async () => {
  const port = await closedPort();
  EXT = `http://localhost:${port}`;
  srv = await startServer({ args: ['--listen', `127.0.0.1:${port}`, '--external-url', EXT] });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

// A user past its forced password change (through the API, with the external URL's origin).
async function ready(over = {}) {
  const { user, username, password: initial } = await createUser(srv, over);
  const first = await signIn(srv, username, initial);
  const password = strongPassword();
  const r = await withCookie(srv, first.cookie)('POST', '/api/v1/session/password', {
    body: { password },
    origin: EXT,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { user, username, password };
}

// A page with a virtual authenticator of its own (a platform authenticator that verifies the
// user); returns {page, cdp, authenticatorId}.
async function pageWithAuthenticator(opts) {
  const page = await openPage(browser, EXT, opts);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { page, cdp, authenticatorId };
}

const panel = (page, name) =>
  page.locator('section.panel', { has: page.getByRole('heading', { level: 2, name }) });

async function signOut(page) {
  await page.evaluate(() =>
    fetch('/api/v1/session', { method: 'DELETE', headers: { 'content-type': 'application/json' } }),
  );
}

async function addPasskey(page, name, { password } = {}) {
  await page.goto('/profile');
  await heading(page, 'My profile');
  const box = panel(page, 'Passkeys');
  await box.getByRole('button', { name: 'Add a passkey' }).click();
  await box.getByLabel('Name').fill(name);
  if (password) await box.getByLabel('Current password').fill(password);
  await box.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByRole('status').getByText('Passkey added.').waitFor();
  await box.getByRole('cell', { name, exact: true }).waitFor();
  // the first passkey of an account without an authenticator app comes with recovery codes
  let codes = [];
  if (!password) {
    const recovery = box.getByRole('region', { name: 'Recovery codes' });
    await recovery.waitFor();
    codes = await recovery.locator('li code').allTextContents();
    assert.equal(codes.length, 10, 'ten recovery codes, shown once');
    await recovery.getByRole('button', { name: 'I have saved them: continue' }).click();
    await box.getByRole('button', { name: 'Add a passkey' }).waitFor();
  }
  return { box, codes };
}

// Signs in with the password, then passes the passkey step with the button.
async function passkeyStep(page, u) {
  await signInUI(page, u.username, u.password);
  await page.waitForURL('**/signin/webauthn');
  await heading(page, 'Use your passkey');
  await page.getByRole('button', { name: 'Use your passkey' }).click();
}

const signedIn = (page) => page.waitForURL((url) => !url.pathname.startsWith('/signin'));

test('add a passkey on My profile, sign out, sign in with the password and the passkey', async () => {
  const u = await ready({ first_name: 'Pia', last_name: 'Kestrel' });
  const { page, cdp, authenticatorId } = await pageWithAuthenticator();
  await signInUI(page, u.username, u.password);
  await signedIn(page);
  const { box } = await addPasskey(page, 'Work laptop');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].isResidentCredential, true, 'a discoverable credential');
  assert.equal(credentials[0].rpId, 'localhost');
  const listed = (await srv.api('GET', `/api/v1/audit?action=passkey.added&target_id=${u.user.id}`))
    .body.items;
  assert.equal(listed.length, 1);
  await box.scrollIntoViewIfNeeded();
  await axeCheck(page, 'profile with a passkey');

  await signOut(page);
  await passkeyStep(page, u);
  await signedIn(page);
  await page.goto('/profile');
  await heading(page, 'My profile');
  assert.doesNotMatch(
    await panel(page, 'Passkeys').locator('tbody tr').textContent(),
    /Never/,
    'last used is set',
  );
  page.assertClean();
  await page.context().close();
});

test('at the passkey step a code or a recovery code is offered instead', async () => {
  const u = await ready();
  const { page } = await pageWithAuthenticator();
  await signInUI(page, u.username, u.password);
  await signedIn(page);
  const { codes } = await addPasskey(page, 'Laptop');
  await signOut(page);
  await signInUI(page, u.username, u.password);
  await page.waitForURL('**/signin/webauthn');
  await page.getByRole('link', { name: /Use a code/ }).click();
  await page.waitForURL('**/signin/totp');
  await page.getByLabel('Code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('alert').getByText('The code is not correct.', { exact: false }).waitFor();
  await page.getByRole('link', { name: 'Use your passkey instead' }).click();
  await page.getByRole('button', { name: 'Use your passkey' }).click();
  await signedIn(page);
  // the device lost: one of the recovery codes the passkey came with signs in instead
  await signOut(page);
  await signInUI(page, u.username, u.password);
  await page.waitForURL('**/signin/webauthn');
  await page.getByRole('link', { name: /Use a code/ }).click();
  await page.getByLabel('Code').fill(codes[0]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await signedIn(page);
  page.assertClean();
  await page.context().close();
});

test('password-less sign-in where the provider allows it; a removed passkey is refused', async () => {
  const sp = await srv.api('POST', '/api/v1/tenants', {
    body: { kind: 'service_provider', name: 'Passkey Provider' },
  });
  assert.equal(sp.status, 201);
  const allow = await srv.api('PATCH', `/api/v1/tenants/${sp.body.id}`, {
    body: { passkey_signin: true },
  });
  assert.equal(allow.status, 200);
  const u = await ready({ provider_id: sp.body.id });
  const { page } = await pageWithAuthenticator();
  // the username field offers passkeys in its autofill (read while there is none to pick: once
  // there is, the page signs in before a test could read the field)
  await page.goto('/signin');
  assert.equal(
    await page.getByLabel('User Name').getAttribute('autocomplete'),
    'username webauthn',
  );
  await signInUI(page, u.username, u.password);
  await signedIn(page);
  await addPasskey(page, 'Phone');
  await signOut(page);

  // conditional UI: the virtual authenticator (automatic presence) picks the passkey at once,
  // and the page signs in by itself
  await page.goto('/signin');
  await signedIn(page);
  let ok = await auditRows(srv, 'login.success', u.user.id);
  assert.equal(ok.filter((r) => r.after?.factor === 'passkey').length, 1, 'by the autofill');
  await signOut(page);

  // from now on a browser without conditional UI: the button
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await page.goto('/signin');
  await page.getByRole('button', { name: 'Continue with a passkey' }).click();
  await signedIn(page);
  ok = await auditRows(srv, 'login.success', u.user.id);
  assert.equal(ok.filter((r) => r.after?.factor === 'passkey').length, 2, 'by the button');

  // remove it (with the password as proof), then the same passkey is refused
  await page.goto('/profile');
  const box = panel(page, 'Passkeys');
  await box.getByRole('button', { name: 'Remove passkey Phone' }).click();
  await box.getByText('Remove the passkey "Phone"?').waitFor();
  await box.getByLabel('Current password').fill(u.password);
  await box.getByRole('button', { name: 'Remove passkey', exact: true }).click();
  await page.getByRole('status').getByText('Passkey removed.').waitFor();
  await box.getByText('You have no passkeys yet.').waitFor();
  await signOut(page);
  await page.goto('/signin');
  await page.getByRole('button', { name: 'Continue with a passkey' }).click();
  await page
    .getByRole('alert')
    .getByText('This passkey cannot sign you in here.', { exact: false })
    .waitFor();
  assert.match(new URL(page.url()).pathname, /^\/signin/);
  await page.context().close();
});

test('a cloned authenticator (its counter behind) is refused and audited', async () => {
  const u = await ready();
  const { page, cdp, authenticatorId } = await pageWithAuthenticator();
  await signInUI(page, u.username, u.password);
  await signedIn(page);
  await addPasskey(page, 'Original');
  await signOut(page);
  await passkeyStep(page, u); // the counter moves on
  await signedIn(page);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.ok(credentials[0].signCount >= 1, `signCount ${credentials[0].signCount}`);
  // a copy with a lower counter in a second authenticator, the original gone
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  const { authenticatorId: copy } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await cdp.send('WebAuthn.addCredential', {
    authenticatorId: copy,
    credential: { ...credentials[0], signCount: 0 },
  });
  await signOut(page);
  await passkeyStep(page, u);
  await page
    .getByRole('alert')
    .getByText('The passkey was not accepted.', { exact: false })
    .waitFor();
  const rows = await auditRows(srv, 'passkey.clone_refused', u.user.id);
  assert.equal(rows.length, 1);
  await page.context().close();
});

test('a user who must use two factors enrols a passkey instead of an app', async () => {
  const u = await ready({ mfa_required: true });
  const { page } = await pageWithAuthenticator();
  await signInUI(page, u.username, u.password);
  await page.waitForURL('**/signin/enroll');
  await page.getByRole('button', { name: 'Use a passkey instead of an authenticator app' }).click();
  await page.getByLabel('Name').fill('Laptop');
  await page.getByRole('button', { name: 'Create passkey' }).click();
  // a passkey as the account's first second factor: its recovery codes, then the console
  await page.getByRole('heading', { level: 2, name: 'Recovery codes' }).waitFor();
  assert.equal(await page.locator('ul.recovery li').count(), 10);
  await page.getByRole('button', { name: 'I have saved them: continue' }).click();
  await signedIn(page);
  const who = await srv.api('GET', `/api/v1/audit?action=passkey.added&target_id=${u.user.id}`);
  assert.equal(who.body.items.length, 1);
  await signOut(page);
  await passkeyStep(page, u);
  await signedIn(page);
  page.assertClean();
  await page.context().close();
});

test('screenshots: the Passkeys section and the passkey step, en and zh, 1280 and 390 wide', async () => {
  for (const language of ['en', 'zh']) {
    const u = await ready({ language });
    const { page } = await pageWithAuthenticator();
    await signInUI(page, u.username, u.password);
    await signedIn(page);
    await page.goto('/profile');
    const box = page.locator('#passkeys');
    await box.waitFor();
    await box.locator('button.primary').click();
    await box
      .locator('input[name=passkey_name]')
      .fill(language === 'en' ? 'Work laptop' : '工作笔记本');
    await box.locator('button[type=submit]').click();
    await box.locator('tbody tr').waitFor();
    await box.locator('.passkey-recovery').waitFor();
    await box.screenshot({ path: `tests/e2e/artifacts/passkeys-recovery-${language}.png` });
    await box.locator('.passkey-recovery button.primary').click();
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 860 });
      await box.screenshot({
        path: `tests/e2e/artifacts/passkeys-profile-${language}-${width}.png`,
      });
    }
    await page.setViewportSize({ width: 1280, height: 860 });
    await signOut(page);
    await signInUI(page, u.username, u.password);
    await page.waitForURL('**/signin/webauthn');
    await page.locator('.auth-card button.primary').waitFor();
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 860 });
      await shot(page, `passkeys-step-${language}-${width}`);
    }
    await axeCheck(page, `passkey step (${language})`);
    await page.context().close();
  }
});
