// Shared set-up for the browser tests: Debian's Chromium through playwright-core (no
// browser download), the site's address, screenshots and a few JSON API shortcuts.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The site under test, e.g. http://127.0.0.1:8091 (no trailing slash). */
export const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8091').replace(/\/+$/, '');

/** Screenshots land in target/e2e at the repository root. */
export const SHOTS = path.resolve(here, '..', '..', 'target', 'e2e');
mkdirSync(SHOTS, { recursive: true });

/** A suffix that keeps names unique across runs against the same database. */
export const RUN = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36);

export const PASSWORD = 'e2e-password-123';

/** Launches the system Chromium, headless. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A fresh browser context (its own cookies) and a page in it. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ baseURL: BASE_URL, viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  return page;
}

/** Saves a full-page screenshot as target/e2e/NAME.png. */
export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** The README's pictures: docs/screenshots/NAME.jpg, the visible part only, kept small. */
export const README_SHOTS = path.resolve(here, '..', '..', 'docs', 'screenshots');

export async function readmeShot(page, name) {
  mkdirSync(README_SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(README_SHOTS, `${name}.jpg`), type: 'jpeg', quality: 60 });
}

/** How far the page scrolls sideways (0 when it fits its viewport). */
export async function sidewaysOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/**
 * Screenshots the current page at 1280 and at 390 pixels wide (target/e2e/NAME-1280.png,
 * NAME-390.png) and checks that neither width makes the page scroll sideways.
 */
export async function shootBothWidths(page, name) {
  for (const [width, height] of [[1280, 900], [390, 844]]) {
    await page.setViewportSize({ width, height });
    const overflow = await sidewaysOverflow(page);
    assert.ok(overflow <= 0, `${name} at ${width}px scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** The debug hook's view of the page. */
export async function debugState(page) {
  return page.evaluate(() => ({
    token: window.__conduit_debug__.getToken(),
    auth: window.__conduit_debug__.getAuthState(),
    user: window.__conduit_debug__.getCurrentUser(),
  }));
}

async function api(method, route, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Token ${token}`;
  const response = await fetch(`${BASE_URL}/api${route}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Registers through the JSON API and returns the token. */
export async function apiRegister(username) {
  const reply = await api('POST', '/users', {
    user: { username, email: `${username}@example.com`, password: PASSWORD },
  });
  return reply.user.token;
}

/** Publishes through the JSON API and returns the slug. */
export async function apiPublish(token, title, tagList = []) {
  const reply = await api('POST', '/articles', {
    article: { title, description: `About ${title}`, body: `# ${title}\n\nWritten for the e2e run.`, tagList },
  }, token);
  return reply.article.slug;
}

/** Signs in through the form (as USERNAME@example.com, or EMAIL and PASSWORD) and waits for home. */
export async function signIn(page, username, { email = `${username}@example.com`, password = PASSWORD } = {}) {
  await page.goto('/login');
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL(`${BASE_URL}/`), page.click('button:has-text("Sign in")')]);
}

/** Any JSON API call: { status, json }, whatever the status. */
export async function apiCall(method, route, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Token ${token}`;
  const response = await fetch(`${BASE_URL}/api${route}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

/** Signs up through the form and waits for the home page. */
export async function signUp(page, username) {
  await page.goto('/register');
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="email"]', `${username}@example.com`);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${BASE_URL}/`), page.click('button:has-text("Sign up")')]);
}
