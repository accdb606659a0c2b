// The reference markup RealWorld clients rely on (heading levels, the bio paragraph, tag
// pills with an <i>, pagination buttons, the empty feed), and the finishing touches a
// browser can see: confirmations, comment removal by the article's author, errors beside
// their fields, grouped notifications, SVG icons and the webhook guide.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, RUN, launch, newPage, screenshot, apiRegister, apiPublish, apiCall, signUp, signIn,
} from './support.mjs';

const author = `refauthor${RUN}`;
const reader = `refreader${RUN}`;
const tag = `ref${RUN}`;
let browser;
let authorToken;
let readerToken;
let slugs = [];

/** An API call that must succeed. */
async function api(method, route, body, token) {
  const reply = await apiCall(method, route, body, token);
  assert.ok(reply.status < 300, `${method} ${route}: ${reply.status} ${JSON.stringify(reply.json)}`);
  return reply.json;
}

before(async () => {
  browser = await launch();
  authorToken = await apiRegister(author);
  readerToken = await apiRegister(reader);
  for (let i = 1; i <= 11; i += 1) {
    slugs.push(await apiPublish(authorToken, `Reference piece ${i} ${RUN}`, [tag]));
  }
});

after(async () => {
  await browser?.close();
});

test('previews, profiles and pagination follow the reference markup', async () => {
  const page = await newPage(browser);
  await page.goto(`/tag/${tag}`);
  // Every preview's title is an <h1> inside a.preview-link; cards and the sidebar are divs.
  assert.equal(await page.locator('div.article-preview a.preview-link > h1').count(), 10);
  assert.equal(await page.locator('div.sidebar').count(), 1);
  // Pagination: <button class="page-link"> in .page-item, in a GET form.
  assert.equal(await page.locator('.pagination .page-item > button.page-link').count(), 2);
  assert.equal(await page.locator('form[method="get"] .pagination').count(), 1);
  assert.equal(await page.locator('.pagination .page-item.active').innerText(), '1');
  await Promise.all([
    page.waitForURL(`${BASE_URL}/tag/${tag}?page=2`),
    page.click('.pagination .page-item:not(.active) button.page-link'),
  ]);
  assert.equal(await page.locator('.pagination .page-item.active button').innerText(), '2');
  assert.match(await page.locator('.article-preview .preview-link h1').innerText(), new RegExp(`Reference piece 1 ${RUN}`));

  // Both profile tabs page the same way; the username is an <h4>, the bio a <p> even when empty.
  await page.goto(`/profile/${author}`);
  assert.equal(await page.locator('.user-info h4').innerText(), author);
  assert.equal(await page.locator('.user-info p').count(), 1);
  assert.equal(await page.locator('.user-info p').innerText(), '');
  assert.doesNotMatch(await page.locator('.user-info').innerText(), /null/);
  await Promise.all([
    page.waitForURL(`${BASE_URL}/profile/${author}?page=2`),
    page.click('.pagination .page-item:not(.active) button.page-link'),
  ]);
  assert.equal(await page.locator('.article-preview').count(), 1);
  for (let i = 1; i <= 11; i += 1) {
    await api('POST', `/articles/${slugs[i - 1]}/favorite`, {}, readerToken);
  }
  await page.goto(`/profile/${reader}/favorites`);
  assert.equal(await page.locator('.pagination .page-item').count(), 2);
  await Promise.all([
    page.waitForURL(`${BASE_URL}/profile/${reader}/favorites?page=2`),
    page.click('.pagination .page-item:not(.active) button.page-link'),
  ]);
  assert.equal(await page.locator('.article-preview').count(), 1);

  // Without JS the pagination form still works.
  const plain = await newPage(browser, { javaScriptEnabled: false });
  await plain.goto(`/tag/${tag}`);
  await Promise.all([
    plain.waitForURL(`${BASE_URL}/tag/${tag}?page=2`),
    plain.click('.pagination .page-item:not(.active) button.page-link'),
  ]);
  await plain.context().close();
  await page.context().close();
});

test('an empty Your Feed links to the Global Feed', async () => {
  const page = await newPage(browser);
  await signUp(page, `lonely${RUN}`);
  await page.goto('/?feed=following');
  const empty = page.locator('.empty-feed-message');
  assert.match(await empty.innerText(), /Your feed is empty/);
  assert.equal(await empty.locator('a[href="/"]').count(), 1);
  await screenshot(page, 'your-feed-empty');
  await Promise.all([page.waitForURL(`${BASE_URL}/`), empty.locator('a[href="/"]').click()]);
  assert.match(await page.locator('.feed-toggle .nav-link.active').innerText(), /Global Feed/);
  await page.context().close();
});

