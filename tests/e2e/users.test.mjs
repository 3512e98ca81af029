// The users list in the browser: tabs by status, search, sort, cursor pagination, last login in
// the viewer's timezone, names holding markup shown as text (I3), checkboxes with the Actions
// menu and its confirmations ("Yes, disable it!"), per-user results of bulk actions, each row's
// context menu, the Banned tab with Unban, and actions hidden without their permission.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ROOT_PASSWORD, createUser, signIn, readyUser } from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, heading, confirm, axeCheck } from './lib/browser.mjs';

let srv, browser, page;
const people = [];
const XSS_FIRST = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
const XSS_LAST = '"quoted" \'single\' \u2028 line';

before(async () => {
  srv = await startServer();
  browser = await launch();
  // 64 active users "Person 00".."Person 63" in a shuffled order, 3 invited, one with markup
  const order = [...Array(64).keys()].sort(() => Math.random() - 0.5);
  for (let i = 0; i < order.length; i += 8) {
    people.push(
      ...(await Promise.all(
        order.slice(i, i + 8).map((n) =>
          createUser(srv, {
            username: `person${String(n).padStart(2, '0')}`,
            first_name: 'Person',
            last_name: String(n).padStart(2, '0'),
          }),
        ),
      )),
    );
  }
  for (let i = 0; i < 3; i++)
    await createUser(srv, {
      username: `invitee${i}`,
      first_name: 'Invitee',
      last_name: String(i),
      password: null,
    });
  await createUser(srv, { username: 'markup', first_name: XSS_FIRST, last_name: XSS_LAST });
  const tz = await srv.api('PATCH', '/api/v1/users/1', { body: { timezone: 'Asia/Shanghai' } });
  assert.equal(tz.status, 200, JSON.stringify(tz.body));
  page = await openPage(browser, srv.base);
  await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const rows = () => page.locator('.users-table tbody tr[data-id]');
const usernames = () =>
  page.locator('.users-table tbody tr[data-id] td.username').allTextContents();
const row = (username) => page.locator(`.users-table tbody tr[data-username="${username}"]`);
// Waits until the list has loaded what the page last asked for.
async function settle() {
  await page.waitForFunction(() => {
    const t = document.querySelector('.users-table');
    return t && !t.hasAttribute('aria-busy');
  });
}

test('the Active tab lists active users with name, user name, e-mail, last login and status', async () => {
  await heading(page, 'Back-Office Users');
  assert.equal(
    await page.getByRole('tab', { name: 'Active' }).getAttribute('aria-selected'),
    'true',
  );
  for (const name of ['Name', 'User Name', 'Email', 'Last login', 'Status'])
    await page.getByRole('columnheader', { name, exact: true }).waitFor();
  await page
    .getByRole('button', { name: 'Add new user' })
    .or(page.getByRole('link', { name: 'Add new user' }))
    .waitFor();
  assert.equal(await rows().count(), 50, 'one page of the default size');
  // last login in the viewer's timezone (root is in Asia/Shanghai, the browser in UTC)
  const me = (await srv.api('GET', '/api/v1/users/1')).body;
  const expected = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  })
    .format(new Date(me.last_login_at))
    .replace(',', '');
  await page.getByLabel('Search users').fill('root');
  await settle();
  await page.waitForFunction(
    () => document.querySelectorAll('.users-table tbody tr[data-id]').length === 1,
  );
  const shown = await row('root').locator('td.last-login time');
  assert.equal(await shown.textContent(), expected);
  assert.equal(await shown.getAttribute('datetime'), me.last_login_at);
  await page.getByLabel('Search users').fill('');
  await settle();
  await shot(page, 'users-active');
  await axeCheck(page, 'users list');
  page.assertClean();
});

