// A user's page in the browser: status and details, sessions (end one: the user's browser is
// signed out), the onboarding state with Re-send onboarding email, the audit history, and the
// actions menu.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ROOT_PASSWORD, createUser, readyUser } from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, heading, confirm, axeCheck } from './lib/browser.mjs';

let srv, browser, page;
before(async () => {
  srv = await startServer();
  browser = await launch();
  page = await openPage(browser, srv.base);
  await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

test("sessions: listed on the user's page; ending one signs that browser out", async () => {
  const u = await readyUser(srv, { first_name: 'Sessa', last_name: 'Lee' });
  assert.equal((await u.as('GET', '/api/v1/session')).status, 200);
  await page.goto(`/users/${u.user.id}`);
  await heading(page, 'Sessa Lee');
  const table = page.locator('table.sessions');
  await table.waitFor();
  assert.equal(await table.locator('tbody tr').count(), 1);
  assert.match(await table.locator('tbody tr').textContent(), /127\.0\.0\.1/);
  await shot(page, 'user-details');
  await axeCheck(page, 'user details');
  await table.getByRole('button', { name: 'End session' }).click();
  await confirm(page, 'Yes, end it!');
  await page.getByText('No open sessions.').waitFor();
  assert.equal(
    (await u.as('GET', '/api/v1/session')).status,
    401,
    'the ended session no longer works',
  );
  page.assertClean();
});

test('onboarding state and Re-send onboarding email; the audit history lists what happened', async () => {
  const { user } = await createUser(srv, {
    username: 'newbie',
    first_name: 'New',
    last_name: 'Bie',
    password: null,
  });
  await page.goto(`/users/${user.id}`);
  await heading(page, 'New Bie');
  const onboarding = page.locator('section', {
    has: page.getByRole('heading', { name: 'Onboarding' }),
  });
  await onboarding.getByText('Waiting for the user').waitFor();
  await onboarding.getByRole('button', { name: 'Re-send onboarding email' }).click();
  await confirm(page, 'Yes, re-send it!');
  await page.getByRole('status').getByText('newbie: Onboarding email re-sent').waitFor();
  const history = page.locator('section', {
    has: page.getByRole('heading', { name: 'Audit history' }),
  });
  await history.locator('table.audit').waitFor();
  const actions = await history
    .locator('table.audit > tbody > tr')
    .evaluateAll((trs) => trs.map((tr) => tr.dataset.action));
  assert.ok(actions.includes('user.create'), actions.join(' '));
  assert.ok(
    actions.some((a) => a.startsWith('onboarding.')),
    actions.join(' '),
  );
  assert.ok(
    (await history.locator('td.audit-say').allTextContents()).includes('created user New Bie'),
    'the actions in words',
  );
  await history.locator('details.raw summary').first().click();
  await history.locator('pre.json').first().waitFor();
  await shot(page, 'user-details-onboarding');
  page.assertClean();
});

test("the actions menu of the user's page: disable, then enable; the status follows", async () => {
  const { user } = await createUser(srv, { username: 'acted', first_name: 'Act', last_name: 'Ed' });
  await page.goto(`/users/${user.id}`);
  await heading(page, 'Act Ed');
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Disable', exact: true }).click();
  await confirm(page, 'Yes, disable it!');
  await page.locator('.page-head .badge-disabled').waitFor();
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  assert.equal(await page.getByRole('menuitem', { name: 'Disable', exact: true }).count(), 0);
  await page.getByRole('menuitem', { name: 'Enable', exact: true }).click();
  await confirm(page, 'Yes, enable it!');
  await page.locator('.page-head .badge-active').waitFor();
  const rows = await page
    .locator('table.audit > tbody > tr')
    .evaluateAll((trs) => trs.map((tr) => tr.dataset.action));
  assert.ok(rows.includes('user.disable') && rows.includes('user.enable'), rows.join(' '));
  page.assertClean();
});
