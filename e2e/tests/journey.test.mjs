// The main story: a writer signs up, signs out and in, publishes and edits an article
// with tags; a reader follows the writer, finds the article in Your Feed, favorites it,
// comments and deletes the comment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, RUN, PASSWORD, launch, newPage, screenshot, debugState, signUp, signIn,
} from './support.mjs';

const writer = `writer${RUN}`;
const reader = `reader${RUN}`;
const tag = `e2e${RUN}`;
const title = `Field notes ${RUN}`;
const editedTitle = `Field notes, revised ${RUN}`;
let browser;
let slug;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test('a writer signs up, out and in', async () => {
  const page = await newPage(browser);
  await signUp(page, writer);
  assert.equal(await page.locator('.navbar .user-pic').count(), 1);
  assert.match(await page.locator('.navbar .user-pic').getAttribute('src'), /default-avatar\.svg/);
  let state = await debugState(page);
  assert.equal(state.auth, 'authenticated');
  assert.equal(state.token, null);
  assert.equal(state.user.username, writer);
  assert.equal(state.user.email, `${writer}@example.com`);

  await page.goto('/settings');
  await Promise.all([
    page.waitForURL(`${BASE_URL}/`),
    page.click('button.btn-outline-danger:has-text("Or click here to logout")'),
  ]);
  state = await debugState(page);
  assert.equal(state.auth, 'unauthenticated');
  assert.equal(state.user, null);

  await page.goto('/login');
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
  await page.fill('input[name="email"]', `${writer}@example.com`);
  await page.fill('input[name="password"]', 'wrong-password');
  await page.click('button:has-text("Sign in")');
  await page.waitForSelector('.error-messages');
  assert.match(await page.locator('.error-messages').innerText(), /email or password is invalid/);
  assert.equal(await page.inputValue('input[name="email"]'), `${writer}@example.com`);
  assert.equal(await page.inputValue('input[name="password"]'), '');
  await screenshot(page, 'login-error');
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${BASE_URL}/`), page.click('button:has-text("Sign in")')]);
  assert.equal((await debugState(page)).auth, 'authenticated');
  await screenshot(page, 'home-signed-in');
  await page.context().close();
});

test('the writer publishes and edits an article with tags', async () => {
  const page = await newPage(browser);
  await signIn(page, writer);

  await page.goto('/editor');
  await page.fill('input[name="title"]', title);
  await page.fill('input[name="description"]', 'What I learned this week');
  await page.fill('textarea[name="body"]', '## Lessons\n\nShip **small** changes.\n\n```rust\nfn main() {}\n```');
  const tags = page.locator('input[placeholder="Enter tags"]');
  await tags.fill(tag);
  await tags.press('Enter');
  await tags.fill('notes');
  await tags.press('Enter');
  assert.equal(page.url(), `${BASE_URL}/editor`, 'Enter in the tag field adds a tag, not submit');
  assert.equal(await page.locator('.tag-editor-pills .tag-pill').count(), 2);
  await screenshot(page, 'editor-with-tags');
  await Promise.all([page.waitForURL(/\/article\//), page.click('button:has-text("Publish Article")')]);
  slug = page.url().split('/article/')[1];
  assert.equal(await page.locator('.article-page h1').first().innerText(), title);
  assert.equal(await page.locator('.article-content h2').innerText(), 'Lessons');
  assert.equal(await page.locator('.article-content strong').innerText(), 'small');
  const shownTags = await page.locator('.article-page .tag-list .tag-pill').allInnerTexts();
  assert.deepEqual(shownTags.sort(), [tag, 'notes'].sort());
  await screenshot(page, 'article-page');

  await Promise.all([page.waitForURL(/\/editor\//), page.click('a:has-text("Edit Article")')]);
  assert.equal(await page.inputValue('input[name="title"]'), title);
  await page.fill('input[name="title"]', editedTitle);
  await Promise.all([page.waitForURL(`${BASE_URL}/article/${slug}`), page.click('button:has-text("Publish Article")')]);
  assert.equal(await page.locator('.article-page h1').first().innerText(), editedTitle);

  await page.goto('/');
  const preview = page.locator('.article-preview', { hasText: editedTitle });
  assert.equal(await preview.count(), 1);
  await Promise.all([
    page.waitForURL(`${BASE_URL}/tag/${tag}`),
    page.click(`.sidebar .tag-list a.tag-pill:has-text("${tag}")`),
  ]);
  assert.equal(await page.locator('.article-preview', { hasText: editedTitle }).count(), 1);
  assert.match(await page.locator('.feed-toggle .nav-link.active').innerText(), new RegExp(tag));
  await screenshot(page, 'tag-page');
  await page.context().close();
});

test('a reader follows, favorites, comments and deletes the comment', async () => {
  const page = await newPage(browser);
  await signUp(page, reader);
  await page.goto(`/profile/${writer}`);
  await Promise.all([
    page.waitForURL(`${BASE_URL}/profile/${writer}`),
    page.click(`button:has-text("Follow ${writer}")`),
  ]);
  await page.waitForSelector(`button:has-text("Unfollow ${writer}")`);

  await page.goto('/?feed=following');
  assert.match(await page.locator('.feed-toggle .nav-link.active').innerText(), /Your Feed/);
  const inFeed = page.locator('.article-preview', { hasText: editedTitle });
  assert.equal(await inFeed.count(), 1);
  await Promise.all([page.waitForURL(`${BASE_URL}/article/${slug}`), inFeed.locator('.preview-link').click()]);

  const favorite = page.locator('button:has-text("Favorite Article")');
  assert.match(await favorite.getAttribute('class'), /btn-outline-primary/);
  await favorite.click();
  await page.waitForSelector('button.btn-primary:has-text("Unfavorite Article")');
  assert.match(await page.locator('button:has-text("Unfavorite Article")').innerText(), /\(1\)/);

  const comment = `Thanks for sharing, ${RUN}!`;
  await page.fill('textarea[placeholder="Write a comment..."]', comment);
  await page.click('button:has-text("Post Comment")');
  await page.waitForSelector(`.card:not(.comment-form) .card-block:has-text("${comment}")`);
  assert.match(await page.locator('.card:not(.comment-form) .comment-author-img').first().getAttribute('src'), /default-avatar\.svg/);
  await screenshot(page, 'article-with-comment');

  await page.click('.mod-options .ion-trash-a');
  await page.waitForURL(`${BASE_URL}/article/${slug}#comments`);
  assert.equal(await page.locator('.card:not(.comment-form) .card-block').count(), 0);

  await page.goto(`/profile/${reader}/favorites`);
  assert.equal(await page.locator('.article-preview', { hasText: editedTitle }).count(), 1);
  await page.context().close();
});

test('the author deletes the article', async () => {
  const page = await newPage(browser);
  await signIn(page, writer);
  await page.goto(`/article/${slug}`);
  // With JS a native dialog confirms (without, a confirmation page: reference.test.mjs).
  page.once('dialog', (dialog) => dialog.accept());
  await Promise.all([page.waitForURL(`${BASE_URL}/`), page.click('button:has-text("Delete Article")')]);
  const response = await page.goto(`/article/${slug}`);
  assert.equal(response.status(), 404);
  assert.equal(await page.locator('h1').innerText(), 'Page not found');
  await screenshot(page, 'not-found');
  await page.context().close();
});