test('editor tags are pills with an <i> that removes them, and a plain field without JS', async () => {
  const page = await newPage(browser);
  await signIn(page, author);
  await page.goto('/editor');
  const tags = page.locator('input[placeholder="Enter tags"]');
  for (const name of ['alpha', 'beta', 'gamma']) {
    await tags.fill(name);
    await tags.press('Enter');
  }
  const pills = page.locator('.tag-list .tag-pill');
  assert.equal(await pills.count(), 3);
  assert.equal(await page.locator('.tag-list .tag-pill > i').count(), 3);
  await page.locator('.tag-list .tag-pill', { hasText: 'beta' }).locator('i').click();
  assert.deepEqual((await pills.allInnerTexts()).map((t) => t.trim()), ['alpha', 'gamma']);
  await page.fill('input[name="title"]', `Pills ${RUN}`);
  await page.fill('input[name="description"]', 'Tags as pills');
  await page.fill('textarea[name="body"]', 'Body');
  await Promise.all([page.waitForURL(/\/article\//), page.click('button:has-text("Publish Article")')]);
  const shown = await page.locator('.article-page .tag-list .tag-pill').allInnerTexts();
  assert.deepEqual(shown.sort(), ['alpha', 'gamma']);
  await page.context().close();

  const plain = await newPage(browser, { javaScriptEnabled: false });
  await signIn(plain, author);
  await plain.goto('/editor');
  assert.equal(await plain.locator('.tag-list').count(), 0, 'no pills without JS');
  await plain.fill('input[name="title"]', `Plain tags ${RUN}`);
  await plain.fill('input[name="description"]', 'Typed tags');
  await plain.fill('textarea[name="body"]', 'Body');
  await plain.fill('input[placeholder="Enter tags"]', 'one, two');
  await Promise.all([plain.waitForURL(/\/article\//), plain.click('button:has-text("Publish Article")')]);
  const typed = await plain.locator('.article-page .tag-list .tag-pill').allInnerTexts();
  assert.deepEqual(typed.sort(), ['one', 'two']);
  await plain.context().close();
});

test('deleting an article asks first: a dialog with JS, a page without', async () => {
  const withJs = await newPage(browser);
  await signIn(withJs, author);
  await withJs.goto(`/article/${slugs[10]}`);
  let asked = '';
  withJs.once('dialog', (dialog) => { asked = dialog.message(); return dialog.dismiss(); });
  await withJs.click('button:has-text("Delete Article")');
  assert.match(asked, /This cannot be undone/);
  assert.equal(withJs.url(), `${BASE_URL}/article/${slugs[10]}`, 'dismissed: nothing happens');
  withJs.once('dialog', (dialog) => dialog.accept());
  await Promise.all([withJs.waitForURL(`${BASE_URL}/`), withJs.click('button:has-text("Delete Article")')]);
  assert.equal((await withJs.goto(`/article/${slugs[10]}`)).status(), 404);
  await withJs.context().close();

  const plain = await newPage(browser, { javaScriptEnabled: false });
  await signIn(plain, author);
  await plain.goto(`/article/${slugs[9]}`);
  await Promise.all([plain.waitForURL(`${BASE_URL}/article/${slugs[9]}/delete`), plain.click('button:has-text("Delete Article")')]);
  assert.equal(await plain.locator('h1').innerText(), 'Please confirm');
  await screenshot(plain, 'delete-confirmation');
  await plain.click('a:has-text("Cancel")');
  assert.equal((await plain.goto(`/article/${slugs[9]}`)).status(), 200, 'cancel keeps it');
  await Promise.all([plain.waitForURL(/\/delete$/), plain.click('button:has-text("Delete Article")')]);
  await Promise.all([plain.waitForURL(`${BASE_URL}/`), plain.click('.confirm-card button:has-text("Delete Article")')]);
  assert.equal((await plain.goto(`/article/${slugs[9]}`)).status(), 404);
  await plain.context().close();
  slugs = slugs.slice(0, 9);
});

test("an author removes someone's comment from their article", async () => {
  const remark = `Off-topic remark ${RUN}`;
  await api('POST', `/articles/${slugs[0]}/comments`, { comment: { body: remark } }, readerToken);
  const page = await newPage(browser);
  await signIn(page, author);
  await page.goto(`/article/${slugs[0]}`);
  const card = page.locator('.card:not(.comment-form)', { hasText: remark });
  assert.equal(await card.locator('.mod-options .ion-trash-a').count(), 1);
  await card.locator('.mod-options button').click();
  await page.waitForURL(`${BASE_URL}/article/${slugs[0]}#comments`);
  assert.equal(await page.locator('.card:not(.comment-form)', { hasText: remark }).count(), 0);
  await page.context().close();
});

test('every mistake of a form shows at once, beside its field', async () => {
  const page = await newPage(browser);
  await page.goto('/register');
  await page.fill('input[name="username"]', author);
  await page.fill('input[name="email"]', `new${RUN}@example.com`);
  await page.fill('input[name="password"]', 'short');
  await page.click('button:has-text("Sign up")');
  await page.waitForSelector('.error-messages');
  const all = await page.locator('.error-messages').innerText();
  assert.match(all, /username has already been taken/);
  assert.match(all, /password is too short/);
  assert.equal(await page.locator('#username-error').innerText(), 'has already been taken');
  assert.match(await page.locator('#password-error').innerText(), /too short/);
  assert.equal(await page.locator('input[name="username"]').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#email-error').count(), 0);
  assert.equal(await page.inputValue('input[name="email"]'), `new${RUN}@example.com`);
  await screenshot(page, 'register-errors-beside-fields');
  await page.context().close();
});

test('notifications: grouped runs, and opening one marks it read', async () => {
  const follower = `follower${RUN}`;
  const followerToken = await apiRegister(follower);
  const prolific = `prolific${RUN}`;
  const prolificToken = await apiRegister(prolific);
  await api('POST', `/profiles/${prolific}/follow`, {}, followerToken);
  for (let i = 1; i <= 3; i += 1) await apiPublish(prolificToken, `Burst ${i} ${RUN}`);
  const page = await newPage(browser);
  await signIn(page, follower);
  const line = page.locator('[data-testid="notification"]', { hasText: `${prolific} published 3 articles` });
  for (let i = 0; i < 100 && (await line.count()) === 0; i += 1) {
    await page.waitForTimeout(100);
    await page.goto('/notifications');
  }
  assert.equal(await line.count(), 1, 'one line for the run');
  assert.match(await line.getAttribute('class'), /unread/);
  assert.equal(await page.locator('[data-testid="unread-count"]').innerText(), '3');
  await screenshot(page, 'notifications');
  await Promise.all([page.waitForURL(`${BASE_URL}/profile/${prolific}`), line.locator('a').click()]);
  assert.equal(await page.locator('[data-testid="unread-count"]').count(), 0, 'read once opened');
  await page.context().close();
});

test('icons are SVG, never emoji', async () => {
  const page = await newPage(browser);
  await signIn(page, reader);
  await page.goto(`/article/${slugs[0]}`);
  const icons = page.locator('i[class^="ion-"]');
  assert.ok((await icons.count()) >= 3);
  const masks = await icons.evaluateAll((all) => all.map((i) => getComputedStyle(i).webkitMaskImage || getComputedStyle(i).maskImage));
  for (const mask of masks) assert.match(mask, /data:image\/svg\+xml/);
  const text = await page.locator('body').innerText();
  assert.doesNotMatch(text, /[\u2600-\u27BF\u{1F300}-\u{1FAFF}]/u, 'no emoji or dingbats in the page text');
  await page.context().close();
});

test('the webhooks page explains how to verify a delivery', async () => {
  const page = await newPage(browser);
  await signIn(page, reader);
  await page.goto('/settings/webhooks');
  const guide = page.locator('#verify');
  assert.match(await guide.locator('h2').innerText(), /How to verify a delivery/);
  assert.match(await guide.innerText(), /X-Conduit-Signature/);
  assert.match(await guide.innerText(), /constant time/);
  await screenshot(page, 'webhooks');
  await page.context().close();
});

test('a reader searches from the navbar and opens a result', async () => {
  const page = await newPage(browser);
  await page.goto('/');
  await Promise.all([page.waitForURL(`${BASE_URL}/search`), page.click('.navbar a.nav-link:has-text("Search")')]);
  await page.fill('input[name="q"]', `piece ${RUN}`);
  await Promise.all([page.waitForURL(/\/search\?q=/), page.click('.search-form button:has-text("Search")')]);
  assert.match(await page.locator('[data-testid="result-count"]').innerText(), /articles? match/);
  assert.ok((await page.locator('.search-result').count()) >= 1);
  assert.ok((await page.locator('.search-snippet mark').count()) >= 1, 'matched words are marked');
  await screenshot(page, 'search-results');
  const first = page.locator('.search-result .preview-link').first();
  const title = await first.locator('h1').innerText();
  await Promise.all([page.waitForURL(/\/article\//), first.click()]);
  assert.equal(await page.locator('.article-page h1').first().innerText(), title);
  // The page offers its feeds to feed readers.
  assert.equal(await page.locator('link[rel="alternate"][type="application/rss+xml"]').count(), 2);
  await page.context().close();
});
