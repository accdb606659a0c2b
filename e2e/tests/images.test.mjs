// Images in the editor: a writer picks a file, "Upload image" sends it and the body gets
// its Markdown at the cursor; the published article shows the picture (it loads).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { BASE_URL, RUN, launch, newPage, screenshot, signUp } from './support.mjs';

const writer = `imager${RUN}`;
const title = `Pictures ${RUN}`;
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(kind, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(kind, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A WIDTH x HEIGHT RGB gradient as a PNG, made here (no fixture file). */
function png(width, height) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([x % 256, y % 256, (x + y) % 256], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('an image uploaded in the editor shows in the published article', async () => {
  const page = await newPage(browser);
  await signUp(page, writer);
  await page.goto('/editor');
  await page.fill('input[name="title"]', title);
  await page.fill('input[name="description"]', 'With a picture');
  await page.fill('textarea[name="body"]', 'Before the picture.\n');
  // The script shows the upload controls (they stay hidden without it).
  await page.waitForSelector('[data-image-button]', { state: 'visible' });
  await page.setInputFiles('[data-image-file]', {
    name: 'gradient.png',
    mimeType: 'image/png',
    buffer: png(480, 320),
  });
  await page.click('[data-image-button]');
  await page.waitForFunction(() => document.querySelector('textarea[name="body"]').value.includes('![image](/images/'));
  const body = await page.inputValue('textarea[name="body"]');
  assert.match(body, /^Before the picture\.\n!\[image\]\(\/images\/[0-9a-f]{32}-480\.png\)\n/);
  await screenshot(page, 'editor-image-uploaded');
  await Promise.all([
    page.waitForURL(/\/article\//),
    page.click('button:has-text("Publish Article")'),
  ]);
  const picture = page.locator('img[src^="/images/"]');
  await picture.waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector('img[src^="/images/"]');
    return img && img.complete && img.naturalWidth > 0;
  });
  assert.equal(await picture.evaluate((img) => img.naturalWidth), 480);
  await screenshot(page, 'article-with-image');

  // Without JavaScript, the editor links to the images page, which lists the upload.
  await page.goto('/settings/images');
  assert.match(await page.locator('[data-testid="image"] [data-testid="markdown"]').first().inputValue(), /-480\.png\)$/);
  assert.match(await page.locator('[data-testid="quota"]').innerText(), /of 50 MB used/);
  assert.ok(BASE_URL);
  await page.context().close();
});