test('a name holding markup displays as text and runs nothing (I3)', async () => {
  await page.getByLabel('Search users').fill('markup');
  await page.waitForFunction(
    () => document.querySelectorAll('.users-table tbody tr[data-id]').length === 1,
  );
  assert.equal(await row('markup').locator('td.name a').textContent(), `${XSS_FIRST} ${XSS_LAST}`);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('.users-table script, .users-table img').count(), 0);
  await row('markup').locator('td.name a').click();
  await page.waitForURL(/\/users\/\d+$/);
  // The list's heading stays until the details have loaded: wait for the user's own.
  const heading = page.getByRole('heading', { level: 1 });
  await page.waitForFunction(
    (name) => document.querySelector('h1')?.textContent === name,
    `${XSS_FIRST} ${XSS_LAST}`,
  );
  assert.equal(await heading.textContent(), `${XSS_FIRST} ${XSS_LAST}`);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await shot(page, 'user-details-markup');
  await page.goBack();
  await page.waitForURL(/\/users\?q=markup$/);
});

test("search, sort by column and pagination with the API's cursors", async () => {
  await page.goto('/users');
  await page.getByLabel('Search users').fill('person1');
  await page.waitForFunction(
    () => document.querySelectorAll('.users-table tbody tr[data-id]').length === 10,
  );
  assert.deepEqual((await usernames()).sort(), [
    'person10',
    'person11',
    'person12',
    'person13',
    'person14',
    'person15',
    'person16',
    'person17',
    'person18',
    'person19',
  ]);
  assert.match(page.url(), /q=person1/);
  // sort by user name, then reversed
  await page.getByRole('button', { name: 'User Name' }).click();
  await settle();
  assert.equal(
    await page.getByRole('columnheader', { name: 'User Name' }).getAttribute('aria-sort'),
    'ascending',
  );
  let names = await usernames();
  assert.deepEqual(names, [...names].sort());
  await page.getByRole('button', { name: 'User Name' }).click();
  await settle();
  assert.equal(
    await page.getByRole('columnheader', { name: 'User Name' }).getAttribute('aria-sort'),
    'descending',
  );
  names = await usernames();
  assert.deepEqual(names, [...names].sort().reverse());
  // pages of 20 through everything, in name order, no row twice
  await page.getByLabel('Search users').fill('person');
  await settle();
  await page.getByRole('button', { name: 'Name', exact: true }).click();
  await settle();
  await page.getByLabel('Rows per page').selectOption('20');
  await settle();
  const seen = [];
  for (let p = 1; p <= 4; p++) {
    await page.getByText(`${(p - 1) * 20 + 1}–${Math.min(p * 20, 64)} of 64`).waitFor();
    seen.push(...(await usernames()));
    if (p < 4) {
      await page.getByRole('button', { name: 'Next' }).click();
      await settle();
    }
  }
  assert.equal(
    await page.getByRole('button', { name: 'Next' }).isDisabled(),
    true,
    'the last page has no next',
  );
  assert.equal(seen.length, 64);
  assert.equal(new Set(seen).size, 64);
  assert.deepEqual(seen, [...seen].sort(), 'name order: Person 00, 01, ...');
  await page.getByRole('button', { name: 'Previous' }).click();
  await page.getByText('41–60 of 64').waitFor();
  assert.deepEqual(await usernames(), seen.slice(40, 60));
  await page.goBack(); // each page is a history entry: Back shows the one seen before
  await page.getByText('61–64 of 64').waitFor();
  assert.deepEqual(await usernames(), seen.slice(60));
  await page.goBack();
  await page.goBack();
  await page.getByText('21–40 of 64').waitFor();
  assert.deepEqual(await usernames(), seen.slice(20, 40));
  await shot(page, 'users-search-sorted-paged');
  page.assertClean();
});

