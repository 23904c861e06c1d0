// Account recovery in a real browser (Debian's headless Chromium, playwright-core), with the mail received by
// a real SMTP server in the test: register → verification link → the banner is gone; forgot password →
// mail → link → new password → signed in, and the other device signed out. No JavaScript on the site: every
// step is a form post and a redirect.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { linkTo, startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const EMAIL = 'grace@example.com';
const PASSWORD = 'compiler of the first kind';
const NEW_PASSWORD = 'nanoseconds of wire 1952';

const chromiumMissing = !existsSync(CHROMIUM);

if (chromiumMissing && process.env.CI !== 'true') {
  test('account recovery in Chromium', (t) => {
    t.skip(
      `Chromium is not installed at ${CHROMIUM}: run scripts/ensure-chromium.sh to run the browser tests`,
    );
  });
} else {
  describe('account recovery in Chromium', () => {
    let app: TestApp;
    let smtp: TestSmtpServer;
    let browser: Browser;
    let desk: Page;
    let laptop: Page;
    const contexts: BrowserContext[] = [];
    const url = (path: string) => `${app.origin}${path}`;

    async function newDevice(): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
      contexts.push(context);
      context.setDefaultTimeout(10_000);
      return context.newPage();
    }

    async function submit(page: Page, button: string): Promise<Response> {
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.frame() === page.mainFrame()),
        page.locator('main').getByRole('button', { name: button, exact: true }).click(),
      ]);
      await page.waitForLoadState();
      return response;
    }

    const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });
    const banner = (page: Page) => page.getByRole('region', { name: 'Confirm your email address' });
    /** The link in the mail's text part, where it has a line of its own. */
    const linkIn = (text: string, page: string) =>
      text.split(/\r?\n/).find((line) => line.startsWith(url(`/${page}?token=`)));

    before(async () => {
      if (chromiumMissing) throw new Error(`CI=true and Chromium is missing at ${CHROMIUM}`);
      smtp = await startSmtpServer();
      app = await startTestApp({ env: { CLOAKROOM_SMTP_URL: smtp.url } });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
      desk = await newDevice();
      laptop = await newDevice();
    });

    after(async () => {
      for (const context of contexts) await context.close();
      await browser?.close();
      await app?.stop();
      await smtp?.stop();
    });

    test('register → verification mail → link → the banner is gone', async () => {
      await desk.goto(url('/register'));
      await field(desk, 'Email').fill(EMAIL);
      await field(desk, 'Password').fill(PASSWORD);
      await submit(desk, 'Create account');
      await desk.waitForURL(url('/notes?notice=welcome'));
      assert.ok(await banner(desk).isVisible(), 'the unverified banner shows');

      const mail = await smtp.next(EMAIL, linkTo('verify-email'));
      const link = linkIn(mail.text, 'verify-email');
      assert.ok(link !== undefined, 'the link has a line of its own');
      await desk.goto(link);
      assert.equal(await desk.getByRole('heading', { level: 1 }).innerText(), 'Confirm your email address');
      const confirmed = await submit(desk, 'Confirm my address');
      assert.equal(confirmed.status(), 303);
      await desk.waitForURL(url('/notes?notice=email-verified'));
      assert.match(await desk.getByRole('status').innerText(), /confirmed/);
      assert.equal(await banner(desk).count(), 0, 'the banner is gone');
    });

    test('forgot password → mail → link → new password → signed in; the other device is signed out', async () => {
      // A second device stays signed in with the old password until the reset.
      await laptop.goto(url('/sign-in'));
      await field(laptop, 'Email').fill(EMAIL);
      await field(laptop, 'Password').fill(PASSWORD);
      await submit(laptop, 'Sign in');
      await laptop.waitForURL(url('/notes'));

      await desk.locator('header').getByRole('button', { name: 'Sign out' }).click();
      await desk.waitForURL(url('/sign-in?notice=signed-out'));
      await desk.getByRole('link', { name: 'Forgot your password?' }).click();
      await desk.waitForURL(url('/forgot-password'));
      await field(desk, 'Email').fill(EMAIL);
      await submit(desk, 'Send the link');
      await desk.waitForURL(url('/forgot-password?notice=reset-sent'));
      assert.match(await desk.getByRole('status').innerText(), /If that address has an account/);

      const mail = await smtp.next(EMAIL, linkTo('reset-password'));
      const link = linkIn(mail.text, 'reset-password');
      assert.ok(link !== undefined, 'the link has a line of its own');
      await desk.goto(link);
      await field(desk, 'New password').fill('password1');
      const weak = await submit(desk, 'Set the new password');
      assert.equal(weak.status(), 400, 'a weak password is refused and the link still works');
      await field(desk, 'New password').fill(NEW_PASSWORD);
      const reset = await submit(desk, 'Set the new password');
      assert.equal(reset.status(), 303);
      await desk.waitForURL(url('/notes?notice=password-reset'));
      assert.match(await desk.getByRole('navigation', { name: 'Main' }).innerText(), /grace@example\.com/);

      await laptop.reload();
      assert.equal(new URL(laptop.url()).pathname, '/sign-in', 'the other device was signed out');

      // The link is used up.
      await desk.goto(link);
      await field(desk, 'New password').fill('yet another long passphrase');
      assert.equal((await submit(desk, 'Set the new password')).status(), 400);
      assert.match(await desk.getByRole('alert').innerText(), /invalid, already used or expired/);
    });
  });
}
