// Browser helpers for the console's tests: Debian's chromium driven by playwright-core (no
// browser download), a page that records console errors and CSP violations, screenshots kept
// in tests/e2e/artifacts/, axe-core checks, and the sign-in steps as a person does them.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = resolve(here, '../artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// A browser with a fresh profile (playwright makes a new temporary user-data dir per launch).
export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 30000 });
}

// A page in a fresh context (its own cookies). page.problems collects console errors, uncaught
// exceptions and CSP violations; assertClean() fails the test on any.
export async function openPage(
  browser,
  base,
  { timezoneId = 'UTC', locale = 'en-GB', viewport = { width: 1280, height: 860 } } = {},
) {
  const context = await browser.newContext({
    baseURL: base,
    timezoneId,
    locale,
    viewport,
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const problems = [];
  page.on('console', (m) => {
    if (
      m.type() === 'error' &&
      !/the server responded with a status of (400|401|403|404|409|410|412|429)/.test(m.text())
    )
      problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  page.problems = problems;
  page.assertClean = () =>
    assert.deepEqual(problems, [], 'the page logged errors or CSP violations');
  return page;
}

export async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

// Runs axe-core in the page (through the devtools protocol, so the page's CSP stays as it is) and
// fails on serious or critical violations.
export async function axeCheck(page, what) {
  await page.evaluate(axeSource);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join('\n  ')}`,
    )
    .join('\n');
  assert.equal(bad.length, 0, `${what}: axe found\n${text}`);
  return res.violations;
}

// Signs in through the page: /signin, user name, password, Sign In.
export async function signInUI(page, username, password, { path = '/signin' } = {}) {
  await page.goto(path);
  await page.getByLabel('User Name').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign In' }).click();
}

// Waits until the page shows the heading.
export async function heading(page, name) {
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

// The dialog's confirm button by its text ("Yes, disable it!").
export async function confirm(page, text) {
  const dlg = page.getByRole('alertdialog');
  await dlg.waitFor();
  await dlg.getByRole('button', { name: text }).click();
  await dlg.waitFor({ state: 'detached' });
}
