// Accounts: "Forgot password?" through the emailed link (read from the server's mail
// folder), and the settings form asking for the current password.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  BASE_URL, RUN, launch, newPage, screenshot, apiRegister, signIn,
} from './support.mjs';

// run.sh sets it from DATABASE_URL (the default folder is `<database>.mail`).
const MAIL_DIR = process.env.E2E_MAIL_DIR;

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** The recovery link's path mailed to `email`, waiting up to ten seconds. */
async function recoveryLink(email) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    for (const name of readdirSync(MAIL_DIR)) {
      if (!name.startsWith('password-reset-') || !name.endsWith('.eml')) continue;
      // Quoted-printable soft line breaks joined again.
      const text = readFileSync(path.join(MAIL_DIR, name), 'utf8').replaceAll('=\r\n', '');
      if (!text.includes(`To: ${email}`)) continue;
      const match = text.match(/\/password\/reset\/[0-9a-f]{64}/);
      if (match) return match[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no recovery email for ${email} in ${MAIL_DIR}`);
}

test('a forgotten password is reset through the emailed link', {
  skip: !MAIL_DIR && 'no mail folder: set E2E_MAIL_DIR (run.sh does, from DATABASE_URL)',
}, async () => {
  const name = `forgetful${RUN}`;
  await apiRegister(name);
  const page = await newPage(browser);
  await page.goto('/login');
  await Promise.all([
    page.waitForURL(`${BASE_URL}/password/forgot`),
    page.click('a:has-text("Forgot password?")'),
  ]);
  await page.fill('input[name="email"]', `${name}@example.com`);
  await page.click('button:has-text("Send the link")');
  await page.waitForSelector('[data-testid="recovery-sent"]');
  await screenshot(page, 'recovery-sent');

  const link = await recoveryLink(`${name}@example.com`);
  await page.goto(link);
  assert.equal(await page.locator('h1').innerText(), 'Choose a new password');
  await page.fill('input[name="password"]', 'short');
  await page.click('button:has-text("Save the new password")');
  await page.waitForSelector('#password-error');
  await page.fill('input[name="password"]', 'a-brand-new-password');
  await Promise.all([
    page.waitForURL(`${BASE_URL}/login`),
    page.click('button:has-text("Save the new password")'),
  ]);
  assert.match(await page.locator('.flash').innerText(), /signed out everywhere/);
  await signIn(page, name, { password: 'a-brand-new-password' });

  // The link works once.
  await page.goto(link);
  assert.match(await page.locator('[data-testid="recovery-refused"]').innerText(), /used already/);
  await page.context().close();
});

test('the settings form shows the current password field', async () => {
  const name = `careful${RUN}`;
  await apiRegister(name);
  const page = await newPage(browser);
  await signIn(page, name);
  await page.goto('/settings');
  assert.equal(await page.locator('input[name="current_password"]').getAttribute('type'), 'password');
  // Just signed in: a new password needs no current one yet.
  await page.fill('input[name="password"]', 'another-new-password');
  await Promise.all([
    page.waitForURL(`${BASE_URL}/profile/${name}`),
    page.click('button:has-text("Update Settings")'),
  ]);
  await page.context().close();
});
