// The pages in a real browser: Debian's headless Chromium driven by playwright-core. Each flow clicks
// through the forms like a person would (no JavaScript on the site: every step is a form post and a
// redirect), and a screenshot of each page lands in test-results/screenshots/ (git-ignored).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { startTestApp, type TestApp } from '../../helpers/app.js';

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
const SCREENSHOTS = fileURLToPath(new URL('../../../test-results/screenshots/', import.meta.url));
const PHONE_USER_AGENT =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
  'Version/17.5 Mobile/15E148 Safari/604.1';

const EMAIL = 'ada@example.com';
const PASSWORD = 'analytical engine 1843';
const NEW_PASSWORD = 'difference engine 1822';

const chromiumMissing = !existsSync(CHROMIUM);

if (chromiumMissing && process.env.CI !== 'true') {
  test('pages in Chromium', (t) => {
    t.skip(
      `Chromium is not installed at ${CHROMIUM}: run scripts/ensure-chromium.sh to run the browser tests`,
    );
  });
} else {
  describe('pages in Chromium', () => {
    let app: TestApp;
    let browser: Browser;
    /** The desktop browser the user mostly works in. */
    let desk: Page;
    /** A second browser context, with a phone's screen, user agent and dark mode: a second device. */
    let phone: Page;
    const contexts: BrowserContext[] = [];
    const cspViolations: string[] = [];

    const url = (path: string) => `${app.origin}${path}`;
    const path = (page: Page) => {
      const current = new URL(page.url());
      return current.pathname + current.search;
    };

    async function newDevice(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
      const context = await browser.newContext(options);
      contexts.push(context);
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
      });
      return page;
    }

    let shots = 0;
    /** Saves a full-page screenshot, numbered in the order of the flows. */
    async function snap(page: Page, name: string): Promise<void> {
      shots += 1;
      await page.screenshot({
        path: `${SCREENSHOTS}${String(shots).padStart(2, '0')}-${name}.png`,
        fullPage: true,
      });
    }

    /** Clicks a submit button and resolves to the response of the form post it sends. */
    async function submit(
      page: Page,
      button: string | RegExp,
      scope = page.locator('main'),
    ): Promise<Response> {
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.frame() === page.mainFrame()),
        scope.getByRole('button', { name: button, exact: true }).click(),
      ]);
      await page.waitForLoadState();
      return response;
    }

    /** A form control by its exact label. */
    const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

    async function signIn(page: Page, password: string): Promise<void> {
      await page.goto(url('/sign-in'));
      await field(page, 'Email').fill(EMAIL);
      await field(page, 'Password').fill(password);
      await submit(page, 'Sign in');
      await page.waitForURL(url('/notes'));
    }

    const heading = (page: Page) => page.getByRole('heading', { level: 1 }).innerText();
    const sessionItems = (page: Page) => page.locator('main li.session');

    before(async () => {
      if (chromiumMissing) {
        throw new Error(
          `CI=true and Chromium is missing at ${CHROMIUM}: scripts/ensure-chromium.sh installs it`,
        );
      }
      mkdirSync(SCREENSHOTS, { recursive: true });
      app = await startTestApp();
      browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
      desk = await newDevice({ viewport: { width: 1200, height: 800 } });
      phone = await newDevice({
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        userAgent: PHONE_USER_AGENT,
        // The phone prefers dark mode, so the screenshots cover both colour schemes.
        colorScheme: 'dark',
      });
    });

    after(async () => {
      for (const context of contexts) await context.close();
      await browser?.close();
      await app?.stop();
    });

    test('a visitor is sent to sign in, and the stylesheet applies under the CSP', async () => {
      await desk.goto(url('/'));
      assert.equal(path(desk), '/sign-in');
      assert.equal(await heading(desk), 'Sign in');
      const background = await desk.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(background, 'rgb(245, 246, 248)', 'the hashed stylesheet is loaded');
      await snap(desk, 'sign-in');
    });

    test('registration refuses a common password, keeps the email, then creates the account', async () => {
      await desk.getByRole('link', { name: 'Create an account' }).click();
      await desk.waitForURL(url('/register'));
      await snap(desk, 'register');

      await field(desk, 'Email').fill(EMAIL);
      await field(desk, 'Password').fill('password123');
      const refused = await submit(desk, 'Create account');
      assert.equal(refused.status(), 400);
      assert.match(await desk.getByRole('alert').innerText(), /too common/);
      assert.equal(await field(desk, 'Email').inputValue(), EMAIL);
      assert.equal(await field(desk, 'Password').inputValue(), '', 'the password is never sent back');
      assert.equal(await field(desk, 'Password').getAttribute('aria-invalid'), 'true');
      await snap(desk, 'register-weak-password');

      await field(desk, 'Password').fill(PASSWORD);
      const created = await submit(desk, 'Create account');
      assert.equal(created.status(), 303);
      await desk.waitForURL(url('/notes?notice=welcome'));
      assert.equal(await heading(desk), 'Your notes');
      assert.match(await desk.getByRole('status').innerText(), /Welcome/);
      assert.match(await desk.getByRole('navigation', { name: 'Main' }).innerText(), /ada@example\.com/);
      await snap(desk, 'notes-empty');
    });

    test('notes: create (with a title that is markup), edit, delete', async () => {
      const create = async (title: string, body: string) => {
        await field(desk, 'Title').fill(title);
        await field(desk, 'Note').fill(body);
        await submit(desk, 'Add note');
        await desk.waitForURL(url('/notes?notice=note-created'));
      };
      await create('<script>window.pwned = 1</script>', 'The title above must show as text.');
      await create('Groceries', 'Oat milk\nCoffee beans\nLemons');
      await create('Reading list', 'Sketch of the Analytical Engine, with notes by the translator.');

      const notes = desk.locator('main li.note');
      assert.equal(await notes.count(), 3);
      assert.ok(await notes.getByRole('heading', { name: '<script>window.pwned = 1</script>' }).isVisible());
      assert.equal(await desk.evaluate(() => (window as { pwned?: number }).pwned), undefined);
      await snap(desk, 'notes-list');

      const groceries = notes.filter({ hasText: 'Groceries' });
      await groceries.getByRole('link', { name: /^Edit/ }).click();
      await desk.waitForURL(/\/notes\/[0-9a-f-]{36}$/);
      assert.equal(await heading(desk), 'Edit note');
      assert.equal(await field(desk, 'Title').inputValue(), 'Groceries');
      await snap(desk, 'note-edit');

      await field(desk, 'Title').fill('Groceries for Saturday');
      await field(desk, 'Note').fill('Oat milk\nCoffee beans\nLemons\nBasil');
      await submit(desk, 'Save changes');
      await desk.waitForURL(url('/notes?notice=note-saved'));
      const saved = notes.filter({ hasText: 'Groceries for Saturday' });
      assert.match(await saved.innerText(), /Basil/);

      const script = notes.filter({ hasText: 'window.pwned' });
      await submit(desk, 'Delete “<script>window.pwned = 1</script>”', script);
      await desk.waitForURL(url('/notes?notice=note-deleted'));
      assert.equal(await notes.count(), 2);
      assert.equal(await notes.filter({ hasText: 'window.pwned' }).count(), 0);
      await snap(desk, 'notes-after-delete');
    });

    test('a note that is not the user’s is a friendly 404 page', async () => {
      const response = await desk.goto(url('/notes/00000000-0000-4000-8000-000000000000'));
      assert.equal(response?.status(), 404);
      assert.equal(await heading(desk), 'Page not found');
      await snap(desk, 'not-found');
    });

    test('a form on another port of the same host (same-site, so the cookie goes along) is refused', async () => {
      // Ports do not separate sites: the SameSite=Lax cookie is sent, and the origin checks must stop it.
      const attacker = createServer((_request, response) => {
        response.setHeader('content-type', 'text/html; charset=utf-8');
        response.end(
          `<!doctype html><title>Win a prize</title><form method="post" action="${app.origin}/notes">` +
            '<input type="hidden" name="title" value="forged by another site">' +
            '<button type="submit">Claim your prize</button></form>',
        );
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = attacker.address() as AddressInfo;
        await desk.goto(`http://127.0.0.1:${port}/`);
        const refused = await submit(desk, 'Claim your prize', desk.locator('body'));
        assert.equal(refused.status(), 403);
        assert.equal((await refused.request().allHeaders())['sec-fetch-site'], 'same-site');
        assert.equal(await heading(desk), 'Request refused');
        await snap(desk, 'cross-site-form-refused');
      } finally {
        attacker.closeAllConnections();
        await new Promise<void>((resolve) => attacker.close(() => resolve()));
      }
      await desk.goto(url('/notes'));
      assert.equal(await desk.locator('main li.note').count(), 2);
      assert.equal(await desk.locator('main li.note').filter({ hasText: 'forged' }).count(), 0);
    });

    test('sign out, a wrong password (401, email kept), then sign in again', async () => {
      await desk.goto(url('/notes'));
      await submit(desk, 'Sign out', desk.getByRole('navigation', { name: 'Main' }));
      await desk.waitForURL(url('/sign-in?notice=signed-out'));
      assert.match(await desk.getByRole('status').innerText(), /signed out/);
      await desk.goto(url('/notes'));
      assert.equal(path(desk), '/sign-in', 'the notes need a signed-in user');

      await field(desk, 'Email').fill(EMAIL);
      await field(desk, 'Password').fill('not the password');
      const refused = await submit(desk, 'Sign in');
      assert.equal(refused.status(), 401);
      assert.match(await desk.getByRole('alert').innerText(), /do not match/);
      assert.equal(await field(desk, 'Email').inputValue(), EMAIL);
      assert.equal(await field(desk, 'Password').inputValue(), '');
      await snap(desk, 'sign-in-wrong-password');

      await signIn(desk, PASSWORD);
      assert.equal(await desk.locator('main li.note').count(), 2);
    });

    test('two browser contexts are two sessions; revoking one signs that context out', async () => {
      await signIn(phone, PASSWORD);
      await snap(phone, 'phone-notes');

      await desk.goto(url('/sessions'));
      assert.equal(await heading(desk), 'Your sessions');
      assert.equal(await sessionItems(desk).count(), 2);
      const current = sessionItems(desk).filter({ hasText: 'This device' });
      assert.equal(await current.count(), 1);
      assert.match(await current.innerText(), /Headless Chrome \d+ on Linux/);
      const other = sessionItems(desk).filter({ hasText: 'Safari 17 on iPhone' });
      assert.equal(await other.count(), 1);
      assert.match(await other.innerText(), /127\.0\.0\.1/);
      await snap(desk, 'sessions-two-devices');

      await phone.goto(url('/sessions'));
      await snap(phone, 'phone-sessions');

      await submit(desk, /^Sign out Safari 17 on iPhone/, other);
      await desk.waitForURL(url('/sessions?notice=session-revoked'));
      assert.equal(await sessionItems(desk).count(), 1);

      // The phone learns on its next request.
      await phone.goto(url('/notes'));
      assert.equal(path(phone), '/sign-in');
      await desk.goto(url('/notes'));
      assert.equal(path(desk), '/notes', 'the desk is still signed in');
    });

    test('changing the password signs the other devices out and keeps this one', async () => {
      await signIn(phone, PASSWORD);
      await desk.goto(url('/password'));
      await snap(desk, 'password');

      await field(desk, 'Current password').fill('wrong current password');
      await field(desk, 'New password').fill(NEW_PASSWORD);
      const refused = await submit(desk, 'Change password');
      assert.equal(refused.status(), 401);
      assert.match(await desk.getByRole('alert').innerText(), /current password is not right/);
      await snap(desk, 'password-wrong-current');

      await field(desk, 'Current password').fill(PASSWORD);
      await field(desk, 'New password').fill(NEW_PASSWORD);
      await submit(desk, 'Change password');
      await desk.waitForURL(url('/sessions?notice=password-changed'));
      assert.equal(await sessionItems(desk).count(), 1);
      await snap(desk, 'sessions-after-password-change');

      await phone.goto(url('/notes'));
      assert.equal(path(phone), '/sign-in');
      await signIn(phone, NEW_PASSWORD);
    });

    test('sign out everywhere ends every session, this one included', async () => {
      await desk.goto(url('/sessions'));
      assert.equal(await sessionItems(desk).count(), 2);
      await submit(desk, 'Sign out everywhere');
      await desk.waitForURL(url('/sign-in?notice=signed-out-everywhere'));
      assert.match(await desk.getByRole('status').innerText(), /every device/);
      await snap(desk, 'signed-out-everywhere');

      await phone.goto(url('/sessions'));
      assert.equal(path(phone), '/sign-in');
      await snap(phone, 'phone-sign-in');
      await desk.goto(url('/notes'));
      assert.equal(path(desk), '/sign-in');
    });

    test('no page tripped the Content Security Policy', () => {
      assert.deepEqual(cspViolations, []);
    });
  });
}
