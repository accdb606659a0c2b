// The admin's story: an admin (made with `conduit admin create`, see run.sh) signs in,
// suspends a user, hides an article and resolves a report, each through the forms and
// their confirmation steps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, RUN, PASSWORD, launch, newPage, screenshot, apiRegister, apiPublish,
  shootBothWidths, readmeShot, apiCall, signIn,
} from './support.mjs';

const adminEmail = process.env.E2E_ADMIN_EMAIL;
const adminPassword = process.env.E2E_ADMIN_PASSWORD;
const skip = adminEmail && adminPassword
  ? false
  : 'no admin: set E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD, or let run.sh create one (CONDUIT_BIN and DATABASE_URL)';

const spammer = `spammer${RUN}`;
const reporter = `reporter${RUN}`;
const hiddenTitle = `Dubious offer ${RUN}`;
const reportedTitle = `Reported rant ${RUN}`;
let browser;
let hiddenSlug;
let reportedSlug;
let reportId;
let reporterToken;

const api = apiCall;

before(async () => {
  if (skip) return;
  browser = await launch();
  const spammerToken = await apiRegister(spammer);
  hiddenSlug = await apiPublish(spammerToken, hiddenTitle, [`e2e${RUN}`]);
  reportedSlug = await apiPublish(spammerToken, reportedTitle);
  reporterToken = await apiRegister(reporter);
  const reply = await api('POST', '/reports', {
    report: { kind: 'article', target: reportedSlug, reason: `Rude words (${RUN})` },
  }, reporterToken);
  assert.equal(reply.status, 201);
  reportId = reply.json.report.id;
});

after(async () => {
  await browser?.close();
});

async function adminPage() {
  const page = await newPage(browser);
  await signIn(page, null, { email: adminEmail, password: adminPassword });
  return page;
}

test('an admin signs in and sees the dashboard', { skip }, async () => {
  const page = await adminPage();
  await Promise.all([
    page.waitForURL(`${BASE_URL}/admin`),
    page.click('.navbar a.nav-link:has-text("Admin")'),
  ]);
  assert.equal(await page.locator('h1').innerText(), 'Dashboard');
  assert.ok(await page.locator('.admin-chart svg rect').count() >= 60, 'two bars a day for 30 days');
  assert.ok(await page.locator('.admin-nav a:has-text("Audit log")').count() === 1);
  await screenshot(page, 'admin-dashboard');
  await page.context().close();
});

test('the admin suspends a user', { skip }, async () => {
  const page = await adminPage();
  await page.goto(`/admin/users?q=${spammer}`);
  await Promise.all([
    page.waitForURL(`${BASE_URL}/admin/users/${spammer}`),
    page.click(`.admin-table a:has-text("${spammer}")`),
  ]);
  await page.fill('textarea[name="reason"]', 'Selling things in every comment');
  await page.click('button:has-text("Suspend…")');
  await page.waitForSelector('h1:has-text("Please confirm")');
  assert.match(await page.locator('.confirm-card').innerText(), new RegExp(`Suspend ${spammer}\\?`));
  await screenshot(page, 'admin-suspend-confirm');
  await Promise.all([
    page.waitForURL(`${BASE_URL}/admin/users/${spammer}`),
    page.click('.confirm-card button:has-text("Suspend")'),
  ]);
  assert.match(await page.locator('.flash').innerText(), /is suspended/);
  assert.match(await page.locator('.admin-facts').innerText(), /suspended: Selling things in every comment/);
  await screenshot(page, 'admin-user-suspended');

  const login = await api('POST', '/users/login', { user: { email: `${spammer}@example.com`, password: PASSWORD } });
  assert.equal(login.status, 403);
  assert.match(login.json.errors.account[0], /suspended: Selling things/);
  await page.context().close();

  const victim = await newPage(browser);
  await victim.goto('/login');
  await victim.fill('input[name="email"]', `${spammer}@example.com`);
  await victim.fill('input[name="password"]', PASSWORD);
  await victim.click('button:has-text("Sign in")');
  await victim.waitForSelector('.error-messages');
  assert.match(await victim.locator('.error-messages').innerText(), /this account is suspended/);
  await screenshot(victim, 'admin-suspended-login');
  await victim.context().close();
});

