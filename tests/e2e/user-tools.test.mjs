// What an admin does for one user or one group besides the form (issue 14, points 8 and 10), in
// Chromium: a user's API tokens on its page (listed, revoked: the token stops working), an
// onboarding link to hand over (shown once, copied to the clipboard, the e-mailed one void),
// Refresh two-factor saying that it marks two-factor as required, and a group's members added
// and removed from the group's page (the user's roles follow).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  ROOT_PASSWORD,
  createUser,
  readyUser,
  enrolTotp,
} from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, axeCheck } from './lib/browser.mjs';

let srv, browser, page;

before(async () => {
  srv = await startServer();
  browser = await launch();
  page = await openPage(browser, srv.base);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: srv.base,
  });
  await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const panel = (name) =>
  page.locator('section.panel', { has: page.getByRole('heading', { level: 2, name }) });
const works = async (token) =>
  (await srv.api('GET', '/api/v1/permissions', { token })).status === 200;

test("a user's page lists its API tokens; Revoke ends one at once", async () => {
  const u = await readyUser(srv);
  const made = [];
  for (const name of ['deploy script', 'nightly export']) {
    const r = await u.as('POST', '/api/v1/me/tokens', {
      body: { name, current_password: u.password },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made.push(r.body);
  }
  await page.goto(`/users/${u.user.id}`);
  const box = panel('API tokens');
  await box.locator('td.token-name', { hasText: 'deploy script' }).waitFor();
  await box.locator('td.token-name', { hasText: 'nightly export' }).waitFor();
  assert.equal(await box.locator('tbody tr').count(), 2);
  await axeCheck(page, 'user page with tokens');
  await shot(page, 'user-page-tokens');
  await box.getByRole('button', { name: 'Revoke deploy script' }).click();
  const dlg = page.getByRole('alertdialog', { name: 'Revoke the token deploy script?' });
  await dlg.waitFor();
  assert.equal(
    await page.evaluate(() => document.activeElement?.textContent),
    'Cancel',
    'the focus starts on Cancel',
  );
  await dlg.getByRole('button', { name: 'Yes, revoke it!' }).click();
  await page.getByRole('status').getByText('Token deploy script revoked.').waitFor();
  await box.locator('tbody tr').first().waitFor();
  assert.equal(await box.locator('tbody tr').count(), 1);
  assert.equal(await works(made[0].token), false, 'the revoked token is refused');
  assert.equal(await works(made[1].token), true, 'the other one still works');
  page.assertClean();
});

test('a user without tokens says so', async () => {
  const { user } = await createUser(srv);
  await page.goto(`/users/${user.id}`);
  await panel('API tokens').getByText('No API tokens.').waitFor();
  page.assertClean();
});

test('an onboarding link to hand over: shown once, copied, the e-mailed one void', async () => {
  const { user, username } = await createUser(srv, { password: null });
  await page.goto(`/users/${user.id}`);
  await panel('Onboarding').getByRole('button', { name: 'Copy a link instead' }).click();
  const ask = page.getByRole('alertdialog', {
    name: `Make a new onboarding link for ${username}?`,
  });
  await ask.getByText('The link of the e-mail sent before stops working.').waitFor();
  await ask.getByRole('button', { name: 'Yes, make a link' }).click();
  const dlg = page.getByRole('dialog', { name: `Onboarding link for ${username}` });
  await dlg.waitFor();
  const url = await dlg.getByLabel('Onboarding link').inputValue();
  assert.match(url, /\/onboarding\/[A-Za-z0-9_-]{20,}$/);
  await dlg.getByRole('button', { name: 'Copy' }).click();
  await page.getByRole('status').getByText('Copied').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
  await axeCheck(page, 'onboarding link dialog');
  await shot(page, 'user-onboarding-link');
  await dlg.getByRole('button', { name: 'Close' }).click();
  const token = url.split('/').pop();
  const st = await srv.api('GET', `/api/v1/onboarding/${token}`, { token: null });
  assert.equal(st.status, 200, JSON.stringify(st.body));
  assert.equal(st.body.state, 'pending', 'the copied link works');
  page.assertClean();
});

test('Refresh two-factor says it marks two-factor as required, and does', async () => {
  const u = await readyUser(srv);
  await enrolTotp(srv, u.as);
  const before = (await srv.api('GET', `/api/v1/users/${u.user.id}`)).body;
  assert.deepEqual([before.mfa_enrolled, before.mfa_required], [true, false]);
  await page.goto(`/users/${u.user.id}`);
  await page.getByRole('button', { name: 'Actions' }).click();
  await page.getByRole('menuitem', { name: 'Refresh Two-Factor Authentication' }).click();
  const dlg = page.getByRole('alertdialog', { name: 'Refresh Two-Factor Authentication?' });
  await dlg.getByText('Gatehouse marks it as required').waitFor();
  await shot(page, 'reset-mfa-confirm');
  await dlg.getByRole('button', { name: 'Yes, refresh it!' }).click();
  await page.getByRole('status').getByText('Two-factor authentication refreshed').waitFor();
  const after = (await srv.api('GET', `/api/v1/users/${u.user.id}`)).body;
  assert.deepEqual([after.mfa_enrolled, after.mfa_required], [false, true]);
  // a user with no device: no such sentence
  const { user } = await createUser(srv);
  await page.goto(`/users/${user.id}`);
  await page.getByRole('button', { name: 'Actions' }).click();
  await page.getByRole('menuitem', { name: 'Refresh Two-Factor Authentication' }).click();
  const plain = page.getByRole('alertdialog');
  await plain.waitFor();
  assert.doesNotMatch(await plain.textContent(), /marks it as required/);
  await plain.getByRole('button', { name: 'Cancel' }).click();
  page.assertClean();
});

test("a group's members are added and removed on the group's page", async () => {
  const role = await srv.api('POST', '/api/v1/roles', {
    body: {
      name: 'Readers',
      kind: 'service_provider',
      provider_id: null,
      permissions: ['users.read'],
    },
  });
  const g = await srv.api('POST', '/api/v1/groups', {
    body: { name: 'Night shift', provider_id: null, role_ids: [role.body.id] },
  });
  assert.equal(g.status, 201, JSON.stringify(g.body));
  const { user: mei } = await createUser(srv, {
    username: 'mchen',
    first_name: 'Mei',
    last_name: 'Chen',
  });
  await page.goto(`/groups/${g.body.id}`);
  const box = page.locator('section.members-box');
  await box.getByText('No members.').waitFor();
  await box.getByLabel('Add a member').fill('mchen');
  await box.getByRole('button', { name: 'Add mchen' }).click();
  await page.getByRole('status').getByText('mchen added to the group.').waitFor();
  await box.getByRole('link', { name: 'Mei Chen' }).waitFor();
  let u = (await srv.api('GET', `/api/v1/users/${mei.id}`)).body;
  assert.deepEqual(u.group_ids, [g.body.id]);
  assert.ok(
    (await srv.api('GET', `/api/v1/users?group_id=${g.body.id}`)).body.items.some(
      (x) => x.id === mei.id,
    ),
  );
  await axeCheck(page, 'group members');
  await shot(page, 'group-members');
  await box.getByRole('button', { name: 'Remove mchen' }).click();
  const dlg = page.getByRole('alertdialog', { name: 'Remove Mei Chen from Night shift?' });
  await dlg.getByRole('button', { name: 'Yes, remove!' }).click();
  await page.getByRole('status').getByText('mchen removed from the group.').waitFor();
  await box.getByText('No members.').waitFor();
  u = (await srv.api('GET', `/api/v1/users/${mei.id}`)).body;
  assert.deepEqual(u.group_ids, []);
  page.assertClean();
});
