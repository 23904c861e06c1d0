// Passkeys in a real browser (Debian's headless Chromium through playwright-core), with a virtual
// authenticator from the Chrome DevTools Protocol (ctap2, internal transport, resident keys, user
// verification): add a passkey on the security page, sign out, sign in with the passkey alone; then, with
// two-factor on, sign in with the password and the passkey as the second step on /sign-in/code, and confirm
// a stale sign-in with the passkey on the /reauth prompt. The site is served at http://localhost (browsers
// refuse WebAuthn on an IP address); its clock is a ManualClock, moved to make the sign-in stale.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { generateSync } from 'otplib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ManualClock, MINUTE } from '../../../../cloakroom/test/helpers/clock.js';
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
    const clock = new ManualClock(Date.now());
    const url = (path: string) => `${app.origin}${path}`;
    const errors: string[] = [];
    const cspViolations: string[] = [];

    /** A JSON call from the page, as the site's own script makes it (same-origin, with the cookies). */
    async function call(path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
      return page.evaluate(
        async ([path, body]) => {
          const response = await fetch(path, {
            method: body === undefined ? 'GET' : 'POST',
            headers: body === undefined ? {} : { 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          return { status: response.status, body: (await response.json()) as unknown };
        },
        [path, body] as const,
      );
    }

    before(async () => {
      if (chromiumMissing) throw new Error(`CI=true and Chromium is missing at ${CHROMIUM}`);
      const port = await freePort();
      app = await startTestApp({
        clock,
        env: { PORT: String(port), CLOAKROOM_ORIGIN: `http://localhost:${port}` },
      });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
      const context = await browser.newContext();
      context.setDefaultTimeout(10_000);
      page = await context.newPage();
      page.on('console', (message) => {
        if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
        else if (message.type() === 'error') errors.push(message.text());
      });
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

    test('with two-factor on: the password, then the passkey as the second step on the page', async () => {
      // Two-factor on through the API (the security page's own flow is in two-factor-browser.test.ts); the
      // passkey sign-in of the last test is recent enough for it.
      const setup = await call('/api/auth/mfa/totp/setup', {});
      assert.equal(setup.status, 200);
      const { secret } = setup.body as { secret: string };
      const code = generateSync({ secret, epoch: Math.floor(clock.now() / 1000) });
      assert.equal((await call('/api/auth/mfa/totp/enable', { code })).status, 200);

      await page.locator('header').getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL((u) => u.pathname === '/sign-in');
      await page.getByLabel('Email', { exact: true }).fill(EMAIL);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.locator('main').getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL((u) => u.pathname === '/sign-in/code');
      await page.getByRole('button', { name: 'Use a passkey instead' }).click();
      await page.waitForURL((u) => u.pathname === '/notes');
      const me = await call('/api/me');
      const { amr } = (me.body as { session: { amr: string[] } }).session;
      assert.deepEqual(amr.toSorted(), ['hwk', 'mfa', 'pwd']);
      assert.deepEqual(errors, [], 'no script errors');
      assert.deepEqual(cspViolations, []);
    });

    test('a stale sign-in is confirmed with the passkey on the /reauth prompt', async () => {
      clock.advance(11 * MINUTE);
      await page.goto(url('/password'));
      await page.waitForURL((u) => u.pathname === '/reauth');
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Confirm it is you');
      const before = (await call('/api/me')).body as { session: { authTime: string } };
      await page.getByRole('button', { name: 'Confirm with a passkey' }).click();
      await page.waitForURL((u) => u.pathname === '/password');
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Change password');
      const after = (await call('/api/me')).body as { session: { authTime: string } };
      assert.ok(after.session.authTime > before.session.authTime, 'authTime is refreshed');
      assert.deepEqual(errors, [], 'no script errors');
      assert.deepEqual(cspViolations, []);
    });
  });
}
