// The GraphQL explorer at /api/graphql: served from our own origin only (no CDN), it
// runs a query with variables, sends the token when one is given, and shows the
// server's refusal of a query nested too deep.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  RUN, BASE_URL, launch, newPage, screenshot, apiRegister, apiPublish,
} from './support.mjs';

const author = `gqlauthor${RUN}`;
let browser;
let token;
let slug;

before(async () => {
  browser = await launch();
  token = await apiRegister(author);
  slug = await apiPublish(token, `Explored ${RUN}`, ['graphql']);
});

after(async () => {
  await browser?.close();
});

/** Sets the form's fields, runs it and returns the result's text once it has come. */
async function run(page, query, { variables = '{}', withToken = '' } = {}) {
  await page.fill('[data-graphql-query]', query);
  await page.fill('[data-graphql-variables]', variables);
  await page.fill('[data-graphql-token]', withToken);
  await page.click('[data-graphql-run]');
  const result = page.locator('[data-graphql-result]');
  await page.waitForFunction(() => {
    const text = document.querySelector('[data-graphql-result]').textContent;
    return text && text !== '…';
  });
  return JSON.parse(await result.textContent());
}

test('the explorer runs queries from our own origin', async () => {
  const page = await newPage(browser);
  const origins = new Set();
  page.on('request', (request) => origins.add(new URL(request.url()).origin));
  await page.goto('/api/graphql');
  assert.equal(await page.locator('h1').textContent(), 'GraphQL explorer');
  assert.ok(await page.locator('[data-graphql-run]').isVisible(), 'the script shows Run');
  assert.ok((await page.locator('.graphql-sdl').textContent()).includes('type Query'));

  const article = await run(
    page,
    'query($s: String!) { article(slug: $s) { title tagList author { username } } }',
    { variables: JSON.stringify({ s: slug }) },
  );
  assert.deepEqual(article.data.article, {
    title: `Explored ${RUN}`, tagList: ['graphql'], author: { username: author },
  });

  const anonymous = await run(page, '{ viewer { username } }');
  assert.equal(anonymous.data, null);
  assert.equal(anonymous.errors[0].extensions.status, 401);
  const signedIn = await run(page, '{ viewer { username } }', { withToken: token });
  assert.equal(signedIn.data.viewer.username, author);

  const deep = await run(page, '{ articles(limit: 1) { articles { author { articles(limit: 1) { articles { author { articles(limit: 1) { articles { author { username } } } } } } } } } }');
  assert.match(deep.errors[0].message, /nested too deep/i);
  await screenshot(page, 'graphql-explorer');
  assert.deepEqual([...origins], [new URL(BASE_URL).origin], 'every request stays on our origin');
});
