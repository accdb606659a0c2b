// Live pages: two readers on one article; a comment posted by one appears on the other's
// page without a reload, and goes when it is deleted; the writer's bell counts it; the
// Global Feed offers the articles published since it was opened.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  RUN, launch, newPage, screenshot, apiRegister, apiPublish, signIn,
} from './support.mjs';

const writer = `livewriter${RUN}`;
const reader = `livereader${RUN}`;
let browser;
let token;
let slug;

before(async () => {
  browser = await launch();
  token = await apiRegister(writer);
  await apiRegister(reader);
  slug = await apiPublish(token, `Live thread ${RUN}`);
});

after(async () => {
  await browser?.close();
});

test('a comment posted in one browser appears in another without a reload', async () => {
  const writerPage = await newPage(browser);
  await signIn(writerPage, writer);
  await writerPage.goto(`/article/${slug}`);
  // A mark that a reload would wipe out.
  await writerPage.evaluate(() => { window.__notReloaded = true; });
  assert.equal(await writerPage.locator('.nav-bell .bell-count').count(), 0);

  const readerPage = await newPage(browser);
  await signIn(readerPage, reader);
  await readerPage.goto(`/article/${slug}`);
  const text = `Seen live ${RUN}`;
  await readerPage.fill('textarea[name="body"]', text);
  await Promise.all([
    readerPage.waitForURL(/\/article\//),
    readerPage.click('button:has-text("Post Comment")'),
  ]);

  const card = writerPage.locator('.card', { hasText: text });
  await card.waitFor({ timeout: 10000 });
  assert.equal(await writerPage.evaluate(() => window.__notReloaded), true);
  // The same markup as a rendered page: the RealWorld selectors hold, and the article's
  // author may delete it.
  assert.equal(await card.locator('.card-text').innerText(), text);
  assert.equal(await card.locator('.comment-author').last().innerText(), reader);
  assert.equal(await card.locator('form button[aria-label^="Delete comment"]').count(), 1);

  // The writer is notified of the comment: the bell counts it, still without a reload.
  await writerPage.locator('.nav-bell .bell-count').waitFor({ timeout: 15000 });
  assert.equal(await writerPage.locator('.nav-bell .bell-count').innerText(), '1');
  await screenshot(writerPage, 'live-comment');

  // Deleted in the reader's browser, gone from the writer's.
  await Promise.all([
    readerPage.waitForURL(/\/article\//),
    readerPage.locator('.card', { hasText: text }).locator('form button').click(),
  ]);
  await card.waitFor({ state: 'detached', timeout: 10000 });
  assert.equal(await writerPage.evaluate(() => window.__notReloaded), true);
  await writerPage.context().close();
  await readerPage.context().close();
});

test('the Global Feed offers new articles, loaded on click', async () => {
  const page = await newPage(browser);
  await page.goto('/');
  const bar = page.locator('.new-articles-bar');
  assert.equal(await bar.isHidden(), true);
  // Let the stream open before publishing.
  await page.waitForTimeout(500);
  const title = `Fresh off the press ${RUN}`;
  await apiPublish(token, title);
  await bar.waitFor({ state: 'visible', timeout: 10000 });
  assert.match(await bar.innerText(), /^1 new article$/);
  assert.equal(await bar.getAttribute('href'), '/');
  await bar.click();
  await page.locator('.article-preview h1', { hasText: title }).waitFor({ timeout: 10000 });
  assert.equal(await bar.isHidden(), true);
  await page.context().close();
});