test('tabs: Invited lists invited users; Banned shows banned until and Unban', async () => {
  await page.goto('/users');
  await page.getByRole('tab', { name: 'Invited' }).click();
  await page.waitForURL(/status=invited/);
  await settle();
  assert.deepEqual((await usernames()).sort(), ['invitee0', 'invitee1', 'invitee2']);
  // five wrong passwords ban person05
  for (let i = 0; i < 5; i++) await signIn(srv, 'person05', 'definitely not the password');
  await page.getByRole('tab', { name: 'Banned' }).click();
  await settle();
  assert.deepEqual(await usernames(), ['person05']);
  await page.getByRole('columnheader', { name: 'Banned until' }).waitFor();
  assert.match(
    await row('person05').locator('td.banned-until time').getAttribute('datetime'),
    /^\d{4}-\d\d-\d\dT/,
  );
  await shot(page, 'users-banned');
  await row('person05').getByRole('button', { name: 'Unban' }).click();
  await page.getByRole('status').getByText('person05: Unbanned').waitFor();
  await page.waitForFunction(() => !document.querySelector('.users-table tbody tr[data-id]'));
  await page.getByText('Nobody is banned.').waitFor();
  const s = await signIn(srv, 'person05', 'a long enough password for tests');
  assert.equal(s.status, 200, 'unbanned: the right password works again');
  // keyboard: arrow keys move between tabs
  await page.getByRole('tab', { name: 'Banned' }).focus();
  await page.keyboard.press('ArrowLeft');
  await page.waitForURL(/status=disabled/);
  await page.getByRole('tab', { name: 'Disabled', selected: true }).waitFor();
  assert.equal(
    await page.getByRole('tab', { name: 'Disabled' }).getAttribute('aria-selected'),
    'true',
  );
  page.assertClean();
});

test('select users, Actions → Disable: "Yes, disable it!", per-user results; then enable them', async () => {
  await page.goto('/users?q=person2');
  await settle();
  await page.getByRole('checkbox', { name: 'Select person20' }).check();
  await page.getByRole('checkbox', { name: 'Select person21' }).check();
  await page.getByText('2 selected').waitFor();
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  const menu = page.getByRole('menu');
  for (const item of [
    'Add/Edit Back-Office User',
    'Disable Back-Office User',
    'Delete Back-Office User',
    'Refresh Two-Factor Authentication',
    'Force password reset',
  ]) {
    await menu.getByRole('menuitem', { name: item }).waitFor();
  }
  assert.equal(
    await menu.getByRole('menuitem', { name: 'Enable Back-Office User' }).count(),
    0,
    'nobody selected is disabled',
  );
  await menu.getByRole('menuitem', { name: 'Disable Back-Office User' }).click();
  const dlg = page.getByRole('alertdialog');
  await dlg.waitFor();
  assert.match(await dlg.textContent(), /person20[\s\S]*person21/);
  await shot(page, 'users-confirm-disable');
  await axeCheck(page, 'confirmation dialog');
  await confirm(page, 'Yes, disable it!');
  const results = page.getByRole('dialog', { name: 'Disable: results' });
  await results.waitFor();
  assert.match(await results.textContent(), /2 succeeded, 0 failed/);
  await shot(page, 'users-bulk-results');
  await results.getByRole('button', { name: 'Close' }).click();
  for (const n of ['person20', 'person21'])
    assert.equal(
      (await srv.api('GET', `/api/v1/users/${people.find((p) => p.username === n).user.id}`)).body
        .status,
      'disabled',
    );
  // the Disabled tab, select all on the page, Enable
  await page.goto('/users?status=disabled');
  await settle();
  assert.deepEqual((await usernames()).sort(), ['person20', 'person21']);
  await page.getByRole('checkbox', { name: 'Select all users on this page' }).check();
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Enable Back-Office User' }).click();
  await confirm(page, 'Yes, enable it!');
  await page
    .getByRole('dialog', { name: 'Enable: results' })
    .getByRole('button', { name: 'Close' })
    .click();
  await page.getByText('No disabled users.').waitFor();
  page.assertClean();
});

