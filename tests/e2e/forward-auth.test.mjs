// Forward-auth's way back in Chromium: a protected application sends the browser to the sign-in
// with ?rd=its URL; once signed in, the console goes through /auth/return and the browser lands on
// the application. A URL of a host that is not protected ends on the console instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, ROOT_PASSWORD } from '../api/lib/server.mjs';
import { launch, openPage, signInUI } from './lib/browser.mjs';

let srv, browser, app, APP;

before(async () => {
  // the "application": a page on loopback (a host the browser can reach)
  app = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>Wiki</title><h1>Wiki ${req.url.replace(/[<>&]/g, '')}</h1>`);
  });
  await new Promise((r) => app.listen(0, '127.0.0.1', r));
  APP = `127.0.0.1:${app.address().port}`;
  srv = await startServer({ args: ['--protect', APP] });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  app?.close();
});

test('signed in from ?rd=, the browser goes back to the protected application', async () => {
  const page = await openPage(browser, srv.base);
  const rd = `http://${APP}/pages/home?x=1`;
  await signInUI(page, 'root', ROOT_PASSWORD, { path: `/signin?rd=${encodeURIComponent(rd)}` });
  await page.waitForURL(rd);
  await page.getByRole('heading', { name: 'Wiki /pages/home?x=1' }).waitFor();
  // signed in already: /signin?rd= goes straight back
  await page.goto(`/signin?rd=${encodeURIComponent(`http://${APP}/again`)}`);
  await page.waitForURL(`http://${APP}/again`);
  await page.context().close();
});

test('a URL of a host that is not protected ends on the console', async () => {
  const page = await openPage(browser, srv.base);
  const rd = `http://127.0.0.1:9/elsewhere`;
  await signInUI(page, 'root', ROOT_PASSWORD, { path: `/signin?rd=${encodeURIComponent(rd)}` });
  await page.waitForURL(/\/users$/);
  assert.equal(new URL(page.url()).origin, srv.base);
  page.assertClean();
  await page.context().close();
});
