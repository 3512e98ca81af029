// Searching the users list in the browser: Chinese names by one character and by two (family name
// first), accents folded, and a search sorted by name that stops at its budget: the list says so
// instead of claiming that nothing matches, and Next searches further. In English and Chinese, at
// 1280 and 390 pixels. The server runs with --search-budget 24 (a walk reads at most 24 users).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ROOT_PASSWORD, createUser } from '../api/lib/server.mjs';
import { launch, openPage, shot, axeCheck } from './lib/browser.mjs';

let srv, browser;

before(async () => {
  srv = await startServer({ args: ['--search-budget', '24'] });
  browser = await launch();
  await createUser(srv, { username: 'liwei', first_name: '伟', last_name: '李' });
  await createUser(srv, { username: 'wangfang', first_name: '芳', last_name: '王' });
  await createUser(srv, { username: 'liqiang', first_name: '强', last_name: '李' });
  await createUser(srv, { username: 'emile', first_name: 'Émile', last_name: 'Zola' });
  for (let i = 0; i < 30; i++)
    await createUser(srv, {
      username: `filler${String(i).padStart(2, '0')}`,
      first_name: 'Aaa',
      last_name: `Filler ${String(i).padStart(2, '0')}`,
    });
  for (const n of ['One', 'Two', 'Three', 'Four', 'Five', 'Six', 'Seven'])
    await createUser(srv, {
      username: `marker${n.toLowerCase()}`,
      first_name: 'Zz',
      last_name: `Marker ${n}`,
      email: `marker${n.toLowerCase()}+zz@example.com`,
    });
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

// The console speaks the signed-in user's language: root's is set before each sign-in.
async function signedIn(opts = {}) {
  const language = opts.locale === 'zh-CN' ? 'zh' : 'en';
  const r = await srv.api('PATCH', '/api/v1/users/1', { body: { language } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const page = await openPage(browser, srv.base, opts);
  await page.goto('/signin');
  await page.locator('input[name="username"]').fill('root');
  await page.locator('input[name="password"]').fill(ROOT_PASSWORD);
  await page.locator('form button[type="submit"]').first().click();
  await page.waitForURL(/\/users$/);
  return page;
}
const usernames = (page) =>
  page.locator('.users-table tbody tr[data-id] td.username').allTextContents();
async function settle(page) {
  await page.waitForFunction(() => {
    const t = document.querySelector('.users-table');
    return t && !t.hasAttribute('aria-busy');
  });
}
async function search(page, label, q, want) {
  await page.getByLabel(label).fill(q);
  await page.waitForFunction(
    (n) => document.querySelectorAll('.users-table tbody tr[data-id]').length === n,
    want.length,
  );
  await settle(page);
  assert.deepEqual((await usernames(page)).sort(), [...want].sort(), `q=${q}`);
}

test('Chinese names are found by one character and by family and given name together', async () => {
  const page = await signedIn();
  await search(page, 'Search users', '李', ['liqiang', 'liwei']);
  await search(page, 'Search users', '李伟', ['liwei']);
  await search(page, 'Search users', '芳', ['wangfang']);
  await search(page, 'Search users', 'emile', ['emile']);
  await search(page, 'Search users', 'ÉMILE', ['emile']);
  await search(page, 'Search users', '李', ['liqiang', 'liwei']);
  await shot(page, 'search-cjk-en-1280');
  page.assertClean();
  await page.context().close();
});

test('in Chinese at 390 px: 李 finds both 李, the names shown family name first', async () => {
  const page = await signedIn({ locale: 'zh-CN', viewport: { width: 390, height: 844 } });
  await search(page, '搜索用户', '李', ['liqiang', 'liwei']);
  const text = await page.locator('.users-table tbody').innerText();
  assert.match(text, /李伟/);
  assert.match(text, /李强/);
  await shot(page, 'search-cjk-zh-390');
  page.assertClean();
  await page.context().close();
});

for (const [locale, width, label, partialText, emptyText, next] of [
  [
    'en-GB',
    1280,
    'Search users',
    'The search stopped early to stay fast: Next searches further.',
    'No match among the users searched so far.',
    'Next',
  ],
  [
    'zh-CN',
    390,
    '搜索用户',
    '为保持速度，搜索已提前停止',
    '目前已搜索的用户中没有匹配项。',
    '下一页',
  ],
]) {
  test(`a search sorted by name that stops at its budget says so, and Next goes on (${locale}, ${width} px)`, async () => {
    const page = await signedIn({ locale, viewport: { width, height: 900 } });
    // "+z" (no index serves a short term with other characters than letters) is in the
    // markers' addresses only; the markers sort after the 30 fillers, beyond the first 24 names walked; the next walk
    // reaches the end
    await page.goto('/users?q=%2Bz&sort=name');
    await settle(page);
    const note = page.locator('.pager-partial');
    await note.waitFor();
    assert.match(await note.innerText(), new RegExp(partialText));
    assert.equal(await page.locator('.users-table td.empty').innerText(), emptyText);
    await axeCheck(page, `partial search ${locale}`);
    await shot(page, `search-partial-${locale}-${width}`);
    const nextButton = page.getByRole('button', { name: next });
    assert.equal(await nextButton.isDisabled(), false, 'Next continues the search');
    await nextButton.click();
    await page.waitForFunction(
      () => document.querySelectorAll('.users-table tbody tr[data-id]').length === 7,
    );
    assert.deepEqual(await usernames(page), [
      'markerfive',
      'markerfour',
      'markerone',
      'markerseven',
      'markersix',
      'markerthree',
      'markertwo',
    ]);
    assert.equal(await page.locator('.pager-partial').count(), 0, 'a complete page has no note');
    assert.equal(await page.getByLabel(label).inputValue(), '+z');
    await shot(page, `search-partial-next-${locale}-${width}`);
    page.assertClean();
    await page.context().close();
  });
}
