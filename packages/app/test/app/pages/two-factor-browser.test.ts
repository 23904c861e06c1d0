// Two-factor sign-in in a real browser (Debian's headless Chromium through playwright-core): set up TOTP on
// the security page (the QR code is inline SVG, no script), turn it on with a code computed here from the
// key the page shows, see the recovery codes once, sign out, then sign in with the password and a code.
// The site's clock is a ManualClock, moved one 30-second step between codes (a code is accepted once).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { generateSync } from 'otplib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ManualClock, SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'];
const EMAIL = 'grace@example.com';
const PASSWORD = 'compiler a-0 1952 ok';

const chromiumMissing = !existsSync(CHROMIUM);

if (chromiumMissing && process.env.CI !== 'true') {
  test('two-factor sign-in in Chromium', (t) => {
    t.skip(
      `Chromium is not installed at ${CHROMIUM}: run scripts/ensure-chromium.sh to run the browser tests`,
    );
  });
} else {
  describe('two-factor sign-in in Chromium', () => {
    const clock = new ManualClock(Date.now());
    let app: TestApp;
    let browser: Browser;
    let page: Page;
    const cspViolations: string[] = [];
    const url = (path: string) => `${app.origin}${path}`;
    const field = (label: string) => page.getByLabel(label, { exact: true });
    const heading = () => page.getByRole('heading', { level: 1 }).innerText();
    const codeFor = (secret: string) => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) });

    async function submit(button: string): Promise<number> {
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.frame() === page.mainFrame()),
        page.locator('main, header').getByRole('button', { name: button, exact: true }).first().click(),
      ]);
      await page.waitForLoadState();
      return response.status();
    }

    before(async () => {
      if (chromiumMissing) throw new Error(`CI=true and Chromium is missing at ${CHROMIUM}`);
      app = await startTestApp({ clock });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
      const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
      context.setDefaultTimeout(10_000);
      page = await context.newPage();
      page.on('console', (message) => {
        if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
      });
    });

    after(async () => {
      await browser?.close();
      await app?.stop();
    });

    let secret = '';

    test('turn on TOTP from the security page: QR code, key, a code, recovery codes shown once', async () => {
      await page.goto(url('/register'));
      await field('Email').fill(EMAIL);
      await field('Password').fill(PASSWORD);
      assert.equal(await submit('Create account'), 303);
      await page.goto(url('/account/security'));
      assert.equal(await heading(), 'Security');
      assert.match(await page.locator('main').innerText(), /Two-factor sign-in is off/);

      assert.equal(await submit('Set up two-factor sign-in'), 200);
      assert.equal(await heading(), 'Set up two-factor sign-in');
      const qr = page.locator('.qr-code svg');
      assert.equal(await qr.count(), 1, 'the QR code is inline SVG');
      assert.ok(((await qr.boundingBox())?.width ?? 0) > 100, 'and it is drawn');
      secret = (await page.locator('code.totp-secret').innerText()).trim();
      assert.match(secret, /^[A-Z2-7]{32}$/);

      await field('Code from the app').fill('000000');
      assert.equal(await submit('Turn on two-factor sign-in'), 400);
      assert.match(await page.getByRole('alert').innerText(), /not right/);
      await field('Code from the app').fill(codeFor(secret));
      assert.equal(await submit('Turn on two-factor sign-in'), 200);
      assert.equal(await heading(), 'Two-factor sign-in is on');
      assert.equal(await page.locator('ul.recovery-codes li').count(), 10);

      await page.goto(url('/account/security'));
      assert.match(await page.locator('main').innerText(), /Recovery codes left: 10/);
      assert.equal(await page.locator('ul.recovery-codes').count(), 0, 'the codes are not shown again');
    });

    test('sign out, then sign in with the password and a code from the app', async () => {
      assert.ok(secret !== '', 'the first test set up TOTP');
      assert.equal(await submit('Sign out'), 303);
      await page.waitForURL(url('/sign-in?notice=signed-out'));

      await field('Email').fill(EMAIL);
      await field('Password').fill(PASSWORD);
      assert.equal(await submit('Sign in'), 303);
      await page.waitForURL(url('/sign-in/code'));
      assert.equal(await heading(), 'Enter your code');
      // The password alone did not sign in.
      await page.goto(url('/notes'));
      await page.waitForURL(/\/sign-in/);
      await page.goto(url('/sign-in/code'));

      clock.advance(30 * SECOND); // the enabling code's step is used up
      await field('Code').fill('000 000');
      assert.equal(await submit('Continue'), 401);
      await field('Code').fill(codeFor(secret));
      assert.equal(await submit('Continue'), 303);
      await page.waitForURL(url('/notes'));
      assert.equal(await heading(), 'Your notes');
      assert.deepEqual(cspViolations, []);
    });

    test('new recovery codes need a recent sign-in: the prompt, then back to the security page', async () => {
      clock.advance(11 * 60 * SECOND);
      await page.goto(url('/account/security'));
      assert.equal(await submit('Make new recovery codes'), 303);
      await page.waitForURL(/\/reauth\?returnTo=/);
      await field('Password').fill(PASSWORD);
      assert.equal(await submit('Confirm'), 303);
      await page.waitForURL(url('/account/security'));
      assert.equal(await submit('Make new recovery codes'), 200);
      assert.equal(await heading(), 'New recovery codes');
      assert.equal(await page.locator('ul.recovery-codes li').count(), 10);
      assert.deepEqual(cspViolations, []);
    });
  });
}
