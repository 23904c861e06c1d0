// Passkeys in a real browser (Debian's headless Chromium through playwright-core), with a virtual
// authenticator from the Chrome DevTools Protocol (ctap2, internal transport, resident keys, user
// verification): add a passkey on the security page, sign out, sign in with the passkey alone. The site is
// served at http://localhost (browsers refuse WebAuthn on an IP address).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, startTestApp, type TestApp } from '../../helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'];
const EMAIL = 'ada@example.com';
const PASSWORD = 'analytical engine notes';

const chromiumMissing = !existsSync(CHROMIUM);

if (chromiumMissing && process.env.CI !== 'true') {
  test('passkeys in Chromium', (t) => {
    t.skip(
      `Chromium is not installed at ${CHROMIUM}: run scripts/ensure-chromium.sh to run the browser tests`,
    );
  });
} else {
  describe('passkeys in Chromium', () => {
    let app: TestApp;
    let browser: Browser;
    let page: Page;
    const url = (path: string) => `${app.origin}${path}`;

    before(async () => {
      if (chromiumMissing) throw new Error(`CI=true and Chromium is missing at ${CHROMIUM}`);
      const port = await freePort();
      app = await startTestApp({ env: { PORT: String(port), CLOAKROOM_ORIGIN: `http://localhost:${port}` } });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
      const context = await browser.newContext();
      context.setDefaultTimeout(10_000);
      page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      });
    });

    after(async () => {
      await browser?.close();
      await app?.stop();
    });

    test('add a passkey, sign out, sign in with the passkey alone', async () => {
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      await page.goto(url('/register'));
      await page.getByLabel('Email', { exact: true }).fill(EMAIL);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.locator('main').getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL((u) => u.pathname === '/notes');

      await page.goto(url('/account/security'));
      const section = page.getByRole('region', { name: 'Passkeys' });
      assert.match(await section.innerText(), /no passkeys yet/);
      await section.getByRole('button', { name: 'Add a passkey' }).click();
      await section.getByText('Passkey 1', { exact: true }).waitFor();
      assert.match(await section.innerText(), /never used/);

      await page.locator('header').getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL((u) => u.pathname === '/sign-in');
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.waitForURL((u) => u.pathname === '/notes');
      assert.match(await page.getByRole('navigation', { name: 'Main' }).innerText(), /ada@example\.com/);

      await page.goto(url('/account/security'));
      assert.match(await page.getByRole('region', { name: 'Passkeys' }).innerText(), /last used/);
      assert.deepEqual(errors, [], 'no script errors');
    });
  });
}
