// Every page of the site at 1280 and 390 pixels wide: a screenshot of each in target/e2e
// (NAME-1280.png, NAME-390.png) to look at, and a check that none scrolls sideways. The
// README's pictures (docs/screenshots) are taken here too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, RUN, launch, newPage, apiRegister, apiPublish, apiCall, shootBothWidths, readmeShot, signIn,
} from './support.mjs';

const writer = `screenwriter${RUN}`;
const tag = `screens${RUN}`;
let browser;
let slug;

before(async () => {
  browser = await launch();
  const token = await apiRegister(writer);
  for (let i = 1; i <= 11; i += 1) {
    slug = await apiPublish(token, `A readable title for screens, number ${i} (${RUN})`, [tag, 'rust']);
  }
  await apiCall('POST', `/articles/${slug}/comments`, {
    comment: { body: 'A first comment, so the thread is not empty.' },
  }, token);
});

after(async () => {
  await browser?.close();
});

test('pages for visitors fit both widths', async () => {
  const page = await newPage(browser);
  const pages = {
    home: '/',
    tag: `/tag/${tag}`,
    article: `/article/${slug}`,
    profile: `/profile/${writer}`,
    favorites: `/profile/${writer}/favorites`,
    login: '/login',
    register: '/register',
    'not-found': '/article/no-such-article',
    'api-docs': '/api/docs',
    search: `/search?q=${encodeURIComponent(`readable ${RUN}`)}`,
  };
  for (const [name, route] of Object.entries(pages)) {
    await page.goto(route);
    await shootBothWidths(page, name);
  }
  await page.context().close();
});

test('pages for members fit both widths', async () => {
  const page = await newPage(browser);
  await signIn(page, writer);
  const pages = {
    'home-member': '/',
    'your-feed': '/?feed=following',
    'article-author': `/article/${slug}`,
    editor: '/editor',
    'editor-edit': `/editor/${slug}`,
    settings: '/settings',
    notifications: '/notifications',
    webhooks: '/settings/webhooks',
    'two-factor': '/settings/two-factor',
    sessions: '/settings/sessions',
    report: `/report?kind=user&target=${writer}`,
  };
  for (const [name, route] of Object.entries(pages)) {
    const response = await page.goto(route);
    assert.equal(response.status(), 200, route);
    await shootBothWidths(page, name);
  }
  // The confirmation step, without a script to answer it with a dialog.
  const plain = await newPage(browser, { javaScriptEnabled: false });
  await signIn(plain, writer);
  await plain.goto(`/article/${slug}`);
  await Promise.all([plain.waitForURL(/\/delete$/), plain.click('button:has-text("Delete Article")')]);
  await shootBothWidths(plain, 'confirm');
  await plain.context().close();

  // The README's pictures.
  await page.goto('/');
  await readmeShot(page, 'home');
  await page.goto(`/article/${slug}`);
  await readmeShot(page, 'article');
  await page.goto('/editor');
  await page.fill('input[name="title"]', 'Notes on ownership');
  await page.fill('input[name="description"]', 'What the borrow checker taught me');
  await page.fill('textarea[name="body"]', '## Moves\n\nA value has **one** owner.\n\n```rust\nlet s = String::new();\n```');
  const tags = page.locator('input[placeholder="Enter tags"]');
  for (const name of ['rust', 'learning']) {
    await tags.fill(name);
    await tags.press('Enter');
  }
  await readmeShot(page, 'editor');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  await readmeShot(page, 'home-phone');
  await page.context().close();
});