test('the admin hides an article', { skip }, async () => {
  const page = await adminPage();
  await page.goto(`/admin/articles?q=${encodeURIComponent(hiddenTitle)}`);
  const row = page.locator(`tr[data-slug="${hiddenSlug}"]`);
  await Promise.all([
    page.waitForURL(/\/admin\/articles/),
    row.locator('button:has-text("Hide")').click(),
  ]);
  assert.match(await page.locator('.flash').innerText(), /The article is hidden/);
  assert.match(await page.locator(`tr[data-slug="${hiddenSlug}"]`).innerText(), /hidden/i);
  await screenshot(page, 'admin-article-hidden');
  await page.context().close();

  const reader = await newPage(browser);
  const response = await reader.goto(`/article/${hiddenSlug}`);
  assert.equal(response.status(), 404);
  await reader.goto(`/tag/e2e${RUN}`);
  assert.equal(await reader.locator('.article-preview').count(), 0);
  await reader.context().close();
  assert.equal((await api('GET', `/articles/${hiddenSlug}`)).status, 404);
});

test('the admin resolves a report', { skip }, async () => {
  const page = await adminPage();
  await page.goto('/admin/reports');
  const card = page.locator(`[data-report="${reportId}"]`);
  assert.match(await card.innerText(), new RegExp(`Rude words \\(${RUN}\\)`));
  await card.locator('select[name="action"]').selectOption('hide');
  await card.locator('input[name="note"]').fill('Rude; hidden');
  await screenshot(page, 'admin-report-queue');
  await readmeShot(page, 'admin-reports');
  await Promise.all([
    page.waitForURL(`${BASE_URL}/admin/reports`),
    card.locator('button:has-text("Resolve")').click(),
  ]);
  assert.match(await page.locator('.flash').innerText(), new RegExp(`Report #${reportId} is resolved`));
  assert.equal(await page.locator(`[data-report="${reportId}"]`).count(), 0);
  await page.goto('/admin/reports?status=resolved');
  assert.match(await page.locator(`[data-report="${reportId}"]`).innerText(), /hide by .*: Rude; hidden/);
  await screenshot(page, 'admin-report-resolved');
  assert.equal((await api('GET', `/articles/${reportedSlug}`)).status, 404);

  // The reporter is told, with the note.
  let told = [];
  for (let i = 0; i < 100 && told.length === 0; i += 1) {
    const reply = await api('GET', '/notifications', undefined, reporterToken);
    told = reply.json.notifications.filter((n) => n.kind === 'report');
    if (told.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.match(told[0]?.message ?? '', /Your report about article .* was resolved: the content is now hidden\. Reason: Rude; hidden/);

  await page.goto(`/admin/audit?target=${spammer}`);
  assert.match(await page.locator('.audit-table').innerText(), /user\.suspend/);
  await screenshot(page, 'admin-audit');
  await page.context().close();
});

test('a tag is not merged into itself, and is told so before any confirmation', { skip }, async () => {
  const page = await adminPage();
  await page.goto('/admin/tags');
  const value = await page.locator('#merge-from option').first().getAttribute('value');
  await page.selectOption('#merge-from', value);
  await page.selectOption('#merge-into', value);
  await page.click('form[action="/admin/tags/merge"] button[type="submit"]');
  await page.waitForSelector('.error-messages');
  assert.match(await page.locator('.error-messages').innerText(), /into must be another tag/);
  assert.equal(await page.locator('h1:has-text("Please confirm")').count(), 0);
  await page.context().close();
});

test('the suspension form says the chosen day lasts whole, in UTC', { skip }, async () => {
  const page = await adminPage();
  await page.goto(`/admin/users/${reporter}`);
  assert.match(await page.locator('#until-hint').innerText(), /whole day is included, in UTC/);
  await page.context().close();
});

test('every admin page fits a phone and a laptop', { skip }, async () => {
  const page = await adminPage();
  const pages = {
    'admin-dashboard': '/admin',
    'admin-users': '/admin/users',
    'admin-user': `/admin/users/${spammer}`,
    'admin-articles': '/admin/articles',
    'admin-comments': '/admin/comments',
    'admin-reports': '/admin/reports?status=resolved',
    'admin-tags': '/admin/tags',
    'admin-audit': '/admin/audit',
    'admin-jobs': '/admin/jobs',
  };
  for (const [name, route] of Object.entries(pages)) {
    const response = await page.goto(route);
    assert.equal(response.status(), 200, route);
    await shootBothWidths(page, name);
  }
  await page.context().close();
});