test('a bulk action leaves the admin itself out (allowed_actions: no Disable on oneself)', async () => {
  await page.goto('/users?q=example&limit=100'); // both have an address at example.com
  await settle();
  await page.getByRole('checkbox', { name: 'Select root' }).check();
  await page.getByRole('checkbox', { name: 'Select person30' }).check();
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Disable Back-Office User' }).click();
  await confirm(page, 'Yes, disable it!');
  await page.getByText('person30: Disabled').waitFor();
  const id = people.find((p) => p.username === 'person30').user.id;
  assert.equal((await srv.api('GET', `/api/v1/users/${id}`)).body.status, 'disabled');
  assert.equal((await srv.api('GET', '/api/v1/users/1')).body.status, 'active');
  await srv.api('POST', `/api/v1/users/${id}/enable`);
});

test('each row\'s context menu holds the same actions: right click → Delete → "Yes, delete it!"', async () => {
  await page.goto('/users?q=person4');
  await settle();
  await row('person44').locator('td.email').click({ button: 'right' });
  const menu = page.getByRole('menu', { name: 'Actions for person44' });
  await menu.waitFor();
  for (const item of [
    'Edit',
    'Disable',
    'Delete',
    'Refresh Two-Factor Authentication',
    'Force password reset',
  ])
    await menu.getByRole('menuitem', { name: item, exact: true }).waitFor();
  await shot(page, 'users-context-menu');
  await page.keyboard.press('Escape');
  await menu.waitFor({ state: 'detached' });
  // the row's Actions button, by keyboard
  await row('person44').getByRole('button', { name: 'Actions for person44' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('menu').waitFor();
  await page.keyboard.press('ArrowDown'); // Edit -> Disable
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Edit');
  await page.keyboard.press('Escape');
  assert.equal(
    await page.evaluate(() => document.activeElement.getAttribute('aria-label')),
    'Actions for person44',
    'focus returns to the button',
  );
  await row('person44').locator('td.username').click({ button: 'right' });
  await page.getByRole('menu').getByRole('menuitem', { name: 'Delete', exact: true }).click();
  await confirm(page, 'Yes, delete it!');
  await page.getByRole('status').getByText('person44: Deleted').waitFor();
  await page.waitForFunction(() => !document.querySelector('tr[data-username="person44"]'));
  const r = await srv.api(
    'GET',
    `/api/v1/users/${people.find((p) => p.username === 'person44').user.id}`,
  );
  assert.equal(r.body.status, 'deleted', 'the API keeps it as a tombstone');
  // Refresh two-factor and force password reset from the menu
  await row('person45').locator('td.email').click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Force password reset' }).click();
  await confirm(page, 'Yes, force it!');
  await page.getByRole('status').getByText('person45: Password reset forced').waitFor();
  await row('person46').locator('td.email').click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Refresh Two-Factor Authentication' }).click();
  await confirm(page, 'Yes, refresh it!');
  await page
    .getByRole('status')
    .getByText('person46: Two-factor authentication refreshed')
    .waitFor();
  page.assertClean();
});

test('an admin holding only users.read sees no Add, no checkboxes and no actions', async () => {
  const reader = await readyUser(srv, { permissions: ['users.read'] });
  const p = await openPage(browser, srv.base);
  await signInUI(p, reader.username, reader.password);
  await p.waitForURL(/\/users$/);
  await p.locator('.users-table tbody tr[data-id]').first().waitFor();
  assert.equal(await p.getByText('Add new user').count(), 0);
  assert.equal(await p.getByRole('button', { name: 'Actions', exact: true }).count(), 0);
  assert.equal(await p.locator('.users-table input[type=checkbox]').count(), 0);
  assert.equal(await p.getByRole('link', { name: 'Edit', exact: true }).count(), 0);
  assert.equal(
    await p.getByRole('link', { name: 'Roles' }).count(),
    0,
    'no Roles section without roles.read',
  );
  await p.locator('.users-table tbody tr[data-id] td.email').first().click({ button: 'right' });
  assert.equal(await p.getByRole('menu').count(), 0, 'no context menu');
  await shot(p, 'users-read-only');
  // the pages it may not use are not found
  await p.goto('/users/new');
  await heading(p, 'Not found');
  p.assertClean();
  await p.context().close();
});
