// Account security in a real browser: turning on two-factor sign-in from the QR page
// and signing in with a code, then seeing the sessions and signing another one out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  BASE_URL, RUN, PASSWORD, launch, newPage, screenshot, apiRegister, signIn,
} from './support.mjs';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** RFC 4648 base32 to bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The six-digit code an authenticator app shows for `secret`, `stepsAhead` steps on
 * (RFC 6238: HMAC-SHA-1 over the 30-second step count). */
function totp(secret, stepsAhead = 0) {
  const step = Math.floor(Date.now() / 1000 / 30) + stepsAhead;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

test('two-factor sign-in is turned on from the QR page and asked at sign-in', async () => {
  const name = `guarded${RUN}`;
  await apiRegister(name);
  const page = await newPage(browser);
  await signIn(page, name);
  await page.goto('/settings');
  await Promise.all([
    page.waitForURL(`${BASE_URL}/settings/two-factor`),
    page.click('a:has-text("Two-factor sign-in")'),
  ]);
  const qr = page.locator('figure.qr-code svg');
  assert.ok(await qr.isVisible(), 'the QR code is drawn');
  const box = await qr.boundingBox();
  assert.ok(box.width >= 150 && box.height >= 150, `scannable size: ${JSON.stringify(box)}`);
  await screenshot(page, 'two-factor-enrol');
  const secret = (await page.locator('[data-testid="two-factor-secret"]').innerText()).trim();

  await page.fill('input[name="code"]', '000000');
  await page.click('button:has-text("Turn on two-factor sign-in")');
  await page.waitForSelector('#code-error');
  await page.fill('input[name="code"]', totp(secret));
  await page.click('button:has-text("Turn on two-factor sign-in")');
  await page.waitForSelector('[data-testid="recovery-codes"]');
  assert.equal(await page.locator('[data-testid="recovery-codes"] li').count(), 10);
  await screenshot(page, 'two-factor-recovery-codes');
  await page.context().close();

  // A new browser: the password, then a code (the next step's: the one used to turn
  // it on is spent).
  const other = await newPage(browser);
  await other.goto('/login');
  await other.fill('input[name="email"]', `${name}@example.com`);
  await other.fill('input[name="password"]', PASSWORD);
  await Promise.all([
    other.waitForURL(`${BASE_URL}/login/two-factor`),
    other.click('button:has-text("Sign in")'),
  ]);
  assert.equal(await other.locator('h1').innerText(), 'Two-factor sign-in');
  await screenshot(other, 'two-factor-sign-in');
  await other.fill('input[name="code"]', totp(secret, 1));
  await Promise.all([
    other.waitForURL(`${BASE_URL}/`),
    other.click('button:has-text("Verify")'),
  ]);
  assert.ok(await other.locator(`a[href="/profile/${name}"]`).first().isVisible());
  await other.context().close();
});

test('another session is listed and signed out from this one', async () => {
  const name = `roaming${RUN}`;
  await apiRegister(name);
  const laptop = await newPage(browser);
  await signIn(laptop, name);
  const phone = await newPage(browser);
  await phone.goto('/login');
  await phone.fill('input[name="email"]', `${name}@example.com`);
  await phone.fill('input[name="password"]', PASSWORD);
  await phone.check('input[name="remember"]');
  await Promise.all([phone.waitForURL(`${BASE_URL}/`), phone.click('button:has-text("Sign in")')]);

  await laptop.goto('/settings');
  await Promise.all([
    laptop.waitForURL(`${BASE_URL}/settings/sessions`),
    laptop.click('a:has-text("Where you\'re signed in")'),
  ]);
  const sessions = laptop.locator('[data-testid="session"]');
  assert.equal(await sessions.count(), 2);
  const other = sessions.filter({ hasNot: laptop.locator('[data-testid="current-session"]') });
  assert.match(await other.innerText(), /kept signed in/i);
  await screenshot(laptop, 'sessions');
  // The list redirects to itself: wait for the new page's message, not the URL (which
  // is already the list's).
  await other.locator('button:has-text("Sign out")').click();
  await laptop.locator('.flash:has-text("That session is signed out")').waitFor();
  assert.equal(await laptop.locator('[data-testid="session"]').count(), 1);

  await phone.goto('/settings');
  assert.equal(new URL(phone.url()).pathname, '/login', 'the phone is signed out');
  await laptop.goto('/settings');
  assert.equal(new URL(laptop.url()).pathname, '/settings', 'the laptop is not');
  await laptop.context().close();
  await phone.context().close();
});
