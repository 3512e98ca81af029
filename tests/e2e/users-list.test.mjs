// The users list as a daily tool (issue 14, point 5), in Chromium: each tab's count (exact, from
// GET /users/counts), "1–50 of N", the provider and roles columns by name, the header row that
// stays in view while the list scrolls, the Deleted tab (tombstones, read-only), selecting every
// user the filter matches across pages for a bulk action (the count in the confirmation, a
// progress bar, the results), the Banned tab's failures and last failing address, and the cards
// the rows become at 390 px, in English and Chinese. Screenshots in tests/e2e/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ROOT_PASSWORD, createUser, signIn } from '../api/lib/server.mjs';
import { join } from 'node:path';
import { launch, openPage, shot, signInUI, heading, axeCheck, ARTIFACTS } from './lib/browser.mjs';

let srv, browser, page, acme, clerk;
const STAFF = 60;

before(async () => {
  srv = await startServer({ args: ['--lockout-threshold', '3'] });
  browser = await launch();
  const p = await srv.api('POST', '/api/v1/tenants', {
    body: { name: 'Acme Billing', kind: 'service_provider' },
  });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  acme = p.body;
  const r = await srv.api('POST', '/api/v1/roles', {
    body: {
      name: 'Billing clerk',
      kind: 'service_provider',
      provider_id: acme.id,
      permissions: ['users.read'],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  clerk = r.body;
  for (let i = 0; i < STAFF; i += 10)
    await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        createUser(srv, {
          username: `staff${String(i + k).padStart(2, '0')}`,
          first_name: 'Staff',
          last_name: String(i + k).padStart(2, '0'),
          provider_id: acme.id,
          role_ids: [clerk.id],
        }),
      ),
    );
  const gone = await createUser(srv, { username: 'leaver', first_name: 'Lee', last_name: 'Ver' });
  const del = await srv.api('DELETE', `/api/v1/users/${gone.user.id}`);
  assert.equal(del.status, 204, JSON.stringify(del.body));
  await createUser(srv, { username: 'locked', first_name: 'Lock', last_name: 'Out' });
  page = await openPage(browser, srv.base);
  await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const rows = (p = page) => p.locator('.users-table tbody tr[data-id]');
const row = (username, p = page) => p.locator(`.users-table tbody tr[data-username="${username}"]`);
const tab = (name, p = page) => p.getByRole('tab', { name: new RegExp(`^${name}`) });
async function settle(p = page) {
  await p.waitForFunction(() => {
    const t = document.querySelector('.users-table');
    return t && !t.hasAttribute('aria-busy');
  });
}
const counts = async (query = '') => (await srv.api('GET', `/api/v1/users/counts${query}`)).body;

test('each tab shows its count, the pager "1–50 of N", provider and roles by name', async () => {
  await page.goto('/users');
  await heading(page, 'Back-Office Users');
  await settle();
  const c = await counts();
  for (const [name, key] of [
    ['Active', 'active'],
    ['Invited', 'invited'],
    ['Disabled', 'disabled'],
    ['Banned', 'banned'],
    ['Deleted', 'deleted'],
  ])
    await tab(name)
      .locator('.tab-count', { hasText: new RegExp(`^${c[key].count}$`) })
      .waitFor();
  assert.equal(c.active.count, STAFF + 2, 'the staff, the one to lock out and root');
  await page.getByText(`1–50 of ${STAFF + 2}`).waitFor();
  for (const name of ['Service Provider', 'Roles'])
    await page.getByRole('columnheader', { name, exact: true }).waitFor();
  const cells = row('staff07').locator('td');
  assert.equal(await row('staff07').locator('td.provider').textContent(), 'Acme Billing');
  assert.equal(await row('staff07').locator('td.roles').textContent(), 'Billing clerk');
  assert.ok((await cells.count()) > 5);
  assert.equal(await row('locked').locator('td.provider').textContent(), 'Platform staff');
  await page.getByRole('button', { name: 'Next' }).click();
  await settle();
  await page.getByText(`51–${STAFF + 2} of ${STAFF + 2}`).waitFor();
  await axeCheck(page, 'users list with counts');
  await shot(page, 'users-list-en');
  page.assertClean();
});

test('the header row stays in view while the list scrolls', async () => {
  await page.goto('/users?limit=100');
  await settle();
  const wrap = page.locator('.users-wrap');
  const head = page.getByRole('columnheader', { name: 'Email', exact: true });
  const before = await head.boundingBox();
  await wrap.evaluate((el) => el.scrollBy(0, 1200));
  await page.waitForFunction(() => document.querySelector('.users-wrap').scrollTop > 0);
  const after = await head.boundingBox();
  const box = await wrap.boundingBox();
  assert.ok(
    Math.abs(after.y - box.y) <= 2,
    `the header is at the top of the list: ${after.y} vs ${box.y}`,
  );
  assert.ok(Math.abs(after.y - before.y) <= 2, 'and where it was before the scroll');
  assert.ok(await row('staff59').isVisible(), 'the last rows scrolled into view');
  page.assertClean();
});

test('the Deleted tab lists tombstones, read-only', async () => {
  await page.goto('/users');
  await tab('Deleted').click();
  await page.waitForURL(/status=deleted/);
  await settle();
  assert.equal(await rows().count(), 1);
  const r = row('leaver');
  await r.waitFor();
  assert.equal(await r.locator('input[type=checkbox]').count(), 0, 'nothing to select');
  assert.equal(await r.getByRole('button').count(), 0, 'no actions');
  assert.equal(await r.getByRole('link', { name: 'Edit' }).count(), 0, 'no edit');
  assert.equal(await page.getByRole('button', { name: 'Actions', exact: true }).count(), 0);
  await r.getByRole('link', { name: 'Lee Ver' }).click();
  await page.waitForURL(/\/users\/\d+$/);
  await page.getByText('Deleted').first().waitFor();
  page.assertClean();
});

test('the Banned tab shows the failed sign-ins, when the last was and from where', async () => {
  for (let i = 0; i < 3; i++) await signIn(srv, 'locked', `not the password ${i}`);
  await page.goto('/users?status=banned');
  await settle();
  const r = row('locked');
  await r.waitFor();
  for (const name of ['Banned until', 'Failed sign-ins', 'Last failure'])
    await page.getByRole('columnheader', { name, exact: true }).waitFor();
  assert.equal(await r.locator('td.failures').textContent(), '3');
  assert.match(await r.locator('td.last-failure').textContent(), /127\.0\.0\.1/);
  assert.match(
    await r.locator('td.last-failure time').getAttribute('datetime'),
    /^\d{4}-\d\d-\d\dT/,
  );
  await tab('Banned').locator('.tab-count', { hasText: /^1$/ }).waitFor();
  await axeCheck(page, 'banned tab');
  await shot(page, 'users-banned-failures');
  page.assertClean();
});

test('select all matching across pages: the count in the confirmation, progress, results', async () => {
  await page.goto(`/users?tenant_id=${acme.id}`);
  await settle();
  await page.getByText(`1–50 of ${STAFF}`).waitFor();
  await page.getByRole('checkbox', { name: 'Select all users on this page' }).check();
  const bar = page.locator('.select-bar');
  await bar.getByText('All 50 users on this page are selected.').waitFor();
  await bar.getByRole('button', { name: `Select all ${STAFF} matching users` }).click();
  await bar.getByText(`All ${STAFF} matching users are selected.`).waitFor();
  await page.getByText(`${STAFF} selected`).waitFor();
  await axeCheck(page, 'all matching selected');
  await shot(page, 'users-select-all-matching');
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Disable' }).click();
  const dlg = page.getByRole('alertdialog');
  await dlg.waitFor();
  await dlg.getByText(`${STAFF} user(s) will be signed out`).waitFor();
  assert.equal(await dlg.locator('li').count(), 11, 'the first ten, then "and N more"');
  await dlg.getByText(`and ${STAFF - 10} more`).waitFor();
  await dlg.getByRole('button', { name: 'Yes, disable it!' }).click();
  const results = page.getByRole('dialog', { name: 'Disable: results' });
  await results.waitFor({ timeout: 30000 });
  await results.getByText(`${STAFF} succeeded, 0 failed.`).waitFor();
  await shot(page, 'users-bulk-results');
  await results.getByRole('button', { name: 'Close' }).click();
  await settle();
  assert.equal((await counts(`?tenant_id=${acme.id}`)).disabled.count, STAFF);
  await tab('Disabled')
    .locator('.tab-count', { hasText: new RegExp(`^${STAFF}$`) })
    .waitFor();
  // and back: enable them all the same way
  await tab('Disabled').click();
  await settle();
  await page.getByRole('checkbox', { name: 'Select all users on this page' }).check();
  await page
    .locator('.select-bar')
    .getByRole('button', { name: /^Select all/ })
    .click();
  await page
    .locator('.select-bar')
    .getByText(`All ${STAFF} matching users are selected.`)
    .waitFor();
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Enable' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: /^Yes/ }).click();
  await page
    .getByRole('dialog', { name: 'Enable: results' })
    .getByText(`${STAFF} succeeded`)
    .waitFor({ timeout: 30000 });
  assert.equal((await counts(`?tenant_id=${acme.id}`)).active.count, STAFF);
  page.assertClean();
});

for (const lang of ['en', 'zh'])
  test(`at 390 px the rows are cards, in ${lang === 'en' ? 'English' : 'Chinese'}`, async () => {
    const p = await openPage(browser, srv.base, {
      viewport: { width: 390, height: 844 },
    });
    const lg = await srv.api('PATCH', '/api/v1/users/1', { body: { language: lang } });
    assert.equal(lg.status, 200, JSON.stringify(lg.body));
    await signInUI(p, 'root', ROOT_PASSWORD);
    await p.waitForURL(/\/users$/);
    await settle(p);
    const first = rows(p).first();
    const box = await first.boundingBox();
    assert.ok(box.width > 300, `a card spans the width: ${box.width}`);
    assert.equal(
      await first.evaluate((el) => getComputedStyle(el).display),
      'block',
      'a row is a block',
    );
    const label = await first
      .locator('td.email')
      .evaluate((el) => getComputedStyle(el, '::before').content);
    assert.equal(label, JSON.stringify(lang === 'en' ? 'Email' : '电子邮件'));
    assert.ok(
      await p.evaluate(() => document.documentElement.scrollWidth <= 390),
      'nothing pushes the page sideways',
    );
    const n = (await counts()).active.count;
    if (lang === 'zh') await p.getByText(`第 1–50 条，共 ${n} 条`).waitFor();
    await axeCheck(p, `phone list ${lang}`);
    // the first screen (the whole page is fifty cards long)
    await p.screenshot({ path: join(ARTIFACTS, `users-list-phone-${lang}.png`) });
    p.assertClean();
    await p.context().close();
    await srv.api('PATCH', '/api/v1/users/1', { body: { language: 'en' } });
  });

test('the list in Chinese at 1280 px: tab counts and the range', async () => {
  const p = await openPage(browser, srv.base);
  await srv.api('PATCH', '/api/v1/users/1', { body: { language: 'zh' } });
  await signInUI(p, 'root', ROOT_PASSWORD);
  await p.waitForURL(/\/users$/);
  await settle(p);
  await p.getByText(`第 1–50 条，共 ${(await counts()).active.count} 条`).waitFor();
  await p
    .getByRole('tab', { name: /^已删除/ })
    .locator('.tab-count', { hasText: /^1$/ })
    .waitFor();
  await p.getByRole('columnheader', { name: '服务商', exact: true }).waitFor();
  await axeCheck(p, 'users list zh');
  await shot(p, 'users-list-zh');
  p.assertClean();
  await p.context().close();
  await srv.api('PATCH', '/api/v1/users/1', { body: { language: 'en' } });
});
