// Pagination, settings (bio and avatar), the dark scheme and the anonymous views.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, RUN, launch, newPage, screenshot, apiRegister, apiPublish, signUp,
} from './support.mjs';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test('pagination moves between pages', async () => {
  const author = `pager${RUN}`;
  const tag = `paged${RUN}`;
  const token = await apiRegister(author);
  for (let i = 1; i <= 11; i += 1) {
    await apiPublish(token, `Paged article ${i} ${RUN}`, [tag]);
  }
  const page = await newPage(browser);
  await page.goto(`/tag/${tag}`);
  assert.equal(await page.locator('.article-preview').count(), 10);
  assert.equal(await page.locator('.pagination .page-item').count(), 2);
  assert.equal(await page.locator('.pagination .page-item.active').innerText(), '1');
  await Promise.all([
    page.waitForURL(`${BASE_URL}/tag/${tag}?page=2`),
    page.click('.pagination .page-item:not(.active) button.page-link'),
  ]);
  assert.equal(await page.locator('.article-preview').count(), 1);
  assert.equal(await page.locator('.pagination .page-item.active').innerText(), '2');
  assert.match(await page.locator('.article-preview h1').innerText(), new RegExp(`Paged article 1 ${RUN}`));

  await page.goto('/');
  assert.ok(await page.locator('.pagination .page-item').count() >= 2, 'global feed has pages too');
  await screenshot(page, 'home-anonymous');
  await page.context().close();
});

test('settings change the bio and the avatar', async () => {
  const username = `settler${RUN}`;
  const page = await newPage(browser);
  await signUp(page, username);
  await page.click('.navbar a.nav-link:has-text("Settings")');
  await page.waitForURL(`${BASE_URL}/settings`);
  const avatar = `${BASE_URL}/static/img/favicon.svg`;
  await page.fill('input[name="image"]', avatar);
  await page.fill('textarea[name="bio"]', `I test things (${RUN}).`);
  await Promise.all([
    page.waitForURL(`${BASE_URL}/profile/${username}`),
    page.click('button:has-text("Update Settings")'),
  ]);
  assert.equal(await page.locator('.user-info .user-img').getAttribute('src'), avatar);
  assert.match(await page.locator('.user-info').innerText(), new RegExp(`I test things \\(${RUN}\\)`));
  assert.equal(await page.locator('.navbar .user-pic').getAttribute('src'), avatar);
  const user = await page.evaluate(() => window.__conduit_debug__.getCurrentUser());
  assert.equal(user.image, avatar);
  assert.equal(user.token, null);
  assert.equal(await page.locator('a:has-text("Edit Profile Settings")').count(), 1);
  await screenshot(page, 'profile-after-settings');

  const other = `taken${RUN}`;
  await apiRegister(other);
  await page.goto('/settings');
  await page.fill('input[name="email"]', `${other}@example.com`);
  await page.fill('input[name="password"]', 'some-new-password');
  await page.click('button:has-text("Update Settings")');
  await page.waitForSelector('.error-messages li');
  assert.match(await page.locator('.error-messages').innerText(), /email has already been taken/);
  assert.equal(await page.inputValue('input[name="email"]'), `${other}@example.com`);
  assert.equal(await page.inputValue('input[name="password"]'), '');
  await screenshot(page, 'settings-error');
  await page.context().close();
});

test('dark scheme, small screens and the anonymous redirect', async () => {
  const page = await newPage(browser, { colorScheme: 'dark', viewport: { width: 390, height: 844 } });
  await page.goto('/');
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(background, 'rgb(255, 255, 255)');
  await screenshot(page, 'home-dark-mobile');
  await page.goto('/?feed=following');
  assert.equal(page.url(), `${BASE_URL}/login`);
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
  await page.goto('/register');
  await page.click('button:has-text("Sign up")');
  await page.waitForSelector('.error-messages');
  assert.match(await page.locator('.error-messages').innerText(), /username can't be blank/);
  await screenshot(page, 'register-errors-dark');
  await page.context().close();
});
