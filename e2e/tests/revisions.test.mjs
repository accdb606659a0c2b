// Article revisions: a writer publishes, edits twice in the editor, opens the history,
// reads a diff and restores the original, which the article page then shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, RUN, launch, newPage, screenshot, shootBothWidths, signUp } from './support.mjs';

const writer = `historian${RUN}`;
const title = `Revised notes ${RUN}`;
const original = 'The original first line.\n\nA second paragraph.';
let browser;
let slug;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

async function saveBody(page, slug, body) {
  await page.goto(`/editor/${slug}`);
  await page.fill('textarea[name="body"]', body);
  await Promise.all([
    page.waitForURL(`${BASE_URL}/article/${slug}`),
    page.click('button:has-text("Publish Article")'),
  ]);
}

test('a writer edits twice, reads the diff and restores the original', async () => {
  const page = await newPage(browser);
  await signUp(page, writer);

  await page.goto('/editor');
  await page.fill('input[name="title"]', title);
  await page.fill('input[name="description"]', 'Kept in every revision');
  await page.fill('textarea[name="body"]', original);
  await Promise.all([page.waitForURL(/\/article\//), page.click('button:has-text("Publish Article")')]);
  slug = page.url().split('/article/')[1];

  await saveBody(page, slug, 'An edited first line.\n\nA second paragraph.');
  await saveBody(page, slug, 'An edited first line.\n\nA second paragraph, rewritten.');
  assert.match(await page.locator('.article-content').innerText(), /rewritten/);

  await Promise.all([
    page.waitForURL(`${BASE_URL}/article/${slug}/history`),
    page.click('.article-meta a:has-text("History")'),
  ]);
  assert.equal(await page.locator('[data-testid="revision"]').count(), 3);
  assert.match(await page.locator('[data-testid="revision"]').first().innerText(), /Revision 3/);
  await shootBothWidths(page, 'revisions-history');

  // The original against the current content.
  await Promise.all([
    page.waitForURL(/\/history\/diff\?from=1&to=3/),
    page.locator('[data-number="1"] a:has-text("Compare with current")').click(),
  ]);
  assert.equal(await page.locator('.diff del:has-text("The original first line.")').count(), 1);
  assert.equal(await page.locator('.diff ins:has-text("An edited first line.")').count(), 1);
  assert.equal(await page.locator('tr.diff-ins').count(), 2);
  assert.equal(await page.locator('tr.diff-del').count(), 2);
  await shootBothWidths(page, 'revisions-diff');

  await Promise.all([
    page.waitForURL(`${BASE_URL}/article/${slug}`),
    page.click('button:has-text("Restore revision 1")'),
  ]);
  assert.match(await page.locator('.flash').innerText(), /Revision 1 is restored, as revision 4/);
  const content = await page.locator('.article-content').innerText();
  assert.match(content, /The original first line\./);
  assert.doesNotMatch(content, /rewritten/);
  await screenshot(page, 'revisions-restored');

  await page.goto(`/article/${slug}/history`);
  assert.equal(await page.locator('[data-testid="revision"]').count(), 4);
  await page.context().close();
});

test('a reader who is not the author finds no history', async () => {
  assert.ok(slug, 'the first test published an article');
  const page = await newPage(browser);
  const article = await page.goto(`/article/${slug}`);
  assert.equal(article.status(), 200);
  assert.equal(await page.locator('.article-meta a:has-text("History")').count(), 0);
  const response = await page.goto(`/article/${slug}/history`);
  assert.equal(response.status(), 404);
  await page.context().close();
});
