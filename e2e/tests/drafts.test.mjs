// Drafts: a writer previews an article (the Markdown rendered by the server), saves it
// as a draft (on their Drafts tab, not on the home page), schedules it a few seconds
// ahead, and the workers publish it: it shows on the Global Feed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, RUN, launch, newPage, screenshot, signUp } from './support.mjs';

const writer = `drafter${RUN}`;
const title = `Draft notes ${RUN}`;
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** `seconds` from now as a `datetime-local` value in UTC (the editor reads it as UTC). */
function utcInSeconds(seconds) {
  return new Date(Date.now() + seconds * 1000).toISOString().slice(0, 19);
}

test('preview, save a draft, schedule it, see it published', async () => {
  const page = await newPage(browser);
  await signUp(page, writer);
  await page.goto('/editor');
  await page.fill('input[name="title"]', title);
  await page.fill('input[name="description"]', 'Written in steps');
  await page.fill('textarea[name="body"]', `# Heading ${RUN}\n\nSome *text*.`);

  await Promise.all([page.waitForURL(`${BASE_URL}/editor`), page.click('button:has-text("Preview")')]);
  assert.equal(await page.locator('.editor-preview .article-content h1').innerText(), `Heading ${RUN}`);
  assert.equal(await page.inputValue('input[name="title"]'), title, 'inputs are kept');
  await screenshot(page, 'editor-preview');

  await Promise.all([page.waitForURL(/\/editor\/[^/]+$/), page.click('button:has-text("Save draft")')]);
  const slug = new URL(page.url()).pathname.split('/').pop();
  await page.goto(`/profile/${writer}/drafts`);
  assert.equal(await page.locator(`.draft-list a:has-text("${title}")`).count(), 1);
  await page.goto('/');
  assert.equal(await page.locator(`.article-preview:has-text("${title}")`).count(), 0, 'not on the home page');

  await page.goto(`/editor/${slug}`);
  await page.fill('input[name="publish_at"]', utcInSeconds(4));
  await Promise.all([page.waitForURL(`${BASE_URL}/editor/${slug}`), page.click('button:has-text("Schedule")')]);
  assert.match(await page.locator('#scheduled-note').innerText(), /Scheduled to be published at .* UTC/);
  await screenshot(page, 'editor-scheduled');

  // A reader without an account reloads the Global Feed until it shows up.
  const reader = await newPage(browser);
  const deadline = Date.now() + 30000;
  let shown = 0;
  while (Date.now() < deadline) {
    await reader.goto('/');
    shown = await reader.locator(`.article-preview:has-text("${title}")`).count();
    if (shown > 0) break;
    await reader.waitForTimeout(500);
  }
  assert.equal(shown, 1, 'published by the scheduled job');
  await reader.goto(`/article/${slug}`);
  assert.equal(await reader.locator('.article-content h1').innerText(), `Heading ${RUN}`);
  await reader.context().close();
  await page.context().close();
});
