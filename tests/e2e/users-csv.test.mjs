// The users list's Export CSV button (issue 15), in Chromium: it downloads GET /api/v1/users.csv
// for what the list shows (tab, search, filters, sort), with the session cookie, as users.csv
// with a byte-order mark for Excel; in Chinese it is labelled 导出 CSV.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, ROOT_PASSWORD, createUser } from '../api/lib/server.mjs';
import { launch, openPage, shot, signInUI, heading } from './lib/browser.mjs';

let srv, browser, page, acme;

before(async () => {
  srv = await startServer();
  browser = await launch();
  const p = await srv.api('POST', '/api/v1/tenants', {
    body: { name: 'Acme Export', kind: 'service_provider' },
  });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  acme = p.body;
  for (const [username, first, last] of [
    ['exp-ada', 'Ada', 'Lovelace'],
    ['exp-bob', 'Bob', '=cmd'],
    ['exp-cy', 'Cy', 'Young, Jr'],
  ])
    await createUser(srv, { username, first_name: first, last_name: last, provider_id: acme.id });
  await createUser(srv, { username: 'exp-invited', provider_id: acme.id, password: null });
  page = await openPage(browser, srv.base);
  await signInUI(page, 'root', ROOT_PASSWORD);
  await page.waitForURL(/\/users$/);
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function settle() {
  await page.waitForFunction(() => {
    const t = document.querySelector('.users-table');
    return t && !t.hasAttribute('aria-busy');
  });
}

// Clicks Export CSV and returns the download's name and text.
async function download(name = 'Export CSV') {
  const [d] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name }).click(),
  ]);
  const path = await d.path();
  return { name: d.suggestedFilename(), bytes: readFileSync(path) };
}

test('Export CSV downloads what the filter shows, in the list order', async () => {
  await page.goto(`/users?tenant_id=${acme.id}`);
  await heading(page, 'Back-Office Users');
  await settle();
  const { name, bytes } = await download();
  assert.equal(name, 'users.csv');
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const lines = bytes.subarray(3).toString('utf8').split('\r\n');
  assert.match(lines[0], /^username,first_name,last_name,email,/);
  const users = lines.slice(1, -1).map((l) => l.split(',')[0]);
  // the Active tab of Acme Export, by name: the invited user is in another tab
  assert.deepEqual(users, ['exp-ada', 'exp-bob', 'exp-cy']);
  assert.ok(lines.some((l) => l.startsWith("exp-bob,Bob,'=cmd,")));
  assert.ok(lines.some((l) => l.startsWith('exp-cy,Cy,"Young, Jr",')));
  assert.equal(lines.at(-1), '');

  // a search and another tab: the link follows the list
  await page.getByRole('searchbox', { name: 'Search users' }).fill('exp-b');
  await page.waitForURL(/q=exp-b/);
  await settle();
  const found = (await download()).bytes.subarray(3).toString('utf8').split('\r\n');
  assert.deepEqual(
    found.slice(1, -1).map((l) => l.split(',')[0]),
    ['exp-bob'],
  );
  await page.getByRole('searchbox', { name: 'Search users' }).fill('');
  await page.waitForURL((u) => !u.searchParams.has('q'));
  await settle();
  await page.getByRole('tab', { name: /^Invited/ }).click();
  await settle();
  const invited = (await download()).bytes.subarray(3).toString('utf8').split('\r\n');
  assert.deepEqual(
    invited.slice(1, -1).map((l) => l.split(',')[0]),
    ['exp-invited'],
  );
  await shot(page, 'users-export-csv');
  page.assertClean();
});

test('in Chinese the button reads 导出 CSV', async () => {
  const lg = await srv.api('PATCH', '/api/v1/users/1', { body: { language: 'zh' } });
  assert.equal(lg.status, 200, JSON.stringify(lg.body));
  try {
    const p = await openPage(browser, srv.base);
    await signInUI(p, 'root', ROOT_PASSWORD);
    await p.waitForURL(/\/users$/);
    const link = p.getByRole('link', { name: '导出 CSV' });
    await link.waitFor();
    assert.match(await link.getAttribute('href'), /^\/api\/v1\/users\.csv\?.*bom=1/);
    await p.context().close();
  } finally {
    await srv.api('PATCH', '/api/v1/users/1', { body: { language: 'en' } });
  }
});

test('Import CSV: check first (nothing changes), then import in parts with a report', async () => {
  const N = 1200; // three parts of at most 500 rows
  const lines = ['username,email,first_name,provider'];
  for (let i = 0; i < N; i++)
    lines.push(`imp${String(i).padStart(4, '0')},imp${i}@example.com,Imp ${i},Acme Export`);
  lines.push('imp-bad,not-an-address,"Bad, row",Acme Export');
  const file = { name: 'users.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\r\n')) };
  await page.goto('/users');
  await settle();
  await page.getByRole('link', { name: 'Import CSV' }).click();
  await heading(page, 'Import users');
  await page.getByLabel('CSV file').setInputFiles(file);
  assert.equal(await page.getByRole('button', { name: 'Import', exact: true }).isDisabled(), true);
  await page.getByRole('button', { name: 'Check' }).click();
  await page
    .getByText('Check done: 1,200 to create, 0 to update, 0 unchanged, 1 refused')
    .waitFor({ timeout: 60000 });
  const refused = page.locator('.import-refused tbody tr');
  assert.equal(await refused.count(), 1);
  assert.match(await refused.first().innerText(), /1202[\s\S]*imp-bad[\s\S]*email/);
  const none = await srv.api('GET', '/api/v1/users?q=imp0001');
  assert.equal(none.body.items.length, 0, 'a check keeps nothing');

  // the progress bar moves part by part (500 rows a part)
  await page.evaluate(() => {
    const bar = document.querySelector('.panel progress');
    window.progressSeen = [];
    new MutationObserver(() => {
      if (!bar.hidden) window.progressSeen.push(bar.value);
    }).observe(bar, { attributes: true });
  });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page
    .getByText('Import done: 1,200 created, 0 updated, 0 unchanged, 1 refused')
    .waitFor({ timeout: 120000 });
  const seen = await page.evaluate(() => window.progressSeen);
  assert.ok(seen.includes(500) && seen.includes(1000), `progress: ${seen.join(' ')}`);
  const made = await srv.api('GET', `/api/v1/users/counts?tenant_id=${acme.id}`);
  assert.equal(made.body.invited.count, 1 + N);
  const [d] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download report' }).click(),
  ]);
  assert.equal(d.suggestedFilename(), 'import-report.csv');
  const report = readFileSync(await d.path(), 'utf8').split('\r\n');
  assert.equal(report[0], 'line,username,outcome,field,code,message');
  assert.equal(report[1], '2,imp0000,created,,,');
  assert.equal(
    report[N + 1],
    '1202,imp-bad,refused,email,email.invalid,not a valid e-mail address',
  );
  await shot(page, 'users-import-csv');

  // the same file again: every row unchanged
  await page.getByRole('button', { name: 'Check' }).click();
  await page
    .getByText('Check done: 0 to create, 0 to update, 1,200 unchanged, 1 refused')
    .waitFor({ timeout: 60000 });
  page.assertClean();
});
