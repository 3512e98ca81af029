// The audit page for people: each row a sentence with the actor and the target by name and
// linked ("disabled user Mei Chen"), a before/after table of the fields an edit changed, filters
// by actor name and by action from the server's list, times in the viewer's timezone and
// language, the same rows in a user's history, and all of it in Chinese. Screenshots:
// audit-{en,zh}-{1280,390}.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, readyUser } from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, heading, confirm, axeCheck } from './lib/browser.mjs';

let srv, browser;
let ada; // a platform admin named Ada Lovelace, in Asia/Shanghai
let mei; // the user she disables and edits

async function ok(pending, status = 200) {
  const r = await pending;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}

before(async () => {
  srv = await startServer();
  browser = await launch();
  const perms = (await ok(srv.api('GET', '/api/v1/permissions'))).items.map((p) => p.name);
  ada = await readyUser(srv, { permissions: perms });
  await ok(
    srv.api('PATCH', `/api/v1/users/${ada.user.id}`, {
      body: { first_name: 'Ada', last_name: 'Lovelace', timezone: 'Asia/Shanghai' },
    }),
  );
  mei = await ok(
    srv.api('POST', '/api/v1/users', {
      body: {
        username: 'meichen',
        email: 'mei@example.com',
        first_name: 'Mei',
        last_name: 'Chen',
        timezone: 'Europe/London',
      },
    }),
    201,
  );
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function signedIn(opts) {
  const page = await openPage(browser, srv.base, opts);
  await signInUI(page, ada.username, ada.password);
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  return page;
}

const row = (page, action) =>
  page.locator(`table.audit > tbody > tr[data-action="${action}"]`).first();

test('after disabling a user, the trail says so in words, with both names linked', async () => {
  const page = await signedIn();
  await page.goto(`/users/${mei.id}`);
  await heading(page, 'Mei Chen');
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Disable', exact: true }).click();
  await confirm(page, 'Yes, disable it!');
  await page.locator('.page-head .badge-disabled').waitFor();
  // the user's own history tells it the same way
  const history = page.locator('section', {
    has: page.getByRole('heading', { name: 'Audit history' }),
  });
  await history.locator('tr[data-action="user.disable"]').waitFor();
  assert.equal(
    await history.locator('tr[data-action="user.disable"] td.audit-say').textContent(),
    'disabled user Mei Chen',
  );

  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  await heading(page, 'Audit');
  const r = row(page, 'user.disable');
  await r.waitFor();
  assert.equal(await r.locator('td.audit-say').textContent(), 'disabled user Mei Chen');
  const target = r.locator('td.audit-say a');
  assert.equal(await target.getAttribute('href'), `/users/${mei.id}`);
  const actor = r.getByRole('link', { name: 'Ada Lovelace' });
  assert.equal(await actor.getAttribute('href'), `/users/${ada.user.id}`);
  // the viewer's timezone: with the row's time and in the filter's note
  assert.equal(await r.locator('time .zone').textContent(), 'GMT+8');
  await page.getByText('Times in Asia/Shanghai (GMT+8).').waitFor();
  // a creation: its filled fields under a fold, the raw JSON still at hand
  const created = row(page, 'user.create');
  assert.match(await created.locator('td.audit-say').textContent(), /^created user /);
  await target.click();
  await heading(page, 'Mei Chen');
  page.assertClean();
  await page.context().close();
});

test('an edit shows the fields it changed, before and after', async () => {
  await ok(
    ada.as('PATCH', `/api/v1/users/${mei.id}`, {
      body: { first_name: 'May', timezone: 'Asia/Tokyo' },
    }),
  );
  const page = await signedIn();
  await page.goto('/audit?action=user.update');
  const r = row(page, 'user.update');
  await r.waitFor();
  assert.equal(await r.locator('td.audit-say').textContent(), 'edited user May Chen');
  const diff = await r
    .locator('table.diff tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => [tr.dataset.field, ...[...tr.cells].map((c) => c.textContent)]),
    );
  assert.deepEqual(diff, [
    ['first_name', 'First name', 'Mei', 'May'],
    ['timezone', 'Timezone', 'Europe/London', 'Asia/Tokyo'],
  ]);
  assert.equal(
    await r.locator('table.diff tr[data-field="updated_at"]').count(),
    0,
    'no field that changes with every write',
  );
  await r.getByText('Raw', { exact: true }).click();
  await r.locator('pre.json').first().waitFor();
  page.assertClean();
  await page.context().close();
});

test('filter by actor name and by an action from the list', async () => {
  // its own records, so that it passes alone: Ada disables Lee, root enables Lee again
  const lee = await ok(
    srv.api('POST', '/api/v1/users', {
      body: { username: 'leewong', email: 'lee@example.com', first_name: 'Lee', last_name: 'Wong' },
    }),
    201,
  );
  await ok(ada.as('POST', `/api/v1/users/${lee.id}/disable`));
  await ok(srv.api('POST', `/api/v1/users/${lee.id}/enable`));
  const page = await signedIn();
  await page.goto('/audit');
  await heading(page, 'Audit');
  const action = page.getByLabel('Action', { exact: true });
  assert.equal(await action.evaluate((s) => s.tagName), 'SELECT');
  const labels = await action.locator('option').allTextContents();
  assert.ok(labels.includes('User disabled') && labels.includes('Signed in'), labels.join(' | '));
  const actor = page.getByLabel('Actor (user name)');
  await actor.fill(ada.username.slice(0, 5));
  await page
    .locator(`#audit-actors option[value="${ada.username}"]`)
    .waitFor({ state: 'attached' });
  await actor.fill(ada.username);
  await action.selectOption('user.disable');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/actor=.*action=user\.disable|action=user\.disable.*actor=/);
  await page.waitForFunction(() => {
    const trs = [...document.querySelectorAll('table.audit > tbody > tr')];
    return trs.length > 0 && trs.every((tr) => tr.dataset.action === 'user.disable');
  });
  const rows = await page
    .locator('table.audit > tbody > tr')
    .evaluateAll((trs) => trs.map((tr) => [tr.dataset.action, tr.cells[1].textContent]));
  assert.ok(rows.length >= 1, 'the disable of Lee at least');
  for (const r of rows) assert.deepEqual(r, ['user.disable', 'Ada Lovelace']);
  assert.equal(
    await row(page, 'user.disable').locator('td.audit-say').textContent(),
    'disabled user Lee Wong',
    'the newest first',
  );
  assert.equal(await action.inputValue(), 'user.disable', 'the filter stays chosen');
  // root's enable is found by root's user name, and root has no other name
  await page.goto('/audit?actor=root&action=user.enable');
  await row(page, 'user.enable').waitFor();
  assert.equal(
    await row(page, 'user.enable').locator('td.audit-say').textContent(),
    'enabled user Lee Wong',
  );
  await page.goto('/audit?actor=nobody-at-all');
  await page.getByText('No audit records match.').waitFor();
  page.assertClean();
  await page.context().close();
});

test('screenshots and accessibility in English, at 1280 and 390 px', async () => {
  for (const width of [1280, 390]) {
    const page = await signedIn({ viewport: { width, height: 900 } });
    await page.goto('/audit');
    await row(page, 'user.update').waitFor();
    await axeCheck(page, `audit en ${width}`);
    await shot(page, `audit-en-${width}`);
    page.assertClean();
    await page.context().close();
  }
});

test('in Chinese: the sentences, the action list, dates and the pickers', async () => {
  // its own records, so that it passes alone: Ada edits Ivy, then disables her
  const ivy = await ok(
    srv.api('POST', '/api/v1/users', {
      body: { username: 'ivylin', email: 'ivy@example.com', first_name: 'Ivy', last_name: 'Lin' },
    }),
    201,
  );
  await ok(ada.as('PATCH', `/api/v1/users/${ivy.id}`, { body: { first_name: 'Iris' } }));
  await ok(ada.as('POST', `/api/v1/users/${ivy.id}/disable`));
  await ok(ada.as('PATCH', '/api/v1/me/profile', { body: { language: 'zh' } }));
  try {
    for (const width of [1280, 390]) {
      const page = await signedIn({ viewport: { width, height: 900 } });
      await page.goto('/audit');
      await heading(page, '审计');
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
      const r = row(page, 'user.disable');
      await r.waitFor();
      assert.equal(await r.locator('td.audit-say').textContent(), '停用了用户 Iris Lin');
      assert.match(
        await r.locator('time').textContent(),
        /^\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d GMT\+8$/,
      );
      const labels = await page
        .getByLabel('操作', { exact: true })
        .locator('option')
        .allTextContents();
      assert.ok(labels.includes('停用用户'), labels.join(' | '));
      const edit = row(page, 'user.update');
      assert.deepEqual(await edit.locator('table.diff thead th').allTextContents(), [
        '字段',
        '变更前',
        '变更后',
      ]);
      assert.equal(
        await edit.locator('table.diff tr[data-field="first_name"] th').textContent(),
        '名',
      );
      const since = page.locator('input[name=since]');
      assert.equal(await since.getAttribute('lang'), 'zh-CN');
      await since.fill('2026-12-04T18:05');
      assert.equal(
        await page.locator('.picker-echo').first().textContent(),
        '2026年12月4日 18:05 GMT+8',
        'what the picker holds, in the viewer’s language',
      );
      await axeCheck(page, `audit zh ${width}`);
      await shot(page, `audit-zh-${width}`);
      page.assertClean();
      await page.context().close();
    }
  } finally {
    await ok(ada.as('PATCH', '/api/v1/me/profile', { body: { language: 'en' } }));
  }
});
